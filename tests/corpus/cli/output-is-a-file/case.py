"""compile -o naming an existing file."""
from pathlib import Path

from corpus_builders import export


def build(work: Path) -> list[str]:
    (work / "existing").write_text("keep me", encoding="utf-8")
    return [str(export(work))]
