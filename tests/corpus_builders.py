"""What the corpus cases (tests/corpus/*/*/case.py) build their inputs with."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from isc.cli import main

#: The smallest web policy isc compiles.
POLICY = ('[url-filtering-policy "Global Policy"]\nglobal = yes\n'
          'category "Gambling" = block\n')


def member(name: str, data: bytes | None = None, kind: bytes = tarfile.REGTYPE,
           link: str = "") -> tuple[tarfile.TarInfo, bytes | None]:
    """A tar member: a regular file with ``data``, or a link or device (``kind``)."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    if data is not None:
        info.size = len(data)
    if kind == tarfile.CHRTYPE:
        info.devmajor, info.devminor = 1, 5
    return info, data


def tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz"
        ) -> Path:
    with tarfile.open(path, mode) as out:
        for info, data in members:
            out.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def export(work: Path, text: str = POLICY) -> Path:
    """A directory input holding ``policy.ini``."""
    folder = work / "input"
    folder.mkdir()
    (folder / "policy.ini").write_text(text, encoding="utf-8")
    return folder


def compiled(work: Path) -> Path:
    """An OUTDIR compiled from :func:`export`, as a user would have one."""
    out = work / "out"
    assert main(["compile", str(export(work)), "-o", str(out)]) == 0
    return out
