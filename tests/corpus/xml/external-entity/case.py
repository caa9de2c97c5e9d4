"""An external entity reading a local file."""
from pathlib import Path


def build(work: Path) -> list[str]:
    d = work / "input"
    d.mkdir()
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/pas'
        b'swd">]>\n<imss-policy>&e;</imss-policy>\n')
    (d / "Policy.xml").write_bytes(data)
    return [str(d)]
