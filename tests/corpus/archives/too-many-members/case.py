"""An archive of 100,001 tiny members."""
from pathlib import Path

from corpus_builders import member, tar


def build(work: Path) -> list[str]:
    return [str(tar(work / "many.tar", [member(f"m{i}.txt", b"") for i in range(100_001)],
                    mode="w"))]
