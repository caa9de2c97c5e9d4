"""The keyword-expression AST (formats.md §5; research imsva.md §2.1, targets.md §2.6).

IMSVA keyword expressions are eManager regular expressions; TMEMS (EmS) uses the same
dialect plus the dotted logical operators ``.AND. .OR. .NOT. .WILD. .REG.``. One AST serves
both: the front-end parses text into it (``isc.frontends.keywords``), ``isc.ir.keyword_re2``
compiles it to RE2 for the models (``isc.models.keywords``), and the printers of
:mod:`isc.ir.keyword_expr` re-emit it in either dialect.

Nodes are frozen and compare structurally; shorthand (``{WORD}``) is kept as written, so
unparse-then-parse is the identity.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Sequence

import attrs


@attrs.frozen(cache_hash=True)
class Char:
    """One literal character. ``escape`` keeps how it was written when that matters
    (``"x"`` for ``\\x41``, ``"o"`` for octal, ``"c"`` for ``\\n``-style controls, ``"\\\\"``
    for a backslash-escaped metacharacter, ``""`` for a plain character)."""

    char: str
    escape: str = ""


@attrs.frozen(cache_hash=True)
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


@attrs.frozen(cache_hash=True)
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


@attrs.frozen(cache_hash=True)
class ShorthandRef:
    name: Shorthand


@attrs.frozen(cache_hash=True)
class Range:
    """``a-z`` inside a bracket expression."""

    first: Char
    last: Char


@attrs.frozen(cache_hash=True)
class PosixClass:
    """``[:alpha:]`` inside a bracket expression."""

    name: str


BracketItem = Char | Range | PosixClass | MetaClass


@attrs.frozen(cache_hash=True)
class Bracket:
    """``[...]`` or ``[^...]``."""

    items: tuple[BracketItem, ...]
    negated: bool = False


class Anchor(enum.Enum):
    START = "^"
    END = "$"
    WORD_BOUNDARY = "\\b"


@attrs.frozen(cache_hash=True)
class AnchorNode:
    anchor: Anchor


@attrs.frozen(cache_hash=True)
class Quoted:
    """A double-quoted run: literal text in which shorthand is not expanded."""

    text: str


@attrs.frozen(cache_hash=True)
class Repeat:
    """``*`` (0, None), ``+`` (1, None), ``?`` (0, 1)."""

    node: Node
    min: int
    max: int | None


@attrs.frozen(cache_hash=True)
class Group:
    """``( ... )``."""

    node: Node


@attrs.frozen(cache_hash=True)
class Concat:
    items: tuple[Node, ...]


@attrs.frozen(cache_hash=True)
class Alternation:
    options: tuple[Node, ...]


# Dotted logical operators (TMEMS; research imsva.md §2.1). IMSVA pages never document
# them, so the front-end accepts them and the back-end re-emits them.


@attrs.frozen(cache_hash=True)
class And:
    operands: tuple[Node, ...]


@attrs.frozen(cache_hash=True)
class Or:
    operands: tuple[Node, ...]


@attrs.frozen(cache_hash=True)
class Not:
    operand: Node


@attrs.frozen(cache_hash=True)
class Wild:
    """``.WILD.`` pattern: ``*`` any run, ``?`` one character, everything else literal."""

    pattern: str


@attrs.frozen(cache_hash=True)
class Reg:
    """``.REG.`` expression: an explicitly regular sub-expression."""

    node: Node


@attrs.frozen(cache_hash=True)
class Empty:
    """The empty expression (matches everywhere)."""


Node = (Char | AnyChar | MetaClass | ShorthandRef | Bracket | AnchorNode | Quoted | Repeat
        | Group | Concat | Alternation | And | Or | Not | Wild | Reg | Empty)


class Dialect(enum.Enum):
    """Which product's syntax an expression text is written in."""

    IMSVA = "imsva"
    EMS = "ems"


# ---------------------------------------------------------------- printing
#
# ``to_text`` re-emits an AST in the IMSVA dialect exactly as the front-end reads it back
# (every Char keeps how it was written). ``ems_form`` first rewrites the AST into forms the
# TMEMS help documents (targets.md §2.6: literals, the escapes of ``\ | ( ) { } [ ] . ^ $ *
# + ?``, POSIX bracket expressions, ``* + ?``, ``|``, groups, ``^ $``, the shorthand and
# meta-symbol table, double quotes, the dotted operators) and lists what has no exact
# documented form.

#: The characters TMEMS says must be escaped to be literal.
EMS_METACHARACTERS = frozenset("\\|(){}[].^$*+?")
#: Characters that are not literals when written bare outside brackets (IMSVA reading).
_BARE_SPECIAL = frozenset('\\|()[.^$*+?{"')
_CONTROL_LETTER = {"\a": "a", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v"}
_BLANKS = frozenset(" \t")
_QUANTIFIER = {(0, None): "*", (1, None): "+", (0, 1): "?"}
_OPERATOR_START = re.compile(r"\.(?:NOT|WILD|REG)\.[ \t]")
#: Names of the POSIX character classes (``[:alpha:]``).
POSIX_CLASSES = frozenset({
    "alpha", "digit", "alnum", "upper", "lower", "space",
    "blank", "punct", "print", "graph", "cntrl", "xdigit",
})

_REGEX_ATOMS = (Char, AnyChar, MetaClass, ShorthandRef, Bracket, Quoted, Group)


def is_logical(node: Node) -> bool:
    """Whether ``node`` is a dotted-operator node rather than part of a regular expression."""
    return isinstance(node, And | Or | Not | Wild | Reg)


def to_text(node: Node, dialect: Dialect = Dialect.IMSVA) -> str:
    """The expression as text: IMSVA canonical form, or the EmS form (see :func:`ems_form`).

    For every AST the front-end produces, parsing the IMSVA text gives the AST back.
    Raises ``ValueError`` for an AST no text can spell (a word boundary or a dotted operator
    in the middle of a regular expression).
    """
    if dialect is Dialect.EMS:
        return ems_form(node)[0]
    return _Printer(ems=False).expression(node)


def ems_form(node: Node) -> tuple[str, tuple[str, ...]]:
    """The EmS text for ``node`` and the problems (short sentences; empty = exact).

    Forms with a documented EmS equivalent are rewritten (``\\x41`` → ``A``, ``\\n`` →
    ``{LF}``, ``\\bword\\b`` → ``(^|\\W)word(\\W|$)``, escapes of non-metacharacters dropped);
    what has none is kept as written and reported.
    """
    problems: list[str] = []
    rewritten = _EmsRewriter(problems).expression(node)
    text = _Printer(ems=True).expression(rewritten)
    return text, tuple(dict.fromkeys(problems))


# ---------------------------------------------------------------- logical normal form


def logical_normal_form(node: Node) -> Node:
    """``node`` with its dotted operators in the only shape the syntax can spell.

    The dotted syntax has no grouping: an expression is an .OR. of .AND.s of (.NOT.-prefixed)
    operands. Other shapes are rewritten with De Morgan's laws and distribution, which keeps
    their meaning; regular-expression nodes are returned unchanged.
    """
    if isinstance(node, Or):
        options: list[Node] = []
        for operand in node.operands:
            normal = logical_normal_form(operand)
            options.extend(normal.operands if isinstance(normal, Or) else (normal,))
        if not options:
            raise ValueError("an .OR. without operands")
        return options[0] if len(options) == 1 else Or(tuple(options))
    if isinstance(node, And):
        factors: list[Node] = []
        for operand in node.operands:
            normal = logical_normal_form(operand)
            factors.extend(normal.operands if isinstance(normal, And) else (normal,))
        if not factors:
            raise ValueError("an .AND. without operands")
        for i, factor in enumerate(factors):
            if isinstance(factor, Or):  # distribute: a AND (b OR c) = (a AND b) OR (a AND c)
                rest = factors[:i] + factors[i + 1:]
                return logical_normal_form(
                    Or(tuple(And((*rest, option)) for option in factor.operands))
                )
        return factors[0] if len(factors) == 1 else And(tuple(factors))
    if isinstance(node, Not):
        inner = logical_normal_form(node.operand)
        if isinstance(inner, And):
            return logical_normal_form(Or(tuple(Not(o) for o in inner.operands)))
        if isinstance(inner, Or):
            return logical_normal_form(And(tuple(Not(o) for o in inner.operands)))
        return Not(inner)
    if isinstance(node, Reg) and is_logical(node.node):
        return logical_normal_form(_mark_regex(node.node))
    return node


def _mark_regex(node: Node) -> Node:
    """``.REG.`` applied to a logical expression: mark each of its regex operands."""
    if isinstance(node, And):
        return And(tuple(_mark_regex(o) for o in node.operands))
    if isinstance(node, Or):
        return Or(tuple(_mark_regex(o) for o in node.operands))
    if isinstance(node, Not):
        return Not(_mark_regex(node.operand))
    if isinstance(node, Wild | Reg):
        return node
    return Reg(node)


# ---------------------------------------------------------------- printer


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _is_blank_char(node: Node) -> bool:
    return isinstance(node, Char) and node.char in _BLANKS and node.escape == ""


def _spells_operator(items: Sequence[Node], start: int) -> bool:
    """Whether ``items[start:]`` prints as ``.AND.`` or ``.OR.`` followed by a bare blank."""
    for word in ("AND", "OR"):
        end = start + len(word) + 2  # the blank after the closing dot
        if end >= len(items):
            continue
        run = items[start:end]
        if (isinstance(run[0], AnyChar) and isinstance(run[-1], AnyChar)
                and all(isinstance(c, Char) and c.escape == "" and c.char == w
                        for c, w in zip(run[1:-1], word, strict=True))
                and _is_blank_char(items[end])):
            return True
    return False


def _word_boundary_edges(node: Node) -> tuple[bool, bool, Sequence[Node]]:
    """``(leading \\b, trailing \\b, the items between)`` of an operand."""
    if not isinstance(node, Concat) or len(node.items) < 2:
        return False, False, (node,)
    items = node.items
    left = isinstance(items[0], AnchorNode) and items[0].anchor is Anchor.WORD_BOUNDARY
    right = isinstance(items[-1], AnchorNode) and items[-1].anchor is Anchor.WORD_BOUNDARY
    core = items[int(left): len(items) - int(right)]
    return left, right, core


class _Printer:
    def __init__(self, *, ems: bool) -> None:
        self.ems = ems

    # ------------------------------------------------------------ logical level

    def expression(self, node: Node) -> str:
        node = logical_normal_form(node)
        if isinstance(node, Or):
            last = len(node.operands) - 1
            return " .OR. ".join(
                self._conjunction(o, i > 0, i < last) for i, o in enumerate(node.operands)
            )
        return self._conjunction(node, False, False)

    def _conjunction(self, node: Node, before: bool, after: bool) -> str:
        if isinstance(node, And):
            last = len(node.operands) - 1
            return " .AND. ".join(
                self._operand(o, before or i > 0, after or i < last)
                for i, o in enumerate(node.operands)
            )
        return self._operand(node, before, after)

    def _operand(self, node: Node, before: bool, after: bool) -> str:
        if isinstance(node, Not):
            return ".NOT. " + self._operand(node.operand, True, after)
        if isinstance(node, Wild):
            return ".WILD. " + node.pattern
        if isinstance(node, Reg):
            return ".REG. " + self._plain(node.node, True, after)
        if is_logical(node):
            raise ValueError(f"{type(node).__name__} cannot be an operand here")
        return self._plain(node, before, after)

    def _plain(self, node: Node, before: bool, after: bool) -> str:
        """One regular-expression operand; blanks the lexer would take for operator
        delimiters are escaped (only in ASTs the parser cannot produce)."""
        if isinstance(node, Char) and node.char == "\b" and node.escape == "c":
            return "\\b"  # a lone \b is a backspace
        left, right, core = _word_boundary_edges(node)
        if left or right:
            if len(core) == 1 and isinstance(core[0], Alternation):
                body = self._alternation(core[0])  # \bfoo|bar\b: the \b apply to it whole
            else:
                body = self._concat(core)
            text = ("\\b" if left else "") + body + ("\\b" if right else "")
        else:
            text = self._regex(node)
        if match := _OPERATOR_START.match(text):
            text = self._patch_blank(text, match.end() - 1)
        if before and text[:1] in _BLANKS:
            text = self._patch_blank(text, 0)
        if after and text[-1:] in _BLANKS:
            backslashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
            if backslashes % 2 == 0:
                text = self._patch_blank(text, len(text) - 1)
        return text

    def _patch_blank(self, text: str, index: int) -> str:
        blank = text[index]
        if self.ems:
            spelled = f"[{blank}]"
        else:
            spelled = "\\ " if blank == " " else "\\t"
        return text[:index] + spelled + text[index + 1:]

    # ------------------------------------------------------------ regular expressions

    def _regex(self, node: Node) -> str:
        if isinstance(node, Char):
            return self._char(node, bracket=False)
        if isinstance(node, AnyChar):
            return "."
        if isinstance(node, MetaClass):
            return "\\" + node.meta.value
        if isinstance(node, ShorthandRef):
            return "{" + node.name.value + "}"
        if isinstance(node, Bracket):
            return self._bracket(node)
        if isinstance(node, AnchorNode):
            if node.anchor is Anchor.WORD_BOUNDARY:
                raise ValueError("a word boundary is only possible at the start or end")
            return str(node.anchor.value)
        if isinstance(node, Quoted):
            return '"' + "".join(self._quoted_char(c) for c in node.text) + '"'
        if isinstance(node, Repeat):
            return self._repeat(node)
        if isinstance(node, Group):
            return "(" + self._regex(node.node) + ")"
        if isinstance(node, Concat):
            return self._concat(node.items)
        if isinstance(node, Alternation):
            return self._alternation(node)
        if isinstance(node, Empty):
            return ""
        raise ValueError(f"dotted operator {type(node).__name__} inside a regular expression")

    def _alternation(self, node: Alternation) -> str:
        return "|".join(self._regex(o) for o in node.options)

    def _concat(self, items: Sequence[Node]) -> str:
        flat: list[Node] = []
        for item in items:
            flat.extend(item.items if isinstance(item, Concat) else (item,))
        out: list[str] = []
        for i, item in enumerate(flat):
            if isinstance(item, Alternation):
                out.append("(" + self._alternation(item) + ")")
            elif i > 0 and _is_blank_char(item) and _spells_operator(flat, i + 1):
                assert isinstance(item, Char)
                out.append(self._patch_blank(item.char, 0))
            else:
                out.append(self._regex(item))
        return "".join(out)

    def _repeat(self, node: Repeat) -> str:
        inner = node.node
        base = self._regex(inner)
        if not isinstance(inner, _REGEX_ATOMS):
            base = "(" + base + ")"
        quantifier = _QUANTIFIER.get((node.min, node.max))
        if quantifier is not None:
            return base + quantifier
        # No interval syntax: spell {m,n} out (x{2,3} = xxx?).
        if node.min < 0 or (node.max is not None and node.max < node.min):
            raise ValueError(f"repeat {{{node.min},{node.max}}}")
        if node.max is None:
            return base * (node.min - 1) + base + "+" if node.min else base + "*"
        return base * node.min + (base + "?") * (node.max - node.min)

    # ------------------------------------------------------------ characters

    def _char(self, node: Char, *, bracket: bool) -> str:
        c, how = node.char, node.escape
        if how == "c" and c in _CONTROL_LETTER and (bracket or c != "\b"):
            return "\\" + _CONTROL_LETTER[c]
        if how == "x" and ord(c) < 256:
            return f"\\x{ord(c):02x}"
        if how == "o" and ord(c) < 256:
            return f"\\{ord(c):03o}"
        if how == "\\" and not _is_ascii_alnum(c) and (c == "\t" or not _is_control(c)):
            return "\\" + c
        special = frozenset("]\\[") if bracket else _BARE_SPECIAL
        if how == "" and c not in special and (c == "\t" or not _is_control(c)):
            return c
        return self._escaped(c, bracket=bracket)

    def _escaped(self, c: str, *, bracket: bool) -> str:
        """``c`` spelled with a backslash where a bare character would not do."""
        if _is_control(c):
            letter = _CONTROL_LETTER.get(c)
            if letter and (bracket or c != "\b"):
                return "\\" + letter
            return f"\\x{ord(c):02x}"
        if _is_ascii_alnum(c):
            return c
        return "\\" + c

    def _quoted_char(self, c: str) -> str:
        if c in '"\\':
            return "\\" + c
        if _is_control(c) and c != "\t":
            letter = _CONTROL_LETTER.get(c)
            return "\\" + letter if letter else f"\\x{ord(c):02x}"
        return c

    def _bracket(self, node: Bracket) -> str:
        items = node.items
        out: list[str] = []
        for i, item in enumerate(items):
            prev = items[i - 1] if i > 0 else None
            nxt = items[i + 1] if i + 1 < len(items) else None
            if isinstance(item, Char):
                out.append(self._bracket_char(item, i, prev, nxt, node.negated))
            elif isinstance(item, Range):
                first = self._bracket_end(item.first)
                if (item.first.escape == "" and item.first.char == "-"
                        and isinstance(prev, Char)) or (
                        i == 0 and not node.negated and first == "^"):
                    first = "\\" + item.first.char
                out.append(first + "-" + self._bracket_end(item.last))
            elif isinstance(item, PosixClass):
                out.append(f"[:{item.name}:]")
            else:
                out.append("\\" + item.meta.value)
        return "[" + ("^" if node.negated else "") + "".join(out) + "]"

    def _bracket_end(self, node: Char) -> str:
        text = self._char(node, bracket=True)
        return "\\]" if text == "]" else text

    def _bracket_char(self, node: Char, i: int, prev: BracketItem | None,
                      nxt: BracketItem | None, negated: bool) -> str:
        c = node.char
        if node.escape != "" or c == "\\" or (_is_control(c) and c != "\t"):
            return self._char(node, bracket=True)
        ambiguous = (
            (c == "]" and i > 0)
            or (c == "^" and i == 0 and not negated)
            or (c == "[" and nxt is not None and self._starts_with_colon(nxt))
            or (c == "-" and isinstance(prev, Char) and isinstance(nxt, Char | Range))
        )
        return "\\" + c if ambiguous else c

    def _starts_with_colon(self, item: BracketItem) -> bool:
        first = item.first if isinstance(item, Range) else item
        return isinstance(first, Char) and first.escape == "" and first.char == ":"


# ---------------------------------------------------------------- EmS rewriting


class _EmsRewriter:
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def expression(self, node: Node) -> Node:
        if isinstance(node, And):
            return And(tuple(self.expression(o) for o in node.operands))
        if isinstance(node, Or):
            return Or(tuple(self.expression(o) for o in node.operands))
        if isinstance(node, Not):
            return Not(self.expression(node.operand))
        if isinstance(node, Reg):
            if is_logical(node.node):
                return self.expression(_mark_regex(node.node))
            return Reg(self._operand(node.node))
        if isinstance(node, Wild):
            return node
        return self._operand(node)

    def _operand(self, node: Node) -> Node:
        if isinstance(node, Empty):
            self.problems.append("An empty expression has no EmS form.")
            return node
        left, right, core = _word_boundary_edges(node)
        if not (left or right):
            return self._regex(node)
        # \b is undocumented for EmS; where a whole operand is searched for, a boundary
        # is exactly "start of line or a non-word character" (and mirrored at the end).
        items: list[Node] = []
        if left:
            items.append(Group(Alternation((AnchorNode(Anchor.START), MetaClass(Meta.NOT_WORD)))))
        if len(core) == 1 and isinstance(core[0], Alternation):
            items.append(Group(self._regex(core[0])))
        else:
            items.extend(self._items(core))
        if right:
            items.append(Group(Alternation((MetaClass(Meta.NOT_WORD), AnchorNode(Anchor.END)))))
        return Concat(tuple(items))

    def _items(self, items: Sequence[Node]) -> list[Node]:
        out: list[Node] = []
        for item in items:
            new = self._regex(item)
            out.extend(new.items if isinstance(new, Concat) else (new,))
        return out

    def _regex(self, node: Node) -> Node:
        if isinstance(node, Char):
            return self._char(node)
        if isinstance(node, Bracket):
            return self._bracket(node)
        if isinstance(node, Quoted):
            return self._quoted(node)
        if isinstance(node, AnchorNode) and node.anchor is Anchor.WORD_BOUNDARY:
            self.problems.append("A word boundary inside an expression has no EmS form.")
            return node
        if isinstance(node, Repeat):
            inner = self._regex(node.node)
            if not isinstance(inner, _REGEX_ATOMS):
                inner = Group(inner)
            return Repeat(inner, node.min, node.max)
        if isinstance(node, Group):
            return Group(self._regex(node.node))
        if isinstance(node, Concat):
            items = self._items(node.items)
            return items[0] if len(items) == 1 else Concat(tuple(items))
        if isinstance(node, Alternation):
            return Alternation(tuple(self._regex(o) for o in node.options))
        if is_logical(node):
            raise ValueError(f"dotted operator {type(node).__name__} inside a regular expression")
        return node  # AnyChar, MetaClass, ShorthandRef, ^, $, Empty: documented as they are

    def _control(self, node: Char) -> Node:
        c = node.char
        if c == "\t":
            return Char("\t")  # a literal tab is a literal tab
        if c == "\n":
            return ShorthandRef(Shorthand.LF)
        if c == "\r":
            return ShorthandRef(Shorthand.CR)
        self.problems.append(f"Control character U+{ord(c):04X} has no documented EmS form.")
        return node

    def _char(self, node: Char) -> Node:
        c = node.char
        if _is_control(c):
            return self._control(node)
        if c in EMS_METACHARACTERS:
            return Char(c, "\\")
        if c == '"':
            return Bracket((Char('"'),))  # a bare quote would open a quoted run
        return Char(c)

    def _quoted(self, node: Quoted) -> Node:
        parts: list[Node] = []
        run = ""
        for c in node.text:
            if c in '"\\' or (_is_control(c) and c != "\t"):
                if run:
                    parts.append(Quoted(run))
                    run = ""
                parts.append(self._char(Char(c)))
            else:
                run += c
        if run or not parts:
            parts.append(Quoted(run))
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    def _bracket_char(self, node: Char) -> Char:
        return Char(node.char, "\\" if node.char in "]\\[^" else "")

    def _bracket(self, node: Bracket) -> Node:
        items: list[BracketItem] = []
        lines: list[Node] = []  # \n and \r, taken out as {LF} / {CR} alternatives
        dash = False
        for item in node.items:
            if isinstance(item, Char):
                c = item.char
                if c == "-":
                    dash = True  # order is irrelevant in a set; a final - is literal
                elif c in "\n\r" and not node.negated:
                    ref = ShorthandRef(Shorthand.LF if c == "\n" else Shorthand.CR)
                    if ref not in lines:
                        lines.append(ref)
                elif c == "\n":
                    pass  # negated sets never match a newline anyway
                elif _is_control(c) and c != "\t":
                    self.problems.append(
                        f"Control character U+{ord(c):04X} has no documented EmS form."
                    )
                    items.append(item)
                else:
                    items.append(self._bracket_char(item))
            elif isinstance(item, Range):
                ends = (item.first.char, item.last.char)
                if any(_is_control(c) and c != "\t" for c in ends):
                    self.problems.append(
                        "A range with a control character has no documented EmS form."
                    )
                    items.append(item)
                else:
                    items.append(Range(self._bracket_char(item.first),
                                       self._bracket_char(item.last)))
            else:
                items.append(item)
        if dash:
            items.append(Char("-"))
        # a range from "-" written after a character needs "\-", which EmS does not
        # document; first in the set it needs nothing (order is irrelevant in a set)
        items.sort(key=lambda it: not (isinstance(it, Range) and it.first.char == "-"))
        if node.negated:
            return Bracket(tuple(items), negated=True) if items else AnyChar()
        options: list[Node] = ([Bracket(tuple(items))] if items else []) + lines
        return options[0] if len(options) == 1 else Group(Alternation(tuple(options)))
