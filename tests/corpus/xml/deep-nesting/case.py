"""Elements nested 100,000 deep."""
from pathlib import Path


def build(work: Path) -> list[str]:
    d = work / "input"
    d.mkdir()
    data = (b'<?xml version="1.0"?>\n<imss-policy>'
        + b"<a>" * 100_000
        + b"</a>" * 100_000
        + b"</imss-policy>\n")
    (d / "Policy.xml").write_bytes(data)
    return [str(d)]
