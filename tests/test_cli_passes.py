"""Choosing optimisation passes on the command line, what report.json records of them, and
``explain`` naming the source objects a merge folded together (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isc.passes import DEFAULT_MAIL_PIPELINE, DEFAULT_PIPELINE, MAIL_PASSES, PASSES
from test_cli import run, write_export

#: Sales and Support decide alike and sit next to each other; Lab is covered by Everyone-10.
MERGEABLE = """\
[product]
name = IWSVA

[url-filtering-policy "Everyone-10"]
priority = 1
account = ip-subset 10.0.0.0/8
category "Gambling" = block

[url-filtering-policy "Lab"]
priority = 2
account = ip 10.1.2.3
category "Gambling" = allow

[url-filtering-policy "Sales"]
priority = 3
account = ip-range 192.168.1.10-192.168.1.20
category "Gambling" = block
category "Games" = warn

[url-filtering-policy "Support"]
priority = 4
account = ip 192.168.2.7
category "Games" = warn
category "Gambling" = block

[url-filtering-policy "Global Policy"]
global = yes
category "Gambling" = monitor
"""


def test_inspect_lists_every_pass_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "inspect", "--passes")
    assert rc == 0
    lines = out.splitlines()
    names = [line.split()[0] for line in lines]
    assert names[:len(DEFAULT_PIPELINE)] == list(DEFAULT_PIPELINE)
    assert set(names) == set(PASSES) | set(MAIL_PASSES) and len(names) == len(set(names))
    for line in lines:
        name, product, *description = line.split()
        assert product == ("web" if name in PASSES else "mail")
        assert len(" ".join(description)) > 20  # a sentence, not a bare name
    for name in DEFAULT_MAIL_PIPELINE:
        assert name in names


def test_inspect_without_input_or_passes_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "inspect")
    assert rc == 2 and "INPUT" in err


def test_compile_with_chosen_passes_records_them(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, MERGEABLE)
    out = tmp_path / "out"
    rc, _, err = run(capsys, "compile", src, "-o", out, "--passes", "merge-url-filter-rules")
    assert rc == 0, err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["options"]["passes"] == ["merge-url-filter-rules"]
    opt = report["optimization"]
    assert opt["passes"] == [{"name": "merge-url-filter-rules", "removed": 0, "merged": 1}]
    [change] = opt["changes"]
    assert change["action"] == "merged" and change["name"] == "Support"
    assert (change["file"], change["line"]) == ("policy.ini", 20)
    assert change["kept"] == {"kind": "url-filtering-policy", "name": "Sales",
                              "file": "policy.ini", "line": 14}
    # Lab was not removed: remove-shadowed-rules did not run
    names = [e["source"]["name"] for e in report["objects"]]
    assert "Lab" in names and "Support" not in names


def test_default_passes_remove_and_merge_with_both_positions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, MERGEABLE)
    out = tmp_path / "out"
    rc, _, err = run(capsys, "compile", src, "-o", out)
    assert rc == 0, err
    assert "ISC2015" in err and "\"Lab\"" in err and "never reached" in err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["options"]["passes"] == list(DEFAULT_PIPELINE)
    changes = {(c["pass"], c["action"], c["name"]): c for c in report["optimization"]["changes"]}
    lab = changes["remove-shadowed-rules", "removed", "Lab"]
    assert lab["line"] == 9 and lab["kept"]["name"] == "Everyone-10" and lab["kept"]["line"] == 4
    assert ("merge-url-filter-rules", "merged", "Support") in changes


def test_explain_names_the_policy_merged_away(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, MERGEABLE)
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out)[0] == 0
    request = ("--url", "http://casino.example/", "--category", "Gambling",
               "--client", "192.168.2.7")
    rc, text, _ = run(capsys, "explain", src, *request, "--against", out)
    assert rc == 0
    assert 'source: block by url-filtering-policy "Support"' in text
    assert 'also from url-filtering-policy "Support" at policy.ini:20' in text
    rc, js, _ = run(capsys, "explain", src, *request, "--against", out, "--format", "json")
    doc = json.loads(js)
    assert doc["target"]["decidedBy"]["line"] == 14
    assert doc["target"]["mergedFrom"] == [{"kind": "url-filtering-policy", "name": "Support",
                                            "file": "policy.ini", "line": 20,
                                            "pass": "merge-url-filter-rules"}]
    # a policy nobody merged into names nothing more
    rc, js, _ = run(capsys, "explain", src, "--url", "http://casino.example/", "--category",
                    "Gambling", "--client", "10.9.9.9", "--against", out, "--format", "json")
    assert "mergedFrom" not in json.loads(js)["target"]


def test_verify_recompiles_with_the_recorded_passes(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, MERGEABLE)
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out, "--passes",
               "remove-shadowed-rules,merge-url-filter-rules")[0] == 0
    rc, _, err = run(capsys, "verify", src, "--against", out)
    assert rc == 0, err


@pytest.mark.parametrize(("argv", "says"), [
    (("--passes", "merge-url-filter-rule"), "did you mean 'merge-url-filter-rules'"),
    (("--passes", ","), "no pass named"),
    (("--passes", "merge-url-filter-rules", "--no-optimize"), "contradict"),
])
def test_bad_pass_choices_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           argv: tuple[str, ...], says: str) -> None:
    src = write_export(tmp_path, MERGEABLE)
    rc, _, err = run(capsys, "compile", src, "-o", tmp_path / "out", *argv)
    assert rc == 2 and says in err
    assert not (tmp_path / "out").exists()
