"""An XInclude of a local file."""
from pathlib import Path


def build(work: Path) -> list[str]:
    d = work / "input"
    d.mkdir()
    data = (b'<?xml version="1.0"?>\n<imss-policy xmlns:xi="http://www.w3.org/2001/X'
        b'Include"><xi:include href="/etc/passwd" parse="text"/></imss-policy>\n')
    (d / "Policy.xml").write_bytes(data)
    return [str(d)]
