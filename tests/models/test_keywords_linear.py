"""Keyword expressions run on RE2 in linear time (docs/semantics.md §4.5): the RE2
translation decides every generated expression and text as the Python ``re`` reading does
(kept as ``python_expression``, the oracle), and the inputs that made backtracking hang
finish, with the limits of the front-end (ISC4005) refusing what is too large to read."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.strategies_keywords import NOISE, expressions, texts_for

from isc.diagnostics import Span
from isc.errors import IscError
from isc.frontends.keywords import (
    MAX_EXPRESSION_LENGTH,
    MAX_OPERANDS,
    MAX_REPEATS,
    parse_expression,
)
from isc.ir.keyword_expr import (
    Anchor,
    AnchorNode,
    Bracket,
    Char,
    Concat,
    Meta,
    MetaClass,
    Node,
    PosixClass,
    Range,
    Repeat,
    Wild,
    to_text,
)
from isc.ir.keyword_re2 import Unrunnable, operand_pattern
from isc.models.keywords import compile_expression, python_expression

# The Python oracle may warn about "[[" (a possible nested set) in a bracket it compiles.
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
ROOT = Path(__file__).resolve().parents[2]
#: Characters where case folding and classes differ most between engines.
TRICKY = ["", "\u212a", "\u017f", "\u0130", "\u0131", "ß", "ẞ", "K", "k", "S", "s", "I",
          "i", "\n", "\r\n", "\x0b", "\x00", "é", "É", "社", "\ud800"]


def _agree(node: Node, text: str) -> None:
    for case_sensitive in (True, False):
        expected = python_expression(node, case_sensitive)(text)
        got = compile_expression(node, case_sensitive)(text)
        assert got == expected, (to_text(node), text, case_sensitive)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_re2_agrees_with_python_re(data: st.DataObject) -> None:
    node = data.draw(expressions())
    text = data.draw(texts_for(node))
    _agree(node, text)
    extra = data.draw(st.sampled_from(TRICKY))
    _agree(node, extra + text + extra)
    _agree(node, data.draw(st.sampled_from(NOISE)))


@pytest.mark.parametrize("expression", [
    "\\bfoo\\b", "\\b-x", "x-\\b", "[^\\Sa]", "[^\\W\\Dx]", "[^\\S\\s]", "[\\Sa]",
    "[^\\Wi]", "[^\\WK]", "[i-k]", "[[:upper:]]+", "I", "ı", "İ", "k", "\u212a", "s",
    "[^a-z]", "\\W", "{WORD}+", "({NUMBER})*x", "^$", "a$", "^b", ".WILD. *i?k*",
    ".NOT. \\bi", "\\bi\\b .OR. ſ",
])
@pytest.mark.parametrize("text", TRICKY + ["fooı", "ı-x", "x-ı", "ii", "a\nb", "\ni\n"])
def test_re2_agrees_on_case_and_class_corners(expression: str, text: str) -> None:
    _agree(parse_expression(expression), text)


def test_word_boundary_is_not_re2s() -> None:
    # \b looks only outside the match: "-x" after a blank (RE2's \b would need a word
    # character on one side).
    assert compile_expression(parse_expression("\\b-x"), True)(" -x")
    assert not compile_expression(parse_expression("\\bfoo"), True)("xfoo")
    assert compile_expression(parse_expression("\\b社外秘\\b"), True)("この社外秘です")


def test_a_counted_repetition_over_re2s_limit_is_unrunnable() -> None:
    with pytest.raises(Unrunnable):
        operand_pattern(Repeat(Char("a"), 2000, None), True)
    assert operand_pattern(Repeat(Char("a"), 3, 5), True).endswith("{3,5}")


# ---------------------------------------------------------------- pathological inputs

_HOSTILE = [
    # (expression, text, case-sensitive decision)
    ("(\\w+\\s?)+$", "a" * 5000 + "!", False),
    ("(\\w+\\s?)+$", "a " * 3000 + "!", False),
    ("(\\w+\\s?)+$", "!" + "a " * 3000, True),
    ("(a|a)*b", "a" * 40, False),
    ("(a|a)*b", "a" * 100_000, False),
    ("(a|aa)+$", "a" * 40 + "!", False),
    ("(a|aa)+$", "a" * 100_000 + "!", False),
    ("(a|aa)+$", "!" + "a" * 100_000, True),
    (".WILD. " + "*a" * 50 + "b", "a" * 10_000, False),
    (".WILD. " + "*a" * 50 + "b", "a" * 60 + "b", True),
    ("([[:alpha:]]|[a-z])*[0-9]", "abc" * 30_000, False),
]


@pytest.mark.parametrize(("expression", "text", "decision"), _HOSTILE)
def test_hostile_patterns_decide_in_linear_time(expression: str, text: str,
                                                decision: bool) -> None:
    script = textwrap.dedent(f"""
        import faulthandler, sys
        faulthandler.dump_traceback_later(20, exit=True)
        from isc.frontends.keywords import parse_expression
        from isc.models.keywords import compile_expression
        node = parse_expression({expression!r})
        text = sys.stdin.read()
        print(compile_expression(node, True)(text), compile_expression(node, False)(text))
    """)
    done = subprocess.run([sys.executable, "-c", script], input=text, capture_output=True,
                          text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(decision), str(decision)]


def _refused(text: str) -> IscError:
    with pytest.raises(IscError) as info:
        parse_expression(text, Span("Policy.xml", 7, 20))
    return info.value


def test_limits_are_checked_before_the_parse() -> None:
    long = _refused("a" * 1_000_000)
    assert long.code == "ISC4005"
    assert (long.file, long.line, long.column) == ("Policy.xml", 7, 20 + MAX_EXPRESSION_LENGTH)
    assert parse_expression("a" * MAX_EXPRESSION_LENGTH)  # exactly at the limit: read

    ors = _refused(" .OR. ".join(["a"] * (MAX_OPERANDS + 1)))
    assert ors.code == "ISC4005"
    assert ors.column == 20 + len(" .OR. ".join(["a"] * MAX_OPERANDS))
    assert parse_expression(" .AND. ".join(["a"] * MAX_OPERANDS))

    shorthand = _refused("{D}" * (MAX_REPEATS + 1))
    assert shorthand.code == "ISC4005"
    assert shorthand.column == 20 + 3 * MAX_REPEATS
    stars = _refused(".WILD. " + "*a" * (MAX_REPEATS + 1))
    assert stars.code == "ISC4005"
    assert parse_expression("a*" * MAX_REPEATS)
    # Escaped, bracketed and quoted characters are not quantifiers.
    assert parse_expression("\\*" * (MAX_REPEATS + 1))
    assert parse_expression("[*+?]" * (MAX_REPEATS // 2))
    assert parse_expression('"' + "*" * (MAX_REPEATS + 1) + '"')


def test_every_generated_expression_is_within_the_limits() -> None:
    # What the front-end accepts always compiles: a large accepted expression.
    text = " .OR. ".join(["(\\w+\\s?)+[^\\Sx]{WORD}"] * 150)[:MAX_EXPRESSION_LENGTH]
    text = text[:text.rindex(" .OR. ")]
    node = parse_expression(text)
    assert len(node.operands) > 100  # type: ignore[union-attr]
    assert compile_expression(node, False)("hello world")
    _agree(node, "hello world")


def test_unrunnable_hand_built_asts_are_value_errors() -> None:
    node = Concat((Repeat(Bracket((Range(Char("a"), Char("z")), PosixClass("digit"),
                                   MetaClass(Meta.WORD))), 1001, 1001),
                   AnchorNode(Anchor.END)))
    with pytest.raises(ValueError, match="repetition"):
        compile_expression(node, True)
    assert compile_expression(Wild("a*b"), True)("a\u00e9b")
