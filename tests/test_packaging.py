"""The grammars live in the top-level grammars/ and must ship inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_grammars_are_found_from_this_install() -> None:
    from isc.frontends._grammar import grammar_dir

    assert {p.name for p in grammar_dir().glob("*.lark")} == {
        p.name for p in (ROOT / "grammars").glob("*.lark")}


def test_wheel_contains_grammars_and_schemas(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("isc-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for grammar in (ROOT / "grammars").glob("*.lark"):
        assert f"isc/grammars/{grammar.name}" in names
    for schema in ("ztsa-ia-1.schema.json", "ems-1.schema.json", "report-1.schema.json",
                   "replay-1.schema.json", "imss-policy.xsd"):
        assert f"isc/schemas/{schema}" in names
    assert "isc/py.typed" in names
