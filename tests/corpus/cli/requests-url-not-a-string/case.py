"""verify --requests with a line whose url is 5, and a bad URL."""
from pathlib import Path

from corpus_builders import compiled


def build(work: Path) -> list[str]:
    compiled(work)
    (work / "r.jsonl").write_text('{"url": "http://ok.example/"}\n{"url": 5}\n'
                                  '{"url": "http://[::1"}\n', encoding="utf-8")
    return [str(work / "input")]
