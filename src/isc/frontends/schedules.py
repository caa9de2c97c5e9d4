"""Scheduled times: the ``days`` and ``hours`` values of a ``[schedule "..."]`` section.

Grammar: ``grammars/schedule.lark`` (spec formats.md §5 "Schedules"). Days are
``frozenset[int]`` with 0 = Monday; hours are sorted, merged minute intervals ``[start, end)``
as :class:`~isc.ir.web.Schedule` holds them. Errors are :class:`~isc.errors.ParseError`
``ISC1005`` at the column of the offending token. No Lark object leaves this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lark import Token, Transformer, UnexpectedInput, v_args
from lark.exceptions import VisitError

from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends._grammar import locate, parser, shift

__all__ = ["format_days", "format_hours", "parse_days", "parse_hours"]

_CODE = "ISC1005"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NUMBERS = {name: i for names in (DAY_NAMES, _FULL_NAMES) for i, name in enumerate(names)}
ALL_DAYS = frozenset(range(7))
WHOLE_DAY = ((0, 1440),)
_EXPECTED = {
    "ALWAYS": "'always'",
    "DAY": "a day (mon..sun)",
    "WEEKDAYS": "'weekdays'",
    "WEEKENDS": "'weekends'",
    "TIME": "a time HH:MM",
    "MINUS": "'-'",
    "COMMA": "','",
    "$END": "the end of the value",
    "<END-OF-FILE>": "the end of the value",
}

Intervals = tuple[tuple[int, int], ...]


def parse_days(text: str, span: Span) -> frozenset[int]:
    """``mon-fri``, ``mon, wed, fri-sun``, ``fri-mon`` (wraps), ``weekdays``, ``always``..."""
    result = _parse("days", text, span, _Days(span))
    assert isinstance(result, frozenset)
    return result


def parse_hours(text: str, span: Span) -> Intervals:
    """``08:00-12:00, 13:00-18:00`` → ``((480, 720), (780, 1080))``; ``always`` → whole day."""
    result = _parse("hours", text, span, _Hours(span))
    assert isinstance(result, tuple)
    return result


def format_days(days: Iterable[int]) -> str:
    """The canonical text of a day set: ``always``, or runs like ``mon-fri, sun``."""
    found = frozenset(days)
    if not found or not found <= ALL_DAYS:
        raise ValueError(f"format_days: need a non-empty set of days 0..6, got {sorted(found)}")
    if found == ALL_DAYS:
        return "always"
    runs: list[str] = []
    day = 0
    while day < 7:
        if day not in found:
            day += 1
            continue
        start = day
        while day + 1 in found:
            day += 1
        runs.append(DAY_NAMES[start] if start == day else f"{DAY_NAMES[start]}-{DAY_NAMES[day]}")
        day += 1
    return ", ".join(runs)


def format_hours(intervals: Iterable[tuple[int, int]]) -> str:
    """The canonical text of merged intervals: ``always``, or ``08:00-12:00, 13:00-18:00``."""
    found = tuple(intervals)
    if found != merge(found) or not found or not all(0 <= s < e <= 1440 for s, e in found):
        raise ValueError(f"format_hours: need sorted, merged intervals in 0..1440, got {found}")
    if found == WHOLE_DAY:
        return "always"
    return ", ".join(f"{_hhmm(start)}-{_hhmm(end)}" for start, end in found)


def merge(intervals: Iterable[tuple[int, int]]) -> Intervals:
    """Sort intervals and merge the ones that overlap or touch; drop empty ones."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# ---------------------------------------------------------------- trees → values


class _Base(Transformer[Token, object]):
    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span

    def _error(
        self, message: str, tok: Token, offset: int = 0, notes: tuple[str, ...] = ()
    ) -> ParseError:
        return ParseError(
            message, code=_CODE, span=shift(self.span, (tok.column or 1) + offset), notes=notes
        )


@v_args(inline=True)
class _Days(_Base):
    def every_day(self, _tok: Token) -> frozenset[int]:
        return ALL_DAYS

    def day_list(self, *items: frozenset[int]) -> frozenset[int]:
        return frozenset().union(*items)

    def one_day(self, tok: Token) -> frozenset[int]:
        return frozenset({self._day(tok)})

    def day_range(self, first_tok: Token, last_tok: Token) -> frozenset[int]:
        first, last = self._day(first_tok), self._day(last_tok)
        return frozenset((first + i) % 7 for i in range((last - first) % 7 + 1))

    def weekdays(self, _tok: Token) -> frozenset[int]:
        return frozenset(range(5))

    def weekends(self, _tok: Token) -> frozenset[int]:
        return frozenset({5, 6})

    def _day(self, tok: Token) -> int:
        try:
            return _DAY_NUMBERS[str(tok).lower()]
        except KeyError:
            raise self._error(
                f"unknown day {str(tok)!r}", tok, notes=("days are mon..sun or monday..sunday",)
            ) from None


@v_args(inline=True)
class _Hours(_Base):
    def all_day(self, _tok: Token) -> Intervals:
        return WHOLE_DAY

    def hour_list(self, *ranges: Intervals) -> Intervals:
        return merge(i for r in ranges for i in r)

    def time_range(self, start_tok: Token, end_tok: Token) -> Intervals:
        start, end = self._minute(start_tok), self._minute(end_tok)
        if start == 1440:
            raise self._error("24:00 can only end a range", start_tok)
        if start == end:
            raise self._error(f"empty time range {start_tok!s}-{end_tok!s}", start_tok)
        if start > end:  # crosses midnight
            return ((start, 1440), (0, end))
        return ((start, end),)

    def _minute(self, tok: Token) -> int:
        hour_text, _, minute_text = str(tok).partition(":")
        if len(hour_text) > 2 or int(hour_text) > 24:
            raise self._error(f"hour {hour_text} is out of range 00-24", tok)
        if len(minute_text) != 2:
            raise self._error(
                f"minutes must be two digits, not {minute_text!r}", tok, len(hour_text) + 1
            )
        hour, minute = int(hour_text), int(minute_text)
        if minute > 59:
            raise self._error(
                f"minute {minute_text} is out of range 00-59", tok, len(hour_text) + 1
            )
        if hour == 24 and minute:
            raise self._error(f"{tok!s} is after 24:00", tok)
        return hour * 60 + minute


# ---------------------------------------------------------------- parsing and syntax errors


def _parse(start: str, text: str, span: Span, transformer: _Base) -> object:
    try:
        tree = parser("schedule", start).parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, start, text, span) from None
    try:
        return transformer.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, IscError):
            raise exc.orig_exc from None
        raise


def _word_at(text: str, column: int) -> str:
    match = re.match(r"[^\s,]+|.", text[column - 1 :], re.DOTALL)
    return match.group() if match else ""




def _syntax_error(exc: UnexpectedInput, what: str, text: str, span: Span) -> ParseError:
    at_end, column, expected, where = locate(exc, text, span, end=len(text.rstrip()) + 1)
    wanted = " or ".join(sorted({_EXPECTED.get(t, t) for t in expected})) or "something else"
    if not text.strip():
        return ParseError(f"empty {what}", code=_CODE, span=where)
    if at_end:
        return ParseError(f"{what}: missing {wanted}", code=_CODE, span=where)
    found = _word_at(text, column)
    return ParseError(f"{what}: expected {wanted}, found {found!r}", code=_CODE, span=where)
