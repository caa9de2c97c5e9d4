"""A FIFO among the files of a directory input."""
import os
from pathlib import Path


def build(work: Path) -> list[str]:
    (work / "in").mkdir()
    (work / "in" / "policy.ini").write_text('[custom-category "A"]\na.example\n')
    os.mkfifo(work / "in" / "pipe")
    return [str(work / "in")]
