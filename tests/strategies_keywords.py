"""Hypothesis strategies for keyword-expression ASTs (isc.ir.keyword_expr) that the
front-end can produce, and for texts built from an AST's own literals so that matches
actually happen.

"Can produce" matters because every Char remembers how it was written: the strategies only
put a bare character where the parser reads a bare character as that character (no bare
``-`` between two members of a bracket, no bare ``]`` after the first member, no blank at
the edge of an operand next to a dotted operator, ...).
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

from isc.ir.keyword_expr import (
    Alternation,
    Anchor,
    AnchorNode,
    And,
    AnyChar,
    Bracket,
    BracketItem,
    Char,
    Concat,
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
)

#: Bare literal characters outside brackets (Japanese included: the market writes them).
BARE = "abcxyzABKQ019-@!,:;/#%&=~'<>_]}社外秘あア漢ーéßÄ"
BLANKS = " \t"
#: Characters written with a backslash (every non-alphanumeric may be).
PUNCT_ESCAPED = "\\|(){}[].^$*+?-\"@/'あ \t"
CONTROL_LETTERS = "\a\f\n\r\t\v"
#: Bare members of a bracket expression.
BRACKET_BARE = "abcxyzAZ059.*+?(){}|$\"' @社é"
POSIX = ("alpha", "digit", "alnum", "upper", "lower", "space",
         "blank", "punct", "print", "graph", "cntrl", "xdigit")
QUANTIFIERS = ((0, None), (1, None), (0, 1))
_OPERATOR_LIKE = re.compile(r"[ \t]\.(?:AND|OR)\.[ \t]|^\.(?:NOT|WILD|REG)\.[ \t]")


def _latin1(escape: str) -> st.SearchStrategy[Char]:
    # Mostly printable, sometimes a control character (which EmS cannot spell).
    codes = st.one_of(st.integers(0x20, 0x7E), st.integers(0xA0, 0xFF), st.integers(0, 0xFF))
    return codes.map(lambda i: Char(chr(i), escape))


def chars(*, blanks: bool = True) -> st.SearchStrategy[Char]:
    bare = BARE + (BLANKS if blanks else "")
    return st.one_of(
        st.sampled_from(bare).map(Char),
        st.sampled_from(bare).map(Char),
        st.sampled_from(PUNCT_ESCAPED).map(lambda c: Char(c, "\\")),
        st.sampled_from(CONTROL_LETTERS).map(lambda c: Char(c, "c")),
        _latin1("x"),
        _latin1("o"),
    )


def _member_char() -> st.SearchStrategy[Char]:
    return st.one_of(
        st.sampled_from(BRACKET_BARE + BLANKS).map(Char),
        st.sampled_from("]\\[^-.").map(lambda c: Char(c, "\\")),
        st.sampled_from(CONTROL_LETTERS + "\b").map(lambda c: Char(c, "c")),
        _latin1("x"),
        _latin1("o"),
    )


def _ranges() -> st.SearchStrategy[Range]:
    def order(pair: tuple[Char, Char]) -> Range:
        first, last = sorted(pair, key=lambda c: ord(c.char))
        return Range(first, last)

    return st.tuples(_member_char(), _member_char()).map(order)


def brackets() -> st.SearchStrategy[Bracket]:
    items: st.SearchStrategy[BracketItem] = st.one_of(
        _member_char(),
        _ranges(),
        st.sampled_from(POSIX).map(PosixClass),
        st.sampled_from(list(Meta)).map(MetaClass),
    )

    @st.composite
    def build(draw: st.DrawFn) -> Bracket:
        members: list[BracketItem] = draw(st.lists(items, min_size=1, max_size=4))
        negated = draw(st.booleans())
        if draw(st.booleans()):
            members.insert(0, Char("]"))  # a bare ] is a member only first
        if draw(st.booleans()):
            members.insert(1, Char("^"))  # a bare ^ is a member anywhere but first
        if draw(st.booleans()):
            members.append(Char("-"))  # a bare - is a member last
        return Bracket(tuple(members), negated)

    return build()


def quoted() -> st.SearchStrategy[Quoted]:
    alphabet = st.sampled_from('ab Z{D}.*"\\\t\x01\n\b社外' + "\u3000")
    return st.lists(alphabet, max_size=6).map(lambda cs: Quoted("".join(cs)))


def _leaf_atoms(blanks: bool) -> st.SearchStrategy[Node]:
    return st.one_of(
        chars(blanks=blanks),
        chars(blanks=blanks),
        st.just(AnyChar()),
        st.sampled_from(list(Meta)).map(MetaClass),
        st.sampled_from(list(Shorthand)).map(ShorthandRef),
        brackets(),
        quoted(),
    )


def _from_atoms(atoms: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    pieces = st.one_of(
        atoms,
        atoms,
        st.builds(lambda a, q: Repeat(a, *q), atoms, st.sampled_from(QUANTIFIERS)),
        st.sampled_from((Anchor.START, Anchor.END)).map(AnchorNode),
    )
    branches = st.lists(pieces, min_size=1, max_size=4).map(
        lambda ps: ps[0] if len(ps) == 1 else Concat(tuple(ps))
    )
    return st.lists(branches, min_size=1, max_size=3).map(
        lambda bs: bs[0] if len(bs) == 1 else Alternation(tuple(bs))
    )


def regexes(*, blanks: bool = True) -> st.SearchStrategy[Node]:
    """A regular expression (no \\b, no dotted operators)."""
    leaves = _leaf_atoms(blanks)

    def extend(inner: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        return _from_atoms(st.one_of(leaves, inner.map(Group)))

    return st.recursive(_from_atoms(leaves), extend, max_leaves=8)


def _items(node: Node) -> tuple[Node, ...]:
    return node.items if isinstance(node, Concat) else (node,)


def _edge_blank(node: Node, *, first: bool) -> bool:
    """Whether ``node`` prints with a bare blank at its start (or end)."""
    if isinstance(node, Char):
        return node.escape == "" and node.char in BLANKS
    if isinstance(node, Concat):
        return _edge_blank(node.items[0 if first else -1], first=first)
    if isinstance(node, Alternation):
        return _edge_blank(node.options[0 if first else -1], first=first)
    if isinstance(node, Repeat):
        return first and _edge_blank(node.node, first=True)
    return False


def operands(*, blanks: bool = True) -> st.SearchStrategy[Node]:
    """One regular-expression operand: maybe with \\b at its ends, or a lone backspace."""
    boundary = AnchorNode(Anchor.WORD_BOUNDARY)
    core = regexes(blanks=blanks)
    wb = boundary
    bounded = st.one_of(
        core.map(lambda n: Concat((wb, *_items(n)))),
        core.map(lambda n: Concat((*_items(n), wb))),
        core.map(lambda n: Concat((wb, *_items(n), wb))),
    )
    node = st.one_of(core, core, bounded, st.just(Char("\b", "c")))
    if blanks:
        return node
    return node.filter(lambda n: not _edge_blank(n, first=True)
                       and not _edge_blank(n, first=False))


def wild_patterns() -> st.SearchStrategy[str]:
    return st.text(st.sampled_from("abcXY社外*?.-_ "), min_size=1, max_size=6).filter(
        lambda p: p[0] not in BLANKS and p[-1] not in BLANKS
        and not _OPERATOR_LIKE.search(" " + p + " ")
    )


def expressions() -> st.SearchStrategy[Node]:
    """A whole keyword expression: a regex alone, or dotted operators over operands."""
    leaf = st.one_of(
        operands(blanks=False),
        operands(blanks=False),
        wild_patterns().map(Wild),
        operands(blanks=False).map(Reg),
    )
    unary = st.tuples(leaf, st.integers(0, 2)).map(_negate)
    conjunction = st.lists(unary, min_size=1, max_size=3).map(
        lambda us: us[0] if len(us) == 1 else And(tuple(us))
    )
    disjunction = st.lists(conjunction, min_size=1, max_size=3).map(
        lambda cs: cs[0] if len(cs) == 1 else Or(tuple(cs))
    )
    return st.one_of(operands(blanks=True), disjunction)


def _negate(pair: tuple[Node, int]) -> Node:
    node, count = pair
    for _ in range(count):
        node = Not(node)
    return node


# ---------------------------------------------------------------- texts for an AST

_SHORTHAND_SAMPLE = {
    Shorthand.D: "7", Shorthand.L: "q", Shorthand.SP: "@", Shorthand.NUMBER: "123",
    Shorthand.WORD: "abc", Shorthand.CR: "\r", Shorthand.LF: "\n", Shorthand.LWSP: "\t",
    Shorthand.CRLF: "\r\n", Shorthand.WSP: " \f", Shorthand.ALLC: "z",
}
_META_SAMPLE = {
    Meta.SPACE: " \t\n", Meta.NOT_SPACE: "a_社", Meta.DIGIT: "09", Meta.NOT_DIGIT: "a ",
    Meta.WORD: "a_9Z", Meta.NOT_WORD: " -社",
}
_POSIX_SAMPLE = {
    "alpha": "aZ", "digit": "5", "alnum": "b7", "upper": "Q", "lower": "q", "space": " \n",
    "blank": "\t", "punct": "!~", "print": " ~", "graph": "#", "cntrl": "\x01", "xdigit": "f",
}
NOISE = ["", " ", "\n", "a", "A", "_", "1", "-", "社", "\t"]


def _sample(draw: st.DrawFn, node: Node) -> str:
    if isinstance(node, Char):
        return node.char
    if isinstance(node, AnyChar):
        return draw(st.sampled_from("aZ1 _é社"))
    if isinstance(node, MetaClass):
        return draw(st.sampled_from(_META_SAMPLE[node.meta]))
    if isinstance(node, ShorthandRef):
        return _SHORTHAND_SAMPLE[node.name]
    if isinstance(node, Bracket):
        item = draw(st.sampled_from(node.items))
        if node.negated:
            return draw(st.sampled_from("aZ1 _é社-]\n"))
        if isinstance(item, Char):
            return item.char
        if isinstance(item, Range):
            return chr(draw(st.integers(ord(item.first.char), ord(item.last.char))))
        if isinstance(item, PosixClass):
            return draw(st.sampled_from(_POSIX_SAMPLE[item.name]))
        return draw(st.sampled_from(_META_SAMPLE[item.meta]))
    if isinstance(node, AnchorNode):
        return draw(st.sampled_from(["", "\n", " "]))
    if isinstance(node, Quoted):
        return node.text
    if isinstance(node, Repeat):
        high = node.min + 2 if node.max is None else node.max
        count = draw(st.integers(node.min, high))
        return "".join(_sample(draw, node.node) for _ in range(count))
    if isinstance(node, Group):
        return _sample(draw, node.node)
    if isinstance(node, Concat):
        return "".join(_sample(draw, i) for i in node.items)
    if isinstance(node, Alternation):
        return _sample(draw, draw(st.sampled_from(node.options)))
    if isinstance(node, And):
        return " ".join(_sample(draw, o) for o in node.operands)
    if isinstance(node, Or):
        return _sample(draw, draw(st.sampled_from(node.operands)))
    if isinstance(node, Not):
        return draw(st.sampled_from(NOISE))
    if isinstance(node, Wild):
        return node.pattern.replace("*", "xy").replace("?", "z")
    if isinstance(node, Reg):
        return _sample(draw, node.node)
    return ""


@st.composite
def texts_for(draw: st.DrawFn, node: Node, *, swapcase: bool = True) -> str:
    """A text around a sample built from ``node``'s own literals (often a match)."""
    body = _sample(draw, node)
    if swapcase and draw(st.booleans()):
        body = body.swapcase()
    prefix = draw(st.sampled_from(NOISE))
    suffix = draw(st.sampled_from(NOISE))
    return prefix + body + suffix
