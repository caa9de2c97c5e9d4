"""Lint, types and the layering rules of docs/architecture.md, as tests."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "isc"


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_ruff() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks",
                  "examples")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


LAYERS = {
    "ir": {"isc.frontends", "isc.passes", "isc.backends", "isc.models", "isc.api", "isc.cli"},
    "models": {"isc.frontends", "isc.passes", "isc.backends", "isc.api", "isc.cli"},
    "frontends": {"isc.passes", "isc.backends", "isc.models", "isc.api", "isc.cli"},
    "passes": {"isc.frontends", "isc.backends", "isc.api", "isc.cli"},
    "backends": {"isc.frontends", "isc.passes", "isc.api", "isc.cli"},
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layering(layer: str) -> None:
    bad = []
    for path in (SRC / layer).rglob("*.py"):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in LAYERS[layer]):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
            if layer != "frontends" and re.match(r"^(lark|lxml)\b", name):
                bad.append(f"{path.relative_to(ROOT)} imports {name} outside frontends/")
            if name.startswith("cattrs") and path.name != "serde.py":
                bad.append(f"{path.relative_to(ROOT)} uses cattrs outside ir/serde.py")
    assert bad == []


def test_every_diagnostic_code_is_documented() -> None:
    from isc.diagnostics import CODES

    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert [c for c in CODES if c not in doc] == []


def test_every_code_used_in_the_source_is_known() -> None:
    from isc.diagnostics import CODES

    used = set()
    for path in SRC.rglob("*.py"):
        used.update(re.findall(r'"(ISC\d{4})"', path.read_text(encoding="utf-8")))
    assert sorted(used - set(CODES)) == []
