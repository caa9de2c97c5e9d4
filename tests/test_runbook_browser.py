"""The HTML runbook in a real headless Chromium (issue 12): the system's browser (Debian
package ``chromium``, which .ci/run installs) driven by Playwright. The page loads with no
error and fetches nothing; its counts are report.json's; its filters, search and "done"
boxes work; export text stays text."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from isc import runbook
from test_cli import run, write_export

REPO = Path(__file__).resolve().parents[1]
SAKURA = REPO / "examples" / "iwsva-sakura" / "export"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM, "no chromium on PATH: .ci/run installs the Debian package 'chromium'"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser: Any, page_file: Path) -> tuple[Any, Any, list[str], list[str]]:
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    return ctx, page, errors, requests


@pytest.fixture(scope="module")
def sakura(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from isc.cli import main

    out = tmp_path_factory.mktemp("sakura")
    assert main(["compile", str(SAKURA), "-o", str(out)]) == 0
    return out, out / "runbook.html"  # the page compile writes


def test_loads_fetches_nothing_and_counts_as_the_report(browser: Any,
                                                        sakura: tuple[Path, Path]) -> None:
    out, page_file = sakura
    ctx, page, errors, requests = _open(browser, page_file)
    assert errors == []
    assert requests == [page_file.as_uri()]  # the page itself, nothing else
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for o in report["objects"]:
        counts[o["fidelity"]] = counts.get(o["fidelity"], 0) + 1
    shown = {t: int(page.locator(f'#summary [data-count="{t}"]').inner_text()) for t in counts}
    assert shown == counts
    opened = sum(1 for o in report["objects"] if "broadened" in o["directions"])
    assert int(page.locator("#opened").inner_text()) == opened
    ctx.close()


def test_filter_search_and_done_boxes(browser: Any, sakura: tuple[Path, Path]) -> None:
    out, page_file = sakura
    book = runbook.build(out)
    ctx, page, errors, _ = _open(browser, page_file)
    objects = page.locator("li.obj")
    assert objects.count() == len(book.rows)
    page.select_option("#f-direction", "broadened")
    want = sum(1 for r in book.rows if "broadened" in r.directions)
    assert 0 < want == page.locator("li.obj:visible").count()
    for i in range(objects.count()):
        li = objects.nth(i)
        assert li.is_visible() == ("broadened" in (li.get_attribute("data-directions") or ""))
    page.select_option("#f-direction", "")
    page.fill("#f-search", "研究開発部")
    visible = page.locator("li.obj:visible")
    assert 0 < visible.count() < len(book.rows)
    assert all("研究開発部" in visible.nth(i).inner_text() for i in range(visible.count()))
    page.fill("#f-search", "")
    box = page.locator("li.obj input[type=checkbox]").nth(3)
    box.check()
    ident = box.evaluate("b => b.closest('li').id")
    # the page stored it; give the browser a moment to commit the storage before reloading
    page.wait_for_function("id => Object.values(localStorage).some(v => JSON.parse(v)[id])",
                           arg=ident)
    page.wait_for_timeout(300)
    page.reload()
    assert page.locator("li.obj input[type=checkbox]").nth(3).is_checked()
    assert not page.locator("li.obj input[type=checkbox]").nth(2).is_checked()
    assert errors == []
    ctx.close()


def test_a_hostile_policy_name_renders_as_text(browser: Any, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    name = "<img src=x onerror=alert(1)>"
    src = write_export(tmp_path, f'[product]\nname = IWSVA\n\n[url-filtering-policy "{name}"]\n'
                                 'priority = 1\ncategory "Gambling" = block\n')
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out)[0] == 0
    page_file = tmp_path / "runbook.html"
    assert run(capsys, "report", out, "--format", "html", "-o", page_file)[0] == 0
    ctx, page, errors, requests = _open(browser, page_file)
    assert page.locator("img").count() == 0
    assert name in page.locator("body").inner_text()
    assert errors == [] and requests == [page_file.as_uri()]
    ctx.close()


def test_since_opens_on_what_to_redo(browser: Any, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(SAKURA, old)
    shutil.copytree(SAKURA, new)
    ini = new / "policy.ini"
    text = ini.read_text(encoding="utf-8")
    header = '[url-filtering-policy "経理部 (月末締め)"]'
    start = text.index(header)
    ini.write_text(text[:start] + text[text.index("\n[", start) + 1:], encoding="utf-8")
    for src, out in ((old, tmp_path / "o-old"), (new, tmp_path / "o-new")):
        assert run(capsys, "compile", src, "-o", out)[0] == 0
    page_file = tmp_path / "since.html"
    assert run(capsys, "report", tmp_path / "o-new", "--since", tmp_path / "o-old",
               "--format", "html", "-o", page_file)[0] == 0
    book = runbook.build(tmp_path / "o-new", since=tmp_path / "o-old")
    redo = sum(1 for r in book.rows if r.change) + len(book.removed)
    ctx, page, errors, requests = _open(browser, page_file)
    visible = page.locator("li.obj:visible")
    assert 0 < visible.count() == redo < len(book.rows)
    assert all("経理部 (月末締め)" in visible.nth(i).inner_text() for i in range(visible.count()))
    page.select_option("#f-change", "")
    assert page.locator("li.obj:visible").count() == len(book.rows) + len(book.removed)
    assert errors == [] and requests == [page_file.as_uri()]
    ctx.close()
