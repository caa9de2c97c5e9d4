"""``isc report``: the runbook of an OUTDIR, in Markdown and CSV (issue 12, first part)."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from golden import check_golden
from isc import runbook
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
    # every object that needs a person is listed once; fail-opens first, mixed tags too
    assert len(book.attention) == sum(1 for o in objects if o["fidelity"] != "exact")
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
