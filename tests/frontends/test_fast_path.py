"""The front-ends' fast paths (issue 9, step 4): precompiled ``re`` patterns take the dominant
line kinds (INI lines and section headers, ``key = value`` lines, URL list entries, accounts)
and hand anything else to Lark, which stays the definition of the syntax.

Every property here parses the same text twice, with the fast paths on and with
:func:`isc.frontends._grammar.lark_only`, and asks for the same IR *and the same spans*
(spans are left out of IR equality, so they are compared field by field) or the same
diagnostic (code, severity, message, file, line, column, notes). Generated lines include
lines the fast paths must refuse and lines with errors.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import fastpaths
import isc
from fastpaths import deep, joined, load_both, same_on_both_paths
from isc.diagnostics import Span
from isc.errors import IscError
from isc.frontends import _grammar, accounts, ini, urls
from isc.frontends._grammar import lark_only
from isc.frontends.accounts import parse_account
from isc.frontends.ini import Line, parse_document, parse_header, parse_keyline
from isc.frontends.urls import MAX_ENTRY_LENGTH, MAX_WILDCARDS, parse_url_entry

ROOT = Path(__file__).resolve().parents[2]
SAKURA = ROOT / "examples" / "iwsva-sakura" / "export"
MANY = settings(max_examples=400, deadline=None)


# ---------------------------------------------------------------- comparing both paths


def test_the_fast_path_is_on_by_default_and_lark_only_restores_it() -> None:
    assert _grammar.FAST_PATH
    with lark_only():
        assert not _grammar.FAST_PATH
        with lark_only():
            assert not _grammar.FAST_PATH
        assert not _grammar.FAST_PATH
    assert _grammar.FAST_PATH
    with pytest.raises(RuntimeError), lark_only():
        raise RuntimeError
    assert _grammar.FAST_PATH


SPANS = st.builds(Span, st.sampled_from(["policy.ini", "リスト.ini"]), st.integers(1, 99_999),
                  st.integers(1, 40))

#: Characters that matter to some grammar: separators, quotes, escapes, blanks of every
#: kind, control characters, wildcards, non-ASCII letters and dots.
NASTY = st.sampled_from([
    " ", "\t", "\u3000", "\xa0", "\x0b", "\x00", "\x1f", "\x7f", "\x85", "\r",
    ":", "@", "[", "]", "/", "*", "?", "=", '"', "\\", ";", "#", "-", ".", ",", "%2a", "%3F",
    "é", "例", "。", "Ａ", "_", "0", "9", "a", "Z",
    # what re.IGNORECASE (the grammar's /i) takes for an ASCII s, k and i
    "\u017f", "\u212a", "\u0130", "\u0131",
])


mutated = functools.partial(fastpaths.mutated, nasty=NASTY)


# ---------------------------------------------------------------- URL entries (formats.md §2)

ASCII_HOSTS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_*?.-]{0,14}", fullmatch=True)
HOSTS = st.one_of(
    ASCII_HOSTS,
    st.sampled_from([
        "example.com", "Example.COM", "www.example.co.jp", "*.example.com", "*.", "a..b",
        "192.0.2.1", "例え.jp", "日本語。テスト", "xn--wgv71a.jp", "[2001:db8::1]",
        "[2001:DB8::1]*", "[::1]", "[fe80::1%eth0]", "[zz::1]", "[]", "a b", "", "-", "_x",
        "HTTP", "https", "ａｂｃ.com",
    ]),
)
PORTS = st.sampled_from(["", "", "", ":80", ":8443*", ":443?", ":0", ":1", ":65535", ":65536",
                         ":99999", ":000443", ":1234567", ":", ":x", ":80*?*", ":80 "])
PATH_TEXT = joined(st.sampled_from([*"abcXYZ019/._-~?*=&;#%:@ ", "表示", "%2a", "\t"]), 14)
PATHS = st.one_of(st.just(""), PATH_TEXT.map(lambda p: "/" + p))
SCHEMES = st.sampled_from(["", "", "", "http://", "https://", "HTTP://", "hTtPs://", "ftp://",
                           "http:/", "https:", "http//"])
SITE_PREFIXES = st.sampled_from(["web-site:", "web-site: ", "Web-Site :", "WEB-SITE:\t",
                                 "web-site:  @", "web-site: @", "web-site : \t",
                                 "web-\u017fite: "])
KEYWORD_PREFIXES = st.sampled_from(["url-keyword:", "url-keyword: ", "URL-Keyword :\t",
                                    "url-\u212aeyword: "])
STRING_PREFIXES = st.sampled_from(["string:", "string: ", "String:\t", "STRING : ",
                                   "\u017ftring: "])
OTHER_PREFIXES = st.sampled_from(["website: ", "url keyword: ", "strng: ", "localhost:",
                                  "foo:", "web_site: ", "Host:", "a b:", "x\t:", ": ",
                                  "\u017ftrng: ", "http:", "httpſ://", "ftp://"])
WORDS = joined(st.sampled_from([*"abcxyz019-_.*? ", "例", "%2a", "@"]), 10)


@st.composite
def site(draw: st.DrawFn) -> str:
    return draw(SCHEMES) + draw(HOSTS) + draw(PORTS) + draw(PATHS)


@st.composite
def url_entries(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        entry = "@" + draw(site())
    elif kind == 1:
        entry = draw(SITE_PREFIXES) + draw(site())
    elif kind == 2:
        entry = f"*{draw(WORDS)}*"
    elif kind == 3:
        entry = draw(KEYWORD_PREFIXES) + draw(WORDS)
    elif kind == 4:
        entry = draw(site())
    elif kind == 5:
        entry = draw(STRING_PREFIXES) + draw(st.one_of(site(), WORDS, st.just("@x.com")))
    elif kind == 6:
        entry = draw(OTHER_PREFIXES) + draw(st.one_of(site(), WORDS))
    elif kind == 7:  # around the wildcard limit
        n = draw(st.integers(MAX_WILDCARDS - 2, MAX_WILDCARDS + 1))
        entry = draw(st.sampled_from(["@", "", "web-site: ", "*", "url-keyword: "])) + "a*" * n
    elif kind == 8:  # around the length limit
        n = draw(st.sampled_from([MAX_ENTRY_LENGTH - 1, MAX_ENTRY_LENGTH, MAX_ENTRY_LENGTH + 1]))
        entry = draw(st.sampled_from(["@", "", "*"])) + "a" * n
    else:
        entry = draw(joined(NASTY, 12))
    blanks = st.sampled_from(["", "", "", " ", "\t", "  \t"])
    return draw(blanks) + entry + draw(blanks)


@MANY
@given(mutated(url_entries()), SPANS)
def test_url_entries_same_on_both_paths(text: str, span: Span) -> None:
    event(same_on_both_paths(parse_url_entry, text, span)[0])
    event("fast" if urls._fast_entry(text.strip(" \t") or " ") is not None else "lark")


@pytest.mark.parametrize("text", [
    "@example.com*", "@example.com/folder", "@Example.COM:8443*", "@https://example.com/a b",
    "web-site: example.com", "web-site: HTTPS://Example.COM/Folder/A.html",
    "url-keyword: partner", "*partner*", "string: http://example.com/a.html",
    "example.com/folder/index.html", "https://example.com:8443/x", "Trend?Micro*", "?lock",
    "*.partner.example.com/*", "@192.0.2.1*", "a%2ab", "string://x", "bank.example.co.jp:8443",
])
def test_the_entries_an_export_is_made_of_take_the_fast_path(text: str) -> None:
    assert urls._fast_entry(text) == parse_url_entry(text, Span("f", 1, 1)).stored
    with lark_only():
        assert urls._fast_entry(text) == parse_url_entry(text, Span("f", 1, 1)).stored


@pytest.mark.parametrize("text", [
    "@[2001:db8::1]*", "@例え.jp*", "web-site: 例え.jp", "localhost:8080/*", "website: x",
    "string: @x", "@x.com:65536", "@x.com:0*", "web-site:", "url-keyword: *", "@", "@ x",
    "string: localhost:99999/", "a\x01b",
])
def test_what_the_fast_path_leaves_to_lark(text: str) -> None:
    assert urls._fast_entry(text) is None
    same_on_both_paths(parse_url_entry, text, Span("f", 3, 5))


# ---------------------------------------------------------------- key lines (formats.md §1)

KEYS = st.one_of(
    st.sampled_from(["category", "account", "notes", "priority", "override-password", "Notes",
                     "compressed.max-files", "wrs.anti-phishing", "decrypt-category", "app",
                     "ke;y", "k#1", "[k", "]k", "#k", ";k", "キー", "k\u3000", "", "k\\", "a=b"]),
    st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True),
)
QUALIFIERS = st.sampled_from([
    "", "", "", ' "Social Networking"', '"x"', ' "a \\"q\\" b"', ' "c:\\\\dir"', ' "bad \\q"',
    ' "unterminated', " 11", " bare", " bare word", ' "日本語 カテゴリ"', ' ""', ' "a"b"',
    "\t11", ' "tab\tin"',
])
SEPARATORS = st.sampled_from(["=", " = ", "  =\t", "=  ", " =", "==", " : ", "", "\u3000=",
                              "= \u3000"])
VALUES = st.one_of(
    st.sampled_from([
        "", "block", "yes", '"quoted value"', '"  padded  "', '"a" b', "value ; comment",
        "value;not", "value  ;", '"esc \\\\ ok"', '"bad \\n"', '"', 'a"b', "= x", "ip 10.0.0.1",
        'ldap-user "CN=a,DC=b"', "Work hours", "mon-fri", "08:00-12:00, 13:00-18:00",
        "自由な テキスト ; メモ", "x \u3000", "1", "-5", "99999999999999999999",
    ]),
    st.text(st.sampled_from([*"ab =;#\"\\1", "\u3000", "例"]), max_size=10),
)


@st.composite
def key_lines(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(joined(NASTY, 16))
    text = draw(KEYS) + draw(QUALIFIERS) + draw(SEPARATORS) + draw(VALUES)
    return text.strip() if draw(st.booleans()) else text


@MANY
@given(mutated(key_lines()), SPANS)
def test_key_lines_same_on_both_paths(text: str, span: Span) -> None:
    event(same_on_both_paths(parse_keyline, Line(text, span))[0])
    event("fast" if ini._FAST_KEYLINE.fullmatch(text) else "lark")


@pytest.mark.parametrize("text", [
    "name = IWSVA", 'category "Social Networking" = warn', "category 11 = block",
    "account = ip-subset 10.1.2.0/24", 'account = ldap-group "CN=経理部,DC=corp"',
    "notes = free text ; kept", "priority = 1 ; the first", "days =", 'notes = "  padded  "',
])
def test_the_key_lines_an_export_is_made_of_take_the_fast_path(text: str) -> None:
    assert ini._FAST_KEYLINE.fullmatch(text)
    same_on_both_paths(parse_keyline, Line(text, Span("f", 2, 1)))


# ---------------------------------------------------------------- section headers

SECTION_NAMES = st.one_of(
    st.sampled_from(["product", "custom-category", "url-filtering-policy", "global-url-blocking",
                     "global-url-blocking.block", "スケジュール", "a\\b", "", "x y", "a]b"]),
    st.from_regex(r"[A-Za-z][A-Za-z0-9.-]{0,12}", fullmatch=True),
)
SECTION_QUALIFIERS = st.sampled_from([
    "", "", ' "Partner portals"', '"x"', ' "月末締め作業"', ' "a \\"q\\" b"', ' "bad \\x"',
    ' "unterminated', ' ""', " bare", '\t"tab"', ' "x" "y"', ' "x"y',
])


@st.composite
def headers(draw: st.DrawFn) -> str:
    lead = draw(st.sampled_from(["[", "[", "[ ", "[\t"]))
    tail = draw(st.sampled_from(["]", "]", " ]", "]]", "", "] x"]))
    return lead + draw(SECTION_NAMES) + draw(SECTION_QUALIFIERS) + tail


@MANY
@given(mutated(headers()), SPANS)
def test_section_headers_same_on_both_paths(text: str, span: Span) -> None:
    event(same_on_both_paths(parse_header, text, span)[0])
    event("fast" if ini._FAST_SECTION.fullmatch(text) else "lark")


# ---------------------------------------------------------------- accounts (formats.md §5)

ACCOUNT_KINDS = st.sampled_from(["ip", "IP", "ip-range", "ip-subset", "Ip-Subset", "ldap-user",
                                 "ldap-group", "LDAP-Group", "host", "ipaddr", "ip-rnge", "",
                                 "hostname", "ip_range", "\u0130p", "ldap-u\u017fer",
                                 "ho\u017ft", "\u0131p-range"])
ADDRESSES = st.one_of(
    st.ip_addresses().map(str),
    st.sampled_from(["10.0.0.300", "1.2.3", "fe80::1%eth0", "::ffff:1.2.3.4", "2001:DB8::1",
                     "x", "", "010.1.1.1", "1.2.3.4.5"]),
)
MASKS = st.sampled_from(["", "/24", "/32", "/0", "/33", "/128", "/129", "/9999", "/255.255.255.0",
                         "/255.0.255.0", "/", " / 16", "/1.2", "/24x"])
NAMES = st.sampled_from(['"CN=Taro Yamada,OU=Eng,DC=corp,DC=example"', "CN=Eng,OU=Groups",
                         '"CN=経理部 0015,OU=Groups"', '""', '"a \\"q\\" b"', '"bad \\n"',
                         '"unterminated', "raw name  ", '"x" y', "   "])
ACCOUNT_HOSTS = st.sampled_from(["proxy01.example.co.jp", "Proxy.EXAMPLE.com.", "例え.jp", "a..b",
                                 "-x.com", "a_b.c", "x" * 64 + ".com", '"q"', ""])


@st.composite
def account_texts(draw: st.DrawFn) -> str:
    kind = draw(ACCOUNT_KINDS)
    gap = draw(st.sampled_from([" ", " ", "\t", "  ", "", "\u3000"]))
    value = draw(st.one_of(
        ADDRESSES,
        st.builds(lambda a, m: a + m, ADDRESSES, MASKS),
        st.builds(lambda a, s, b: a + s + b, ADDRESSES,
                  st.sampled_from(["-", " - ", "--", "-\t"]), ADDRESSES),
        NAMES,
        ACCOUNT_HOSTS,
    ))
    trail = draw(st.sampled_from(["", "", " ", "\t "]))
    return kind + gap + value + trail


@MANY
@given(mutated(account_texts()), SPANS)
def test_accounts_same_on_both_paths(text: str, span: Span) -> None:
    event(same_on_both_paths(parse_account, text, span)[0])
    event("fast" if accounts._FAST_ACCOUNT.fullmatch(text) else "lark")


# ---------------------------------------------------------------- whole documents

COMMENTS = st.sampled_from(["# a comment", "; another", "  # indented", "\t;x", "#", "\u3000# no",
                            "# [not a header]", "; -----BEGIN CERTIFICATE-----"])
BLANKS = st.sampled_from(["", "", " ", "\t", "\u3000", "  \t "])


@st.composite
def document_lines(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 1:
        return draw(headers())
    if kind <= 3:
        return draw(key_lines())
    if kind <= 5:
        return draw(url_entries())
    if kind == 6:
        return draw(COMMENTS)
    if kind == 7:
        return draw(BLANKS)
    if kind == 8:
        return draw(st.sampled_from(["URL Blocking Import File", "[abc", '[kind "x"',
                                     "[2001:db8::1]", "[a] ; c", "[a]\t", " [a] ", "[]",
                                     "[a]b]"]))
    return draw(joined(NASTY, 10))


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(document_lines(), max_size=12))
    text = ""
    for line in lines:
        text += line + draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "\n\n"]))
    return text if draw(st.booleans()) else text.rstrip("\r\n")


@MANY
@given(documents())
def test_documents_same_on_both_paths(text: str) -> None:
    event(same_on_both_paths(parse_document, text, "policy.ini")[0])
    event("fast" if ini._fast_lines(text) is not None else "lark")


# ---------------------------------------------------------------- exports, end to end


POLICY_KINDS = st.sampled_from(["url-filtering-policy", "https-decryption-policy", "atp-policy",
                                "application-control-policy", "custom-category",
                                "approved-list", "global-url-blocking.block", "schedule",
                                "global-trusted-urls", "dlp-policy", "unknown-kind"])
POLICY_LINES = st.one_of(
    st.sampled_from([
        "priority = 1", "priority = 2", "global = yes", "enabled = no", "enabled = maybe",
        "account = ip 10.0.0.1", "account = ip-range 10.0.0.9-10.0.0.1",
        'account = ldap-group "CN=x"', 'category "Gambling" = block', "category 11 = warn",
        'category "Gamblng" = block', 'category "Partner" = allow', "schedule = Work",
        "exceptions = Bank", "days = mon-fri", "hours = 08:00-12:00", "hours = 25:00-26:00",
        "decrypt = all", 'app "Facebook" = block', "scan = all", "wrs = perhaps",
    ]),
    key_lines(),
    url_entries(),
)


@st.composite
def web_exports(draw: st.DrawFn) -> str:
    out = ["[product]", "name = IWSVA"]
    for i in range(draw(st.integers(1, 5))):
        kind = draw(POLICY_KINDS)
        name = draw(st.sampled_from(["Partner", "Bank", "Work", "営業部", f"P{i}", "Work"]))
        out.append(f'[{kind} "{name}"]')
        out.extend(draw(st.lists(POLICY_LINES, max_size=6)))
    return "\n".join(out) + "\n"


@settings(max_examples=100, deadline=None)
@given(web_exports())
def test_policy_exports_same_on_both_paths(text: str) -> None:
    def loads(source: str) -> Any:
        try:
            export = isc.loads(source, filename="policy.ini")
        except IscError as exc:
            export = exc.export  # type: ignore[attr-defined]
        return deep((export.web, export.diagnostics))

    fast = loads(text)
    with lark_only():
        assert loads(text) == fast


def test_the_sakura_example_same_on_both_paths() -> None:
    web, _mail, diagnostics = load_both(str(SAKURA))
    assert web is not None
    assert diagnostics  # the example has notes and warnings: they are compared too


@pytest.fixture(scope="module")
def benchmark_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(out),
                    "--policies", "5", "--entries", "300", "--seed", "1"],
                   check=True, capture_output=True)
    return out


def test_a_generated_benchmark_export_same_on_both_paths(benchmark_export: Path) -> None:
    web, _mail, _diagnostics = load_both(str(benchmark_export))
    assert web is not None


def test_a_broken_benchmark_export_same_on_both_paths(benchmark_export: Path,
                                                      tmp_path: Path) -> None:
    """Errors in every line kind, among valid lines: the same diagnostics at the same place."""
    lines = (benchmark_export / "policy.ini").read_text(encoding="utf-8").split("\n")
    bad = {"@": "@exa mple.com*", "web-site:": "website: x.com", "account": "account = ip 1.2.3",
           "category": "category Gambling = block", "priority": "priority = １",
           "*": "*a\x01*", "[custom": '[custom-category "bad \\q"]'}
    for i, line in enumerate(lines):
        for start, replacement in bad.items():
            if line.startswith(start) and i % 7 == 0:
                lines[i] = replacement
    (tmp_path / "policy.ini").write_text("\r\n".join(lines), encoding="utf-8")
    _web, _mail, diagnostics = load_both(str(tmp_path))
    assert len(diagnostics) > 10


@pytest.fixture
def lark_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How many texts each grammar's Lark parser was given."""
    yield fastpaths.count_lark_calls(monkeypatch, (ini, urls, accounts))


def test_a_generated_export_needs_lark_only_for_schedules(benchmark_export: Path,
                                                          lark_calls: dict[str, int]) -> None:
    """The fast paths cover every line of a generated export: no URL entry, key line, header
    or account reaches Lark (schedules have no fast path; they are a handful of lines)."""
    isc.load(str(benchmark_export))
    assert lark_calls == {}
    with lark_only():
        isc.load(str(benchmark_export))
    assert lark_calls["url_entry:entry"] >= 300
    assert lark_calls["ini:document"] == 1
