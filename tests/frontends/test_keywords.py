"""Keyword expressions: parsing, printing and the EmS form (spec formats.md §5; research
imsva.md §2.1, targets.md §2.6). Evaluation is in tests/models/test_keywords_model.py."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends.keywords import MAX_GROUP_DEPTH, parse_expression
from isc.ir.keyword_expr import (
    EMS_METACHARACTERS,
    Alternation,
    Anchor,
    AnchorNode,
    And,
    AnyChar,
    Bracket,
    Char,
    Concat,
    Dialect,
    Group,
    Meta,
    MetaClass,
    Node,
    Not,
    Or,
    PosixClass,
    Quoted,
    Range,
    Reg,
    Repeat,
    Shorthand,
    ShorthandRef,
    Wild,
    ems_form,
    to_text,
)
from isc.models.keywords import compile_expression
from strategies_keywords import expressions, texts_for

SPAN = Span("Policy.xml", 7, 1)
#: An expression that starts at column 12 of its line (e.g. inside an element).
SPAN_AT_12 = Span("Policy.xml", 7, 12)
WB = AnchorNode(Anchor.WORD_BOUNDARY)


def chars(text: str) -> tuple[Char, ...]:
    return tuple(Char(c) for c in text)


def word(text: str) -> Node:
    return Char(text) if len(text) == 1 else Concat(chars(text))


def parse(text: str) -> Node:
    return parse_expression(text, SPAN)


# ---------------------------------------------------------------- the documented forms


@pytest.mark.parametrize(
    ("text", "node"),
    [
        # literals, Japanese included; a bare keyword is just its characters
        ("keyword", word("keyword")),
        ("社外秘", word("社外秘")),
        ("a", Char("a")),
        (" a ", word(" a ")),
        (".", AnyChar()),
        # escapes (imsva.md §2.1 "Characters")
        ("\\\\", Char("\\", "\\")),
        ("\\a", Char("\a", "c")),
        ("\\f", Char("\f", "c")),
        ("\\n", Char("\n", "c")),
        ("\\r", Char("\r", "c")),
        ("\\t", Char("\t", "c")),
        ("\\v", Char("\v", "c")),
        ("\\b", Char("\b", "c")),  # "by itself": the backspace character
        ("\\0", Char("\0", "o")),
        ("\\7", Char("\7", "o")),
        ("\\12", Char("\n", "o")),
        ("\\101", Char("A", "o")),
        ("\\377", Char("\xff", "o")),
        ("\\477", Concat((Char("\x27", "o"), Char("7")))),  # \mnn needs m <= 3
        ("\\1012", Concat((Char("A", "o"), Char("2")))),  # at most three digits
        ("\\x20", Char(" ", "x")),
        ("\\x4A", Char("J", "x")),
        ("\\x4a", Char("J", "x")),
        ("\\.", Char(".", "\\")),
        ("\\{D\\}", Concat((Char("{", "\\"), Char("D"), Char("}", "\\")))),
        ("\\\"", Char('"', "\\")),
        ("\\\t", Char("\t", "\\")),
        ("]}", word("]}")),  # a lone ] or } is literal, as in POSIX
        # meta-symbols and shorthand
        ("\\s\\S\\d\\D\\w\\W", Concat(tuple(MetaClass(m) for m in
                                            (Meta.SPACE, Meta.NOT_SPACE, Meta.DIGIT,
                                             Meta.NOT_DIGIT, Meta.WORD, Meta.NOT_WORD)))),
        ("{D}+", Repeat(ShorthandRef(Shorthand.D), 1, None)),
        ("{NUMBER}", ShorthandRef(Shorthand.NUMBER)),
        ("{CRLF}{LWSP}", Concat((ShorthandRef(Shorthand.CRLF), ShorthandRef(Shorthand.LWSP)))),
        # not expanded inside brackets or double quotes
        ("[{D}]", Bracket((Char("{"), Char("D"), Char("}")))),
        ('"{D}"', Quoted("{D}")),
        ('"a.b*"', Quoted("a.b*")),
        ('"\\b\\"\\\\"', Quoted('\b"\\')),
        ('""', Quoted("")),
        # bracket expressions and POSIX classes
        ("[abc]", Bracket((Char("a"), Char("b"), Char("c")))),
        ("[a-z]", Bracket((Range(Char("a"), Char("z")),))),
        ("[^abc]", Bracket((Char("a"), Char("b"), Char("c")), negated=True)),
        ("[[:alpha:]]", Bracket((PosixClass("alpha"),))),
        ("[^[:digit:][:space:]]", Bracket((PosixClass("digit"), PosixClass("space")), True)),
        ("[\\s\\d_]", Bracket((MetaClass(Meta.SPACE), MetaClass(Meta.DIGIT), Char("_")))),
        ("[\\b]", Bracket((Char("\b", "c"),))),
        ("[]a]", Bracket((Char("]"), Char("a")))),
        ("[^]a]", Bracket((Char("]"), Char("a")), negated=True)),
        ("[a-]", Bracket((Char("a"), Char("-")))),
        ("[-a]", Bracket((Char("-"), Char("a")))),
        ("[--/]", Bracket((Range(Char("-"), Char("/")),))),
        ("[a^]", Bracket((Char("a"), Char("^")))),
        ("[\\]\\[\\\\]", Bracket((Char("]", "\\"), Char("[", "\\"), Char("\\", "\\")))),
        ("[.*+?(|)$\"]", Bracket(tuple(Char(c) for c in '.*+?(|)$"'))),
        ("[\\x41-\\x5a]", Bracket((Range(Char("A", "x"), Char("Z", "x")),))),
        ("[あ-ん]", Bracket((Range(Char("あ"), Char("ん")),))),
        # quantifiers, alternation, groups, anchors
        ("ab*", Concat((Char("a"), Repeat(Char("b"), 0, None)))),
        ("a\\*+", Concat((Char("a"), Repeat(Char("*", "\\"), 1, None)))),
        ("(ab)?", Repeat(Group(word("ab")), 0, 1)),
        ("a|b", Alternation((Char("a"), Char("b")))),
        ("^a$", Concat((AnchorNode(Anchor.START), Char("a"), AnchorNode(Anchor.END)))),
        # \b: a word boundary at the start and the end
        ("\\bluck", Concat((WB, *chars("luck")))),
        ("luck\\b", Concat((*chars("luck"), WB))),
        ("\\bluck\\b", Concat((WB, *chars("luck"), WB))),
        ("\\ba\\b", Concat((WB, Char("a"), WB))),
        ("\\bfoo|bar\\b", Concat((WB, Alternation((word("foo"), word("bar"))), WB))),
        ("\\skeyword\\s", Concat((MetaClass(Meta.SPACE), *chars("keyword"),
                                  MetaClass(Meta.SPACE)))),
        # dotted operators: .NOT. > .AND. > .OR.
        ("a .AND. b", And((Char("a"), Char("b")))),
        ("a .OR. b .AND. c", Or((Char("a"), And((Char("b"), Char("c")))))),
        ("a .AND. b .OR. c .AND. d",
         Or((And((Char("a"), Char("b"))), And((Char("c"), Char("d")))))),
        (".NOT. a", Not(Char("a"))),
        (".NOT. .NOT. a", Not(Not(Char("a")))),
        (".NOT. a .AND. b", And((Not(Char("a")), Char("b")))),
        (".WILD. *.exe", Wild("*.exe")),
        (".WILD. a b*c .OR. d", Or((Wild("a b*c"), Char("d")))),
        (".REG. [0-9]+", Reg(Repeat(Bracket((Range(Char("0"), Char("9")),)), 1, None))),
        ("a  .AND.\tb", And((Char("a"), Char("b")))),  # the blanks belong to the operator
        ("\\ba\\b .AND. .NOT. \\bb", And((Concat((WB, Char("a"), WB)),
                                          Not(Concat((WB, Char("b"))))))),
        # without blanks around them the dots are ordinary atoms
        ("a.AND.b", Concat((Char("a"), AnyChar(), *chars("AND"), AnyChar(), Char("b")))),
    ],
)
def test_documented_forms(text: str, node: Node) -> None:
    assert parse(text) == node
    assert parse(to_text(node)) == node


def test_blank_led_operator_text_inside_a_group_is_literal() -> None:
    node = parse("(a| .AND. b)")
    assert isinstance(node, Group)
    assert isinstance(node.node, Alternation)
    assert to_text(node) == "(a| .AND. b)"


def test_dialect_does_not_change_the_reading() -> None:
    for text in ("\\bfoo\\b", "a .AND. .NOT. b", "[[:alpha:]]{D}+", "社外秘"):
        assert parse_expression(text, dialect=Dialect.EMS) == parse_expression(text)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", 1, "empty keyword expression"),
        ("a\nb", 2, "control character U+000A"),
        ("(ab", 1, "unbalanced parenthesis"),
        ("a(b(c)", 2, "unbalanced parenthesis"),
        ("ab)", 3, "unbalanced parenthesis"),
        ("[ab", 1, "unbalanced bracket"),
        ("x[^", 2, "unbalanced bracket"),
        ("[]", 1, "unbalanced bracket"),
        ('a"bc', 2, "unclosed double quote"),
        ("{DIGIT}", 1, "unknown shorthand {DIGIT}"),
        ("ab{d}", 3, "unknown shorthand {d}"),
        ("a{2,3}", 2, "unknown shorthand {2,3}"),
        ("a{", 2, "does not start a shorthand"),
        ("[[:letter:]]", 2, "unknown POSIX class [:letter:]"),
        ("[[:alpha]", 2, "POSIX class"),
        ("*a", 1, "nothing to repeat"),
        ("a|+b", 3, "nothing to repeat"),
        ("(?a)", 2, "nothing to repeat"),
        ("a**", 3, "cannot follow another quantifier"),
        ("a+?", 3, "cannot follow another quantifier"),
        ("^*", 2, "nothing to repeat"),
        ("ab\\", 3, "trailing backslash"),
        ("a\\q", 2, "unknown escape \\q"),
        ("\\B", 1, "unknown escape \\B"),
        ("\\8", 1, "unknown escape \\8"),
        ("\\x4g", 1, "\\x must be followed by two hexadecimal digits"),
        ('"a\\qb"', 3, "unknown escape \\q inside double quotes"),
        ("[z-a]", 2, "invalid range z-a"),
        ("luck\\bluck", 5, "\\b in the middle"),
        ("(\\bluck)", 2, "\\b in the middle"),
        ("a(b)\\b(c)", 5, "\\b in the middle"),
        ("\\b\\b", 3, "\\b in the middle"),
        ("a|", 2, "empty alternative"),
        ("|a", 1, "empty alternative"),
        ("a||b", 3, "empty alternative"),
        ("()", 2, "empty group"),
        ("(a|)", 4, "empty alternative"),
        ("\\()", 3, "unbalanced parenthesis"),
        ("\\\\()", 4, "empty group"),
        ("a\\***", 5, "cannot follow another quantifier"),
        ("a .AND. ", 3, "an operand must follow .AND."),
        (".NOT. ", 1, "an operand must follow .NOT."),
        (".WILD. ", 1, "an operand must follow .WILD."),
        ("(a .AND. b)", 4, ".AND. inside a group"),
    ],
)
def test_malformed_expressions(text: str, column: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    err = info.value
    assert err.code == "ISC1012"
    assert message in err.message
    assert (err.file, err.line, err.column) == ("Policy.xml", 7, column)


def test_error_columns_are_shifted_by_the_span() -> None:
    with pytest.raises(ParseError) as info:
        parse_expression("ab{DIGIT}", SPAN_AT_12)
    assert (info.value.line, info.value.column) == (7, 14)
    with pytest.raises(ParseError) as info:
        parse_expression("x\\by")  # no span given: a placeholder file, line 1
    assert (info.value.line, info.value.column) == (1, 2)


def test_nesting_is_limited() -> None:
    deep = "(" * (MAX_GROUP_DEPTH + 1) + "a" + ")" * (MAX_GROUP_DEPTH + 1)
    with pytest.raises(ParseError, match="nested"):
        parse(deep)
    ok = "(" * MAX_GROUP_DEPTH + "a" + ")" * MAX_GROUP_DEPTH
    assert compile_expression(parse(ok), True)("a")


def test_not_chains_are_limited() -> None:
    text = ".NOT. " * (MAX_GROUP_DEPTH + 1) + "a"
    with pytest.raises(ParseError, match=r"\.NOT\. operators") as info:
        parse(text)
    assert info.value.column == MAX_GROUP_DEPTH * 6 + 1
    node = parse(".NOT. " * MAX_GROUP_DEPTH + "a")
    assert compile_expression(node, True)("a") is True  # an even number of negations
    assert compile_expression(node, True)("b") is False
    assert parse(to_text(node)) == node


# ---------------------------------------------------------------- printing


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (Char("\x01", "o"), "\\001"),
        (Concat((Char("\x01", "o"), Char("2"))), "\\0012"),  # no digit is swallowed
        (Char("J", "x"), "\\x4a"),
        (Quoted('a"b\\c\n'), '"a\\"b\\\\c\\n"'),
        (Bracket((Char("a"), Char("-"), Char("z"))), "[a\\-z]"),  # not a range
        (Bracket((Char("^"), Char("a"))), "[\\^a]"),  # not a negation
        (Bracket((Char("a"), Char("]"))), "[a\\]]"),
        (Repeat(Repeat(Char("a"), 1, None), 0, None), "(a+)*"),
        (Repeat(Char("a"), 2, 3), "aaa?"),
        (Repeat(Char("a"), 2, None), "aa+"),
        (Concat((Char("a"), Alternation((Char("b"), Char("c"))))), "a(b|c)"),
        (And((Concat((Char("a"), Char(" "))), Char("b"))), "a\\  .AND. b"),
        (Or((Char("a"), Concat((Char(" "), Char("b"))))), "a .OR. \\ b"),
        (Concat((AnyChar(), *chars("NOT"), AnyChar(), Char(" "), Char("x"))), ".NOT.\\ x"),
    ],
)
def test_printing_keeps_the_meaning_of_hand_built_asts(node: Node, text: str) -> None:
    assert to_text(node) == text
    reparsed = parse(text)
    for sample in ("a", "b", "aaa", "a b", "J", "-", "^", "]", "\x012", 'a"b\\c\n', ".NOT. x"):
        assert compile_expression(reparsed, True)(sample) == compile_expression(node, True)(
            sample
        )


def test_logical_shapes_the_syntax_cannot_group_are_normalised() -> None:
    a, b, c = Char("a"), Char("b"), Char("c")
    assert to_text(Not(And((a, b)))) == ".NOT. a .OR. .NOT. b"
    assert to_text(Not(Or((a, b)))) == ".NOT. a .AND. .NOT. b"
    assert to_text(And((a, Or((b, c))))) == "a .AND. b .OR. a .AND. c"
    assert to_text(Reg(And((a, Wild("x*"))))) == ".REG. a .AND. .WILD. x*"
    for node in (Not(And((a, b))), Not(Or((a, b))), And((a, Or((b, c))))):
        reparsed = parse(to_text(node))
        for sample in ("", "a", "b", "c", "ab", "ac", "bc", "abc"):
            assert compile_expression(reparsed, True)(sample) == compile_expression(
                node, True
            )(sample)


def test_unprintable_asts_raise_value_error() -> None:
    with pytest.raises(ValueError):
        to_text(Concat((Char("a"), WB, Char("b"))))
    with pytest.raises(ValueError):
        to_text(Group(And((Char("a"), Char("b")))))


@given(expressions())
def test_printing_then_parsing_is_the_identity(node: Node) -> None:
    assert parse(to_text(node)) == node


# ---------------------------------------------------------------- the EmS form


@pytest.mark.parametrize(
    ("imsva", "ems"),
    [
        ("keyword", "keyword"),
        ("社外秘", "社外秘"),
        ("\\x41\\102", "AB"),
        ("\\x2e", "\\."),
        ("\\-\\@\\/", "-@/"),  # escapes of non-metacharacters are dropped
        ("]}", "\\]\\}"),  # the documented metacharacters are always escaped
        ("\\t", "\t"),
        ("a\\tb", "a\tb"),
        ("\\n\\r", "{LF}{CR}"),
        ("\\r\\n+", "{CR}{LF}+"),
        ("[a\\n]", "([a]|{LF})"),
        ("[\\n]", "{LF}"),
        ("[^a\\n]", "[^a]"),  # negated sets never match a newline anyway
        ("[^\\n]", "."),
        ("[a\\-z]", "[az-]"),
        ("[\\x5d\\x5e]", "[\\]\\^]"),
        ('"{D}"', '"{D}"'),
        ('"a\\\\b"', '"a"\\\\"b"'),
        ('"a\\"b"', '"a"["]"b"'),
        ('"a\\nb"+', '("a"{LF}"b")+'),
        ('\\"', '["]'),
        ("\\bluck\\b", "(^|\\W)luck(\\W|$)"),
        ("\\bfoo|bar", "(^|\\W)(foo|bar)"),
        ("a\\b .AND. .NOT. \\bb", "a(\\W|$) .AND. .NOT. (^|\\W)b"),
        ("\\x20a .AND. b", " a .AND. b"),  # a leading blank of the whole text stays
        ("b .AND. \\x20a\\x20", "b .AND. [ ]a "),  # one after an operator would be eaten
        (".WILD. *.exe .OR. .REG. a+", ".WILD. *.exe .OR. .REG. a+"),
        ("{SP}[[:alpha:]]\\s", "{SP}[[:alpha:]]\\s"),
    ],
)
def test_ems_rewrites_to_documented_forms(imsva: str, ems: str) -> None:
    node = parse(imsva)
    assert ems_form(node) == (ems, ())
    assert to_text(node, Dialect.EMS) == ems
    back = parse_expression(ems, dialect=Dialect.EMS)
    for cs in (True, False):
        for sample in ("keyword", "AB", "a\tb", "\n\r", "\r\n\n", "x\ny", "az-", "a]^",
                       "{D}", 'a"b', "a\\b", "a\nb", " luck.", "luck_", "foo", "xbar",
                       "a b", " a", "b", ".exe", "aa", "@A", ".", "]}", "-@/", "社外秘"):
            assert compile_expression(back, cs)(sample) == compile_expression(node, cs)(sample)


@pytest.mark.parametrize(
    ("imsva", "problem"),
    [
        ("\\a", "U+0007"),
        ("\\f", "U+000C"),
        ("\\v", "U+000B"),
        ("\\b", "U+0008"),
        ("\\x01", "U+0001"),
        ("\\177", "U+007F"),
        ("[\\f ]", "U+000C"),
        ("[^\\r]", "U+000D"),
        ("[\\x00-\\x1f]", "range with a control character"),
        ('"a\\fb"', "U+000C"),
    ],
)
def test_ems_reports_what_it_cannot_spell(imsva: str, problem: str) -> None:
    _text, problems = ems_form(parse(imsva))
    assert len(problems) == 1
    assert problem in problems[0]
    assert problems[0].endswith(".")


def test_ems_problems_are_listed_once() -> None:
    _text, problems = ems_form(parse("\\a\\a .AND. \\a"))
    assert len(problems) == 1


_UNDOCUMENTED_ESCAPES = re.compile(r"\\[0-7xafnrtvb]")


@given(expressions())
def test_exact_ems_forms_use_only_documented_syntax(node: Node) -> None:
    text, problems = ems_form(node)
    assume(not problems)
    back = parse_expression(text, dialect=Dialect.EMS)
    for leaf in _leaves(back):
        if isinstance(leaf, Char):
            assert leaf.escape in ("", "\\")
            if leaf.escape == "\\":
                assert leaf.char in EMS_METACHARACTERS
        assert leaf != WB
    assert not _UNDOCUMENTED_ESCAPES.search(text.replace("\\\\", ""))


def _leaves(node: Node) -> list[object]:
    out: list[object] = [node]
    if isinstance(node, Concat):
        for item in node.items:
            out.extend(_leaves(item))
    elif isinstance(node, Alternation):
        for option in node.options:
            out.extend(_leaves(option))
    elif isinstance(node, Repeat | Group | Reg):
        out.extend(_leaves(node.node))
    elif isinstance(node, And | Or):
        for operand in node.operands:
            out.extend(_leaves(operand))
    elif isinstance(node, Not):
        out.extend(_leaves(node.operand))
    elif isinstance(node, Bracket):
        for item in node.items:
            out.append(item)
            if isinstance(item, Range):
                out.extend((item.first, item.last))
    return out


@given(expressions(), st.data(), st.booleans())
def test_exact_ems_forms_match_what_the_imsva_expression_matches(
    node: Node, data: st.DataObject, case_sensitive: bool
) -> None:
    text, problems = ems_form(node)
    assume(not problems)
    ems_node = parse_expression(text, dialect=Dialect.EMS)
    imsva = compile_expression(node, case_sensitive)
    ems = compile_expression(ems_node, case_sensitive)
    for _ in range(3):
        sample = data.draw(texts_for(node))
        assert ems(sample) == imsva(sample), (to_text(node), text, sample)


# ---------------------------------------------------------------- garbage


_GARBAGE = st.text(
    st.sampled_from(list("\\[](){}^$.*+?|\"-:ab AND OR NOT WILD REG .社\t\n")), max_size=24
)


@given(st.one_of(st.text(max_size=24), _GARBAGE))
def test_garbage_raises_only_isc_errors(text: str) -> None:
    try:
        node = parse(text)
    except IscError as err:
        assert err.code == "ISC1012"
        assert err.column is not None and 1 <= err.column <= len(text) + 1
    else:
        assert parse(to_text(node)) == node
        compile_expression(node, False)("probe text")
