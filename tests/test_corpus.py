"""The corpus of malformed and hostile inputs (tests/corpus/): each case is run through the
``isc`` command as a user would, in a subprocess with a time and memory bound, and must end
with the exit status and the diagnostics its ``expect.json`` names, never a traceback.

A case is a directory ``tests/corpus/AREA/NAME/`` holding ``expect.json`` and either
``input/`` (the files, given to isc as one directory) or ``case.py`` with
``build(work: Path) -> list[str]`` that makes inputs that cannot be committed (FIFOs,
devices, bombs, huge files) and returns the paths to give. ``expect.json``:

- ``command``: the isc command and its options before the inputs (default ``["check"]``);
  ``compile`` gets ``-o`` with a fresh directory;
- ``args``: options after the inputs; ``{input}`` stands for the case's first input and
  ``{work}`` for the case's work directory (in ``command`` too);
- ``exit``: the exit status (default 2);
- ``diagnostics``: each ``{"code"?, "file"?, "line"?, "severity"?}`` must be printed (``file``
  is matched as a suffix of the path shown);
- ``stdout`` / ``stderr``: texts that must appear; ``absent``: paths under the work directory
  that must not exist afterwards;
- ``seconds``: a generous bound after which the case counts as hung (default 60);
- ``rss_mib``: the most resident memory the process may use (default 1024: bounded memory
  on the bombs is measured, with ``wait4``); ``mib``: its address-space limit (default 4096,
  a safety net).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "corpus"

DIAG = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+):(?P<col>\d+))?: "
                  r"(?P<sev>error|warning|note)\[(?P<code>ISC\d{4})\]: ", re.MULTILINE)


def cases() -> list[Path]:
    return sorted(p.parent for p in CORPUS.glob("*/*/expect.json"))


#: Runs the isc command as its own child and writes that child's peak resident memory to a
#: file. The peak of a process forked from pytest would include pytest's own pages at the
#: fork (Linux keeps the high-water mark across exec), so the bound would depend on what
#: ran before; forked from this small interpreter it is isc's own.
_WRAPPER = """
import os, resource, signal, sys
limit, report = int(sys.argv[1]) * 1024 * 1024, sys.argv[2]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.execv(sys.executable, [sys.executable, *sys.argv[3:]])
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as f:
    f.write(str(usage.ru_maxrss))
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _inputs(case: Path, work: Path) -> list[str]:
    if (case / "case.py").is_file():
        namespace: dict[str, Any] = {"__file__": str(case / "case.py")}
        exec(compile((case / "case.py").read_text(encoding="utf-8"), str(case / "case.py"),
                     "exec"), namespace)
        return [str(p) for p in namespace["build"](work)]
    copy = work / "input"
    shutil.copytree(case / "input", copy, symlinks=True)
    return [str(copy)]


@attrs.frozen
class Result:
    returncode: int
    stdout: str
    stderr: str
    rss_mib: float


def run_case(case: Path, work: Path) -> tuple[dict[str, Any], Result]:
    """Run the case's isc command in a subprocess; its exit status, output and peak resident
    memory (from ``wait4`` in a small wrapper process: that process alone). A hang past
    ``seconds`` raises ``subprocess.TimeoutExpired``."""
    expect = json.loads((case / "expect.json").read_text(encoding="utf-8"))
    inputs = _inputs(case, work)

    def fill(text: str) -> str:
        return text.replace("{input}", inputs[0]).replace("{work}", str(work))

    command = [fill(a) for a in expect.get("command", ["check"])]
    if command[0] == "compile" and "-o" not in command:
        command += ["-o", str(work / "out")]
    args = [fill(a) for a in expect.get("args", [])]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("ISC_DEBUG", None)
    seconds = expect.get("seconds", 60)
    report = work.parent / f"{work.name}.maxrss"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, str(expect.get("mib", 4096)), str(report),
             "-m", "isc", *command, *inputs, *args], cwd=work, env=env,
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            os.killpg(proc.pid, signal.SIGKILL)  # the wrapper and isc under it

        timer = threading.Timer(seconds, kill)
        timer.start()
        try:
            returncode = proc.wait()
        finally:
            timer.cancel()
        if killed.is_set():
            raise subprocess.TimeoutExpired(command, seconds)
        out.seek(0)
        err.seek(0)
        rss = int(report.read_text()) / 1024 if report.exists() else float("inf")
        return expect, Result(returncode, out.read().decode("utf-8", "replace"),
                              err.read().decode("utf-8", "replace"), rss)


@pytest.mark.parametrize("case", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_case(case: Path, tmp_path: Path) -> None:
    try:
        expect, result = run_case(case, tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case.name}: still running after its time bound (a hang)")
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out[-3000:]
    assert "MemoryError" not in out, out[-3000:]
    assert result.returncode == expect.get("exit", 2), out[-3000:]
    assert result.rss_mib <= expect.get("rss_mib", 1024), f"{result.rss_mib:.0f} MiB"
    printed = [m.groupdict() for m in DIAG.finditer(out)]
    for want in expect.get("diagnostics", []):
        assert any(
            ("code" not in want or d["code"] == want["code"])
            and ("file" not in want or (d["file"] or "").endswith(want["file"]))
            and ("line" not in want or int(d["line"] or 0) == want["line"])
            and ("severity" not in want or d["sev"] == want["severity"])
            for d in printed), f"{case.name}: no {want} in:\n{out[-3000:]}"
    for text in expect.get("stdout", []):
        assert text in result.stdout, result.stdout[-3000:]
    for text in expect.get("stderr", []):
        assert text in result.stderr, result.stderr[-3000:]
    for path in expect.get("absent", []):  # e.g. nothing half-written
        assert not (tmp_path / path).exists(), path
    # nothing is written outside the work directory the case was given
    assert not (case / "out").exists()


def test_the_corpus_covers_every_area() -> None:
    areas = {p.parent.name for p in cases()}
    assert {"grammars", "encodings", "archives", "xml", "numbers", "cli"} <= areas, areas
