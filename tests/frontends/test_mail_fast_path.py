"""The mail front-end's fast paths (issue 10, step 3): addresses and domains read with one
precompiled ``re`` pattern, plain literal keyword expressions built without Lark, other
expressions parsed by Lark without a parse tree and remembered per rule set; Lark stays the
definition of both syntaxes and gives every diagnostic.

Every property parses the same text twice, with the fast paths on and with
:func:`isc.frontends._grammar.lark_only`, and asks for the same IR *and the same spans*
(spans are left out of IR equality, so they are compared field by field) or the same
diagnostic (code, severity, message, file, line, column, notes). Generated inputs include
texts the fast paths must refuse and texts with errors.
"""

from __future__ import annotations

import functools
import itertools
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import fastpaths
import isc
from fastpaths import deep, joined, load_both, same_on_both_paths
from isc.diagnostics import Span
from isc.errors import IscError
from isc.frontends import _grammar, keywords, mail_addresses
from isc.frontends._grammar import lark_only
from isc.frontends.keywords import (
    MAX_EXPRESSION_LENGTH,
    MAX_GROUP_DEPTH,
    parse_expression,
    remembering,
)
from isc.frontends.mail_addresses import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_WILDCARDS,
    looks_like_address_or_domain,
    parse_address,
    parse_domain,
)
from isc.frontends.mail_unparse import unparse_mail
from isc.ir.keyword_expr import Char, Concat, Dialect, to_text
from strategies_keywords import expressions as keyword_asts
from strategies_mail import mail_policies

ROOT = Path(__file__).resolve().parents[2]
KAEDE = ROOT / "examples" / "imsva-kaede" / "export"
MANY = settings(max_examples=400, deadline=None)


# ---------------------------------------------------------------- comparing both paths


SPANS = st.builds(Span, st.sampled_from(["Policy.xml", "lists/送信者.txt"]),
                  st.integers(1, 99_999), st.integers(1, 40))

#: Characters that matter to one of the grammars: separators, wildcards, blanks of every
#: kind (Unicode ones included: ``\\s`` is Unicode in Lark's ``re``), control characters,
#: metacharacters, non-ASCII letters and dots, and the letters whose case mapping is odd
#: (``İ`` lower-cases to two characters; ``ſ``, the Kelvin sign and ``ı`` fold to ASCII
#: under ``re.IGNORECASE``).
NASTY = st.sampled_from([
    " ", "\t", "\u3000", "\xa0", "\x0b", "\x00", "\x1f", "\x7f", "\x85", "\x9f", "\r", "\n",
    "\u2028", "@", "*", ".", "..", "*.", ".*", "@*", "-", "_", "+", "'", '"', "\\", "|", "(",
    ")", "[", "]", "{", "}", "{D}", "^", "$", "?", "\\b", ".AND.", " .AND. ", " .OR. ",
    ".NOT. ", ".WILD. ", ".REG. ", "é", "例", "。", "Ａ", "0", "a", "Z", "\U0001f600",
    "\u017f", "\u212a", "\u0130", "\u0131", "\u03a3", "ß",
])


mutated = functools.partial(fastpaths.mutated, nasty=NASTY)


def test_the_fast_path_is_on_by_default() -> None:
    assert _grammar.FAST_PATH


# ---------------------------------------------------------------- addresses (mail.md §5.10)

LOCALS = st.one_of(
    st.sampled_from(["*", "ceo", "CEO", "taro.yamada", "info+tag", "o'neil", "社員", "a",
                     "noreply-5ee2", "İstanbul", "\u212aelvin", "\u017fales", "ΣΑΣ", "!#%",
                     "a.b.", ".x", "x*", "*x", "", " ", "\"q q\"", "a@b"]),
    st.from_regex(r"[A-Za-z0-9._+-]{1,12}", fullmatch=True),
)
LABELS = st.one_of(
    st.sampled_from(["example", "Example", "CO", "jp", "例え", "ＥＸＡＭＰＬＥ", "xn--r8jz45g",
                     "İ", "\u212a", "\u017f", "ΣΣ", "-", "_", "a-b", "123", "ß"]),
    st.from_regex(r"[A-Za-z0-9-]{1,10}", fullmatch=True),
)
DOMAINS = st.one_of(
    st.lists(LABELS, min_size=1, max_size=4).map(".".join),
    st.lists(LABELS, min_size=1, max_size=3).map(lambda ls: "*." + ".".join(ls)),
    st.sampled_from(["*", "", "*.", ".", "example..com", "example.com.", ".example.com",
                     "example.*", "example.*.com", "*example.com", "**", "*.*.com",
                     "ex ample.com", "exa\tmple.com"]),
)
BLANKS = st.sampled_from(["", "", "", " ", "\t", "  ", "\u3000", "\xa0", "\x85", "\n", "\r\n"])


@st.composite
def address_texts(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 5:
        entry = draw(LOCALS) + "@" + draw(DOMAINS)
    elif kind == 6:
        entry = draw(st.sampled_from(["*", "*@*", "@", "@example.com", "name", "a@b@c",
                                      "name@", "*@*@*", "name@*.", "x@y.z"]))
    elif kind == 7:  # around the length limit
        n = draw(st.sampled_from([MAX_PATTERN_LENGTH - 1, MAX_PATTERN_LENGTH,
                                  MAX_PATTERN_LENGTH + 1]))
        entry = draw(st.sampled_from(["a" * (n - 12) + "@example.com",
                                      "*@*." + "b" * (n - 4), "c" * n]))
    elif kind == 8:  # around the wildcard limit
        n = draw(st.integers(MAX_PATTERN_WILDCARDS - 1, MAX_PATTERN_WILDCARDS + 1))
        entry = draw(st.sampled_from(["*a", "*@", "*."])) * n
    else:
        entry = draw(joined(NASTY, 10))
    return draw(BLANKS) + entry + draw(BLANKS)


@MANY
@given(mutated(address_texts()), SPANS, st.booleans(), st.booleans())
def test_addresses_same_on_both_paths(text: str, span: Span, sender_list: bool,
                                      wildcards: bool) -> None:
    kind = same_on_both_paths(parse_address, text, span, sender_list=sender_list,
                              wildcards=wildcards)[0]
    event(kind)
    event("fast" if mail_addresses._FAST_ADDRESS.fullmatch(text.strip()) else "lark")


@MANY
@given(mutated(st.one_of(DOMAINS, address_texts())), SPANS, st.booleans())
def test_domains_same_on_both_paths(text: str, span: Span, wildcard: bool) -> None:
    event(same_on_both_paths(parse_domain, text, span, wildcard=wildcard)[0])
    event("fast" if mail_addresses._FAST_DOMAIN.fullmatch(text.strip()) else "lark")


@MANY
@given(mutated(st.one_of(DOMAINS, address_texts())))
def test_list_recognition_same_on_both_paths(text: str) -> None:
    fast = looks_like_address_or_domain(text)
    with lark_only():
        assert looks_like_address_or_domain(text) == fast


ADDRESS_FORMS = [
    "user@domain.tld", "User.Name@Example.CO.JP", "*@domain.tld", "*@*.domain.tld",
    "*@*.tld", "name@*", "name@*.tld", "*@*", "社員@例え.jp", "İnfo@İstanbul.example",
    "\u212aelvin@\u212a.example", "ΣΑΣ@ΟΔΟΣ.gr", "info+tag@corp.example.co.jp",
    "  padded@example.com\t", "\"quoted\"@example.com", "a.b.@x", "\x80@x.y",
]


@pytest.mark.parametrize("text", ADDRESS_FORMS)
def test_every_valid_address_form_takes_the_fast_path(text: str,
                                                      lark_calls: dict[str, int]) -> None:
    """Each form the grammar accepts (bar the bare ``*``), read without Lark, gives what
    Lark gives."""
    fast = parse_address(text, Span("f", 1, 1))
    assert lark_calls == {}
    with lark_only():
        assert parse_address(text, Span("f", 1, 1)) == fast
    assert lark_calls == {"mail_address:address": 1}


@pytest.mark.parametrize(("text", "sender_list", "wildcards"), [
    ("*", False, True), ("*", True, True), ("*@*", True, True), ("*@x.com", False, False),
    ("name@domain.*", False, True), ("*name@x.com", False, True), ("a@b@c", False, True),
    ("a b@x.com", False, True), ("x@", False, True), ("a" * 400 + "@x.com", False, True),
    ("*a" * 9, False, True), ("", False, True), ("a\x01@x.com", False, True),
])
def test_what_the_address_fast_path_leaves_to_lark(text: str, sender_list: bool,
                                                   wildcards: bool,
                                                   lark_calls: dict[str, int]) -> None:
    same_on_both_paths(parse_address, text, Span("f", 3, 5), sender_list=sender_list,
                       wildcards=wildcards)
    limited = len(text) > MAX_PATTERN_LENGTH or text.count("*") > MAX_PATTERN_WILDCARDS
    assert lark_calls.get("mail_address:address", 0) == (0 if limited or not text else 2)


# ---------------------------------------------------------------- keyword expressions

#: The expression forms of benchmarks/generate.py and of the example export.
GENERATED_FORMS = st.sampled_from([
    "社外秘", "部外秘口座", "PRJ-00061", "confidential", " blank at the ends ", "tab\there",
    "(電話番号|人事評価)を?振込", "案件(の)?お知らせ(を|が)?(お知らせ|ご連絡|送付)",
    "案件番号[:：]?{D}{D}{D}{D}-0060", "\\bconfidential\\b", "\\bpayment{WSP}invoice\\b",
    "[Pp]assword{WSP}(only|use|copy)", "{D}{D}{D}{D}[- ]?{D}{D}{D}{D}[- ]?{D}{D}{D}{D}",
    "@vertex-38\\.(com|net|biz)\\b", "draft[[:digit:]]+", "〒?{D}{D}{D}-{D}{D}{D}{D}口座",
    "payment .AND. merger", "アカウント .AND. .NOT. 至急", ".WILD. *customer-35f*.exe",
    '"proprietary.95" .OR. 重要', "\\b", "a]b", "a}b", "{d}", "{NOPE}", "[z-a]", "[[:nope:]]",
    "a**", "(a", "a)", "()", "a|", "|a", '"open', "\\q", "\\x4", "a\\", ".AND. a",
    "a .AND.", "a\\bb", ".NOT. .NOT. a", ".REG. a+", "a\x01b", "", " ", "\t",
])
PLAIN = st.text(st.sampled_from([*"abcXYZ019-_:;/@#%&=~'<>,!", " ", "\t", "\u3000", *"社外秘",
                                 *"あア漢ーéßÄ", "\u017f", "\u212a", "\u0130", "\u0131",
                                 "\U0001f600", "\xa0", "\u2028"]),
                min_size=1, max_size=20)
VALID = keyword_asts().map(to_text)


@st.composite
def expression_texts(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 2:
        return draw(PLAIN)
    if kind <= 5:
        return draw(VALID)
    if kind <= 7:
        return draw(GENERATED_FORMS)
    if kind == 8:  # around the length limit, and nesting around the tree-less bound
        return draw(st.sampled_from([
            "a" * MAX_EXPRESSION_LENGTH, "a" * (MAX_EXPRESSION_LENGTH + 1),
            "(" * 17 + "a" + ")" * 17, "(" * 16 + "a" + ")" * 16,
            "(" * MAX_GROUP_DEPTH + "a" + ")" * MAX_GROUP_DEPTH,
            "(" * (MAX_GROUP_DEPTH + 1) + "a" + ")" * (MAX_GROUP_DEPTH + 1),
            ".NOT. " * 17 + "a", ".NOT. " * (MAX_GROUP_DEPTH + 1) + "a",
        ]))
    return draw(joined(NASTY, 10))


@MANY
@given(mutated(expression_texts()), SPANS, st.sampled_from(Dialect))
def test_expressions_same_on_both_paths(text: str, span: Span, dialect: Dialect) -> None:
    event(same_on_both_paths(parse_expression, text, span, dialect=dialect)[0])
    event("literal" if keywords._PLAIN_LITERAL.fullmatch(text) else "lark")


@MANY
@given(st.lists(st.tuples(mutated(expression_texts()), SPANS), min_size=1, max_size=8),
       st.sampled_from(Dialect))
def test_remembered_expressions_same_on_both_paths(texts: list[tuple[str, Span]],
                                                   dialect: Dialect) -> None:
    """Within :func:`remembering`, every text read twice (at two places): an error is at
    the place it is read from each time, as Lark says."""
    with remembering():
        for text, span in texts + [(t, Span("again.txt", 7, 3)) for t, _ in texts]:
            same_on_both_paths(parse_expression, text, span, dialect=dialect)


@pytest.mark.parametrize("text", ["社外秘", "a", " ", "PRJ-00061", "a b\tc", "İ\u212a\u017f",
                                  "ß", "\U0001f600", "x" * MAX_EXPRESSION_LENGTH])
def test_plain_literals_are_built_without_lark(text: str, lark_calls: dict[str, int]) -> None:
    node = parse_expression(text, Span("f", 1, 1))
    assert node == (Char(text) if len(text) == 1 else Concat(tuple(map(Char, text))))
    assert lark_calls == {}
    with lark_only():
        assert parse_expression(text, Span("f", 1, 1)) == node
    assert lark_calls == {"keyword_expr:expression": 1}


@pytest.mark.parametrize("text", ["a.b", "a]", "a}", "{D}", "a\\.b", '"a"', "a|b", "a*",
                                  "a .AND. b", "\\bword\\b", "a\x01"])
def test_what_is_not_a_plain_literal(text: str) -> None:
    assert keywords._PLAIN_LITERAL.fullmatch(text) is None
    same_on_both_paths(parse_expression, text, Span("f", 2, 9))


def test_a_remembered_expression_is_one_node_and_errors_are_not_remembered() -> None:
    with remembering():
        first = parse_expression("(a|b)c", Span("f", 1, 1))
        assert parse_expression("(a|b)c", Span("g", 9, 9)) is first
        for line in (1, 2):
            with pytest.raises(IscError) as caught:
                parse_expression("(a|b", Span("f", line, 4))
            assert (caught.value.line, caught.value.column) == (line, 4)
    assert parse_expression("(a|b)c", Span("f", 1, 1)) is not first  # forgotten


# ---------------------------------------------------------------- whole mail exports


def loads_both(text: str) -> Any:
    def loads() -> Any:
        try:
            export = isc.loads(text, filename="Policy.xml")
        except IscError as exc:
            export = getattr(exc, "export", None)
            assert export is not None, exc
        return deep((export.mail, export.diagnostics))

    fast = loads()
    with lark_only():
        assert loads() == fast
    return fast


def test_the_kaede_example_same_on_both_paths() -> None:
    _web, mail, _diagnostics = load_both(str(KAEDE))
    assert mail is not None


@pytest.fixture(scope="module")
def mail_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny mail preset of benchmarks/README.md."""
    out = tmp_path_factory.mktemp("mail")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(out),
                    "--product", "mail", "--rules", "10", "--addresses", "200",
                    "--expressions", "50", "--senders", "40", "--seed", "1"],
                   check=True, capture_output=True)
    return out


def test_a_generated_mail_export_same_on_both_paths(mail_export: Path) -> None:
    _web, mail, _diagnostics = load_both(str(mail_export))
    assert mail is not None


def _break_lines(path: Path, every: int, bad: list[str]) -> None:
    """Every ``every``-th entry of a list file replaced by a bad one (CRLF line ends)."""
    data = path.read_bytes()
    encoding = "utf-8"
    try:
        lines = data.decode(encoding).split("\n")
    except UnicodeDecodeError:
        encoding = "cp932"
        lines = data.decode(encoding).split("\n")
    for i in range(1, len(lines), every):
        if lines[i].strip() and not lines[i].lstrip().startswith("#"):
            lines[i] = bad[i % len(bad)]
    path.write_bytes("\r\n".join(lines).encode(encoding, "replace"))


BAD_ADDRESSES = ["name@domain.*", "*name@x.com", "a b@x.com", "x@", "@x", "*@*", "*",
                 "a@b@c", "name@x.*.com", "a\x7f@x"]
BAD_EXPRESSIONS = ["(a", "a)", "{NOPE}", "[z-a]", "a**", "\\q", "a .AND.", "a\\bb", '"open',
                   "[[:nope:]]", "|a"]


def test_a_broken_mail_export_same_on_both_paths(mail_export: Path, tmp_path: Path) -> None:
    """Errors in addresses, senders, domains and expressions, among valid ones, in list
    files and in the XML: the same diagnostics at the same places."""
    broken = tmp_path / "broken"
    shutil.copytree(mail_export, broken)
    for path in sorted((broken / "lists").iterdir()):
        bad = BAD_EXPRESSIONS if path.name.startswith("keywords") else BAD_ADDRESSES
        _break_lines(path, 5, bad)
    policy = broken / "Policy.xml"
    text = policy.read_text(encoding="utf-8")
    count = itertools.count()

    def spoil(found: re.Match[str]) -> str:
        """Every third element of a kind: a bad address, domain or expression."""
        tag, rest = found.group(1), found.group(2)
        n = next(count)
        if n % 3:
            return found.group()
        bad = BAD_EXPRESSIONS if tag == "expression" else BAD_ADDRESSES
        return f"<{tag}{rest}{escape(bad[n % len(bad)])}</{tag}>"

    text = re.sub(r"<(address|domain|expression)\b([^>]*>)[^<]*</\1>", spoil, text)
    policy.write_text(text, encoding="utf-8")
    _web, _mail, diagnostics = load_both(str(broken))
    codes = {d[1][0][1] for d in diagnostics}
    assert {"ISC1011", "ISC1012"} <= codes
    assert len(diagnostics) > 20


#: Where a rule set holds an address, a domain or an expression: element text, or the value
#: of an address attribute (group 2 in both).
_VALUES = re.compile(r"<(address|domain|expression|bcc)\b[^>]*(?<!/)>([^<]*)<"
                     r"|\b(sender|recipient|to)=\"([^\"]*)\"")


def _xml_safe(text: str) -> str:
    return "".join(c for c in text if c in "\t\n" or (
        c >= " " and not 0xD800 <= ord(c) <= 0xDFFF and c not in "\ufffe\uffff"))


@st.composite
def policy_documents(draw: st.DrawFn) -> str:
    """A rule set written from a generated policy, with some of its addresses, domains and
    expressions replaced by generated texts (valid or not)."""
    text = unparse_mail(draw(mail_policies()))
    found = list(_VALUES.finditer(text))
    if not found:
        return text
    chosen = draw(st.lists(st.sampled_from(found), max_size=5, unique_by=lambda m: m.start()))
    for match in sorted(chosen, key=lambda m: m.start(), reverse=True):
        group = 2 if match.group(1) else 4
        kind = match.group(1) or match.group(3)
        value = _xml_safe(draw(mutated(
            expression_texts() if kind == "expression" else address_texts())))
        written = escape(value) if group == 2 else escape(value, {'"': "&quot;"})
        text = text[:match.start(group)] + written + text[match.end(group):]
    return text


@settings(max_examples=100, deadline=None)
@given(policy_documents())
def test_generated_rule_sets_same_on_both_paths(text: str) -> None:
    mail, diagnostics = loads_both(text)
    event("errors" if diagnostics else "clean")
    assert mail is not None or diagnostics


# ---------------------------------------------------------------- Lark is left for errors


@pytest.fixture
def lark_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How many texts each grammar's Lark tree parser was given."""
    yield fastpaths.count_lark_calls(monkeypatch, (mail_addresses, keywords))


def test_a_generated_mail_export_needs_no_lark_tree(mail_export: Path,
                                                    lark_calls: dict[str, int]) -> None:
    """No address, domain or expression of a generated export reaches Lark's tree parser:
    addresses and literals take the fast path, other expressions the tree-less parse."""
    isc.load(str(mail_export))
    fast = dict(lark_calls)
    lark_calls.clear()
    with lark_only():
        isc.load(str(mail_export))
    assert lark_calls["mail_address:address"] >= 200
    assert lark_calls["keyword_expr:expression"] >= 40
    assert fast == {}, (fast, lark_calls)


def test_expressions_read_ahead_on_two_cores_as_in_their_turn(
        mail_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        split_parts: list[int]) -> None:
    """A rule set's keyword expressions are read ahead, together, on both cores
    (``keywords.read_ahead``); each is then found read in its turn. The rule set and its
    diagnostics are those of one process and of Lark alone, bad expressions included: one
    that does not read is read again in its turn and reported where it is."""
    export = tmp_path / "export"
    shutil.copytree(mail_export, export)
    policy = export / "Policy.xml"
    text = policy.read_text(encoding="utf-8")
    bad = iter(itertools.cycle(["(a|b", "a .AND.", "[z-a]", "x{3,2}"]))
    count = itertools.count()
    text = re.sub(r"(<expression[^>]*>)([^<]*)(</expression>)",
                  lambda m: m[1] + (next(bad) if next(count) % 4 == 0 else m[2]) + m[3],
                  text)
    policy.write_text(text, encoding="utf-8")
    monkeypatch.setattr(keywords, "_MIN_AHEAD", 2)

    def load() -> Any:
        with pytest.raises(IscError) as caught:  # the bad expressions are errors
            isc.load(export)
        loaded = getattr(caught.value, "export", None)
        assert loaded is not None
        return deep((loaded.mail, loaded.diagnostics))

    monkeypatch.setenv("ISC_JOBS", "2")
    two = load()
    assert split_parts == [2]  # read ahead in two halves, the second in a child
    monkeypatch.setenv("ISC_JOBS", "1")
    one = load()
    with lark_only():
        alone = load()
    assert two == one == alone
    assert "ISC1012" in repr(two)
