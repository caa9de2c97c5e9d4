"""A ztsa-ia.json nested 50,000 deep given to check."""
from pathlib import Path


def build(work: Path) -> list[str]:
    path = work / "ztsa-ia.json"
    path.write_text('{"schema": "isc/ztsa-ia/1", "x": ' + "[" * 50_000 + "]" * 50_000 + "}",
                    encoding="utf-8")
    return [str(path)]
