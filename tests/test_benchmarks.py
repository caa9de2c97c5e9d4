"""benchmarks/run.py (MB/s, the verify stage, the doubling series, the optimiser on injected
redundancy), benchmarks/generate.py --redundancy and benchmarks/aerleon_anchor.py (the Aerleon
policy it writes). Aerleon need not be installed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import isc
from isc import passes

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import aerleon_anchor  # noqa: E402
import generate  # noqa: E402
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
    # the rules the passes left (what the compile works on) beside those generated
    for d in doc["doubling"]:
        export = isc.optimize(isc.load(str(_mail_export(tmp_path, d["counts"]))))
        assert export.mail is not None and d["counts"]["kept"] == len(export.mail.rules)
        assert 0 < d["counts"]["kept"] <= d["counts"]["rules"]
    header = next(line for line in done.stdout.splitlines()
                  if line.lstrip().startswith("entries"))
    assert header.split()[:3] == ["entries", "rules", "kept"]


def _mail_export(tmp_path: Path, counts: dict[str, int]) -> Path:
    """The generated export of one size of the mail doubling series above (seed 1)."""
    out = tmp_path / f"again-{counts['rules']}-{counts['addresses']}"
    generate.generate_mail(out, rules=counts["rules"], addresses=counts["addresses"],
                           expressions=counts["expressions"], senders=counts["senders"], seed=1)
    return out


@pytest.mark.parametrize("argv", [
    ["--doubling", "--input", "x"],
    ["--doubling-from", "10"],
    ["--verify", "--until", "compile"],
    ["--redundancy", "0.1", "--input", "x"],
    ["--redundancy", "1.5"],
    ["--doubling", "--redundancy", "0.1"],
    ["--doubling", "--check-decisions", "10"],
    ["--check-decisions", "0"],
])
def test_run_refuses(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run.main(argv)
    assert caught.value.code == 2


# ---------------------------------------------------------------------- injected redundancy

MAIL_TINY = dict(zip(("rules", "addresses", "expressions", "senders"),
                     generate.MAIL_PRESETS["tiny"], strict=True))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _manifest(folder: Path) -> tuple[dict[str, int], dict[str, dict[str, list[int]]]]:
    return (json.loads((folder / generate.MANIFEST).read_text(encoding="utf-8")),
            json.loads((folder / generate.POSITIONS).read_text(encoding="utf-8")))


def _no_errors(folder: Path) -> None:
    export = isc.load(str(folder))  # raises on any error
    assert not [d for d in export.diagnostics if str(d.severity.value).lower() == "error"]


def test_web_redundancy_manifest(tmp_path: Path) -> None:
    out = tmp_path / "web"
    stats = generate.generate(out, policies=20, entries=2_000, seed=1, redundancy=0.1)
    counts, positions = _manifest(out)
    plan = generate.web_redundancy_plan(0.1, 20, 2_000)
    assert counts == plan == stats.redundancy
    assert list(counts) == list(generate.WEB_REDUNDANCY_KINDS)
    assert sum(counts.values()) == 200  # R x M
    assert all(counts[k] >= 1 for k in counts)  # every kind is represented
    # one position per injected object, and it is the line the object is on
    assert {k: sum(map(len, f.values())) for k, f in positions.items()} == counts
    lines = (out / "policy.ini").read_text(encoding="utf-8").splitlines()
    for kind, at in (("shadowed-policies", "[url-filtering-policy"),
                     ("mergeable-policies", "[url-filtering-policy"),
                     ("contained-accounts", "account = "),
                     ("shadowed-decryption-policies", "[https-decryption-policy")):
        assert all(lines[n - 1].startswith(at) for n in positions[kind]["policy.ini"])
    # the injected entries are in the lists, beyond the M generated ones
    url_policies, entries = run.count_input(out)
    assert entries == 2_000 + counts["duplicate-entries"] + counts["subsumed-entries"]
    assert url_policies == 21 + counts["mergeable-policies"] + counts["shadowed-policies"]
    _no_errors(out)


def test_mail_redundancy_manifest(tmp_path: Path) -> None:
    out = tmp_path / "mail"
    stats = generate.generate_mail(out, seed=1, redundancy=0.1, **MAIL_TINY)
    counts, positions = _manifest(out)
    assert counts == generate.mail_redundancy_plan(0.1, **MAIL_TINY) == stats.redundancy
    assert list(counts) == list(generate.MAIL_REDUNDANCY_KINDS)
    assert sum(counts.values()) == round(0.1 * sum(generate.MAIL_PRESETS["tiny"][1:]))
    assert all(counts[k] >= 1 for k in counts)
    assert {k: sum(map(len, f.values())) for k, f in positions.items()} == counts
    export = isc.load(str(out))
    found = run.count_mail(export)
    assert found.addresses == MAIL_TINY["addresses"] + counts["duplicate-group-addresses"] + \
        counts["subsumed-group-addresses"]
    assert found.senders == MAIL_TINY["senders"] + counts["duplicate-senders"] + \
        counts["subsumed-senders"]
    assert len(export.mail.keyword_lists) == stats.keyword_lists + \
        counts["identical-keyword-lists"]
    _no_errors(out)


@pytest.mark.parametrize("argv", [
    ["--policies", "20", "--entries", "2000", "--seed", "3", "--tar"],
    ["--policies", "7", "--entries", "33"],
    ["--product", "mail", "--rules", "10", "--addresses", "200", "--expressions", "50",
     "--senders", "40", "--seed", "2", "--tar"],
])
def test_redundancy_zero_is_byte_identical(tmp_path: Path, argv: list[str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert generate.main([str(tmp_path / "plain"), *argv]) == 0
    assert generate.main([str(tmp_path / "zero"), *argv, "--redundancy", "0"]) == 0
    # a folder that held an export with redundancy: regenerated without, no manifest is left
    assert generate.main([str(tmp_path / "again"), *argv, "--redundancy", "0.2"]) == 0
    assert (tmp_path / "again" / generate.MANIFEST).is_file()
    assert generate.main([str(tmp_path / "again"), *argv]) == 0
    capsys.readouterr()
    plain = _files(tmp_path / "plain")
    assert plain == _files(tmp_path / "zero") == _files(tmp_path / "again")
    assert generate.MANIFEST not in plain and generate.POSITIONS not in plain
    if "--tar" in argv:
        archives = [(tmp_path / f"{d}.tar.gz").read_bytes() for d in ("plain", "zero", "again")]
        assert archives[0] == archives[1] == archives[2]


def test_redundancy_keeps_the_rest_of_the_export(tmp_path: Path) -> None:
    """Injection draws from its own generator: every line written without it is written
    with it, in the same order (priorities aside: they are renumbered around injections)."""
    generate.generate(tmp_path / "plain", policies=30, entries=3_000, seed=5)
    generate.generate(tmp_path / "red", policies=30, entries=3_000, seed=5, redundancy=0.3)

    def lines(name: str) -> list[str]:
        text = (tmp_path / name / "policy.ini").read_text(encoding="utf-8")
        return [ln for ln in text.splitlines()
                if not ln.startswith(("priority = ", "# python benchmarks"))]

    with_red = iter(lines("red"))
    assert all(line in with_red for line in lines("plain"))  # a subsequence
    again = tmp_path / "again"
    generate.generate(again, policies=30, entries=3_000, seed=5, redundancy=0.3)
    assert _files(again) == _files(tmp_path / "red")  # deterministic


def test_every_injected_kind_has_a_pass() -> None:
    assert set(run.REMOVED_BY) == {*generate.WEB_REDUNDANCY_KINDS,
                                   *generate.MAIL_REDUNDANCY_KINDS}


def test_attribute_by_position() -> None:
    from types import SimpleNamespace as NS

    def change(pass_name: str, action: str, kind: str, file: str, line: int) -> NS:
        return NS(pass_name=pass_name, action=action, kind=kind, span=NS(file=file, line=line))

    manifest = run.Manifest(
        {"duplicate-entries": 2, "shadowed-policies": 1, "subsumed-entries": 1},
        {"duplicate-entries": {"policy.ini": [10, 11]}, "shadowed-policies": {
            "policy.ini": [50]}, "subsumed-entries": {"policy.ini": [12]}})
    rows = run.attribute([
        change("remove-duplicate-entries", "removed", "custom-category.entry",
               "/x/export/policy.ini", 10),
        change("remove-duplicate-entries", "removed", "approved-list.entry",
               "/x/export.tar.gz:policy.ini", 11),
        change("remove-duplicate-entries", "removed", "approved-list.entry",
               "/x/export/policy.ini", 99),                       # the export's own
        change("merge-url-filter-rules", "merged", "url-filtering-policy",
               "/x/export/policy.ini", 50),                       # another pass got it
    ], manifest)
    assert (rows["duplicate-entries"].removed, rows["duplicate-entries"].own) == (2, 1)
    assert rows["duplicate-entries"].share == 100.0
    assert (rows["shadowed-policies"].removed, rows["shadowed-policies"].other_passes) == (0, 1)
    assert rows["subsumed-entries"].removed == 0
    assert run.removed_summary(rows) == "removed 2 of 4 injected (50.0 %)"
    # counts alone: every change of the pass that removes a kind counts
    rows = run.attribute([change("remove-duplicate-entries", "removed", "x.entry", "f", 1)],
                         run.Manifest({"duplicate-entries": 1}))
    assert rows["duplicate-entries"].removed == 1


@pytest.mark.parametrize("product", ["web", "mail"])
def test_run_redundancy_table(tmp_path: Path, product: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "result.json"
    outdir = tmp_path / "export"
    assert run.main(["--product", product, "--preset", "tiny", "--redundancy", "0.1",
                     "--check-decisions", "300", "--repeat", "1", "--no-trace", "--until",
                     "optimize", "--outdir", str(outdir), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    counts, _ = _manifest(outdir)
    doc = json.loads(out.read_text(encoding="utf-8"))["optimizer"]
    registered = set(passes.PASSES if product == "web" else passes.MAIL_PASSES)
    default = passes.DEFAULT_PIPELINE if product == "web" else passes.DEFAULT_MAIL_PIPELINE
    # every pass that ran has a time and counts, in the redundant and in the plain export
    ran = [p["name"] for p in doc["passes"]]
    assert set(default) <= set(ran) <= registered
    assert [p["name"] for p in doc["plain_passes"]] == ran
    assert all(p["seconds"] >= 0 and p["removed"] >= 0 for p in doc["passes"])
    # every injected kind is reported; the passes isc has remove all of theirs
    assert {k: r["injected"] for k, r in doc["injected"].items()} == counts
    for kind, row in doc["injected"].items():
        assert 0 <= row["removed"] <= row["injected"]
        if run.REMOVED_BY[kind][0] in registered:
            assert row["removed"] == row["injected"], kind
    assert doc["decisions"]["decided"] == 300
    assert doc["decisions"]["differ"] == 0
    for line in ("injected kind", "removed", "of", "injected", "0 differ"):
        assert line in text
    assert re.search(r"removed [\d,]+ of [\d,]+ injected \(\d+\.\d %\)", text)
