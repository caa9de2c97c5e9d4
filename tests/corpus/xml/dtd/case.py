"""A DOCTYPE with an external DTD."""
from pathlib import Path


def build(work: Path) -> list[str]:
    d = work / "input"
    d.mkdir()
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE imss-policy SYSTEM "http://example.in'
        b'valid/x.dtd">\n<imss-policy/>\n')
    (d / "Policy.xml").write_bytes(data)
    return [str(d)]
