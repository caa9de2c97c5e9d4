"""Length and wildcard limits on URL entries and mail address wildcards (``ISC4005``),
refused at parse time at the entry's file, line and column."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import isc
from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends.mail_addresses import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_WILDCARDS,
    parse_address,
    parse_domain,
)
from isc.frontends.urls import MAX_ENTRY_LENGTH, MAX_WILDCARDS, parse_url_entry

SPAN = Span("lists.ini", 12, 1)
#: An entry inside a longer line, to check that columns are shifted.
SPAN_AT_9 = Span("lists.ini", 3, 9)
LIMIT = "ISC4005"


def refused(text: str, span: Span = SPAN) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_url_entry(text, span)
    assert info.value.code == LIMIT, info.value
    return info.value


def test_the_limits() -> None:
    assert (MAX_ENTRY_LENGTH, MAX_WILDCARDS) == (2048, 16)
    assert (MAX_PATTERN_LENGTH, MAX_PATTERN_WILDCARDS) == (320, 8)


# ---------------------------------------------------------------- URL entries: wildcards


def test_1000_stars_are_refused_at_the_17th() -> None:
    error = refused("*a" * 1000 + "b")
    assert error.column == 2 * MAX_WILDCARDS + 1
    assert "1000 wildcards" in error.message


def test_1000_stars_column_is_shifted_with_the_entry() -> None:
    assert refused("  " + "*a" * 1000 + "b", SPAN_AT_9).column == 9 + 2 + 32


def test_25_stars_and_b_are_refused() -> None:
    assert refused("*a" * 25 + "b").column == 33


def test_16_wildcards_are_accepted_17_refused() -> None:
    assert parse_url_entry("*a" * 15 + "?b", SPAN).stored == "*a" * 15 + "?b"
    assert refused("*a" * 16 + "?b").column == 33


def test_a_query_question_mark_counts() -> None:
    entry = "http://example.com/a" + "?" * 17
    assert refused(entry).column == len("http://example.com/a") + 17


def test_escaped_wildcards_do_not_count() -> None:
    entry = "http://example.com/" + "%2a%3F" * 40
    assert parse_url_entry(entry, SPAN).stored == entry


def test_a_web_site_counts_the_star_it_matches_with() -> None:
    # `@P` matches as `*P`: 15 written + 1 = 16 is fine, 16 written + 1 is not.
    assert parse_url_entry("@" + "a*" * 15, SPAN).stored == "@" + "a*" * 15
    error = refused("@" + "a*" * 16)
    assert error.column == 1 + 2 * 16  # the 16th written star is the 17th seen


def test_a_typed_web_site_counts_the_stars_it_adds() -> None:
    # web-site: a?a?...a (15 '?') → @a?...a* (16) + the leading one = 17
    error = refused("web-site: " + "a?" * 15 + "a")
    assert error.column == 1  # the 17th is an added one: the entry is pointed at
    assert parse_url_entry("web-site: " + "a?" * 14 + "a", SPAN).stored == (
        "@" + "a?" * 14 + "a*")
    # a host with a '*' gets no '*' at the end: 15 written + the leading one = 16
    parse_url_entry("web-site: " + "a*" * 15 + "a", SPAN)
    assert refused("web-site: " + "a*" * 16 + "a").column == len("web-site: ") + 32


def test_a_typed_keyword_counts_the_stars_it_adds() -> None:
    error = refused("url-keyword: " + "a*" * 15 + "a")
    assert error.column == 1  # the 17th is an added one: the entry is pointed at
    parse_url_entry("url-keyword: " + "a*" * 14 + "a", SPAN)


# ---------------------------------------------------------------- URL entries: length


def test_5000_star_questions_are_refused_as_too_long() -> None:
    error = refused("string: " + "*?" * 5000)
    assert error.column == 1
    assert "10,008 characters" in error.message


def test_a_host_of_20000_characters_is_refused() -> None:
    error = refused("  web-site: " + "a" * 20000 + ".example", SPAN_AT_9)
    assert error.column == 11


def test_the_length_limit_is_inclusive() -> None:
    entry = "http://example.com/" + "a" * (MAX_ENTRY_LENGTH - 19)
    assert len(entry) == MAX_ENTRY_LENGTH
    assert parse_url_entry(entry, SPAN).stored == entry
    refused(entry + "a")
    # blanks around the entry do not count
    assert parse_url_entry("   " + entry + " \t", SPAN).stored == entry


def test_hostile_entries_are_refused_quickly() -> None:
    code = """
        from isc.diagnostics import Span
        from isc.errors import IscError
        from isc.frontends.urls import parse_url_entry
        for entry in ("*a" * 1000 + "b", "string: " + "*?" * 5000,
                      "web-site: " + "a" * 20000, "*?" * 1000000):
            try:
                parse_url_entry(entry, Span("f", 1, 1))
            except IscError as exc:
                print(exc.code)
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=20, check=True)
    assert done.stdout.split() == [LIMIT] * 4


def test_the_limit_reaches_the_diagnostics_with_file_line_and_column() -> None:
    text = ('[url-filtering-policy "Global Policy"]\nglobal = yes\n'
            'category "Gambling" = block\n\n[custom-category "C"]\n'
            "ok.example\n" + "*a" * 30 + "b\n")
    with pytest.raises(IscError) as info:
        isc.loads(text, filename="policy.ini")
    found = [d for d in info.value.diagnostics if d.code == LIMIT]
    assert len(found) == 1
    assert (found[0].file, found[0].line, found[0].column) == ("policy.ini", 7, 33)


# ---------------------------------------------------------------- mail addresses


def address_refused(text: str, span: Span | None = None) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_address(text, span)
    assert info.value.code == LIMIT, info.value
    return info.value


def test_an_address_of_20_stars_is_refused_at_the_9th() -> None:
    error = address_refused("*a" * 20 + "b@example.com", Span("Policy.xml", 4, 36))
    assert (error.line, error.column) == (4, 36 + 16)
    assert "20 wildcards" in error.message


def test_8_stars_are_left_to_the_grammar() -> None:
    with pytest.raises(ParseError) as info:
        parse_address("*a" * 8 + "@example.com")
    assert info.value.code == "ISC1011"


def test_an_address_over_320_characters_is_refused() -> None:
    ok = "a" * 64 + "@" + "b" * 251 + ".com"
    assert len(ok) == MAX_PATTERN_LENGTH
    assert parse_address(ok) == ok
    error = address_refused("  " + ok + "m")
    assert error.column == 3
    address_refused("a" * 10000 + "@example.com")


def test_a_domain_is_limited_too() -> None:
    with pytest.raises(ParseError) as info:
        parse_domain("*." * 9 + "example.com", wildcard=True)
    assert (info.value.code, info.value.column) == (LIMIT, 17)
    with pytest.raises(ParseError) as info:
        parse_domain("a" * 400 + ".example")
    assert info.value.code == LIMIT


def test_the_documented_wildcards_are_accepted() -> None:
    assert parse_address("*@*.company.com") == "*@*.company.com"
    assert parse_domain("*.example.com", wildcard=True) == "*.example.com"
