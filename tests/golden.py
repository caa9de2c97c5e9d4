"""Golden files: compare emitted text with the committed file, or rewrite it when the run
was given ``--update-golden`` (never silently)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from isc.ir.export import Output


def check_golden(path: Path, text: str, update: bool) -> None:
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    actual = path.with_suffix(".actual.json")
    expected = path.read_text(encoding="utf-8") if path.exists() else None
    if expected != text:
        actual.write_text(text, encoding="utf-8")
        pytest.fail(f"{path} differs from the output (written to {actual}); "
                    "rerun with --update-golden if the change is intended")
    actual.unlink(missing_ok=True)


def write_outdir(tmp_path: Path, output: Output, given: Output | None = None) -> Path:
    """An OUTDIR as ``isc compile`` writes it for ``output``; ``given`` replaces the document
    (an edit made by hand after compiling)."""
    import isc
    from isc.api import FILENAMES

    out = tmp_path / "out"
    out.mkdir()
    (out / FILENAMES[output.target]).write_text(isc.dumps(given or output), encoding="utf-8")
    (out / "report.json").write_text(isc.dumps_report(output), encoding="utf-8")
    return out


def json_strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (keys excepted), depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
