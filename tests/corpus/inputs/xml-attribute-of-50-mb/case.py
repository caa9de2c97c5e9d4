"""A 50 MB attribute: refused before the document is decoded or parsed."""
from pathlib import Path


def build(work: Path) -> list[str]:
    path = work / "Policy.xml"
    path.write_bytes(b'<imss-policy>\n<stamp name="' + b"a" * 50_000_000
                     + b'">x</stamp>\n</imss-policy>\n')
    return [str(path)]
