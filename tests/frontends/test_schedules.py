"""Scheduled times (spec formats.md §3 `[schedule]`, §5 "Schedules")."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends.schedules import format_days, format_hours, parse_days, parse_hours

#: ``days = <text>`` / ``hours = <text>``: the value starts at column 9 of line 4.
SPAN = Span("policy.ini", 4, 9)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", {MON, TUE, WED, THU, FRI}),  # formats.md §3
        ("always", set(range(7))),
        ("mon", {MON}),
        ("Sunday", {SUN}),
        ("MON, wed, fri-sun", {MON, WED, FRI, SAT, SUN}),
        ("monday-wednesday", {MON, TUE, WED}),
        ("fri-mon", {FRI, SAT, SUN, MON}),  # wraps
        ("sun-sun", {SUN}),
        ("sat - sun , mon", {SAT, SUN, MON}),
        ("weekdays", {MON, TUE, WED, THU, FRI}),
        ("weekends", {SAT, SUN}),
        ("Weekends, wed", {WED, SAT, SUN}),
        ("mon, mon-tue", {MON, TUE}),
        ("ALWAYS", set(range(7))),
    ],
)
def test_parse_days(text: str, days: set[int]) -> None:
    assert parse_days(text, SPAN) == frozenset(days)
    assert parse_days(format_days(frozenset(days)), SPAN) == frozenset(days)


@pytest.mark.parametrize(
    ("text", "intervals"),
    [
        ("08:00-12:00, 13:00-18:00", ((480, 720), (780, 1080))),  # formats.md §3
        # overlapping and adjacent ranges merge (formats.md §5)
        ("08:00-12:00, 11:00-13:00", ((480, 780),)),
        ("08:00-12:00, 12:00-13:00", ((480, 780),)),
        ("13:00-18:00, 08:00-12:00", ((480, 720), (780, 1080))),
        ("09:00-10:00, 08:00-17:00", ((480, 1020),)),
        # 24:00 is the end of the day (formats.md §5)
        ("18:00-24:00", ((1080, 1440),)),
        ("00:00-24:00", ((0, 1440),)),
        ("always", ((0, 1440),)),
        ("Always", ((0, 1440),)),
        # crossing midnight
        ("22:00-06:00", ((0, 360), (1320, 1440))),
        ("22:00-00:00", ((1320, 1440),)),
        ("8:00-9:30", ((480, 570),)),
        ("00:00-00:01", ((0, 1),)),
    ],
)
def test_parse_hours(text: str, intervals: tuple[tuple[int, int], ...]) -> None:
    assert parse_hours(text, SPAN) == intervals
    assert parse_hours(format_hours(intervals), SPAN) == intervals


def test_format() -> None:
    assert format_days(frozenset(range(7))) == "always"
    assert format_days(frozenset({MON, TUE, WED, THU, FRI})) == "mon-fri"
    assert format_days(frozenset({MON, WED, SAT, SUN})) == "mon, wed, sat-sun"
    assert format_hours(((0, 1440),)) == "always"
    assert format_hours(((480, 720), (780, 1440))) == "08:00-12:00, 13:00-24:00"
    with pytest.raises(ValueError):
        format_days(frozenset())
    with pytest.raises(ValueError):
        format_hours(((0, 10), (5, 20)))


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", 1, "empty days"),
        ("funday", 1, "expected"),
        ("mon, thurz", 6, "unknown day 'thurz'"),
        ("mon-", 5, "missing"),
        ("mon,", 5, "missing"),
        ("mon fri", 5, "expected"),
        ("always, mon", 7, "expected"),
    ],
)
def test_day_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_days(text, SPAN)
    err = info.value
    assert err.code == "ISC1005"
    assert message in err.message
    assert (err.file, err.line, err.column) == ("policy.ini", 4, SPAN.column + column - 1)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("25:00-26:00", 1, "hour 25 is out of range"),
        ("08:60-09:00", 4, "minute 60 is out of range"),
        ("08:00-09:75", 10, "minute 75 is out of range"),
        ("8-9", 1, "expected"),
        ("08:00-12:00, 13:00-", 20, "missing"),
        ("08:00-08:00", 1, "empty time range"),
        ("24:00-01:00", 1, "24:00 can only end a range"),
        ("23:00-24:30", 7, "after 24:00"),
        ("08:0-09:00", 4, "two digits"),
        ("123:00-13:00", 1, "out of range"),
        ("08:00", 6, "missing"),
        ("", 1, "empty hours"),
        ("08:00-12:00; 13:00-14:00", 12, "expected"),
    ],
)
def test_hour_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_hours(text, SPAN)
    err = info.value
    assert err.code == "ISC1005"
    assert message in err.message
    assert (err.file, err.line, err.column) == ("policy.ini", 4, SPAN.column + column - 1)


# ---------------------------------------------------------------- properties

day_sets = st.frozensets(st.integers(0, 6), min_size=1)


@st.composite
def intervals(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    """Sorted, merged intervals: pairs of strictly increasing, non-touching boundaries."""
    cuts = sorted(draw(st.sets(st.integers(0, 1440), min_size=2, max_size=12)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    merged: list[tuple[int, int]] = []
    for start, end in pairs:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


@given(day_sets)
def test_days_round_trip(days: frozenset[int]) -> None:
    assert parse_days(format_days(days), SPAN) == days


@given(intervals())
def test_hours_round_trip(found: tuple[tuple[int, int], ...]) -> None:
    assert parse_hours(format_hours(found), SPAN) == found


@given(st.lists(st.tuples(st.integers(0, 1440), st.integers(0, 1440)), min_size=1, max_size=6))
def test_hours_are_merged(ranges: list[tuple[int, int]]) -> None:
    text = ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in ranges)
    try:
        found = parse_hours(text, SPAN)
    except ParseError as err:  # empty range or 24:00 as a start
        assert err.code == "ISC1005"
        return
    assert all(0 <= s < e <= 1440 for s, e in found)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(found))
    covered = {m for s, e in found for m in range(s, e)}
    wanted: set[int] = set()
    for s, e in ranges:
        wanted |= set(range(s, e)) if s < e else set(range(s, 1440)) | set(range(e))
    assert covered == wanted


_day_text = st.text(st.sampled_from("monwedfrisuatyl-, :0123456789\t\x0b"))


@given(st.one_of(st.text(), _day_text))
def test_arbitrary_text_raises_only_isc_errors(text: str) -> None:
    for parse, fmt in ((parse_days, format_days), (parse_hours, format_hours)):
        try:
            value = parse(text, SPAN)  # type: ignore[operator]
        except IscError as err:
            assert err.code == "ISC1005"
            assert err.column is not None and err.column >= SPAN.column
            continue
        assert parse(fmt(value), SPAN) == value  # type: ignore[operator]
