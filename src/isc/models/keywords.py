"""Evaluating keyword expressions and keyword lists (research imsva.md §2.1, targets.md §2.6).

An expression AST (:mod:`isc.ir.keyword_expr`) is compiled once (cached) to RE2 programs,
one per operand (:mod:`isc.ir.keyword_re2`), which search in time linear in the text. The
reading of the eManager dialect, where the documentation is silent:

* matching is a search: an expression matches a text when it occurs anywhere in it;
* ``.`` is one character (code point), never a newline; bracket expressions written with
  ``^``, the meta-symbols ``\\S \\D \\W`` and ``.WILD.`` wildcards never match a newline
  either, and ``^``/``$`` match at the start/end of every line (POSIX ``REG_NEWLINE``,
  inferred from "any character except newline");
* POSIX classes and meta-symbols are ASCII (the C locale of a byte-oriented engine):
  ``[:alpha:]`` = ``A-Za-z``, ``\\w`` = ``[_[:alnum:]]`` = ``[0-9A-Za-z_]``, ``\\s`` =
  space, ``\\t \\n \\v \\f \\r``; letters of other scripts are non-word characters;
* a leading ``\\b`` means the character before the match is not a word character (or
  there is none), a trailing one the same after it;
* case-insensitive matching is Python's Unicode case folding;
* ``.AND.``, ``.OR.``, ``.NOT.`` combine whole searches over the same text; ``.WILD.`` is
  a search for the pattern with ``*`` = any run and ``?`` = any one character.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from isc.ir.keyword_expr import (
    Alternation,
    Anchor,
    AnchorNode,
    And,
    AnyChar,
    Bracket,
    Char,
    Concat,
    Empty,
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
from isc.ir.keyword_re2 import compile_search, operand_pattern, search, wildcard_pattern
from isc.ir.mail import KeywordExpression, KeywordMatch
from isc.models.index import Memo

__all__ = ["compile_expression", "expression_matches", "keyword_list_matches",
           "python_expression"]

#: Contents of a Python character class for each POSIX class (ASCII, C locale).
POSIX_SETS = {
    "alpha": "A-Za-z",
    "digit": "0-9",
    "alnum": "0-9A-Za-z",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\x0b\\f\\r",
    "blank": " \\t",
    "punct": "!-/:-@\\[-`{-~",
    "print": " -~",
    "graph": "!-~",
    "cntrl": "\\x00-\\x1f\\x7f",
    "xdigit": "0-9A-Fa-f",
}
_WORD = "0-9A-Za-z_"
#: Meta-symbol → (class contents, negated).
_META = {
    Meta.SPACE: (POSIX_SETS["space"], False),
    Meta.NOT_SPACE: (POSIX_SETS["space"], True),
    Meta.DIGIT: ("0-9", False),
    Meta.NOT_DIGIT: ("0-9", True),
    Meta.WORD: (_WORD, False),
    Meta.NOT_WORD: (_WORD, True),
}
#: Shorthand expansions (imsva.md §2.1), as Python regex.
SHORTHAND_REGEX = {
    Shorthand.D: "[0-9]",
    Shorthand.L: "[A-Za-z]",
    Shorthand.SP: "[(),;.\\\\<>@\\[\\]:]",
    Shorthand.NUMBER: "[0-9]+",
    Shorthand.WORD: "[A-Za-z]+",
    Shorthand.CR: "\\r",
    Shorthand.LF: "\\n",
    Shorthand.LWSP: "[ \\t]",
    Shorthand.CRLF: "\\r\\n",
    Shorthand.WSP: "[ \\t\\f]+",
    Shorthand.ALLC: ".",
}
#: The shorthand that is "class+": repeating it again collapses (``{WORD}+`` = ``{WORD}``).
_PLUS_SHORTHAND = {
    Shorthand.NUMBER: "[0-9]",
    Shorthand.WORD: "[A-Za-z]",
    Shorthand.WSP: "[ \\t\\f]",
}
_SIMPLE_BOUNDS = ((0, None), (1, None), (0, 1))


# ---------------------------------------------------------------- lists and expressions


def expression_matches(expr: KeywordExpression, text: str) -> bool:
    """Whether ``expr`` occurs in ``text`` (honouring its case-sensitivity flag)."""
    return compile_expression(expr.expr, expr.case_sensitive)(text)


def keyword_list_matches(
    match: KeywordMatch,
    threshold: int | None,
    expressions: Sequence[KeywordExpression],
    texts: Sequence[str],
    *,
    reaches: bool = False,
) -> bool:
    """Whether a keyword list matches the message parts ``texts``.

    An expression is present when it matches at least one of the texts (each text is
    searched on its own). ``any``: one is present; ``all``: every one is (an empty list
    never matches); ``not``: none is; ``score``: at least one is present and the sum of the
    scores of those present exceeds ``threshold`` (IMSVA, "exceeds") or, with
    ``reaches=True``, reaches it (EmS, "reaches"); no threshold counts as 0.
    """
    key = (id(expressions), match, threshold, tuple(texts), reaches)
    known = _LISTS.get(key)
    if known is not None and known[0] is expressions:
        return known[1]
    result = _list_matches(match, threshold, expressions, texts, reaches)
    _LISTS.put(key, (expressions, result))
    return result


#: Lists decided on texts, by the identity of their expressions: probes ask the same list
#: about the same texts in many contexts. A hit must hold the very tuple (ids are reused).
_LISTS: Memo[tuple[int, KeywordMatch, int | None, tuple[str, ...], bool],
             tuple[Sequence[KeywordExpression], bool]] = Memo()


def _list_matches(match: KeywordMatch, threshold: int | None,
                  expressions: Sequence[KeywordExpression], texts: Sequence[str],
                  reaches: bool) -> bool:
    def found(e: KeywordExpression) -> bool:
        return any(expression_matches(e, t) for t in texts)

    # any, all and not stop at the first expression that settles them
    if match is KeywordMatch.ANY:
        return any(map(found, expressions))
    if match is KeywordMatch.ALL:
        return bool(expressions) and all(map(found, expressions))
    if match is KeywordMatch.NOT:
        return not any(map(found, expressions))
    present = [found(e) for e in expressions]
    if not any(present):
        return False
    total = sum(e.score for e, hit in zip(expressions, present, strict=True) if hit)
    limit = threshold or 0
    return total >= limit if reaches else total > limit


@functools.lru_cache(maxsize=1 << 16)
def compile_expression(node: Node, case_sensitive: bool) -> Callable[[str], bool]:
    """A predicate telling whether the expression occurs in a text (RE2, linear time).

    Raises ``ValueError`` (:class:`isc.ir.keyword_re2.Unrunnable` when RE2 cannot run an
    operand) for an AST the front-end never produces.
    """
    return _linear(node, case_sensitive)


def _logical(node: Node, leaf: Callable[[Node], Callable[[str], bool]]
             ) -> Callable[[str], bool]:
    """The predicate of an expression: ``.AND.``, ``.OR.``, ``.NOT.`` and ``.REG.`` combine
    whole searches of the same text; ``leaf`` makes the search of one operand (a regular
    expression or a ``.WILD.`` glob). One fold for the RE2 engine and the Python oracle."""
    if isinstance(node, And):
        parts = [_logical(o, leaf) for o in node.operands]
        return lambda text: all(p(text) for p in parts)
    if isinstance(node, Or):
        parts = [_logical(o, leaf) for o in node.operands]
        return lambda text: any(p(text) for p in parts)
    if isinstance(node, Not):
        inner = _logical(node.operand, leaf)
        return lambda text: not inner(text)
    if isinstance(node, Reg):
        return _logical(node.node, leaf)
    return leaf(node)


def _linear(node: Node, case_sensitive: bool) -> Callable[[str], bool]:
    def leaf(operand: Node) -> Callable[[str], bool]:
        if isinstance(operand, Wild):
            pattern = wildcard_pattern(operand.pattern, case_sensitive)
        else:
            pattern = operand_pattern(operand, case_sensitive)
        compiled = compile_search(pattern)
        return lambda text: search(compiled, text)

    return _logical(node, leaf)


def python_expression(node: Node, case_sensitive: bool) -> Callable[[str], bool]:
    """The same predicate on Python ``re`` (backtracking: unbounded on hostile input).

    Kept only as the test oracle for the RE2 translation
    (tests/models/test_keywords_linear.py); never used on input.
    """
    flags = re.MULTILINE | (0 if case_sensitive else re.IGNORECASE)
    return _predicate(node, flags)


# ---------------------------------------------------------------- the Python oracle


def _search(pattern: str, flags: int) -> Callable[[str], bool]:
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:  # only a hand-built AST can get here
        raise ValueError(f"cannot compile keyword expression: {exc}") from None
    return lambda text: compiled.search(text) is not None


def _predicate(node: Node, flags: int) -> Callable[[str], bool]:
    def leaf(operand: Node) -> Callable[[str], bool]:
        if isinstance(operand, Wild):
            return _search(_wildcard(operand.pattern), flags)
        return _search(_operand(operand), flags)

    return _logical(node, leaf)


def _wildcard(pattern: str) -> str:
    return "".join(
        "[^\\n]*" if c == "*" else "[^\\n]" if c == "?" else re.escape(c) for c in pattern
    )


# ---------------------------------------------------------------- regular expressions


def _operand(node: Node) -> str:
    """A whole operand: a \\b first or last is a boundary check outside the match."""
    if isinstance(node, Concat) and len(node.items) >= 2:
        items = list(node.items)
        before = after = ""
        if _is_boundary(items[0]):
            before = f"(?<![{_WORD}])"
            items.pop(0)
        if items and _is_boundary(items[-1]):
            after = f"(?![{_WORD}])"
            items.pop()
        return before + "".join(_regex(i) for i in items) + after
    return _regex(node)


def _is_boundary(node: Node) -> bool:
    return isinstance(node, AnchorNode) and node.anchor is Anchor.WORD_BOUNDARY


def _regex(node: Node) -> str:
    if isinstance(node, Char):
        return re.escape(node.char)
    if isinstance(node, AnyChar):
        return "."
    if isinstance(node, MetaClass):
        contents, negated = _META[node.meta]
        return f"[^{contents}\\n]" if negated else f"[{contents}]"
    if isinstance(node, ShorthandRef):
        return f"(?:{SHORTHAND_REGEX[node.name]})"
    if isinstance(node, Bracket):
        return _bracket(node)
    if isinstance(node, AnchorNode):
        if node.anchor is Anchor.START:
            return "^"
        if node.anchor is Anchor.END:
            return "$"
        # Only hand-built ASTs have a boundary in the middle: an ASCII word boundary.
        return f"(?:(?<![{_WORD}])(?=[{_WORD}])|(?<=[{_WORD}])(?![{_WORD}]))"
    if isinstance(node, Quoted):
        return f"(?:{re.escape(node.text)})"
    if isinstance(node, Repeat):
        return _repeat(node)
    if isinstance(node, Group):
        return f"(?:{_regex(node.node)})"
    if isinstance(node, Concat):
        return "".join(_regex(i) for i in node.items)
    if isinstance(node, Alternation):
        return "(?:" + "|".join(_regex(o) for o in node.options) + ")"
    if isinstance(node, Empty):
        return ""
    assert is_logical(node)
    raise ValueError(f"dotted operator {type(node).__name__} inside a regular expression")


def _strip_groups(node: Node) -> Node:
    while isinstance(node, Group):
        node = node.node
    return node


def _repeat(node: Repeat) -> str:
    # Nested quantifiers collapse ((x+)* = x*), which keeps Python's backtracking linear
    # where the source repeats a repeat; only * + ? combine this way.
    low, high = node.min, node.max
    inner = node.node
    while (low, high) in _SIMPLE_BOUNDS:
        core = _strip_groups(inner)
        if isinstance(core, Repeat) and (core.min, core.max) in _SIMPLE_BOUNDS:
            low, high = min(low, core.min), None if high is None or core.max is None else 1
            inner = core.node
        elif isinstance(core, ShorthandRef) and core.name in _PLUS_SHORTHAND:
            return _PLUS_SHORTHAND[core.name] + _quantifier(min(low, 1), None)
        else:
            break
    return f"(?:{_regex(inner)}){_quantifier(low, high)}"


def _quantifier(low: int, high: int | None) -> str:
    simple = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((low, high))
    if simple:
        return simple
    return f"{{{low},{'' if high is None else high}}}"


def _class_char(c: str) -> str:
    if c in "\\]^-[":
        return "\\" + c
    return c if c.isprintable() else f"\\U{ord(c):08x}"


def _bracket(node: Bracket) -> str:
    """A bracket expression: the members as one class, each negated meta-symbol as its
    own alternative (Python cannot put a negated class inside a class)."""
    positive = ""
    negated_sets: list[str] = []
    for item in node.items:
        if isinstance(item, Char):
            positive += _class_char(item.char)
        elif isinstance(item, Range):
            positive += _class_char(item.first.char) + "-" + _class_char(item.last.char)
        elif isinstance(item, PosixClass):
            try:
                positive += POSIX_SETS[item.name]
            except KeyError:
                raise ValueError(f"unknown POSIX class [:{item.name}:]") from None
        else:
            contents, negated = _META[item.meta]
            if negated:
                negated_sets.append(contents)
            else:
                positive += contents
    if not node.negated:
        options = ([f"[{positive}]"] if positive else []) + [
            f"[^{n}\\n]" for n in negated_sets
        ]
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
    if not negated_sets:
        return f"[^{positive}\\n]"
    excluded = ([f"[{positive}]"] if positive else []) + [f"[^{n}]" for n in negated_sets]
    return "(?!" + "|".join(excluded) + ")[^\\n]"
