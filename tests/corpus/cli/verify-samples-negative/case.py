"""verify --samples -1."""
from pathlib import Path

from corpus_builders import compiled


def build(work: Path) -> list[str]:
    compiled(work)
    return [str(work / "input")]
