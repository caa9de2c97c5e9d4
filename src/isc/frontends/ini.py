"""The InterScan INI dialect: bytes of one file → sections of spanned lines.

This module only knows the dialect (formats.md §1). Which sections are keyed and which are
lists is the caller's decision, so key lines are parsed on demand by :func:`parse_keyline`.
No Lark object leaves this module.
"""

from __future__ import annotations

import re

import attrs
from lark import Token, Transformer, Tree, UnexpectedInput, v_args
from lark.exceptions import VisitError

from isc.diagnostics import Span
from isc.errors import ParseError
from isc.frontends import _grammar
from isc.frontends._grammar import at_column, parser, paused_gc


@attrs.frozen
class Line:
    text: str
    span: Span


@attrs.frozen
class KeyLine:
    key: str
    qualifier: str | None
    value: str
    quoted: bool
    span: Span
    value_span: Span


@attrs.frozen
class Section:
    name: str
    qualifier: str | None
    lines: tuple[Line, ...]
    span: Span


@attrs.frozen
class IniDocument:
    path: str
    title: tuple[Line, ...]
    """Text lines before the first section (list import files start with a title)."""
    comments: tuple[Line, ...]
    sections: tuple[Section, ...]


def unquote(token: str, span: Span) -> str:
    """Undo ``\\"`` and ``\\\\`` escapes of a double-quoted string."""
    body = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if nxt not in ('"', "\\"):
                raise ParseError(
                    f"bad escape '\\{nxt}' in quoted string (only \\\" and \\\\)",
                    code="ISC1010",
                    span=attrs.evolve(span, column=span.column + i + 1),
                )
            out.append(nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Document(Transformer[Token, list[tuple[str, str, int, int]]]):
    """document tree → [(kind, text, line, column)]."""

    def __init__(self) -> None:
        super().__init__()

    def document(self, items: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
        return items

    def _line(self, kind: str, items: list[Token]) -> tuple[str, str, int, int]:
        tok = items[0]
        return (kind, str(tok).rstrip(), tok.line or 0, tok.column or 0)

    def comment(self, items: list[Token]) -> tuple[str, str, int, int]:
        return self._line("comment", items)

    def header(self, items: list[Token]) -> tuple[str, str, int, int]:
        return self._line("header", items)

    def text(self, items: list[Token]) -> tuple[str, str, int, int]:
        return self._line("text", items)


@v_args(inline=True)
class _Header(Transformer[Token, tuple[str, str | None]]):
    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span

    def section(self, name: Token, qualifier: str | None = None) -> tuple[str, str | None]:
        return (str(name), qualifier)

    def section_qualifier(self, tok: Token) -> str:
        column = self.span.column + (tok.column or 1) - 1
        return unquote(str(tok), attrs.evolve(self.span, column=column))


@v_args(inline=True)
class _KeyLine(Transformer[Token, object]):
    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span

    def keyline(self, key: Token, *rest: object) -> tuple[str, str | None, tuple[str, bool, int]]:
        qualifier: str | None = None
        value: tuple[str, bool, int] = ("", False, self.span.column)
        for item in rest:
            if isinstance(item, str):
                qualifier = item
            elif isinstance(item, tuple):
                value = item  # type: ignore[assignment]
        return (str(key), qualifier, value)

    def quoted_qualifier(self, tok: Token) -> str:
        return unquote(str(tok), self._at(tok))

    def bare_qualifier(self, tok: Token) -> str:
        return str(tok)

    def quoted_value(self, tok: Token) -> tuple[str, bool, int]:
        return (unquote(str(tok), self._at(tok)), True, self._col(tok))

    def raw_value(self, tok: Token) -> tuple[str, bool, int]:
        return (str(tok).rstrip(), False, self._col(tok))

    def _col(self, tok: Token) -> int:
        return self.span.column + (tok.column or 1) - 1

    def _at(self, tok: Token) -> Span:
        return attrs.evolve(self.span, column=self._col(tok))


def _syntax_error(exc: UnexpectedInput, what: str, span: Span, code: str) -> ParseError:
    col = span.column + max(getattr(exc, "column", 1) or 1, 1) - 1
    return ParseError(f"malformed {what}", code=code, span=attrs.evolve(span, column=col))


#: A line that opens a section header (``[kind`` then a blank, a quote or the end) but does
#: not close it. An IPv6 list entry (``[2001:db8::1]``) starts with a digit and is not one.
BROKEN_HEADER = re.compile(r"\[[A-Za-z][\w.-]*(?:[ \t\"].*)?$(?<!\])")

#: The longest line isc reads (64 KiB). A URL entry or key is far shorter; a longer line is
#: refused before it is parsed, so that one hostile line cannot cost seconds and memory.
MAX_LINE = 64 * 1024


def parse_document(text: str, path: str) -> IniDocument:
    """Split INI-dialect text into a title, comments and sections of spanned lines."""
    with paused_gc():
        return _parse_document(text, path)


def _parse_document(text: str, path: str) -> IniDocument:
    if len(text) > MAX_LINE:
        for number, raw in enumerate(text.split("\n"), 1):
            if len(raw) > MAX_LINE:
                raise ParseError(f"line {number} is {len(raw):,} characters long; isc reads "
                                 f"lines of at most {MAX_LINE:,}", code="ISC4009",
                                 span=Span(path, number, 1))
    lines = _fast_lines(text) if _grammar.FAST_PATH else None
    if lines is None:
        lines = _lark_lines(text, path)
    title: list[Line] = []
    comments: list[Line] = []
    sections: list[Section] = []
    current: tuple[str, str | None, Span] | None = None
    body: list[Line] = []
    for kind, content, line, column in lines:
        stripped = content.strip()
        if kind == "text":
            if not stripped:
                continue  # a blank line: no span needed
            if stripped[0] == "[" and BROKEN_HEADER.match(stripped):
                raise ParseError(f"a section header needs a closing ']': {stripped[:60]!r}",
                                 code="ISC1002", span=Span(path, line, column))
            if current is None:
                title.append(Line(stripped, Span(path, line, column)))
            else:
                body.append(Line(stripped, Span(path, line, column)))
        elif kind == "comment":
            comments.append(Line(stripped, Span(path, line, column)))
        else:
            span = Span(path, line, column)
            if current is not None:
                sections.append(Section(current[0], current[1], tuple(body), current[2]))
            name, qualifier = parse_header(stripped, span)
            current, body = (name, qualifier, span), []
    if current is not None:
        sections.append(Section(current[0], current[1], tuple(body), current[2]))
    return IniDocument(path, tuple(title), tuple(comments), tuple(sections))


def _lark_lines(text: str, path: str) -> list[tuple[str, str, int, int]]:
    """``(kind, text, line, column)`` of each non-empty line, by the document grammar."""
    try:
        tree = parser("ini", "document").parse(text)
    except UnexpectedInput as exc:  # a lone CR, or text after a header's closing ']'
        raise _syntax_error(exc, "INI document", Span(path, exc.line, 1), "ISC1002") from exc
    lines = _Document().transform(tree)
    assert isinstance(lines, list)
    return lines


#: The document grammar's COMMENT_LINE and HEADER_LINE, as its lexer tries them at the start
#: of a line (by priority: a comment, then a header, then any text). A comment runs to the end
#: of the line, so its start decides.
_FAST_COMMENT = re.compile(r"[ \t]*[#;]")
_FAST_HEADER = re.compile(r"[ \t]*\[[^\r\n]*\][ \t]*")


def _fast_lines(text: str) -> list[tuple[str, str, int, int]] | None:
    """What :func:`_lark_lines` gives (less blank lines, and each text already stripped),
    without Lark; or None for a text Lark rejects (a CR that does not end a line, a header
    line with text after its last ']'): Lark then reports it. Every token starts a line, so
    every column is 1."""
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    out: list[tuple[str, str, int, int]] = []
    append = out.append
    comment, header = _FAST_COMMENT.match, _FAST_HEADER.match
    for number, raw in enumerate(text.split("\n"), 1):
        stripped = raw.strip()
        if not stripped:
            continue  # empty, or a blank text line the caller would skip
        first = stripped[0]
        # the first character is a cheap test; the grammar's own terminal decides
        if (first == "#" or first == ";") and comment(raw):
            append(("comment", stripped, number, 1))
        elif first == "[" and (found := header(raw)) is not None:
            if found.end() != len(raw) - (raw[-1] == "\r"):
                return None
            append(("header", stripped, number, 1))
        else:
            append(("text", stripped, number, 1))
    return out


#: The subset of section headers the fast path reads: ``[name]`` or ``[name "qualifier"]``
#: with no blank after ``[`` or before the name's end and no backslash in the qualifier.
_FAST_SECTION = re.compile(r'\[([^\s\[\]"]+)(?:[ \t]*"([^"\\\r\n]*)")?[ \t]*\]')


def parse_header(text: str, span: Span) -> tuple[str, str | None]:
    if _grammar.FAST_PATH:
        found = _FAST_SECTION.fullmatch(text)
        if found is not None:
            return found.group(1), found.group(2)
    try:
        tree = parser("ini", "section").parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, f"section header {text!r}", span, "ISC1002") from exc
    try:
        result = _Header(span).transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from None
    assert isinstance(result, tuple)
    return result


_INLINE_COMMENT = re.compile(r"\s+;.*$")
#: Keys whose value is free text: an inline ``;`` there is part of the text.
FREE_TEXT_KEYS = frozenset({"notes", "description", "override-password"})


#: The subset of key lines the fast path reads: a key of letters, digits, ``_.-``; an optional
#: qualifier, quoted with no backslash or a bare word of the same characters; ``=``; a value
#: quoted with no backslash, or raw (as the grammar's RAW_VALUE), or none. Blanks are the
#: grammar's ignored WS_INLINE. Anything else goes to Lark.
_FAST_KEYLINE = re.compile(
    r'([A-Za-z0-9][A-Za-z0-9_.-]*)'
    r'(?:[ \t]*("[^"\\\r\n]*")|[ \t]+([A-Za-z0-9_.-]+))?'
    r'[ \t]*=[ \t]*'
    r'(?:("[^"\\\r\n]*")|([^\s"][^\r\n]*))?'
)


def parse_keyline(line: Line) -> KeyLine:
    """Parse ``key ["qualifier"] = value``. An unquoted value ends before `` ; comment``
    except under free-text keys (docs/semantics.md, "Inline comments")."""
    found = _FAST_KEYLINE.fullmatch(line.text) if _grammar.FAST_PATH else None
    key: str
    qualifier: str | None
    value: str
    quoted: bool
    col: int
    if found is not None:
        key, quoted_qualifier, bare, quoted_value, raw = found.groups()
        qualifier = quoted_qualifier[1:-1] if quoted_qualifier is not None else bare
        if quoted_value is not None:
            value, quoted, col = quoted_value[1:-1], True, line.span.column + found.start(4)
        elif raw is not None:
            value, quoted, col = raw.rstrip(), False, line.span.column + found.start(5)
        else:
            value, quoted, col = "", False, line.span.column
    else:
        key, qualifier, (value, quoted, col) = _lark_keyline(line)
    if not quoted and value and key.lower() not in FREE_TEXT_KEYS:
        value = _INLINE_COMMENT.sub("", value)
    return KeyLine(
        key=key,
        qualifier=qualifier,
        value=value,
        quoted=quoted,
        span=line.span,
        value_span=line.span if col == line.span.column else at_column(line.span, col),
    )


def _lark_keyline(line: Line) -> tuple[str, str | None, tuple[str, bool, int]]:
    try:
        tree: Tree[Token] = parser("ini", "keyline").parse(line.text)
    except UnexpectedInput as exc:
        raise ParseError(
            f"expected 'key = value', found {line.text!r}",
            code="ISC1002",
            span=attrs.evolve(line.span, column=line.span.column + (exc.column or 1) - 1),
        ) from exc
    try:
        parsed = _KeyLine(line.span).transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from None
    return parsed  # type: ignore[return-value]


_BOOLS = {"yes": True, "on": True, "true": True, "1": True,
          "no": False, "off": False, "false": False, "0": False}


def parse_bool(kl: KeyLine) -> bool:
    try:
        return _BOOLS[kl.value.strip().lower()]
    except KeyError:
        raise ParseError(
            f"'{kl.key}' takes yes|no|on|off|true|false|1|0, not {kl.value!r}",
            code="ISC1006",
            span=kl.value_span,
        ) from None


#: A whole number as the exports write it: ASCII digits (a full-width "９" is not a number
#: here, as it is not to the appliance), at most 18 of them so that it fits in 64 bits and
#: never reaches int() with thousands of digits.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")


def whole_number(text: str) -> int | None:
    """``text`` as a whole number, or None when it is not one (see :data:`WHOLE_NUMBER`)."""
    text = text.strip()
    return int(text) if WHOLE_NUMBER.fullmatch(text) else None


def parse_int(kl: KeyLine, low: int | None = None, high: int | None = None) -> int:
    text = kl.value.strip()
    n = whole_number(text)
    if n is None:
        if re.fullmatch(r"[+-]?[0-9]+", text):
            raise ParseError(
                f"'{kl.key}' = {text[:24]}{'…' if len(text) > 24 else ''} is out of range "
                f"{'' if low is None else low}..{'' if high is None else high}",
                code="ISC1006", span=kl.value_span)
        raise ParseError(
            f"'{kl.key}' takes a whole number (ASCII digits), not {kl.value[:40]!r}",
            code="ISC1006", span=kl.value_span,
        )
    if (low is not None and n < low) or (high is not None and n > high):
        raise ParseError(
            f"'{kl.key}' = {n} is out of range {low}..{high}", code="ISC1006", span=kl.value_span
        )
    return n
