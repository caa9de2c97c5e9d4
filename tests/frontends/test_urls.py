"""URL list entries (spec formats.md §2, research iwsva.md §4.1-4.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends.urls import format_url_entry, parse_url_entry
from isc.ir.web import UrlMatchType, UrlPattern

#: A list-section line: the entry starts at column 1 of line 12.
SPAN = Span("lists.ini", 12, 1)
#: An entry inside a longer line (``entry = ...``), to check that columns are shifted.
SPAN_AT_9 = Span("lists.ini", 3, 9)

W, K, S = UrlMatchType.WEB_SITE, UrlMatchType.KEYWORD, UrlMatchType.STRING


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        # formats.md §2 normalisation table (iwsva.md §4.2)
        ("web-site: example.com", "@example.com*"),
        ("web-site: example.com*", "@example.com*"),
        ("web-site: example.com/folder", "@example.com/folder"),
        ("url-keyword: example", "*example*"),
        ("url-keyword: *example", "*example*"),
        ("url-keyword: example*", "*example*"),
        ("url-keyword: *example*", "*example*"),
        ("string: example.com/folder/index.html", "example.com/folder/index.html"),
        # formats.md §2 typed examples
        ("url-keyword: partner", "*partner*"),
        ("string: http://example.com/a.html", "http://example.com/a.html"),
    ],
)
def test_normalisation_table(text: str, stored: str) -> None:
    pattern = parse_url_entry(text, SPAN)
    assert pattern == UrlPattern(stored)
    assert pattern.span == SPAN
    assert format_url_entry(pattern) == stored


@pytest.mark.parametrize(
    ("text", "stored", "kind"),
    [
        # typed prefixes: case-insensitive, blanks optional
        ("Web-Site:example.com", "@example.com*", W),
        ("WEB-SITE :   example.com", "@example.com*", W),
        ("URL-Keyword:partner", "*partner*", K),
        ("String:\thttp://example.com/", "http://example.com/", S),
        # web-site: scheme stripped, host lower-cased (not the path)
        ("web-site: http://example.com", "@example.com*", W),
        ("web-site: HTTPS://Example.COM/Folder/A.html", "@example.com/Folder/A.html", W),
        ("web-site: example.com/folder*", "@example.com/folder*", W),
        ("web-site: @example.com", "@example.com*", W),
        ("web-site: *.example.com", "@*.example.com", W),
        ("web-site: www.example.co?", "@www.example.co?*", W),
        ("web-site: example.com:8443", "@example.com:8443*", W),
        ("web-site: example.com:8443/app", "@example.com:8443/app", W),
        ("web-site: [2001:DB8::1]", "@[2001:db8::1]*", W),
        ("url-keyword: Trend?Micro", "*Trend?Micro*", K),
        ("url-keyword: **x**", "*x*", K),
        # stored forms are verbatim, except web-site hosts
        ("@example.com*", "@example.com*", W),
        ("@Example.COM/Folder", "@example.com/Folder", W),
        ("@EXAMPLE.com:8443*", "@example.com:8443*", W),
        ("@[2001:db8:0::1]:443/x", "@[2001:db8::1]:443/x", W),
        ("*partner*", "*partner*", K),
        ("*Partner*", "*Partner*", K),
        ("?lock", "?lock", S),
        ("Trend?Micro", "Trend?Micro", S),
        ("block*", "block*", S),
        ("http://www.%2apower.com", "http://www.%2apower.com", S),
        ("Example.com/Folder", "Example.com/Folder", S),
        ("localhost:8080/*", "localhost:8080/*", S),
        ("Trend Micro: notes", "Trend Micro: notes", S),
        ("  www.example.com/a b  ", "www.example.com/a b", S),
        # formats.md §1: the documented list files' entries
        ("http://intranet.yourcompany.com/*", "http://intranet.yourcompany.com/*", S),
        ("www.source-of-sudden-new-outbreak.com", "www.source-of-sudden-new-outbreak.com", S),
        ("www.known-phish-site.com/*", "www.known-phish-site.com/*", S),
        ("/intranet.yourcompany.com/*", "/intranet.yourcompany.com/*", S),
        ("*www.partner-site.com/*", "*www.partner-site.com/*", K),
        ("www.good-job-habits.com/*", "www.good-job-habits.com/*", S),
    ],
)
def test_parse(text: str, stored: str, kind: UrlMatchType) -> None:
    pattern = parse_url_entry(text, SPAN)
    assert pattern.stored == stored
    assert pattern.kind is kind
    assert parse_url_entry(format_url_entry(pattern), SPAN) == pattern


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("@例え.jp*", "@xn--r8jz45g.jp*"),
        ("web-site: 例え.jp", "@XN--R8JZ45G.JP*"),
        ("web-site: https://Bücher.example/x", "@xn--bcher-kva.example/x"),
        ("@例え。jp*", "@xn--r8jz45g.jp*"),  # ideographic full stop
        ("@ＥＸＡＭＰＬＥ.com*", "@example.com*"),  # full-width letters (nameprep)
        ("@Example.com*", "@example.com*"),
    ],
)
def test_hosts_compare_case_insensitively_and_as_punycode(a: str, b: str) -> None:
    assert parse_url_entry(a, SPAN) == parse_url_entry(b, SPAN)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("web-site:", 10, "empty web-site entry"),
        ("web-site:   ", 10, "empty web-site entry"),
        ("url-keyword: ", 13, "empty url-keyword entry"),
        ("url-keyword: ***", 14, "empty url-keyword entry"),
        ("string:", 8, "empty string entry"),
        ("@", 1, "a lone '@'"),
        ("   @", 4, "a lone '@'"),
        ("website: example.com", 1, "unknown entry type 'website:'"),
        ("@exa mple.com*", 5, "whitespace in the host"),
        ("web-site: example .com", 18, "whitespace in the host"),
        ("@example.com\u3000*", 13, "whitespace in the host"),
        ("@example.com:0*", 14, "port 0 is out of range"),
        ("@example.com:65536", 14, "port 65536 is out of range"),
        ("@example.com:123456", 14, "out of range"),
        ("web-site: example.com:99999", 23, "out of range"),
        ("@example.com:https", 14, "port must be a number"),
        ("@example.com:", 14, "missing a port number"),
        ("localhost:0/", 11, "port 0 is out of range"),
        ("http://example.com:70000/", 20, "out of range"),
        ("string: example.com:0/x", 21, "out of range"),
        ("a\x00b", 2, "control character U+0000"),
        ("@example.com/\x7f", 14, "control character U+007F"),
        ("web-site: a\nb", 12, "control character U+000A"),
        ("@/folder", 2, "missing host"),
        ("@@example.com", 2, "missing host"),
        ("@[2001:db8::zz]*", 3, "not an IPv6 address"),
        ("@\u00af.example*", 2, "not a valid IDN"),  # nameprep maps U+00AF to a blank
        ("@a.\uff0fb.example*", 4, "not a valid IDN"),  # ... and a full-width solidus to `/`
        ("string: @example.com", 9, "cannot start with '@'"),
        ("", 1, "empty URL entry"),
    ],
)
def test_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_url_entry(text, SPAN)
    err = info.value
    assert err.code == "ISC1003"
    assert message in err.message
    assert (err.file, err.line, err.column) == ("lists.ini", 12, column)
    with pytest.raises(ParseError) as shifted:
        parse_url_entry(text, SPAN_AT_9)
    assert shifted.value.column == column + 8


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("website: example.com", "did you mean web-site:?"),
        ("Web Site: example.com", "did you mean web-site:?"),
        ("web_site: example.com", "did you mean web-site:?"),
        ("keyword: partner", "did you mean url-keyword:?"),
        ("url_keyword: partner", "did you mean url-keyword:?"),
        ("strings: a/b", "did you mean string:?"),
    ],
)
def test_unknown_prefix_hint(text: str, hint: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_url_entry(text, SPAN)
    assert info.value.code == "ISC1003"
    assert hint in info.value.notes


def test_format_protects_strings_that_read_as_typed_entries() -> None:
    for stored in ("website: x", "string: x", "url-keyword: x"):
        pattern = UrlPattern(stored)
        assert pattern.kind is S
        text = format_url_entry(pattern)
        assert text == f"string: {stored}"
        assert parse_url_entry(text, SPAN) == pattern


# ---------------------------------------------------------------- properties

_label = st.from_regex(r"[a-z0-9*?]([a-z0-9*?-]{0,10}[a-z0-9*?])?", fullmatch=True)
_host = st.lists(_label, min_size=1, max_size=4).map(".".join)
_port = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))
_path = st.one_of(
    st.just(""),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=15).map(
        lambda s: "/" + s.rstrip()
    ),
)
_free = st.characters(blacklist_categories=("Cc", "Cs"))
web_sites = st.builds(lambda h, p, path: f"@{h}{p}{path}", _host, _port, _path)
keywords = st.text(_free, min_size=1, max_size=15).map(lambda s: f"*{s}*")
strings = (
    st.text(_free, min_size=1, max_size=30)
    .map(lambda s: s.strip(" \t"))
    .filter(lambda s: s != "" and not s.startswith("@"))
    .filter(lambda s: UrlPattern(s).kind is S)
)


def _parsable(stored: str) -> bool:
    try:
        parse_url_entry(stored, SPAN)
    except IscError:
        return False
    return True


patterns = (
    st.one_of(web_sites, keywords, strings)
    .filter(_parsable)
    .map(lambda s: parse_url_entry(s, SPAN))
)


@given(patterns)
def test_format_round_trip(pattern: UrlPattern) -> None:
    assert parse_url_entry(format_url_entry(pattern), SPAN) == pattern


@given(web_sites)
def test_canonical_web_sites_are_kept(stored: str) -> None:
    assert parse_url_entry(stored, SPAN).stored == stored


_prefixes = st.sampled_from(
    ["", "@", "web-site: ", "url-keyword: ", "string: ", "website: ", "web-site: http://", "*"]
)


@given(st.one_of(st.text(), st.tuples(_prefixes, st.text()).map("".join)))
def test_arbitrary_text_raises_only_isc_errors(text: str) -> None:
    try:
        pattern = parse_url_entry(text, SPAN)
    except IscError as err:
        assert err.code == "ISC1003"
        assert err.column is not None and err.column >= 1
        return
    assert parse_url_entry(format_url_entry(pattern), SPAN) == pattern
