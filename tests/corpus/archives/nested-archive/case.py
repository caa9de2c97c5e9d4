"""An archive inside an archive."""
from pathlib import Path

from corpus_builders import POLICY, member, tar


def build(work: Path) -> list[str]:
    inner = tar(work / "inner.tar.gz", [member("policy.ini", POLICY.encode())])
    outer = tar(work / "outer.tar.gz", [member("inner.tar.gz", inner.read_bytes())])
    inner.unlink()
    return [str(outer)]
