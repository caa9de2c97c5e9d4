"""A device that never ends: refused after stat, never read."""
from pathlib import Path


def build(work: Path) -> list[str]:
    return ["/dev/zero"]
