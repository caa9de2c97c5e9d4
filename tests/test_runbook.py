"""``isc report``: the runbook of an OUTDIR, in Markdown and CSV (issue 12, first part)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest

from golden import check_golden
from isc import runbook
from isc.ir.common import Difference, Fidelity, Origin
from isc.ir.export import FATE_CODES, ReportEntry
from test_cli import run, write_export

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = {"iwsva-sakura": REPO / "examples" / "iwsva-sakura" / "export",
            "imsva-kaede": REPO / "examples" / "imsva-kaede" / "export"}


@pytest.fixture(scope="module")
def outdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from isc.cli import main

    out = {}
    for name, export in EXAMPLES.items():
        d = tmp_path_factory.mktemp(name)
        assert main(["compile", str(export), "-o", str(d)]) == 0
        out[name] = d
    return out


@pytest.mark.parametrize("name", list(EXAMPLES))
@pytest.mark.parametrize("fmt", ["md", "csv", "html"])
def test_golden_runbooks(outdirs: dict[str, Path], name: str, fmt: str,
                         update_golden: bool) -> None:
    text = runbook.render(outdirs[name], fmt)
    assert runbook.render(outdirs[name], fmt) == text  # deterministic
    check_golden(REPO / "examples" / name / "expected" / f"runbook.{fmt}", text, update_golden)


@pytest.mark.parametrize("name", list(EXAMPLES))
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_the_page_made_piece_by_piece_is_the_page(outdirs: dict[str, Path], name: str,
                                                  chunk: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """compile writes the page as bytes made a few lines at a time: the same bytes, and
    those of the runbook.html it wrote."""
    book = runbook.build(outdirs[name])
    monkeypatch.setattr(runbook, "_CHUNK", chunk)
    page = runbook.to_html_bytes(book)
    assert page == runbook.to_html(book).encode("utf-8")
    assert page == (outdirs[name] / "runbook.html").read_bytes()


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_csv_round_trips_every_field(outdirs: dict[str, Path], name: str) -> None:
    book = runbook.build(outdirs[name])
    text = runbook.to_csv(book)
    assert text.startswith("\ufeff")  # spreadsheet programs then read Japanese right
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == runbook.CSV_FIELDS
    assert len(rows) - 1 == len(book.rows) > 10
    for got, want in zip(runbook.read_csv(text), book.rows, strict=True):
        assert got == {"section": want.section, "order": str(want.order), "name": want.name,
                       "values": want.values, "source": want.source,
                       "fidelity": want.fidelity, "directions": " ".join(want.directions),
                       "action": want.action}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_counts_and_attention_follow_the_report(outdirs: dict[str, Path], name: str) -> None:
    book = runbook.build(outdirs[name])
    report = json.loads((outdirs[name] / "report.json").read_text(encoding="utf-8"))
    objects = report["objects"]
    counts = {}
    for o in objects:
        counts[o["fidelity"]] = counts.get(o["fidelity"], 0) + 1
    assert dict(book.counts) == counts
    # every object that needs a person is listed once; fail-opens first, mixed tags too;
    # the settings that need no action apart
    quiet = [o for o in objects if o["fateCode"] == "no-action"]
    assert len(book.attention) == sum(1 for o in objects if o["fidelity"] != "exact") - len(
        quiet)
    assert [(k, n) for k, n, _, _ in book.info] == [(o["source"]["kind"], o["source"]["name"])
                                                    for o in quiet]
    broadened = sum(1 for o in objects if "broadened" in o["directions"])
    assert [a[0] for a in book.attention[:broadened]] == ["broadened"] * broadened
    assert all(a[0] != "broadened" for a in book.attention[broadened:])
    assert f"\n{broadened} of them can let through" in runbook.to_markdown(book)


def test_sections_follow_the_console(outdirs: dict[str, Path]) -> None:
    book = runbook.build(outdirs["iwsva-sakura"])
    order = [t for _, t in runbook.SECTIONS["ztsa-ia.json"]]
    seen = list(dict.fromkeys(r.section for r in book.rows))
    assert seen == [t for t in order if t in seen]
    assert seen[0] == "TLS certificates" and seen.index("IP address groups") < seen.index(
        "Internet Access rules (top-down)")


HOSTILE = """\
[product]
name = IWSVA

[url-filtering-policy "<img src=x onerror=alert(1)> `x` *y*"]
priority = 1
category "Gambling" = block
"""


def test_export_text_is_not_markup(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    src = write_export(tmp_path, HOSTILE)
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out)[0] == 0
    rc, md, _ = run(capsys, "report", out)
    assert rc == 0
    assert not re.search(r"(?<!\\)<img", md) and "\\<img src=x onerror=alert(1)\\>" in md
    assert "\\`x\\` \\*y\\*" in md


def test_cli_writes_a_file_and_says_what_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, HOSTILE)
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out)[0] == 0
    target = tmp_path / "runbook.csv"
    rc, stdout, _ = run(capsys, "report", out, "--format", "csv", "-o", target)
    assert rc == 0 and stdout == ""
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    rc, _, err = run(capsys, "report", tmp_path / "nowhere")
    assert rc == 2 and "report.json" in err and "Traceback" not in err


class _Page(HTMLParser):
    """What a browser would load or run from the page, and its objects."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []
        self.objects: list[dict[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        for name in ("src", "href", "action", "data", "poster"):
            if a.get(name):
                self.fetches.append(f"{tag} {name}={a[name]}")
        if tag == "li" and a.get("class") == "obj":
            self.objects.append(a)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_html_is_one_page_that_fetches_nothing(outdirs: dict[str, Path], name: str) -> None:
    book = runbook.build(outdirs[name])
    page = _Page()
    text = runbook.to_html(book)
    page.feed(text)
    assert page.fetches == []  # no network: opened in air-gapped admin networks
    assert "default-src 'none'" in text
    assert {t for t in page.tags} >= {"html", "head", "body", "script", "style", "select"}
    assert len(page.objects) == len(book.rows)
    assert [o["data-section"] for o in page.objects] == [r.section for r in book.rows]
    assert [o["data-fidelity"] for o in page.objects] == [r.fidelity for r in book.rows]
    assert [o["data-directions"] for o in page.objects] == [" ".join(r.directions)
                                                            for r in book.rows]
    assert len({o["id"] for o in page.objects}) == len(book.rows)
    assert f'data-fingerprint="{book.fingerprint}"' in text and book.fingerprint


def test_html_escapes_export_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, HOSTILE)
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out)[0] == 0
    rc, text, _ = run(capsys, "report", out, "--format", "html")
    assert rc == 0
    page = _Page()
    page.feed(text)
    assert "img" not in page.tags and page.fetches == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_compile_writes_the_html_runbook(outdirs: dict[str, Path], name: str) -> None:
    page = (outdirs[name] / "runbook.html").read_text(encoding="utf-8")
    assert page == runbook.render(outdirs[name], "html")
    assert runbook.is_runbook(page)


def test_no_runbook_and_a_foreign_runbook(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, HOSTILE)
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out, "--no-runbook")[0] == 0
    assert not (out / "runbook.html").exists()
    assert run(capsys, "compile", src, "-o", out)[0] == 0
    assert (out / "runbook.html").exists()
    # --no-runbook removes isc's own, which would describe an older compile
    assert run(capsys, "compile", src, "-o", out, "--no-runbook")[0] == 0
    assert not (out / "runbook.html").exists()
    # a person's file of that name is never replaced, and --no-runbook leaves it alone
    (out / "runbook.html").write_text("<p>my notes</p>", encoding="utf-8")
    rc, _, err = run(capsys, "compile", src, "-o", out)
    assert rc == 2 and "ISC1014" in err and "--no-runbook" in err
    assert (out / "runbook.html").read_text(encoding="utf-8") == "<p>my notes</p>"
    assert run(capsys, "compile", src, "-o", out, "--no-runbook")[0] == 0
    assert (out / "runbook.html").read_text(encoding="utf-8") == "<p>my notes</p>"


def _edited_example(tmp_path: Path, edit: Callable[[str], str]) -> tuple[Path, Path]:
    """The web example compiled as it is and with ``edit`` applied to policy.ini."""
    from isc.cli import main

    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(EXAMPLES["iwsva-sakura"], old)
    shutil.copytree(EXAMPLES["iwsva-sakura"], new)
    ini = new / "policy.ini"
    text = ini.read_text(encoding="utf-8")
    edited = edit(text)
    assert edited != text
    ini.write_text(edited, encoding="utf-8")
    assert main(["compile", str(old), "-o", str(tmp_path / "o-old")]) == 0
    assert main(["compile", str(new), "-o", str(tmp_path / "o-new")]) == 0
    return tmp_path / "o-old", tmp_path / "o-new"


def _section(text: str, header: str) -> str:
    start = text.index(header)
    end = text.find("\n[", start + 1)
    return text[start:end if end >= 0 else len(text)]


def test_since_marks_exactly_the_edited_policy(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    header = '[url-filtering-policy "研究開発部"]'

    def edit(text: str) -> str:  # one more line: every later line moves
        part = _section(text, header)
        return text.replace(part, part.replace('category "Software Downloads" = allow\n',
                                               'category "Software Downloads" = allow\n'
                                               'category "Games" = block\n'
                                               'category "Remote Access Program" = block\n'))

    old, new = _edited_example(tmp_path, edit)
    book = runbook.build(new, since=old)
    marked = [r for r in book.rows if r.change]
    assert marked and book.removed == ()
    assert all('url-filtering-policy "研究開発部"' in r.source for r in marked), marked
    # nothing else: compared with itself, a compile has no change at all
    same = runbook.build(new, since=new)
    assert not any(r.change for r in same.rows) and same.removed == ()
    rc, md, _ = run(capsys, "report", new, "--since", old)
    assert rc == 0 and re.search(r"\nSince .*o-old: \d+ added, \d+ changed, 0 removed", md)
    listed = [line for line in md.splitlines() if re.match(r"\d+\. ", line)]
    assert len(listed) == len(marked) and all("**[" in line for line in listed)
    rc, text, _ = run(capsys, "report", new, "--since", old, "--format", "csv")
    rows = runbook.read_csv(text)
    assert [r["change"] for r in rows if r["change"]] == [r.change for r in marked]


def test_since_lists_a_removed_policy_and_a_changed_value(tmp_path: Path) -> None:
    header = '[url-filtering-policy "経理部 (月末締め)"]'

    def edit(text: str) -> str:  # the policy disappears; another one's notes change
        text = text.replace(_section(text, header), "")
        return text.replace("CAD/シミュレーション用にソフトウェアダウンロードを許可",
                            "CAD 用にソフトウェアダウンロードを許可")

    old, new = _edited_example(tmp_path, edit)
    book = runbook.build(new, since=old)
    assert book.removed and all('"経理部 (月末締め)"' in r.source for r in book.removed)
    changed = [r for r in book.rows if r.change]
    assert changed and all(r.change == "changed" and 'url-filtering-policy "研究開発部"'
                           in r.source for r in changed)
    page = runbook.to_html(book)
    assert page.count('data-change="removed"') == len(book.removed)
    assert '<option value="redo" selected>' in page


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_entry_has_a_fate_code_and_a_sentence(outdirs: dict[str, Path],
                                                    name: str) -> None:
    report = json.loads((outdirs[name] / "report.json").read_text(encoding="utf-8"))
    fates: dict[str, int] = {}
    for o in report["objects"]:
        assert o["fateCode"] in FATE_CODES
        assert o["sentence"].endswith(".") and len(o["sentence"]) > 20
        fates[o["fateCode"]] = fates.get(o["fateCode"], 0) + 1
        if o["fateCode"] == "no-action":  # information only: never a changed decision
            assert o["fidelity"] == "dropped" and not o["directions"]
            assert o["sentence"].startswith("No action needed: ")
        if o["fidelity"] == "dropped" and o["fateCode"] == "dropped":
            assert o["sentence"].startswith("Not translated: ")
        if "broadened" in o["directions"]:
            assert "let through" in o["sentence"] or o["fateCode"] == "dropped"
    assert report["summary"]["fates"] == {c: fates.get(c, 0) for c in FATE_CODES}
    if name == "imsva-kaede":  # every imss.ini key is information, not work
        keys = [o for o in report["objects"] if o["source"]["kind"] == "imss.ini"]
        assert keys and all(o["fateCode"] == "no-action" for o in keys)


def test_no_action_fails_closed() -> None:
    origin = Origin("a.ini", 1, "pac-file", "p")
    quiet = ReportEntry(origin, "dropped", Fidelity.DROPPED, directions=frozenset(),
                        no_action=True)
    assert quiet.code == "no-action"
    loud = attrs.evolve(quiet, directions=frozenset({Difference.BROADENED}))
    assert loud.code == "dropped" and loud.sentence.startswith("Not translated")
    assumed = attrs.evolve(quiet, assumed=frozenset({Difference.NARROWED}))
    assert assumed.code == "dropped"
