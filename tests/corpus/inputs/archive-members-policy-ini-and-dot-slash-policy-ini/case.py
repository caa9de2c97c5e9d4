"""Two archive members with one path: policy.ini and ./policy.ini."""
import io
import tarfile
from pathlib import Path


def build(work: Path) -> list[str]:
    path = work / "export.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in (("policy.ini", b'[custom-category "A"]\na.example\n'),
                           ("./policy.ini", b'[custom-category "B"]\nb.example\n')):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))
    return [str(path)]
