"""explain --client 999.1.1.1."""
from pathlib import Path

from corpus_builders import export


def build(work: Path) -> list[str]:
    return [str(export(work))]
