"""A directory and a file inside it, both given."""
from pathlib import Path


def build(work: Path) -> list[str]:
    (work / "in").mkdir()
    (work / "in" / "policy.ini").write_text('[custom-category "A"]\na.example\n')
    return [str(work / "in"), str(work / "in" / "policy.ini")]
