"""Keyword expressions → :mod:`isc.ir.keyword_expr` AST (spec formats.md §5; research
imsva.md §2.1, targets.md §2.6).

Grammar: ``grammars/keyword_expr.lark`` (its header documents the syntax decisions: the
dotted operators need blanks around them, .NOT. > .AND. > .OR., `\\b` only at the ends).
Both dialects are read by the same grammar (EmS keeps the eManager syntax and adds nothing
the IMSVA reading lacks); ``dialect`` is accepted so callers say what they hold. Errors are
:class:`~isc.errors.ParseError` ``ISC1012`` at the column of the offending character. No
Lark object leaves this module.

Before the parse, an expression over the size limits below is refused (``ISC4005``), so
that a huge text never reaches Lark (whose tree costs about 2 KB per character); after it,
every operand is compiled for RE2, the linear-time engine the models search with, and one
RE2 cannot run is refused (``ISC4006``) instead of being run by a backtracking engine.

Fast path (see :data:`isc.frontends._grammar.FAST_PATH`). A plain literal (no
metacharacter, hence no operator, escape, shorthand or quote) is a :class:`Char` per
character, built without Lark. Any other expression is parsed by Lark, first without
building a parse tree (the transformer runs as the parser reduces); if that raises anything
at all, the expression is parsed again the usual way, which gives the diagnostic at its
exact position. Within :func:`remembering` (one rule set), the AST of an expression read
without error is remembered by its text, since it depends on the text alone (the span only
places errors): keyword lists repeat expressions, and the same text again costs a look-up.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import cast

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, v_args
from lark.exceptions import VisitError

from isc import workers
from isc.diagnostics import Span
from isc.errors import IscError, LimitError, ParseError
from isc.frontends import _grammar
from isc.frontends._grammar import grammar_text, locate, parser, shift
from isc.ir.keyword_expr import (
    POSIX_CLASSES,
    Alternation,
    Anchor,
    AnchorNode,
    And,
    AnyChar,
    Bracket,
    BracketItem,
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
    is_logical,
)
from isc.ir.keyword_re2 import Unrunnable, compile_search, operand_pattern, wildcard_pattern

__all__ = ["MAX_EXPRESSION_LENGTH", "MAX_OPERANDS", "MAX_REPEATS", "parse_expression",
           "read_ahead", "remembering"]

#: Longest expression text read: real keywords are a few dozen characters, and a 4 KB text
#: costs Lark about 8 MB and a few tens of milliseconds.
MAX_EXPRESSION_LENGTH = 4096
#: Most operands joined by .AND. / .OR. in one expression: each is a search of every text.
MAX_OPERANDS = 256
#: Most quantifiers (``* + ?``), shorthand (``{D}``) and .WILD. wildcards in one expression:
#: each adds states to the RE2 program and text to every probe message generated from it.
MAX_REPEATS = 1000
_LIMIT_CODE = "ISC4005"
_ENGINE_CODE = "ISC4006"
_DOTTED_JOIN = re.compile(r"\.(?:AND|OR)\.")

_CODE = "ISC1012"
_DEFAULT_SPAN = Span("<keyword expression>", 1, 1)
#: Deeper nesting of parentheses (or more .NOT.s) is refused: the AST and the compiled
#: regex are recursive.
MAX_GROUP_DEPTH = 64
_CONTROL = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_QUANTIFIERS = {"*": (0, None), "+": (1, None), "?": (0, 1)}
#: One character inside brackets or quotes, bare or escaped (as in the grammar's B_RANGE).
_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|[0-3][0-7]{0,2}|[4-7][0-7]?|[abfnrtv]|[^0-9A-Za-z])")
_RANGE_END = re.compile(_ESCAPE.pattern + r"|[^\\]")
_OPERATOR_NAMES = {"AND_OP": ".AND.", "OR_OP": ".OR."}
_NOT_OPERATOR = re.compile(r"\.NOT\.[ \t]")


#: How much longer an EmS-dialect expression may be than an IMSVA one: the EmS form of an
#: expression spells out what EmS lacks (a POSIX class as its range, for instance).
EMS_LENGTH_FACTOR = 4


def parse_expression(text: str, span: Span | None = None, *,
                     dialect: Dialect = Dialect.IMSVA) -> Node:
    """Parse one keyword expression (IMSVA or EmS text) into its AST.

    ``span`` is the position of the first character of ``text``. Every character counts,
    blanks at either end included (they are part of what is searched for).
    """
    where = span or _DEFAULT_SPAN
    # One grammar reads both (module docstring). EmS text may be isc's own rewrite of an
    # IMSVA expression (POSIX classes spelt out), so it may be longer: isc must read back
    # what it wrote.
    factor = EMS_LENGTH_FACTOR if dialect is Dialect.EMS else 1
    if not _grammar.FAST_PATH:
        return _parse(text, where, factor)
    memo = _MEMO.get()
    if memo is None or len(text) > _MEMO_LONGEST:
        return _fast_parse(text, where, factor)
    key = (text, factor)
    known = memo.nodes.get(key)
    if known is None:
        known = _fast_parse(text, where, factor)
        if len(memo.nodes) >= _MEMO_MAX:
            memo.nodes.clear()  # a bound, not an LRU: a rule set rarely holds this many
        memo.nodes[key] = known
    return known


@contextlib.contextmanager
def remembering() -> Iterator[None]:
    """Within the block (in this thread or task), :func:`parse_expression` remembers the
    expressions it read without error, and RE2's verdict on their operands, while the fast
    path is on. The block's end forgets them."""
    token = _MEMO.set(_Memo())
    try:
        yield
    finally:
        _MEMO.reset(token)


#: Distinct expressions worth reading ahead on both cores (each costs about 0.2 ms).
_MIN_AHEAD = 500


def read_ahead(texts: Iterable[str]) -> None:
    """Within :func:`remembering`, read the distinct IMSVA expressions ``texts`` now, on
    both cores when there are many (:func:`isc.workers.split`), so that
    :func:`parse_expression` finds each one read (a rule set's thousands of expressions).
    One that does not read, or is too long to remember, is left to
    :func:`parse_expression`, which says why and where when its turn comes."""
    memo = _MEMO.get()
    if memo is None or not _grammar.FAST_PATH:
        return
    todo = [t for t in dict.fromkeys(texts)
            if len(t) <= _MEMO_LONGEST and (t, 1) not in memo.nodes]
    del todo[max(_MEMO_MAX - len(memo.nodes), 0):]
    if len(todo) < _MIN_AHEAD:
        return
    for start, nodes in workers.split(_read_all, todo, min_split=_MIN_AHEAD):
        for text, node in zip(todo[start:], nodes, strict=False):
            if node is not None:
                memo.nodes[(text, 1)] = node


def _read_all(texts: Sequence[str]) -> list[Node | None]:
    out: list[Node | None] = []
    for text in texts:
        try:
            out.append(_fast_parse(text, _DEFAULT_SPAN, 1))
        except Exception:  # read again in its turn, which raises it where it belongs
            out.append(None)
    return out


def _parse(text: str, where: Span, factor: int) -> Node:
    """The full path: limits, Lark, the transformer, RE2; every diagnostic is raised here."""
    _limits(text, where, factor)
    _precheck(text, where)
    try:
        tree = parser("keyword_expr", "expression").parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, where) from None
    try:
        node: Node = _Expression(where).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, IscError):
            raise exc.orig_exc from None
        raise
    except RecursionError:
        raise _error("expression nested too deeply", where, 1) from None
    _runnable(node, where)
    return node


# ---------------------------------------------------------------- fast path


class _Memo:
    """What :func:`remembering` keeps. Nodes are frozen, so one node may be shared by every
    expression with that text."""

    __slots__ = ("nodes", "runnable")

    def __init__(self) -> None:
        #: Expressions read without error, by (text, length factor).
        self.nodes: dict[tuple[str, int], Node] = {}
        #: Operands RE2 compiled in both case modes (see :func:`_runnable`).
        self.runnable: set[Node] = set()


_MEMO: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar("isc_keyword_memo",
                                                                      default=None)
#: Bounds on what one :func:`remembering` block keeps: entries, and the longest text.
_MEMO_MAX = 65536
_MEMO_LONGEST = 256
#: Every character of a plain literal is the grammar's LITERAL, and nothing else can start
#: there: no metacharacter (``.`` included, so no dotted operator), no ``]`` or ``}`` (LITERAL
#: too, but left to Lark to stay clear of the bracket and shorthand terminals) and no
#: control character but the tab (those are refused before parsing).
_PLAIN_LITERAL = re.compile(r"[^\\|()\[\].^$*+?{}\"\x00-\x08\x0a-\x1f\x7f-\x9f]+")
#: Parenthesis and .NOT. nesting up to which the tree-less parse is tried. The full path
#: transforms the tree recursively and says "nested too deeply" on a RecursionError; the
#: tree-less parse has no recursion, so it is kept far below any depth that could fail.
_TREELESS_DEPTH = 16


def _fast_parse(text: str, where: Span, factor: int) -> Node:
    """What :func:`_parse` returns, or raises, for ``text``, by the quickest way."""
    if len(text) <= MAX_EXPRESSION_LENGTH * factor and _PLAIN_LITERAL.fullmatch(text):
        node: Node = Char(text) if len(text) == 1 else Concat(tuple(map(Char, text)))
        _runnable(node, where)
        return node
    if text.count("(") > _TREELESS_DEPTH or text.count(".NOT.") > _TREELESS_DEPTH:
        return _parse(text, where, factor)
    _limits(text, where, factor)
    _precheck(text, where)
    try:
        parsed: object = _treeless().parse(text)  # the transformer's result, not a tree
    except Exception:  # any failure at all: the full path says what it is
        return _parse(text, where, factor)
    node = cast(Node, parsed)
    _runnable(node, where)
    return node


@functools.cache
def _treeless() -> Lark:
    """The grammar's parser with the transformer applied as it reduces: no parse tree, and
    the transformer's methods are looked up once, not once per node. Its span is a
    placeholder: an error raised in it is never shown (see :func:`_fast_parse`)."""
    return Lark(grammar_text("keyword_expr"), parser="lalr", start="expression",
                maybe_placeholders=False, transformer=_Expression(_DEFAULT_SPAN))


# ---------------------------------------------------------------- limits (ISC4005, ISC4006)


def _limit_error(message: str, span: Span, column: int, note: str) -> LimitError:
    return LimitError(message, code=_LIMIT_CODE, span=shift(span, column), notes=(note,))


def _limits(text: str, span: Span, factor: int = 1) -> None:
    """Refuse an expression over a size limit before anything else reads it."""
    longest = MAX_EXPRESSION_LENGTH * factor
    if len(text) > longest:
        raise _limit_error(
            f"keyword expression is {len(text)} characters long; at most {longest} are read",
            span, longest + 1, "split it into several expressions of the list")
    joins = 0
    for match in _DOTTED_JOIN.finditer(text):
        start, end = match.start(), match.end()
        if start == 0 or text[start - 1] not in " \t" or end >= len(text) \
                or text[end] not in " \t":
            continue
        joins += 1
        if joins >= MAX_OPERANDS:
            blank = len(text[:start]) - len(text[:start].rstrip(" \t"))
            raise _limit_error(
                f"more than {MAX_OPERANDS} operands joined by .AND. / .OR.", span,
                start - blank + 1, "split it into several expressions of the list")
    column = _repeat_over_limit(text)
    if column is not None:
        raise _limit_error(
            f"more than {MAX_REPEATS} quantifiers, shorthand and wildcards in a keyword "
            "expression", span, column, "split it into several expressions of the list")


def _repeat_over_limit(text: str) -> int | None:
    """The column of the quantifier, shorthand or wildcard that goes over
    :data:`MAX_REPEATS` (a lexical count: escaped, bracketed and quoted characters are
    not counted)."""
    count = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            j = text.find('"', i + 1)
            while j != -1 and _is_escaped(text, j):
                j = text.find('"', j + 1)
            i = n if j == -1 else j + 1
            continue
        if c == "[":
            j = i + 1 + text.startswith("^", i + 1)
            j += text.startswith("]", j)
            while j < n and text[j] != "]":
                if text[j] == "\\":
                    j += 2
                elif text.startswith("[:", j) and ":]" in text[j + 2:j + 40]:
                    j = text.index(":]", j + 2) + 2
                else:
                    j += 1
            i = j + 1
            continue
        if c in "*+?{":
            count += 1
            if count > MAX_REPEATS:
                return i + 1
        i += 1
    return None


def _runnable(node: Node, span: Span) -> None:
    """Compile every operand for RE2 (both case modes); ``ISC4006`` if one cannot be."""
    if isinstance(node, And | Or):
        for operand in node.operands:
            _runnable(operand, span)
        return
    if isinstance(node, Not):
        _runnable(node.operand, span)
        return
    if isinstance(node, Reg):
        _runnable(node.node, span)
        return
    # an operand recurs in expressions that differ (`a .AND. b`, `a .AND. c`); building its
    # patterns costs more than hashing it
    memo = _MEMO.get() if _grammar.FAST_PATH else None
    if memo is not None and node in memo.runnable:
        return
    try:
        for case_sensitive in (True, False):
            if isinstance(node, Wild):
                compile_search(wildcard_pattern(node.pattern, case_sensitive))
            else:
                compile_search(operand_pattern(node, case_sensitive))
    except Unrunnable as exc:
        raise LimitError(f"keyword expression cannot be run in linear time: {exc}",
                         code=_ENGINE_CODE, span=shift(span, 1),
                         notes=("isc searches keyword expressions with RE2, which never "
                                "backtracks; rewrite the expression more simply",)) from None
    assert not is_logical(node) or isinstance(node, Wild)
    if memo is not None:
        if len(memo.runnable) >= _MEMO_MAX:
            memo.runnable.clear()
        memo.runnable.add(node)


def _error(message: str, span: Span, column: int, notes: tuple[str, ...] = ()) -> ParseError:
    return ParseError(message, code=_CODE, span=shift(span, column), notes=notes)


def _precheck(text: str, span: Span) -> None:
    if not text:
        raise _error("empty keyword expression", span, 1)
    for i, ch in enumerate(text):
        if ch != "\t" and unicodedata.category(ch) == "Cc":
            raise _error(
                f"control character U+{ord(ch):04X} in a keyword expression",
                span,
                i + 1,
                notes=("write it as an escape such as \\n, \\t or \\x0c",),
            )
    _unclosed, deepest = _scan(text)
    if deepest is not None:
        raise _error(f"parentheses nested more than {MAX_GROUP_DEPTH} deep", span, deepest + 1)
    nots = [m.start() for m in _NOT_OPERATOR.finditer(text)]
    if len(nots) > MAX_GROUP_DEPTH:  # each .NOT. nests the tree one level deeper
        raise _error(f"more than {MAX_GROUP_DEPTH} .NOT. operators", span,
                     nots[MAX_GROUP_DEPTH] + 1)


# ---------------------------------------------------------------- tree → AST


def _decode(escape: str) -> Char:
    """A bare character or one of the character escapes → :class:`Char`."""
    if not escape.startswith("\\"):
        return Char(escape)
    body = escape[1:]
    if body in _CONTROL:
        return Char(_CONTROL[body], "c")
    if body[0] == "x":
        return Char(chr(int(body[1:], 16)), "x")
    if body[0] in "01234567":
        return Char(chr(int(body, 8)), "o")
    return Char(body, "\\")


def _column(tok: Token) -> int:
    return tok.column or 1


def _items(node: Node) -> tuple[Node, ...]:
    return node.items if isinstance(node, Concat) else (node,)


@v_args(inline=True)
class _Expression(Transformer[Token, Node]):
    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span

    # ------------------------------------------------------------ logical level

    def expression(self, node: Node) -> Node:
        return node

    def disjunction(self, *parts: Node | Token) -> Node:
        operands = tuple(p for p in parts if not isinstance(p, Token))
        return operands[0] if len(operands) == 1 else Or(operands)

    def conjunction(self, *parts: Node | Token) -> Node:
        operands = tuple(p for p in parts if not isinstance(p, Token))
        return operands[0] if len(operands) == 1 else And(operands)

    def negation(self, _op: Token, operand: Node) -> Node:
        return Not(operand)

    def wildcard(self, _op: Token, pattern: Token) -> Node:
        return Wild(str(pattern))

    def explicit_regex(self, _op: Token, node: Node) -> Node:
        return Reg(node)

    def plain_regex(self, node: Node) -> Node:
        return node

    # ------------------------------------------------------------ one regular expression

    def unbounded(self, node: Node) -> Node:
        return node

    def bounded_left(self, _wb: Token, node: Node) -> Node:
        return Concat((AnchorNode(Anchor.WORD_BOUNDARY), *_items(node)))

    def bounded_right(self, node: Node, _wb: Token) -> Node:
        return Concat((*_items(node), AnchorNode(Anchor.WORD_BOUNDARY)))

    def bounded_both(self, _wb: Token, node: Node, _wb2: Token) -> Node:
        boundary = AnchorNode(Anchor.WORD_BOUNDARY)
        return Concat((boundary, *_items(node), boundary))

    def lone_backspace(self, _wb: Token) -> Node:
        return Char("\b", "c")  # "\b by itself is the backspace character" (imsva.md §2.1)

    def alternation(self, *parts: Node | Token) -> Node:
        options = tuple(p for p in parts if not isinstance(p, Token))
        return options[0] if len(options) == 1 else Alternation(options)

    def branch(self, *pieces: Node) -> Node:
        return pieces[0] if len(pieces) == 1 else Concat(pieces)

    def piece(self, node: Node) -> Node:
        return node

    def repeat(self, node: Node, quantifier: Token) -> Node:
        low, high = _QUANTIFIERS[str(quantifier)]
        return Repeat(node, low, high)

    def line_start(self, _tok: Token) -> Node:
        return AnchorNode(Anchor.START)

    def line_end(self, _tok: Token) -> Node:
        return AnchorNode(Anchor.END)

    def literal(self, tok: Token) -> Node:
        return Char(str(tok))

    def any_char(self, _tok: Token) -> Node:
        return AnyChar()

    def control_escape(self, tok: Token) -> Node:
        return _decode(str(tok))

    octal_escape = hex_escape = punct_escape = control_escape

    def meta_symbol(self, tok: Token) -> Node:
        return MetaClass(Meta(str(tok)[1]))

    def shorthand(self, tok: Token) -> Node:
        name = str(tok)[1:-1]
        try:
            return ShorthandRef(Shorthand(name))
        except ValueError:
            pass
        upper = name.upper()
        notes: tuple[str, ...] = ()
        if upper in Shorthand.__members__:
            notes = (f"shorthand names are upper case: {{{upper}}}",)
        else:
            names = " ".join("{" + s.value + "}" for s in Shorthand)
            notes = (f"known shorthand: {names}", "a literal brace is written \\{ or \\}")
        raise _error(f"unknown shorthand {tok!s}", self.span, _column(tok), notes)

    def quoted(self, tok: Token) -> Node:
        body = str(tok)[1:-1]
        out: list[str] = []
        i = 0
        while i < len(body):
            if body[i] != "\\":
                out.append(body[i])
                i += 1
                continue
            match = _ESCAPE.match(body, i)
            if match is None:
                column = _column(tok) + 1 + i
                raise _error(f"unknown escape \\{body[i + 1]} inside double quotes",
                             self.span, column,
                             notes=("inside quotes only character escapes such as \\\\, "
                                    "\\\", \\t or \\x41 are allowed",))
            out.append(_decode(match.group()).char)
            i = match.end()
        return Quoted("".join(out))

    def group(self, _open: Token, node: Node, _close: Token) -> Node:
        return Group(node)

    def bracket(self, _open: Token, items: tuple[BracketItem, ...], _close: Token) -> Node:
        return Bracket(items)

    def negated_bracket(self, _open: Token, items: tuple[BracketItem, ...],
                        _close: Token) -> Node:
        return Bracket(items, negated=True)

    def bracket_items(self, *items: BracketItem | Token) -> tuple[BracketItem, ...]:
        return tuple(Char("]") if isinstance(i, Token) else i for i in items)

    def b_literal(self, tok: Token) -> BracketItem:
        return Char(str(tok))

    def b_backspace(self, _tok: Token) -> BracketItem:
        return Char("\b", "c")  # \b inside brackets is the backspace character

    def b_control_escape(self, tok: Token) -> BracketItem:
        return _decode(str(tok))

    b_octal_escape = b_hex_escape = b_punct_escape = b_control_escape

    def b_meta_symbol(self, tok: Token) -> BracketItem:
        return MetaClass(Meta(str(tok)[1]))

    def b_posix_class(self, tok: Token) -> BracketItem:
        name = str(tok)[2:-2]
        if name not in POSIX_CLASSES:
            raise _error(
                f"unknown POSIX class {tok!s}",
                self.span,
                _column(tok),
                notes=("classes: " + " ".join(f"[:{n}:]" for n in sorted(POSIX_CLASSES)),),
            )
        return PosixClass(name)

    def b_range(self, tok: Token) -> BracketItem:
        text = str(tok)
        first_match = _RANGE_END.match(text)
        assert first_match is not None  # the terminal guarantees end-end
        first = _decode(first_match.group())
        last = _decode(text[first_match.end() + 1:])
        if ord(first.char) > ord(last.char):
            raise _error(
                f"invalid range {text}: {first.char!r} comes after {last.char!r}",
                self.span,
                _column(tok),
                notes=("a literal '-' is written first or last in the brackets, or \\-",),
            )
        return Range(first, last)


# ---------------------------------------------------------------- syntax errors


def _scan(text: str) -> tuple[list[tuple[str, int]], int | None]:
    """Unclosed ``(``, ``[`` and ``"`` (with their offsets) and, if the nesting of
    parentheses goes beyond :data:`MAX_GROUP_DEPTH`, the offset where it does."""
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                stack.append(('"', i))
                break
            i = j + 1
            continue
        if c == "[":
            j = i + 1
            if text.startswith("^", j):
                j += 1
            if text.startswith("]", j):
                j += 1
            while j < n and text[j] != "]":
                if text[j] == "\\":
                    j += 2
                elif text.startswith("[:", j) and ":]" in text[j + 2:]:
                    j = text.index(":]", j + 2) + 2
                else:
                    j += 1
            if j >= n:
                stack.append(("[", i))
                break
            i = j + 1
            continue
        if c == "(":
            stack.append(("(", i))
            if len(stack) > MAX_GROUP_DEPTH:
                return stack, i
        elif c == ")" and stack:
            stack.pop()
        i += 1
    return stack, None


def _escaped_b_before(text: str, index: int) -> int | None:
    """The offset of a ``\\b`` token that ends right before ``index``, if there is one."""
    if index >= 2 and text[index - 2:index] == "\\b" and _is_escaped(text, index - 1):
        return index - 2
    return None


def _syntax_error(exc: UnexpectedInput, text: str, span: Span) -> ParseError:
    at_end, column, _expected, _where = locate(exc, text, span)
    if at_end:
        return _end_error(text, span)
    index = column - 1
    token = getattr(exc, "token", None)
    kind = token.type if isinstance(token, Token) else None
    boundary = _escaped_b_before(text, index)
    if kind == "WB" or boundary is not None:
        offset = index if kind == "WB" else boundary
        assert offset is not None
        return _boundary_error(span, offset + 1)
    if isinstance(exc, UnexpectedCharacters) or kind in (None, "WILD_PATTERN", "QUANTIFIER"):
        # No terminal of the parser state matched; Lark's fallback lexer then reports the
        # catch-all WILD_PATTERN. Explain the character instead.
        return _character_error(text, index, span)
    char = text[index]
    if kind == "RPAR":
        return _close_paren_error(text, index, span)
    if kind == "BAR":
        return _error("empty alternative before '|'", span, column)
    if kind in _OPERATOR_NAMES:
        start = column + len(str(token)) - len(str(token).lstrip(" \t"))
        name = _OPERATOR_NAMES[kind]
        return _error(f"{name} inside a group", span, start,
                      notes=("dotted operators join whole operands; they cannot be grouped",))
    return _error(f"unexpected {char!r}", span, column)


def _boundary_error(span: Span, column: int) -> ParseError:
    return _error(
        "\\b in the middle of an expression",
        span,
        column,
        notes=("a word boundary \\b is only allowed at the start or end "
               "(docs/semantics.md §7.2); a backspace inside brackets is [\\b]",),
    )


def _is_escaped(text: str, index: int) -> bool:
    """Whether ``text[index]`` follows an odd run of backslashes."""
    return (len(text[:index]) - len(text[:index].rstrip("\\"))) % 2 == 1


def _close_paren_error(text: str, index: int, span: Span) -> ParseError:
    before = text[index - 1] if index else ""
    if before == "(" and not _is_escaped(text, index - 1):
        return _error("empty group ()", span, index + 1)
    if before == "|" and not _is_escaped(text, index - 1):
        return _error("empty alternative before ')'", span, index + 1)
    return _error("unbalanced parenthesis: ')' without '('", span, index + 1,
                  notes=("a literal parenthesis is written \\)",))


def _character_error(text: str, index: int, span: Span) -> ParseError:
    char, column = text[index], index + 1
    if text.startswith("\\b", index):  # a \b where no boundary can be
        return _boundary_error(span, column)
    if char == "\\":
        if index + 1 >= len(text):
            return _error("trailing backslash", span, column,
                          notes=("a literal backslash is written \\\\",))
        nxt = text[index + 1]
        if nxt == "x":
            return _error("\\x must be followed by two hexadecimal digits", span, column)
        return _error(f"unknown escape \\{nxt}", span, column,
                      notes=("escapes: \\\\ \\a \\b \\f \\n \\r \\t \\v, octal \\nnn, \\xhh, "
                             "\\s \\S \\d \\D \\w \\W, and \\ before a punctuation character",))
    if char == "{":
        return _error("'{' does not start a shorthand such as {D}", span, column,
                      notes=("a literal brace is written \\{",))
    if char == "[":
        return _error("'[:' does not start a POSIX class such as [:alpha:]", span, column,
                      notes=("a literal '[' inside brackets is written \\[",))
    if char == '"':
        return _error("unclosed double quote", span, column)
    if char in "*+?":
        after = index > 0 and text[index - 1] in "*+?" and not _is_escaped(text, index - 1)
        message = ("a quantifier cannot follow another quantifier" if after
                   else f"quantifier '{char}' has nothing to repeat")
        return _error(message, span, column, notes=("a literal is written \\" + char,))
    if char == ")":
        return _close_paren_error(text, index, span)
    if char == "|":
        return _error("empty alternative before '|'", span, column)
    return _error(f"unexpected {char!r}", span, column)


def _end_error(text: str, span: Span) -> ParseError:
    unclosed, _deepest = _scan(text)
    if unclosed:
        kind, offset = unclosed[-1]
        message = {
            "(": "unbalanced parenthesis: '(' is never closed",
            "[": "unbalanced bracket: '[' is never closed",
            '"': "unclosed double quote",
        }[kind]
        return _error(message, span, offset + 1)
    stripped = text.rstrip(" \t")
    for name in (".NOT.", ".WILD.", ".REG.", ".AND.", ".OR."):
        if stripped.endswith(name):
            return _error(f"an operand must follow {name}", span, len(stripped) - len(name) + 1)
    if text.endswith("|"):
        return _error("empty alternative after '|'", span, len(text))
    return _error("unexpected end of expression", span, len(text) + 1)
