"""A 1 MB literal expression: refused before the parse (ISC4005);
Lark took 40 s and 1.7 GB to read it."""

from pathlib import Path

POLICY = (Path(__file__).parent / "policy.xml.in").read_text(encoding="utf-8")


def build(work: Path) -> list[str]:
    folder = work / "input"
    folder.mkdir()
    expression = "x" * 1_000_000
    policy = POLICY.replace("@EXPRESSION@", expression)
    (folder / "Policy.xml").write_text(policy, encoding="utf-8")
    return [str(folder)]
