"""A symbolic link member pointing outside."""
import tarfile
from pathlib import Path

from corpus_builders import POLICY, member, tar

POLICY_BYTES = POLICY.encode()


def build(work: Path) -> list[str]:
    return [str(tar(work / "export.tar.gz", [member("policy.ini", POLICY_BYTES),
                 member("passwd", kind=tarfile.SYMTYPE, link="/etc/passwd")]))]
