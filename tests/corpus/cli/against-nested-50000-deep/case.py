"""explain --against an OUTDIR whose ztsa-ia.json nests 50,000 deep."""
from pathlib import Path

from corpus_builders import compiled


def build(work: Path) -> list[str]:
    out = compiled(work)
    (out / "ztsa-ia.json").write_text('{"schema": "isc/ztsa-ia/1", "x": ' + "[" * 50_000
                                      + "]" * 50_000 + "}", encoding="utf-8")
    return [str(work / "input")]
