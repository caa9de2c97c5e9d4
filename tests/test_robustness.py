"""The CLI's promises under fault (docs/security.md): byte-identical output whatever the hash
seed and the order of the inputs; an interrupted compile leaves the previous output whole
and no temporary file; the output documents are replaced as one set."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from isc.ir.fingerprint import object_fingerprints

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "examples" / "iwsva-sakura" / "export"
MAIL = ROOT / "examples" / "imsva-kaede" / "export"


def _isc(*argv: str | Path, seed: str = "0", **kw: object) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen([sys.executable, "-m", "isc", *map(str, argv)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]


def _compile(out: Path, *inputs: Path, seed: str = "0") -> dict[str, bytes]:
    proc = _isc("compile", *inputs, "-o", out, seed=seed)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_same_bytes_whatever_the_hash_seed_and_the_order_of_inputs(tmp_path: Path) -> None:
    first = _compile(tmp_path / "a", WEB, MAIL, seed="1")
    second = _compile(tmp_path / "b", MAIL, WEB, seed="4242")
    assert sorted(first) == ["ems.json", "report.json", "runbook.html", "ztsa-ia.json"]
    assert first == second


def _consistent(out: Path) -> None:
    """Every document in OUTDIR is the one report.json records, and no temporary file is
    left."""
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".")], names
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for name, recorded in report["documents"].items():
        doc = json.loads((out / name).read_text(encoding="utf-8"))
        assert object_fingerprints(doc) == recorded["objects"], name


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_compile_leaves_a_whole_output(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    _compile(out, WEB)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # another export into the same OUTDIR, interrupted at several moments of its run
    other = tmp_path / "other"
    other.mkdir()
    (other / "policy.ini").write_text(
        (WEB / "policy.ini").read_text(encoding="utf-8").replace('"Gambling" = block',
                                                                  '"Gambling" = allow'),
        encoding="utf-8")
    for name in ("custom-categories-sjis.ini", "TrustedURLs.ini", "url-blocking-import.txt",
                 "approved-partners.txt", "intscan.ini"):
        (other / name).write_bytes((WEB / name).read_bytes())
    for delay in (0.3, 1.0, 1.8, 2.4):
        proc = _isc("compile", other, "-o", out)
        time.sleep(delay)
        proc.send_signal(signum)
        proc.communicate(timeout=600)
        assert proc.returncode in (0, 1, 130, 143, -signum), proc.returncode
        _consistent(out)
        after = {p.name: p.read_bytes() for p in out.iterdir()}
        if proc.returncode not in (0, 1):  # interrupted: nothing was replaced
            assert after == before
