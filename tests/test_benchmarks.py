"""benchmarks/run.py (MB/s, the verify stage, the doubling series) and
benchmarks/aerleon_anchor.py (the Aerleon policy it writes). Aerleon need not be installed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import aerleon_anchor  # noqa: E402
import run  # noqa: E402

# ---------------------------------------------------------------------- the Aerleon policy


def _network_entries(net: Path, name: str) -> list[str]:
    """The values of network ``name`` in an Aerleon ``.net`` file (an independent reading
    of the format: ``NAME = value...`` then indented continuation lines)."""
    values: list[str] = []
    current: str | None = None
    for line in net.read_text(encoding="ascii").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" in line:
            current, _, rest = (part.strip() for part in line.partition("="))
            line = rest
        if current == name:
            values += line.split()
    return values


@pytest.mark.parametrize("entries", [1, 2, 137, 1000])
def test_aerleon_policy_has_exactly_n_entries(tmp_path: Path, entries: int) -> None:
    written = aerleon_anchor.write_aerleon_policy(tmp_path, entries)
    values = _network_entries(written.network, aerleon_anchor.NETWORK)
    assert len(values) == entries == written.entries
    assert len(set(values)) == entries
    assert all(re.fullmatch(r"10\.\d+\.\d+\.\d+/32", v) for v in values)
    # never adjacent, so no collapsing can merge two of them
    last = [int(v.split("/")[0].split(".")[3]) for v in values]
    assert all(n % 2 == 0 for n in last)
    policy = written.policy.read_text(encoding="ascii")
    assert written.policy == written.base_directory / "pol" / "isc_anchor.pol"
    assert f"source-address:: {aerleon_anchor.NETWORK}" in policy
    assert "target:: juniper" in policy
    services = (written.definitions_directory / "SERVICES.svc").read_text(encoding="ascii")
    assert "HTTP = 80/tcp" in services and "HTTPS = 443/tcp" in services


def test_aerleon_policy_size_limits(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        aerleon_anchor.write_aerleon_policy(tmp_path, 0)
    assert aerleon_anchor.address(aerleon_anchor.MAX_ENTRIES - 1) == "10.255.255.254/32"


def test_anchor_without_aerleon_exits_2(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(aerleon_anchor, "find_aclgen", lambda given: None)
    assert aerleon_anchor.main(["--entries", "10"]) == 2
    assert "pip install -e '.[bench]'" in capsys.readouterr().err


def test_anchor_write_only(tmp_path: Path) -> None:
    assert aerleon_anchor.main(["--entries", "40", "--policies", "2", "--workdir",
                                str(tmp_path), "--write-only"]) == 0
    net = tmp_path / "aerleon" / "def" / "NETWORK.net"
    assert len(_network_entries(net, aerleon_anchor.NETWORK)) == 40
    assert (tmp_path / "isc-export" / "policy.ini").is_file()
    assert run.count_input(tmp_path / "isc-export") == (3, 40)  # 2 + Global, 40 entries


def test_anchor_preset_sizes() -> None:
    assert run.PRESETS["tiny"] == (20, 2_000)  # the anchor's --preset reads run.py's


# ---------------------------------------------------------------------- run.py


def test_doubling_sizes() -> None:
    assert run.doubling_sizes((200, 50_000), 50_000, 2_000) == [
        (12, 3_125), (25, 6_250), (50, 12_500), (100, 25_000), (200, 50_000)]
    assert run.doubling_sizes((20, 2_000), 2_000, 2_000) == [(20, 2_000)]
    assert run.doubling_sizes((2, 100), 100, 5_000) == [(2, 100)]
    assert run.doubling_sizes((4, 400), 400, 100) == [(1, 100), (2, 200), (4, 400)]
    mail = run.doubling_sizes((50, 2_000, 500, 200), 2_700, 290)
    assert mail[-1] == (50, 2_000, 500, 200) and mail[0] == (6, 250, 62, 25)
    assert [sum(m[1:]) for m in mail] == [337, 675, 1_350, 2_700]


def test_ratio_per_doubling() -> None:
    assert run._ratio(4.0, 2.0, 2.0) == pytest.approx(2.0)
    assert run._ratio(9.0, 1.0, 4.0) == pytest.approx(3.0)  # x9 over two doublings
    assert run._ratio(1.0, 0.001, 2.0) is None  # too short to say


def test_web_table_has_mb_per_s() -> None:
    results = {name: run.StageResult(name, [0.5, 0.25]) for name in run.STAGES}
    text = run.table(results, [1.0, 2.0], 21, 2_000, 4_000_000)
    head = text.splitlines()[0].split()
    assert head[:6] == ["stage", "best", "s", "median", "s", "entries/s"]
    assert "policies/s" in head and "MB/s" in head
    load = text.splitlines()[2].split()
    assert load[0] == "load" and load[3:6] == ["8,000", "84.0", "16.0"]  # 4 MB / 0.25 s


def test_run_doubling_web_with_verify(tmp_path: Path) -> None:
    out = tmp_path / "doubling.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--doubling", "--policies", "2", "--entries",
         "80", "--doubling-from", "20", "--repeat", "1", "--verify", "--samples", "200",
         "--json", str(out)],
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [d["entries"] for d in doc["doubling"]] == [20, 40, 80]
    assert [d["policies"] for d in doc["doubling"]] == [2, 2, 3]  # Global included
    for d in doc["doubling"]:
        assert [s["name"] for s in d["stages"]] == [*run.STAGES, "verify"]
        assert d["input_bytes"] > 0
        assert d["verify"][0]["probes"] > 0
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("entries"))
    for column in ("load s", "compile s", "dumps s", "verify s", "total s", "maxrss MiB"):
        assert column in header
    assert any("per doubling" in line for line in lines)


def test_run_doubling_mail(tmp_path: Path) -> None:
    out = tmp_path / "doubling.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--product", "mail", "--doubling", "--rules",
         "2", "--addresses", "16", "--expressions", "4", "--senders", "4", "--doubling-from",
         "12", "--repeat", "1", "--json", str(out)],
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [d["counts"]["addresses"] for d in doc["doubling"]] == [8, 16]
    assert all(d["product"] == "mail" for d in doc["doubling"])
    assert "rules" in done.stdout


@pytest.mark.parametrize("argv", [
    ["--doubling", "--input", "x"],
    ["--doubling-from", "10"],
    ["--verify", "--until", "compile"],
])
def test_run_refuses(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run.main(argv)
    assert caught.value.code == 2
