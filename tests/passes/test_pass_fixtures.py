"""Each optimisation pass on its fixture file: pairs of input and expected output written in
the export syntax (issue 11).

A fixture file is ``fixtures/<pass-name>.ini`` (a web export) or ``.xml`` (an IMSVA rule
set). Cases follow each other as::

    === what the case shows
    --- input
    <export text>
    --- expected
    <export text>

Lines before the first ``===`` are comments. The pass run on the input must give the IR of
the expected text (positions aside), and nothing more when run again on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import isc
from isc.diagnostics import Severity
from isc.ir.export import Export
from isc.passes import MAIL_PASSES, PASSES, PassContext

FIXTURES = Path(__file__).parent / "fixtures"


def _cases() -> list[tuple[str, str, str, str, str]]:
    out = []
    for path in sorted(FIXTURES.glob("*.*")):
        name, suffix = path.stem, path.suffix
        text = path.read_text(encoding="utf-8")
        for block in text.split("\n=== ")[1:]:
            title, _, body = block.partition("\n")
            given, sep, expected = body.partition("--- expected\n")
            assert sep and given.startswith("--- input\n"), f"{path.name}: {title}: malformed"
            out.append((name, suffix, title.strip(), given.removeprefix("--- input\n"),
                        expected))
    return out


CASES = _cases()


def _load(text: str, suffix: str) -> Export:
    return isc.loads(text, filename="policy.ini" if suffix == ".ini" else "Policy.xml")


def test_every_pass_has_fixtures() -> None:
    have = {name for name, *_ in CASES}
    assert have == set(PASSES) | set(MAIL_PASSES)


@pytest.mark.parametrize(("name", "suffix", "title", "given", "expected"), CASES,
                         ids=[f"{c[0]}: {c[2]}" for c in CASES])
def test_fixture(name: str, suffix: str, title: str, given: str, expected: str) -> None:
    source, want = _load(given, suffix), _load(expected, suffix)
    errors = [str(d) for d in source.diagnostics + want.diagnostics
              if d.severity is Severity.ERROR]
    assert not errors  # a fixture that does not load would test nothing
    if suffix == ".ini":
        assert source.web is not None and want.web is not None
        run = PASSES[name]
        got = run(source.web, PassContext())
        assert got == want.web
        assert run(got, PassContext()) == got
    else:
        assert source.mail is not None and want.mail is not None
        mrun = MAIL_PASSES[name]
        mgot = mrun(source.mail, PassContext())
        assert mgot == want.mail
        assert mrun(mgot, PassContext()) == mgot
