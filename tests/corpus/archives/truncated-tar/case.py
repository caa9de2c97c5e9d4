"""A tar.gz cut in the middle."""
from pathlib import Path

from corpus_builders import POLICY, member, tar


def build(work: Path) -> list[str]:
    data = (POLICY * 200).encode()
    path = tar(work / "export.tar.gz", [member("policy.ini", data), member("b.ini", data)])
    cut = path.read_bytes()
    path.write_bytes(cut[: len(cut) // 2])
    return [str(path)]
