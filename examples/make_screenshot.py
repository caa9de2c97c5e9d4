"""Take the screenshot of the web example's runbook that docs/runbook.md and the README show
(docs/images/runbook.png), in the system's headless Chromium driven by Playwright, as the
browser test does.

Usage: python examples/make_screenshot.py   (needs the test extra, a `chromium` on PATH and a
Japanese font, e.g. the Debian package fonts-ipafont-gothic)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from isc.cli import main as isc

REPO = Path(__file__).resolve().parents[1]
EXPORT = REPO / "examples" / "iwsva-sakura" / "export"
SHOT = REPO / "docs" / "images" / "runbook.png"


def take(out: Path = SHOT) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium on PATH (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp) / "out"
        with open(os.devnull, "w") as null, contextlib.redirect_stderr(null), \
                contextlib.redirect_stdout(null):  # its warnings are the runbook's content
            compiled = isc(["compile", str(EXPORT), "-o", str(outdir), "--quiet"])
        if compiled != 0:
            sys.exit("the example did not compile")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900},
                                    locale="ja-JP")
            page.goto((outdir / "runbook.html").as_uri())
            # the top of the page: the summary, the filters and what needs a person first
            page.screenshot(path=str(out))
            browser.close()
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    take()
