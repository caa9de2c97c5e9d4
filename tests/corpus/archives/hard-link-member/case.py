"""A hard link member."""
import tarfile
from pathlib import Path

from corpus_builders import POLICY, member, tar

POLICY_BYTES = POLICY.encode()


def build(work: Path) -> list[str]:
    return [str(tar(work / "export.tar.gz", [member("policy.ini", POLICY_BYTES),
                 member("copy.ini", kind=tarfile.LNKTYPE, link="policy.ini")]))]
