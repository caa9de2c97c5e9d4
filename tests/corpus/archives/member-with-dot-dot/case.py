"""A member whose path escapes the archive."""
from pathlib import Path

from corpus_builders import POLICY, member, tar

POLICY_BYTES = POLICY.encode()


def build(work: Path) -> list[str]:
    members = [member("policy.ini", POLICY_BYTES), member("../evil.ini", POLICY_BYTES)]
    return [str(tar(work / "export.tar.gz", members))]
