"""A member with an absolute path."""
from pathlib import Path

from corpus_builders import POLICY, member, tar

POLICY_BYTES = POLICY.encode()


def build(work: Path) -> list[str]:
    members = [member("policy.ini", POLICY_BYTES), member("/etc/evil.ini", POLICY_BYTES)]
    return [str(tar(work / "export.tar.gz", members))]
