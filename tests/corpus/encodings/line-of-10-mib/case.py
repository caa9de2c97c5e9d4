"""A policy file with one line of 10 MiB (too large to commit)."""
from pathlib import Path


def build(work: Path) -> list[str]:
    d = work / "input"
    d.mkdir()
    (d / "policy.ini").write_text(
        '[url-filtering-policy "Global Policy"]\nglobal = yes\ncategory "Gambling" = block\n'
        '\n[custom-category "C"]\nweb-site: ' + "a" * (10 * 1024 * 1024) + ".example\n",
        encoding="utf-8")
    return [str(d)]
