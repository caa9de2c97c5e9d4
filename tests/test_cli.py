"""The ``isc`` command line (spec interface.md "Command line").

Most tests call :func:`isc.cli.main` in-process with small INI exports written to ``tmp_path``;
one test runs ``python -m isc`` in a subprocess. The big example is compiled once per module.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

import isc.cli as cli_module
from isc.cli import main
from isc.schemas import validate

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "iwsva-sakura"

#: ``FILE:LINE:COL: severity[CODE]: message`` (the file may itself contain ``:``, as archive
#: members are shown as ``archive.tar.gz:member``).
DIAG = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|note)"
    r"\[(?P<code>ISC\d{4})\]: (?P<msg>.*)$"
)

#: Translates exactly: a global block list entry and a category ZTSA has.
EXACT = """\
[product]
name = IWSVA
version = 6.5-SP2_Build_Linux_1784

[global-url-blocking]
enabled = yes

[global-url-blocking.block]
@bad.example*

[url-filtering-policy "Global Policy"]
global = yes
enabled = yes
category "Gambling" = block
"""

#: Must broaden: ZTSA has no "Hacking" category, so the block cannot be translated.
BROADENS = """\
[url-filtering-policy "Engineering"]
priority = 1
enabled = yes
account = ip 10.0.0.3
category "Hacking" = block

[url-filtering-policy "Global Policy"]
global = yes
enabled = yes
category "Gambling" = block
"""


# ---------------------------------------------------------------------- helpers


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run ``isc ARGV`` in-process; return (exit status, stdout, stderr)."""
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return rc, captured.out, captured.err


def write_export(tmp_path: Path, text: str, name: str = "policy.ini",
                 sub: str = "in") -> Path:
    d = tmp_path / sub
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")
    return d


def diagnostics(text: str) -> list[dict[str, Any]]:
    """Every diagnostic line of ``text``, with the two lines that follow it."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = DIAG.match(line)
        if m:
            d: dict[str, Any] = m.groupdict()
            d["line"], d["col"] = int(d["line"]), int(d["col"])
            d["next"] = lines[i + 1: i + 3]
            out.append(d)
    return out


def json_lines(text: str) -> list[dict[str, Any]]:
    """The diagnostics among the JSON lines of ``text`` (summaries have no "code")."""
    objs = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [o for o in objs if "code" in o]


def strings(doc: Any) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for k, v in doc.items():
            yield k
            yield from strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from strings(v)


def assert_no_local_paths(doc: Any, *roots: Path) -> None:
    forbidden = {str(r) for r in roots} | {str(r.resolve()) for r in roots}
    forbidden |= {str(REPO), os.getcwd(), str(Path.home())}
    forbidden.discard("/")
    for s in strings(doc):
        for f in forbidden:
            assert f not in s, f"output contains the local path {f!r}: {s!r}"


def tree_digest(*roots: Path) -> dict[str, tuple[str, int]]:
    """Content hash and mtime of every file below ``roots``."""
    out = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in paths:
            out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
    return out


def flip_block_rules(outdir: Path) -> int:
    """Turn every block rule of ztsa-ia.json into allow; the document stays schema-valid."""
    path = outdir / "ztsa-ia.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    n = 0
    for rule in doc["internetAccessRules"]:
        if rule["action"] == "block":
            rule["action"] = "allow"
            n += 1
    validate(doc, "ztsa-ia-1")
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return n


@pytest.fixture
def exact(tmp_path: Path) -> Path:
    return write_export(tmp_path, EXACT)


@pytest.fixture
def compiled(exact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "out"
    rc, _, err = run(capsys, "compile", exact, "-o", out)
    assert rc == 0, err
    return out


# ---------------------------------------------------------------------- compile


def test_compile_writes_valid_documents(exact: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deep" / "out"  # created as needed
    rc, stdout, err = run(capsys, "compile", exact.resolve(), "-o", out)
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "runbook.html",
                                                     "ztsa-ia.json"]
    doc = json.loads((out / "ztsa-ia.json").read_text(encoding="utf-8"))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "isc/ztsa-ia/1"
    assert report["schema"] == "isc/report/1"
    validate(doc, "ztsa-ia-1")
    validate(report, "report-1")
    assert [e["value"] for e in doc["urlDenyList"]] == ["*bad.example*"]
    assert any(r["action"] == "block" and r["urlCategories"] == ["Gambling"]
               for r in doc["internetAccessRules"])
    # the report names every source object with its fate and fidelity
    kinds = {(o["source"]["kind"], o["source"]["name"]) for o in report["objects"]}
    assert ("url-filtering-policy", "Global Policy") in kinds
    assert ("global-url-blocking.entry", "@bad.example*") in kinds
    assert all(o["fidelity"] == "exact" for o in report["objects"])
    # sources cite the file by its path inside the input, never the local path
    assert {r["source"]["file"] for r in doc["urlDenyList"]} == {"policy.ini"}
    assert_no_local_paths(doc, tmp_path)
    assert_no_local_paths(report, tmp_path)
    assert "ztsa-ia.json" in stdout and "report.json" in stdout


def test_second_compile_leaves_outputs_untouched(exact: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(capsys, "compile", exact, "-o", out)[0] == 0
    before = {p.name: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
              for p in out.iterdir()}
    rc, stdout, _ = run(capsys, "compile", exact, "-o", out)
    assert rc == 0
    after = {p.name: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
             for p in out.iterdir()}
    assert after == before  # same bytes, same inode, same mtime; no temporary files left
    assert "unchanged" in stdout


def test_changed_output_is_replaced_atomically(exact: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(capsys, "compile", exact, "-o", out)[0] == 0
    old = (out / "ztsa-ia.json").read_bytes()
    ino = (out / "ztsa-ia.json").stat().st_ino
    policy = exact / "policy.ini"
    policy.write_text(EXACT.replace("@bad.example*", "@worse.example*"), encoding="utf-8")
    assert run(capsys, "compile", exact, "-o", out)[0] == 0
    new = (out / "ztsa-ia.json").read_bytes()
    assert new != old and b"worse.example" in new
    # a new file renamed over the old one, not the old one rewritten in place
    assert (out / "ztsa-ia.json").stat().st_ino != ino
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "runbook.html",
                                                     "ztsa-ia.json"]


def test_failed_compile_writes_nothing(exact: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(capsys, "compile", exact, "-o", out)[0] == 0
    before = tree_digest(out)
    (exact / "policy.ini").write_text(EXACT + "enabled = maybe\n", encoding="utf-8")
    rc, _, err = run(capsys, "compile", exact, "-o", out)
    assert rc == 2
    assert "ISC1006" in err
    assert tree_digest(out) == before
    fresh = tmp_path / "fresh"
    assert run(capsys, "compile", exact, "-o", fresh)[0] == 2
    assert not fresh.exists() or not any(fresh.iterdir())


def test_compile_is_deterministic_across_output_dirs(exact: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(capsys, "compile", exact, "-o", a)[0] == 0
    assert run(capsys, "compile", exact.resolve(), "-o", b)[0] == 0
    for name in ("ztsa-ia.json", "report.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_never_broaden_passes_on_an_exact_translation(exact: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    rc, _, err = run(capsys, "compile", exact, "-o", tmp_path / "out", "--never-broaden")
    assert rc == 0, err
    assert "ISC3007" not in err


def test_never_broaden_fails_and_names_the_object(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, BROADENS)
    out = tmp_path / "out"
    rc, _, err = run(capsys, "compile", src, "-o", out, "--never-broaden")
    assert rc == 1
    assert "ISC3007" in err
    assert "Engineering" in err
    assert "Hacking" in err or re.search(r"https?://\S+", err)
    # the policy compiled: the documents are written, the gate only fails the exit status
    assert (out / "ztsa-ia.json").is_file()
    # without the gate the same export compiles with status 0
    rc, _, err = run(capsys, "compile", src, "-o", out)
    assert rc == 0
    assert "ISC3002" in err


def test_never_broaden_message_is_a_diagnostic(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """interface.md: diagnostics are ``FILE:LINE:COL: error[ISCnnnn]: message``; the
    --never-broaden failure is diagnostic ISC3007 and must follow that format, on one line
    that names the object and the witness."""
    src = write_export(tmp_path, BROADENS)
    rc, _, err = run(capsys, "compile", src, "-o", tmp_path / "out", "--never-broaden")
    assert rc == 1
    gate = [d for d in diagnostics(err) if d["code"] == "ISC3007"]
    assert gate, err
    d = gate[0]
    assert d["sev"] == "error"
    assert d["file"].endswith("policy.ini") and d["line"] == 1
    assert "Engineering" in d["msg"]
    assert re.search(r"https?://\S+", d["msg"]) or "Hacking" in d["msg"]


# ---------------------------------------------------------------------- check


def test_check_clean_export(exact: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "check", exact)
    assert rc == 0, out + err
    assert "0 error(s)" in err
    assert not (tmp_path / "isc-out").exists()
    assert list(exact.iterdir()) == [exact / "policy.ini"]  # writes nothing


def test_check_malformed_prints_location_source_line_and_caret(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = EXACT.replace("enabled = yes\ncategory", "enabled = maybe\ncategory")
    src = write_export(tmp_path, text)
    rc, out, err = run(capsys, "check", src)
    assert rc == 2
    found = [d for d in diagnostics(out + err) if d["code"] == "ISC1006"]
    assert found, out + err
    d = found[0]
    assert d["sev"] == "error"
    assert d["file"] == str(src / "policy.ini")
    lines = text.splitlines()
    assert lines[d["line"] - 1] == "enabled = maybe"
    assert d["col"] == lines[d["line"] - 1].index("maybe") + 1
    source, caret = d["next"]
    assert source.strip() == "enabled = maybe"
    assert caret.strip() == "^"
    assert caret.index("^") - source.index("enabled") == d["col"] - 1


def test_check_format_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, BROADENS + "\n[url-filtering-policy \"X\"]\npriority = 2\n"
                       "account = ip 10.0.0.300\n")
    rc, out, err = run(capsys, "check", src, "--format", "json")
    assert rc == 2
    objs = json_lines(out + err)
    assert objs
    for o in objs:
        assert {"code", "severity", "file", "line", "column", "message"} <= set(o)
        assert re.fullmatch(r"ISC\d{4}", o["code"])
        assert o["severity"] in ("error", "warning", "note")
    bad = [o for o in objs if o["code"] == "ISC1004"]
    assert bad and bad[0]["severity"] == "error"
    assert bad[0]["file"].endswith("policy.ini")
    assert bad[0]["line"] == BROADENS.count("\n") + 4
    assert bad[0]["column"] == len("account = ip ") + 1
    # no text-format diagnostics mixed in
    assert not diagnostics(out + err)


def test_check_format_json_clean_warnings(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, BROADENS)
    rc, out, err = run(capsys, "check", src, "--format", "json")
    assert rc == 0
    objs = json_lines(out + err)
    assert any(o["code"] == "ISC3002" and o["severity"] == "warning" and o["line"] == 1
               for o in objs)


def test_check_diagnostics_go_to_stderr(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """interface.md: "Diagnostics on stderr" -- for every command, warnings as well as
    errors."""
    src = write_export(tmp_path, BROADENS)
    rc, out, err = run(capsys, "check", src)
    assert rc == 0
    assert any(d["code"] == "ISC3002" for d in diagnostics(err)), err
    assert not diagnostics(out), out


# ---------------------------------------------------------------------- bad input: exit 2


def test_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-export"
    for argv in (["check"], ["inspect"], ["compile", "-o", str(tmp_path / "out")]):
        rc, _out, err = run(capsys, *argv, missing)
        assert rc == 2
        assert str(missing) in err
        assert "ISC1009" in err
    assert not (tmp_path / "out").exists()


def test_malformed_account_points_at_the_address(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    text = ('[url-filtering-policy "E"]\npriority = 1\naccount = ip 10.0.0.300\n'
            'category "Gambling" = block\n')
    src = write_export(tmp_path, text)
    rc, _out, err = run(capsys, "compile", src, "-o", tmp_path / "out")
    assert rc == 2
    d = [d for d in diagnostics(err) if d["code"] == "ISC1004"]
    assert d, err
    assert (d[0]["line"], d[0]["col"]) == (3, len("account = ip ") + 1)
    assert "10.0.0.300" in d[0]["msg"]
    assert d[0]["next"][1].index("^") == d[0]["next"][0].index("10.0.0.300")
    assert not (tmp_path / "out").exists()


def test_unknown_category_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ('[url-filtering-policy "E"]\npriority = 1\naccount = ip 10.0.0.3\n'
            'category "Gamblng" = block\n')
    rc, _out, err = run(capsys, "check", write_export(tmp_path, text))
    assert rc == 2
    d = [d for d in diagnostics(err) if d["code"] == "ISC2004"]
    assert d and d[0]["line"] == 4 and "Gamblng" in d[0]["msg"]
    assert re.search(r"note: did you mean .*Gambling", err)


def test_unknown_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ('[url-filtering-policy "E"]\npriority = 1\naccount = ip 10.0.0.3\n'
            'exceptions = Nope\ncategory "Gambling" = block\n')
    rc, _out, err = run(capsys, "check", write_export(tmp_path, text))
    assert rc == 2
    d = [d for d in diagnostics(err) if d["code"] == "ISC2003"]
    assert d and "Nope" in d[0]["msg"], err


def test_unknown_reference_points_at_the_reference(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """interface.md: "the message says which file and line" -- the line of the reference
    (``exceptions = Nope``, ``schedule = Nope``), not the section header."""
    for key, line in (("exceptions", 4), ("schedule", 4)):
        text = (f'[url-filtering-policy "E"]\npriority = 1\naccount = ip 10.0.0.3\n'
                f'{key} = Nope\ncategory "Gambling" = block\n')
        rc, _out, err = run(capsys, "check", write_export(tmp_path, text, sub=key))
        assert rc == 2
        d = [d for d in diagnostics(err) if d["code"] == "ISC2003"]
        assert d, err
        assert d[0]["line"] == line, f"{key}: {err}"
        assert d[0]["next"][0].strip() == f"{key} = Nope"


def test_bad_boolean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ('[url-filtering-policy "E"]\npriority = 1\nenabled = maybe\n'
            'account = ip 10.0.0.3\ncategory "Gambling" = block\n')
    rc, _out, err = run(capsys, "check", write_export(tmp_path, text))
    assert rc == 2
    d = [d for d in diagnostics(err) if d["code"] == "ISC1006"]
    assert d and (d[0]["line"], d[0]["col"]) == (3, len("enabled = ") + 1)
    assert "maybe" in d[0]["msg"]


def test_undecodable_file_names_file_and_offset(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "in"
    d.mkdir()
    (d / "bad.ini").write_bytes(b"[a]\n\xff\xfe\xfa")
    rc, out, err = run(capsys, "check", d)
    assert rc == 2
    assert "ISC1001" in err
    assert str(d / "bad.ini") in err
    assert re.search(r"offset 4\b", err)
    rc, out, err = run(capsys, "check", d, "--format", "json")
    assert rc == 2
    (o,) = [o for o in json_lines(out + err) if o["code"] == "ISC1001"]
    assert o["file"] == str(d / "bad.ini") and o["line"] == 2 and o["column"] == 1
    assert "offset 4" in o["message"]


def test_empty_input_directory_compile(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """An empty directory is bad input (almost always a wrong path): exit 2, and the
    message names the directory (interface.md: "the message says which file")."""
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, _out, err = run(capsys, "compile", empty, "-o", tmp_path / "out")
    assert rc == 2
    assert re.search(r"error\[ISC\d{4}\]", err)
    assert str(empty) in err, err
    assert not (tmp_path / "out").exists()


def test_empty_input_directory_check(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """check on an empty directory must not report success: it checked nothing."""
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, out, err = run(capsys, "check", empty)
    assert rc == 2, out + err
    assert str(empty) in err, err


def test_corrupt_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = EXACT.encode() * 20
        info = tarfile.TarInfo("policy.ini")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    raw = bytearray(buf.getvalue())
    for i in range(20, min(len(raw) - 8, 200)):
        raw[i] ^= 0x5A
    bad = tmp_path / "export.tar.gz"
    bad.write_bytes(bytes(raw))
    rc, _out, err = run(capsys, "compile", bad, "-o", tmp_path / "out")
    assert rc == 2
    assert "ISC1008" in err and str(bad) in err
    assert not (tmp_path / "out").exists()
    # not even gzip, though it starts like one
    fake = tmp_path / "fake.tgz"
    fake.write_bytes(b"\x1f\x8b" + b"garbage" * 50)
    rc, _out, err = run(capsys, "check", fake)
    assert rc == 2 and "ISC1008" in err


def test_truncated_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = (EXAMPLE / "export.tar.gz").read_bytes()
    for cut in (10, len(data) // 2, len(data) - 100):
        p = tmp_path / f"cut{cut}.tar.gz"
        p.write_bytes(data[:cut])
        rc, out, err = run(capsys, "check", p)
        assert rc == 2, (cut, out + err)
        assert "ISC1008" in err and str(p) in err


# ---------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["compile"],
        ["frobnicate", "x"],
        ["verify", "{src}"],  # --against is required
        ["explain", "{src}"],  # needs --url or --mail
        ["compile", "{src}", "--target", "nonsense"],
        ["check", "{src}", "--format", "yaml"],
        ["explain", "{src}", "--url", "http://x.example/", "--when", "yesterday"],
        ["explain", "{src}", "--url", "http://x.example/", "--against", "{tmp}/nowhere"],
        ["check", "{src}", "--encoding", "no-such-codec"],
        ["compile", "{src}", "-o", "{tmp}/o", "--identity-map", "{tmp}/nowhere.csv"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], exact: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.format(src=exact, tmp=tmp_path) for a in argv]
    rc, _out, err = run(capsys, *args)
    assert rc == 2
    assert err.strip()


# ---------------------------------------------------------------------- inspect


def test_inspect_lists_files_kinds_and_counts(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, BROADENS)
    (src / "notes.txt").write_text("just some text\n", encoding="utf-8")
    (src / "blocking.txt").write_text("URL Blocking Import File\n[block]\nwww.x.example/*\n",
                                      encoding="utf-8")
    (src / "cats.ini").write_bytes(
        '[custom-category "ニュース"]\nweb-site: news.example.jp\n'.encode("cp932"))
    rc, out, err = run(capsys, "inspect", src)
    assert rc == 0, err
    lines = out.splitlines()

    def line_for(name: str) -> str:
        (line,) = [x for x in lines if x.startswith(str(src / name) + ":")]
        return line

    assert "web-policy" in line_for("policy.ini")
    assert "unrecognised" in line_for("notes.txt")
    assert "url-list" in line_for("blocking.txt")
    assert "cp932" in line_for("cats.ini")
    assert re.search(r"^\s+url-filtering-policy: 2$", out, re.MULTILINE)
    assert re.search(r"^\s+custom-category: 1$", out, re.MULTILINE)
    assert re.search(r"^\s+global-url-blocking entry: 1$", out, re.MULTILINE)


# ---------------------------------------------------------------------- explain


def test_explain_source_only(exact: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "explain", exact, "--url", "http://www.bad.example/x")
    assert rc == 0, err
    want = r'^source: block by global-url-blocking\S* "@bad\.example\*" at \S*policy\.ini:9'
    assert re.search(want, out, re.MULTILINE), out
    assert "target:" not in out


def test_explain_against_output(exact: Path, compiled: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "explain", exact, "--url", "http://casino.example/",
                       "--category", "Gambling", "--against", compiled)
    assert rc == 0, err
    assert re.search(r'^source: block by url-filtering-policy "Global Policy"', out,
                     re.MULTILINE), out
    assert re.search(r"^target: block by internet-access-rule ", out, re.MULTILINE), out


def test_explain_format_json(exact: Path, compiled: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "explain", exact, "--url", "http://www.bad.example/",
                       "--against", compiled, "--format", "json")
    assert rc == 0, err
    doc = json.loads(out)
    assert set(doc) == {"source", "target"}
    for side, kind in (("source", "global-url-blocking"), ("target", "url-deny-list")):
        assert doc[side]["action"] == "block"
        by = doc[side]["decidedBy"]
        assert set(by) == {"kind", "name", "file", "line"}
        assert by["kind"].startswith(kind) and by["line"] == 9
        assert by["file"].endswith("policy.ini")
    # a default decision: decidedBy is null; without --against there is no target
    src = write_export(exact.parent, "[global-url-blocking]\nenabled = yes\n\n"
                       "[global-url-blocking.block]\n@bad.example*\n", sub="lists")
    rc, out, err = run(capsys, "explain", src, "--url", "http://good.example/",
                       "--format", "json")
    assert rc == 0, err
    assert json.loads(out) == {"source": {"action": "allow", "decidedBy": None}}


# ---------------------------------------------------------------------- verify


def test_verify_fresh_compile(exact: Path, compiled: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "verify", exact, "--against", compiled, "--samples", "200")
    assert rc == 0, out + err
    assert "ISC3008" not in out + err
    assert "verifying" not in err  # no progress when stderr is not a terminal


def test_verify_finds_a_perturbed_output(exact: Path, compiled: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert flip_block_rules(compiled) >= 1
    rc, out, err = run(capsys, "verify", exact, "--against", compiled, "--samples", "200")
    assert rc == 1
    lines = [x for x in (out + err).splitlines() if "ISC3008" in x]
    assert lines, out + err
    assert re.search(r"https?://\S+", lines[0])
    assert "block" in lines[0] and "allow" in lines[0]


def test_verify_extra_requests(exact: Path, compiled: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    reqs = tmp_path / "reqs.jsonl"
    reqs.write_text(json.dumps({"url": "http://www.bad.example/", "client": "10.1.2.3"})
                    + "\n", encoding="utf-8")
    rc, out, err = run(capsys, "verify", exact, "--against", compiled, "--samples", "10",
                       "--requests", reqs)
    assert rc == 0, out + err
    reqs.write_text("{not json\n", encoding="utf-8")
    rc, out, err = run(capsys, "verify", exact, "--against", compiled, "--requests", reqs)
    assert rc == 2


# ---------------------------------------------------------------------- subprocess


def test_python_m_isc_subprocess(tmp_path: Path) -> None:
    src = write_export(tmp_path, '[url-filtering-policy "E"]\npriority = 1\n'
                       'account = ip 10.0.0.300\n')
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "isc", "compile", str(src), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    d = diagnostics(proc.stderr)
    assert d and d[0]["code"] == "ISC1004" and (d[0]["line"], d[0]["col"]) == (3, 14)
    # the console script named in pyproject.toml is isc.cli:run (main, then a quick exit)
    from importlib.metadata import entry_points

    (ep,) = entry_points(group="console_scripts", name="isc")
    assert ep.value == "isc.cli:run"
    assert ep.load() is cli_module.run


class _Stream(io.StringIO):
    """A stream that records its flushes (and may refuse them, as a closed pipe does)."""

    def __init__(self, refuse: bool = False) -> None:
        super().__init__()
        self.flushes = 0
        self.refuse = refuse

    def flush(self) -> None:
        if self.refuse:
            raise BrokenPipeError(32, "Broken pipe")
        self.flushes += 1


class _Exited(BaseException):  # as os._exit, never caught by main
    pass


def test_run_flushes_then_exits_with_mains_code(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = _Stream(), _Stream()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)

    def main() -> int:
        print("summary")
        return 3

    def exit_now(code: int) -> NoReturn:
        # what reached the streams before the process ends
        raise _Exited(code, out.getvalue(), out.flushes, err.flushes)

    monkeypatch.setattr(cli_module, "main", main)
    monkeypatch.setattr(cli_module.os, "_exit", exit_now)
    with pytest.raises(_Exited) as info:
        cli_module.run()
    assert info.value.args == (3, "summary\n", 1, 1)


def test_run_exits_as_usual_when_a_stream_cannot_flush(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setattr(sys, "stdout", _Stream(refuse=True))
    monkeypatch.setattr(cli_module, "main", lambda: 4)

    def exit_now(code: int) -> NoReturn:
        raise AssertionError("os._exit after a failed flush")

    monkeypatch.setattr(cli_module.os, "_exit", exit_now)
    with pytest.raises(SystemExit) as info:
        cli_module.run()
    assert info.value.code == 4


def test_compile_ends_the_process_itself_under_run(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # under run(), compile ends the process once it has written and said everything (not
    # after main returns, when its documents would be freed one by one)
    returned: list[int] = []
    real_main = cli_module.main

    def main() -> int:
        returned.append(real_main(["compile", str(EXAMPLE / "export.tar.gz"), "-o",
                                   str(tmp_path / "out"), "-q"]))
        return returned[-1]

    def exit_now(code: int) -> NoReturn:
        raise _Exited(code)

    monkeypatch.setattr(cli_module, "main", main)
    monkeypatch.setattr(cli_module.os, "_exit", exit_now)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with pytest.raises(_Exited) as info:
        cli_module.run()
    assert info.value.args == (0,) and returned == []
    assert (tmp_path / "out" / "report.json").is_file()
    assert cli_module._QUICK_EXIT is False
    # called as a library, main returns (and the flag is off again)
    assert real_main(["compile", str(EXAMPLE / "export.tar.gz"), "-o",
                      str(tmp_path / "again"), "-q"]) == 0


def test_python_m_isc_output_is_whole_through_a_pipe(tmp_path: Path) -> None:
    # every line written before the quick exit reaches the reader of the pipe
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "isc", "compile",
                           str(EXAMPLE / "export.tar.gz"), "-o", str(tmp_path / "out"),
                           "--format", "json"], capture_output=True, text=True,
                          timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [x["summary"] for x in lines] == ["compile", "wrote"]
    assert lines[-1]["written"] == ["ztsa-ia.json", "report.json", "runbook.html"]
    assert json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- the example


@pytest.fixture(scope="module")
def example_compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Compile examples/iwsva-sakura/export.tar.gz once for this module."""
    before = tree_digest(EXAMPLE)
    out = tmp_path_factory.mktemp("sakura")
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        rc = main(["compile", str(EXAMPLE / "export.tar.gz"), "-o", str(out)])
    return {"rc": rc, "out": out, "stdout": o.getvalue(), "stderr": e.getvalue(),
            "before": before}


def test_example_compiles(example_compiled: dict[str, Any]) -> None:
    assert example_compiled["rc"] == 0, example_compiled["stderr"]
    assert "Traceback" not in example_compiled["stderr"]
    out: Path = example_compiled["out"]
    doc = json.loads((out / "ztsa-ia.json").read_text(encoding="utf-8"))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "isc/ztsa-ia/1"
    validate(doc, "ztsa-ia-1")
    validate(report, "report-1")
    assert_no_local_paths(doc, out, EXAMPLE)
    assert_no_local_paths(report, out, EXAMPLE)
    # members are cited by their path inside the archive
    files = {o["source"]["file"] for o in report["objects"]}
    assert {"policy.ini", "custom-categories-sjis.ini", "TrustedURLs.ini"} <= files
    assert not any("export.tar.gz" in s for s in strings(doc))
    # the pac file is reported as not understood
    assert any(d["file"] == "pac/sakura.pac" and d["code"] == "ISC2008"
               for d in report["diagnostics"])
    # every text diagnostic on stderr is well-formed (a whole-file one has no line:column)
    whole_file = re.compile(r"^\S.*: (error|warning|note)\[ISC\d{4}\]: \S")
    errs = [x for x in example_compiled["stderr"].splitlines()
            if re.search(r"(error|warning|note)\[ISC", x) and not x.startswith(" ")]
    assert errs and all(DIAG.match(x) or whole_file.match(x) for x in errs)
    assert any(DIAG.match(x) and DIAG.match(x)["code"] == "ISC2006" for x in errs)


def test_example_is_not_modified(example_compiled: dict[str, Any]) -> None:
    assert tree_digest(EXAMPLE) == example_compiled["before"]


def test_example_verify_and_explain(example_compiled: dict[str, Any],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = example_compiled["out"]
    src = EXAMPLE / "export.tar.gz"
    rc, stdout, err = run(capsys, "verify", src, "--against", out, "--samples", "300")
    assert rc == 0, stdout + err
    rc, stdout, err = run(capsys, "explain", src, "--url", "http://casino.example/",
                          "--category", "Gambling", "--client", "10.10.1.1",
                          "--against", out, "--format", "json")
    assert rc == 0, err
    doc = json.loads(stdout)
    assert doc["source"]["action"] == "block"
    assert doc["target"]["action"] == "block"


def test_example_inspect(capsys: pytest.CaptureFixture[str]) -> None:
    src = EXAMPLE / "export.tar.gz"
    rc, out, err = run(capsys, "inspect", src)
    assert rc == 0, err
    expected = {
        "policy.ini": "web-policy (utf-8)",
        "custom-categories-sjis.ini": "web-policy (cp932)",
        "TrustedURLs.ini": "url-list (utf-8)",
        "certs/corp-root.pem": "PEM certificate",
        "pac/sakura.pac": "unrecognised",
    }
    for member, kind in expected.items():
        assert f"{src}:{member}: {kind}" in out, out
    assert re.search(r"^\s+url-filtering-policy: 16$", out, re.MULTILINE)
    assert re.search(r"^\s+custom-category: 7$", out, re.MULTILINE)

