"""Nested entity expansion."""
from pathlib import Path


def build(work: Path) -> list[str]:
    d = work / "input"
    d.mkdir()
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol'
        b'2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "'
        b'&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n<ims'
        b's-policy>&lol3;</imss-policy>\n')
    (d / "Policy.xml").write_bytes(data)
    return [str(d)]
