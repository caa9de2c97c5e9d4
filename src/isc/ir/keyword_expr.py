"""The keyword-expression AST (formats.md §5; research imsva.md §2.1, targets.md §2.6).

IMSVA keyword expressions are eManager regular expressions; TMEMS (EmS) uses the same
dialect plus the dotted logical operators ``.AND. .OR. .NOT. .WILD. .REG.``. One AST serves
both: the front-end parses text into it (``isc.frontends.keywords``), the models compile it
to Python ``re`` (``isc.models.keywords``), and :func:`isc.ir.keyword_expr` printers
re-emit it in either dialect.

Nodes are frozen and compare structurally; shorthand (``{WORD}``) is kept as written, so
unparse-then-parse is the identity.
"""

from __future__ import annotations

import enum

import attrs


@attrs.frozen
class Char:
    """One literal character. ``escape`` keeps how it was written when that matters
    (``"x"`` for ``\\x41``, ``"o"`` for octal, ``"c"`` for ``\\n``-style controls, ``"\\\\"``
    for a backslash-escaped metacharacter, ``""`` for a plain character)."""

    char: str
    escape: str = ""


@attrs.frozen
class AnyChar:
    """``.``: any character but a newline."""


class Meta(enum.Enum):
    """Meta-symbols ``\\s \\S \\d \\D \\w \\W`` (usable inside and outside brackets)."""

    SPACE = "s"
    NOT_SPACE = "S"
    DIGIT = "d"
    NOT_DIGIT = "D"
    WORD = "w"
    NOT_WORD = "W"


@attrs.frozen
class MetaClass:
    meta: Meta


class Shorthand(enum.Enum):
    """eManager shorthand (research imsva.md §2.1); each expands to a fixed regex."""

    D = "D"
    L = "L"
    SP = "SP"
    NUMBER = "NUMBER"
    WORD = "WORD"
    CR = "CR"
    LF = "LF"
    LWSP = "LWSP"
    CRLF = "CRLF"
    WSP = "WSP"
    ALLC = "ALLC"


@attrs.frozen
class ShorthandRef:
    name: Shorthand


@attrs.frozen
class Range:
    """``a-z`` inside a bracket expression."""

    first: Char
    last: Char


@attrs.frozen
class PosixClass:
    """``[:alpha:]`` inside a bracket expression."""

    name: str


BracketItem = Char | Range | PosixClass | MetaClass


@attrs.frozen
class Bracket:
    """``[...]`` or ``[^...]``."""

    items: tuple[BracketItem, ...]
    negated: bool = False


class Anchor(enum.Enum):
    START = "^"
    END = "$"
    WORD_BOUNDARY = "\\b"


@attrs.frozen
class AnchorNode:
    anchor: Anchor


@attrs.frozen
class Quoted:
    """A double-quoted run: literal text in which shorthand is not expanded."""

    text: str


@attrs.frozen
class Repeat:
    """``*`` (0, None), ``+`` (1, None), ``?`` (0, 1)."""

    node: Node
    min: int
    max: int | None


@attrs.frozen
class Group:
    """``( ... )``."""

    node: Node


@attrs.frozen
class Concat:
    items: tuple[Node, ...]


@attrs.frozen
class Alternation:
    options: tuple[Node, ...]


# Dotted logical operators (TMEMS; research imsva.md §2.1). IMSVA pages never document
# them, so the front-end accepts them and the back-end re-emits them.


@attrs.frozen
class And:
    operands: tuple[Node, ...]


@attrs.frozen
class Or:
    operands: tuple[Node, ...]


@attrs.frozen
class Not:
    operand: Node


@attrs.frozen
class Wild:
    """``.WILD.`` pattern: ``*`` any run, ``?`` one character, everything else literal."""

    pattern: str


@attrs.frozen
class Reg:
    """``.REG.`` expression: an explicitly regular sub-expression."""

    node: Node


@attrs.frozen
class Empty:
    """The empty expression (matches everywhere)."""


Node = (Char | AnyChar | MetaClass | ShorthandRef | Bracket | AnchorNode | Quoted | Repeat
        | Group | Concat | Alternation | And | Or | Not | Wild | Reg | Empty)


class Dialect(enum.Enum):
    """Which product's syntax an expression text is written in."""

    IMSVA = "imsva"
    EMS = "ems"
