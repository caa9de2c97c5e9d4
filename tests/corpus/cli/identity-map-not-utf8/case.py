"""--identity-map in CP932."""
from pathlib import Path

from corpus_builders import export


def build(work: Path) -> list[str]:
    (work / "map.csv").write_bytes('"CN=営業部,DC=example",営業部\n'.encode("cp932"))
    return [str(export(work))]
