"""Keyword-expression regular expressions in RE2 syntax (docs/semantics.md §4.5, decisions
33-35 and 43).

Keyword expressions run on RE2 (``google-re2``), which never backtracks: a search is linear
in the text whatever the pattern. This module spells one operand of an AST
(:mod:`isc.ir.keyword_expr`) in RE2 syntax with exactly the meaning the eManager reading
gives it, and compiles it with a memory bound. The front-end compiles every expression once
when it is read, so that what RE2 cannot run is refused at load (``ISC4006``), and the
models (``isc.models.keywords``) search with the same compiled programs.

Where RE2 and the reading differ, the translation makes up for it:

* ``\\b`` first or last in an operand looks only at the character before (after) the match:
  ``(?:\\A|[^W])`` / ``(?:[^W]|\\z)`` with ``W`` = ``[0-9A-Za-z_]``, which consumes that
  character; a search does not care. RE2's own ``\\b`` is used only in the middle of an
  operand (hand-built ASTs).
* Case-insensitive matching folds Unicode case as Python does. RE2's case orbits are the
  same except for ``I i İ ı`` (Python folds the four together, RE2 only ``I i``), so a
  literal or class holding one of them is written with all four.
* A negated bracket with a negated meta-symbol (``[^\\Sa]``) has no RE2 form (it would
  need a lookahead); its characters are a finite ASCII set, which is computed and written
  out.
* RE2 reads UTF-8: a lone surrogate in a searched text (only a broken message can hold one)
  is searched as U+FFFD, which no class of the dialect tells apart from it.
"""

from __future__ import annotations

import functools

import re2

from isc.ir.keyword_expr import (
    Alternation,
    Anchor,
    AnchorNode,
    AnyChar,
    Bracket,
    Char,
    Concat,
    Empty,
    Group,
    Meta,
    MetaClass,
    Node,
    PosixClass,
    Quoted,
    Range,
    Repeat,
    Shorthand,
    ShorthandRef,
    is_logical,
)

__all__ = [
    "MAX_MEM",
    "MAX_REPEAT",
    "Unrunnable",
    "compile_search",
    "operand_pattern",
    "search",
    "wildcard_pattern",
]

#: Memory for one compiled operand (RE2 ``max_mem``): a program over it is refused
#: (ISC4006) instead of taking gigabytes; no expression within the ISC4005 limits needs it.
MAX_MEM = 8 << 20
#: RE2 refuses counted repetition beyond 1000 (only a hand-built AST can hold one).
MAX_REPEAT = 1000

_Ranges = tuple[tuple[int, int], ...]


class Unrunnable(ValueError):
    """An operand RE2 cannot run in linear time (ISC4006 when read from input)."""


def _ranges(text: str) -> _Ranges:
    """``"a-z_"`` → code point ranges (a tiny notation for the tables below)."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        if i + 2 < len(text) and text[i + 1] == "-":
            out.append((ord(text[i]), ord(text[i + 2])))
            i += 3
        else:
            out.append((ord(text[i]), ord(text[i])))
            i += 1
    return tuple(out)


#: POSIX classes (ASCII, C locale).
POSIX_RANGES: dict[str, _Ranges] = {
    "alpha": _ranges("A-Za-z"),
    "digit": _ranges("0-9"),
    "alnum": _ranges("0-9A-Za-z"),
    "upper": _ranges("A-Z"),
    "lower": _ranges("a-z"),
    "space": _ranges(" \t-\r"),
    "blank": _ranges(" \t"),
    "punct": _ranges("!-/:-@[-`{-~"),
    "print": _ranges(" -~"),
    "graph": _ranges("!-~"),
    "cntrl": _ranges("\x00-\x1f\x7f"),
    "xdigit": _ranges("0-9A-Fa-f"),
}
_WORD = _ranges("0-9A-Za-z_")
#: Meta-symbol → (class, negated).
_META: dict[Meta, tuple[_Ranges, bool]] = {
    Meta.SPACE: (POSIX_RANGES["space"], False),
    Meta.NOT_SPACE: (POSIX_RANGES["space"], True),
    Meta.DIGIT: (POSIX_RANGES["digit"], False),
    Meta.NOT_DIGIT: (POSIX_RANGES["digit"], True),
    Meta.WORD: (_WORD, False),
    Meta.NOT_WORD: (_WORD, True),
}
_NEWLINE = ((0x0A, 0x0A),)
_I_GROUP = "Iiİı"
_I_CODES = frozenset(ord(c) for c in _I_GROUP)
#: Characters Python's case-insensitive matching equates with an ASCII letter besides its
#: other case (U+212A KELVIN SIGN, U+017F LONG S, and the dotted / dotless i).
_FOLDS = {"k": "\u212a", "s": "\u017f", "i": "\u0130\u0131"}
#: Shorthand that is "class+", so that repeating it again collapses.
_PLUS_SHORTHAND: dict[Shorthand, _Ranges] = {
    Shorthand.NUMBER: _ranges("0-9"),
    Shorthand.WORD: _ranges("A-Za-z"),
    Shorthand.WSP: _ranges(" \t\f"),
}
_SIMPLE_BOUNDS = ((0, None), (1, None), (0, 1))


# ---------------------------------------------------------------- character classes


def _escape(code: int) -> str:
    char = chr(code)
    if char.isascii() and char.isalnum():
        return char
    if 0xD800 <= code <= 0xDFFF:
        raise Unrunnable(f"a lone surrogate U+{code:04X} in a keyword expression")
    return f"\\x{{{code:x}}}"


def _class_body(ranges: _Ranges) -> str:
    return "".join(_escape(lo) if lo == hi else f"{_escape(lo)}-{_escape(hi)}"
                   for lo, hi in ranges)


def _with_i_group(ranges: _Ranges, folded: bool) -> _Ranges:
    """Under case folding, a class holding one of ``I i İ ı`` holds all four (Python)."""
    if folded and any(lo <= c <= hi for c in _I_CODES for lo, hi in ranges):
        return ranges + tuple((c, c) for c in sorted(_I_CODES))
    return ranges


def _positive(ranges: _Ranges, folded: bool) -> str:
    return f"[{_class_body(_with_i_group(ranges, folded))}]"


def _negative(ranges: _Ranges, folded: bool) -> str:
    """Any character outside ``ranges`` but a newline."""
    return f"[^{_class_body(_with_i_group(ranges + _NEWLINE, folded))}]"


def _complement(ranges: _Ranges, folded: bool) -> str:
    """Any character outside ``ranges``, a newline included."""
    return f"[^{_class_body(_with_i_group(ranges, folded))}]"


def _members(ranges: _Ranges) -> set[str]:
    return {chr(c) for lo, hi in ranges for c in range(lo, hi + 1)}


def _variants(char: str) -> set[str]:
    """The characters Python's case-insensitive matching takes ``char`` to be."""
    out = {char, char.lower(), char.upper()}
    for ascii_letter, extra in _FOLDS.items():
        if char.lower() == ascii_letter or char in extra:
            out |= {ascii_letter, ascii_letter.upper(), *extra}
    return {c for c in out if len(c) == 1}


def _in(ranges: _Ranges, char: str, folded: bool) -> bool:
    chars = _variants(char) if folded else {char}
    return any(lo <= ord(c) <= hi for c in chars for lo, hi in ranges)


# ---------------------------------------------------------------- one operand


def operand_pattern(node: Node, case_sensitive: bool) -> str:
    """One regular-expression operand as an RE2 pattern (flags included).

    Raises :class:`Unrunnable` for what RE2 cannot express.
    """
    return _flags(case_sensitive) + _Translator(not case_sensitive).operand(node)


def wildcard_pattern(pattern: str, case_sensitive: bool) -> str:
    """A ``.WILD.`` pattern: ``*`` any run, ``?`` one character (never a newline)."""
    tr = _Translator(not case_sensitive)
    body = "".join("[^\\n]*" if c == "*" else "[^\\n]" if c == "?" else tr.char(c)
                   for c in pattern)
    return _flags(case_sensitive) + body


def _flags(case_sensitive: bool) -> str:
    return "(?m)" if case_sensitive else "(?mi)"


@functools.lru_cache(maxsize=64)
def _shorthand(name: Shorthand, folded: bool) -> str:
    """A shorthand's RE2 text, written once (its character classes are costly to write)."""
    if name in _PLUS_SHORTHAND:
        return _positive(_PLUS_SHORTHAND[name], folded) + "+"
    if name is Shorthand.D:
        return _positive(_ranges("0-9"), folded)
    if name is Shorthand.L:
        return _positive(_ranges("A-Za-z"), folded)
    if name is Shorthand.SP:
        return _positive(_ranges("(),;.\\<>@[]:"), folded)
    return {Shorthand.CR: "\\r", Shorthand.LF: "\\n", Shorthand.LWSP: "[\\t ]",
            Shorthand.CRLF: "\\r\\n", Shorthand.ALLC: "[^\\n]"}[name]


class _Translator:
    def __init__(self, folded: bool) -> None:
        self.folded = folded

    def operand(self, node: Node) -> str:
        """A whole operand: a \\b first or last looks at the character outside the match."""
        if isinstance(node, Concat) and len(node.items) >= 2:
            items = list(node.items)
            before = after = ""
            if _is_boundary(items[0]):
                before = f"(?:\\A|{_complement(_WORD, self.folded)})"
                items.pop(0)
            if items and _is_boundary(items[-1]):
                after = f"(?:{_complement(_WORD, self.folded)}|\\z)"
                items.pop()
            return before + "".join(self.regex(i) for i in items) + after
        return self.regex(node)

    def char(self, char: str) -> str:
        if self.folded and char in _I_GROUP:
            return f"[{_I_GROUP}]"
        return _escape(ord(char))

    def regex(self, node: Node) -> str:
        if isinstance(node, Char):
            return self.char(node.char)
        if isinstance(node, AnyChar):
            return "[^\\n]"
        if isinstance(node, MetaClass):
            ranges, negated = _META[node.meta]
            return _negative(ranges, self.folded) if negated else _positive(ranges, self.folded)
        if isinstance(node, ShorthandRef):
            return f"(?:{self.shorthand(node.name)})"
        if isinstance(node, Bracket):
            return self.bracket(node)
        if isinstance(node, AnchorNode):
            if node.anchor is Anchor.START:
                return "^"
            if node.anchor is Anchor.END:
                return "$"
            return "\\b"  # only hand-built ASTs have a boundary in the middle
        if isinstance(node, Quoted):
            return "(?:" + "".join(self.char(c) for c in node.text) + ")"
        if isinstance(node, Repeat):
            return self.repeat(node)
        if isinstance(node, Group):
            return f"(?:{self.regex(node.node)})"
        if isinstance(node, Concat):
            return "".join(self.regex(i) for i in node.items)
        if isinstance(node, Alternation):
            return "(?:" + "|".join(self.regex(o) for o in node.options) + ")"
        if isinstance(node, Empty):
            return ""
        assert is_logical(node)
        raise ValueError(f"dotted operator {type(node).__name__} inside a regular expression")

    def shorthand(self, name: Shorthand) -> str:
        return _shorthand(name, self.folded)

    def repeat(self, node: Repeat) -> str:
        # Nested quantifiers collapse ((x+)* = x*), as the Python reading did (decision 43):
        # the language is the same and the program smaller.
        low, high = node.min, node.max
        inner = node.node
        while (low, high) in _SIMPLE_BOUNDS:
            core = _strip_groups(inner)
            if isinstance(core, Repeat) and (core.min, core.max) in _SIMPLE_BOUNDS:
                low, high = min(low, core.min), None if high is None or core.max is None else 1
                inner = core.node
            elif isinstance(core, ShorthandRef) and core.name in _PLUS_SHORTHAND:
                cls = _positive(_PLUS_SHORTHAND[core.name], self.folded)
                return cls + _quantifier(min(low, 1), None)
            else:
                break
        return f"(?:{self.regex(inner)}){_quantifier(low, high)}"

    def bracket(self, node: Bracket) -> str:
        positive: list[tuple[int, int]] = []
        negated_sets: list[_Ranges] = []
        for item in node.items:
            if isinstance(item, Char):
                positive.append((ord(item.char), ord(item.char)))
            elif isinstance(item, Range):
                positive.append((ord(item.first.char), ord(item.last.char)))
            elif isinstance(item, PosixClass):
                try:
                    positive.extend(POSIX_RANGES[item.name])
                except KeyError:
                    raise ValueError(f"unknown POSIX class [:{item.name}:]") from None
            else:
                ranges, negated = _META[item.meta]
                if negated:
                    negated_sets.append(ranges)
                else:
                    positive.extend(ranges)
        members = tuple(positive)
        if not node.negated:
            options = ([_positive(members, self.folded)] if members else []) + [
                _negative(n, self.folded) for n in negated_sets]
            return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
        if not negated_sets:
            return _negative(members, self.folded)
        # [^...\S...]: no member, inside every negated meta-symbol's set, not a newline.
        # The candidates are ASCII (and, folded, their case variants): list them.
        candidates: set[str] = set.intersection(*(
            {v for c in _members(n) for v in (_variants(c) if self.folded else {c})}
            for n in negated_sets))
        chosen = sorted(
            c for c in candidates
            if c != "\n" and not _in(members, c, self.folded)
            and all(_in(n, c, self.folded) for n in negated_sets))
        if not chosen:
            return "[^\\x00-\\x{10ffff}]"  # matches nothing
        return "(?-i:[" + "".join(_escape(ord(c)) for c in chosen) + "])"


def _is_boundary(node: Node) -> bool:
    return isinstance(node, AnchorNode) and node.anchor is Anchor.WORD_BOUNDARY


def _strip_groups(node: Node) -> Node:
    while isinstance(node, Group):
        node = node.node
    return node


def _quantifier(low: int, high: int | None) -> str:
    simple = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((low, high))
    if simple:
        return simple
    if low > MAX_REPEAT or (high is not None and high > MAX_REPEAT):
        raise Unrunnable(f"a repetition count over {MAX_REPEAT}")
    return f"{{{low},{'' if high is None else high}}}"


# ---------------------------------------------------------------- compiling and searching


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False
    options.never_capture = True
    return options


@functools.lru_cache(maxsize=4096)
def compile_search(pattern: str) -> re2._Regexp:
    """Compile an RE2 pattern (cached); :class:`Unrunnable` when RE2 refuses it."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        raise Unrunnable(f"RE2 cannot run it: {exc}") from None
    except UnicodeEncodeError:
        raise Unrunnable("a lone surrogate in a keyword expression") from None


def search(compiled: re2._Regexp, text: str) -> bool:
    """Whether ``compiled`` occurs in ``text``."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: search it as U+FFFD
        data = _unsurrogate(text).encode("utf-8")
    # Searching the UTF-8 bytes is the same search, without the character offsets the
    # str interface computes for a match object nobody reads.
    return compiled.search(data) is not None


def _unsurrogate(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
