"""OUTDIR/report.json is a directory: nothing may be replaced."""
from pathlib import Path

from corpus_builders import export


def build(work: Path) -> list[str]:
    (work / "out" / "report.json").mkdir(parents=True)
    return [str(export(work))]
