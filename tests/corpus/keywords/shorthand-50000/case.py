"""{D} written 50,000 times (150 KB): refused before the parse (ISC4005)."""

from pathlib import Path

POLICY = (Path(__file__).parent / "policy.xml.in").read_text(encoding="utf-8")


def build(work: Path) -> list[str]:
    folder = work / "input"
    folder.mkdir()
    expression = "{D}" * 50_000
    policy = POLICY.replace("@EXPRESSION@", expression)
    (folder / "Policy.xml").write_text(policy, encoding="utf-8")
    return [str(folder)]
