"""A FIFO nobody writes to: refused after stat, never opened."""
import os
from pathlib import Path


def build(work: Path) -> list[str]:
    os.mkfifo(work / "pipe")
    return [str(work / "pipe")]
