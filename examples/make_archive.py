"""Build an example's ``export.tar.gz`` from its ``export/`` so that every run gives the
same bytes.

Members are named relative to ``export/`` (``policy.ini``, ``lists/torihikisaki.txt``, ...), so
a path written in the export (``file = certs/corp-root.pem``, ``file="lists/..."``) names a
member of the archive.
Directories come before their contents, all in sorted order; times, owners and the gzip header
carry no trace of the machine that ran this.

Usage: python examples/make_archive.py EXAMPLE_DIR   (e.g. examples/imsva-kaede)
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
from pathlib import Path


def _info(name: str, *, directory: bool, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build(source: Path) -> bytes:
    """The gzip-compressed TAR of every regular file and directory below ``source``."""
    paths = sorted(
        (p for p in source.rglob("*") if not p.is_symlink()),
        key=lambda p: p.relative_to(source).as_posix(),
    )
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in paths:
            name = path.relative_to(source).as_posix()
            if path.is_dir():
                tar.addfile(_info(name + "/", directory=True))
            elif path.is_file():
                data = path.read_bytes()
                tar.addfile(_info(name, directory=False, size=len(data)), io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, compresslevel=9, mtime=0) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python examples/make_archive.py EXAMPLE_DIR", file=sys.stderr)
        return 2
    source = Path(argv[1]) / "export"
    output = Path(argv[1]) / "export.tar.gz"
    if not source.is_dir():
        print(f"make_archive: {source} is not a directory", file=sys.stderr)
        return 2
    data = build(source)
    output.write_bytes(data)
    print(f"wrote {output} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
