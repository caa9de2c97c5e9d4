"""URL globs and mail wildcards match in linear time (isc.models.globs), with the same
decisions as before: the old backtracking ``re`` translation and a small recursive matcher
are the oracles.

The pathological cases run in a subprocess with a generous timeout: they only have to
finish and decide correctly (a backtracking matcher needs years for them).
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import textwrap
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isc.ir.requests import Url
from isc.ir.web import CustomCategory, UrlPattern, WebPolicy
from isc.ir.ztsa import MatchMode
from isc.models import mailmatch, urlmatch
from isc.models.globs import GlobSet, compile_glob, translate
from isc.models.iwsva import WebIndex

#: Seconds after which a case counts as hung (it needs milliseconds).
TIMEOUT = 20


def run_isolated(code: str) -> str:
    """Run ``code`` in a fresh interpreter; its stdout, stripped. Fails if it hangs."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=TIMEOUT, check=True)
    return done.stdout.strip()


# ---------------------------------------------------------------- oracles


def old_glob(pattern: str, *, escapes: bool = True) -> re.Pattern[str]:
    """The translation to Python ``re`` that isc used before RE2 (exponential on
    ``*a*a*a...``, exact on short inputs)."""
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"%2a|%3f|\*|\?", pattern, re.IGNORECASE):
        out.append(re.escape(pattern[pos:m.start()]))
        tok = m.group().lower()
        if tok == "*":
            out.append(".*")
        elif tok == "?":
            out.append(".")
        elif escapes:
            out.append(re.escape("*" if tok == "%2a" else "?"))
        else:
            out.append(re.escape(m.group()))
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def old_mail_glob(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(p) for p in pattern.split("*"))
    return re.compile(".*".join(parts), re.IGNORECASE | re.DOTALL)


def tokens(pattern: str, *, question: bool, escapes: bool) -> list[str]:
    """``"*"``, ``"?"`` or one literal character (lower-cased)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        three = pattern[i:i + 3].lower()
        if escapes and three in ("%2a", "%3f"):
            out.append("\\" + ("*" if three == "%2a" else "?"))
            i += 3
            continue
        ch = pattern[i]
        out.append(ch if ch == "*" or (question and ch == "?") else "\\" + ch.lower())
        i += 1
    return out


def reference(pattern: str, text: str, *, question: bool = True, escapes: bool = True
              ) -> bool:
    """An obviously correct glob matcher (memoised recursion), for short ASCII inputs."""
    toks = tokens(pattern, question=question, escapes=escapes)
    low = text.lower()

    @functools.cache
    def go(i: int, j: int) -> bool:
        if i == len(toks):
            return j == len(low)
        tok = toks[i]
        if tok == "*":
            return go(i + 1, j) or (j < len(low) and go(i, j + 1))
        if j == len(low):
            return False
        return (tok == "?" or tok[1] == low[j]) and go(i + 1, j + 1)

    return go(0, 0)


# ---------------------------------------------------------------- properties

URL_CHARS = "aAbB.-/:?*%23fF"
PATTERNS = st.text(alphabet=URL_CHARS, max_size=12)
TEXTS = st.text(alphabet="aAbB.-/:?*%23fF\n", max_size=14)


@settings(max_examples=400, deadline=None)
@given(PATTERNS, TEXTS, st.booleans())
def test_url_glob_agrees_with_both_oracles(pattern: str, text: str, escapes: bool) -> None:
    got = compile_glob(pattern, escapes=escapes).fullmatch(text) is not None
    assert got == (old_glob(pattern, escapes=escapes).fullmatch(text) is not None)
    assert got == reference(pattern, text, escapes=escapes)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=4),
       st.text(st.characters(exclude_categories=("Cs",)), max_size=4))
def test_unicode_globs_agree_with_python_case_folding(pattern: str, text: str) -> None:
    for candidate in (text, text.upper(), text.lower(), pattern.swapcase()):
        assert (compile_glob(pattern).fullmatch(candidate) is not None) == (
            old_glob(pattern).fullmatch(candidate) is not None)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aAbB.@*?", max_size=10), st.text(alphabet="aAbB.@*?", max_size=12))
def test_mail_glob_agrees_with_both_oracles(pattern: str, text: str) -> None:
    got = mailmatch._glob(pattern).fullmatch(text) is not None
    assert got == (old_mail_glob(pattern).fullmatch(text) is not None)
    assert got == reference(pattern, text, question=False, escapes=False)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aAbB.@*", max_size=10), st.text(alphabet="aAbB.@<>", max_size=10))
def test_address_matches_is_unchanged(pattern: str, address: str) -> None:
    new = mailmatch.address_matches.__wrapped__(pattern, address)
    with mock.patch.object(mailmatch, "_glob", old_mail_glob):
        old = mailmatch.address_matches.__wrapped__(pattern, address)
    assert new == old


HOSTS = st.text(alphabet="aAb.-", min_size=1, max_size=8).filter(lambda h: h.strip(".-"))
PATHS = st.text(alphabet="aAb/.?*-=", max_size=8)
STORED = st.one_of(
    st.builds(lambda h, tail: f"@{h}{tail}", st.text(alphabet="ab.*?", min_size=1, max_size=6),
              st.sampled_from(["", "*", "/", "/a*", ":8080*", "?"])),
    st.builds(lambda k: f"*{k}*", st.text(alphabet="ab./?%2a", min_size=1, max_size=6)),
    st.builds(lambda s, t: f"{s}{t}", st.sampled_from(["http://", "https://", ""]),
              st.text(alphabet="ab./*?%2a3f", min_size=1, max_size=10)),
)


def url_of(scheme: str, host: str, path: str) -> Url:
    return Url.parse(f"{scheme}://{host.strip('.-') or 'a'}/{path}")


@settings(max_examples=300, deadline=None)
@given(STORED, st.sampled_from(["http", "https"]), HOSTS, PATHS, st.booleans())
def test_iwsva_and_ztsa_matching_is_unchanged(stored: str, scheme: str, host: str, path: str,
                                              host_only: bool) -> None:
    url = url_of(scheme, host, path)
    pattern = UrlPattern(stored)
    value = stored.lstrip("@")
    new = (urlmatch.iwsva_matches(pattern, url, host_only=host_only),
           [urlmatch.ztsa_matches(m, value, url, host_only=host_only) for m in MatchMode],
           urlmatch.domain_matches(value, url.host, subdomains=False))
    with mock.patch.object(urlmatch, "glob", old_glob):
        old = (urlmatch.iwsva_matches(pattern, url, host_only=host_only),
               [urlmatch.ztsa_matches(m, value, url, host_only=host_only) for m in MatchMode],
               urlmatch.domain_matches(value, url.host, subdomains=False))
    assert new == old


@settings(max_examples=150, deadline=None)
@given(st.lists(STORED, max_size=6), st.sampled_from(["http", "https"]), HOSTS, PATHS,
       st.booleans())
def test_index_finds_the_first_matching_entry(stored: list[str], scheme: str, host: str,
                                              path: str, host_only: bool) -> None:
    entries = tuple(UrlPattern(s) for s in stored)
    url = url_of(scheme, host, path)
    with mock.patch.object(urlmatch, "glob", old_glob):
        expected = next((p for p in entries
                         if urlmatch.iwsva_matches(p, url, host_only=host_only)), None)
    web = WebPolicy(custom_categories=(CustomCategory("c", entries),))
    assert WebIndex(web).matches(url, host_only).get(0) == expected


# ---------------------------------------------------------------- examples


@pytest.mark.parametrize(("pattern", "text", "hit"), [
    ("a.b", "A.B", True),
    ("a.b", "axb", False),  # `.` is literal
    ("a?c", "abc", True),
    ("a?c", "ac", False),
    ("a*", "a\nb", True),  # `*` crosses newlines and `/`
    ("%2a", "*", True),
    ("%2a", "x", False),
    ("%3F", "?", True),
    ("(a)[b]{c}|^$\\", "(A)[B]{C}|^$\\", True),  # RE2 metacharacters are quoted
    ("社員*", "社員@例え.jp", True),
    # Unicode case folding as Python's: RE2 alone does not join I i İ ı
    ("İ", "i", True), ("ı", "I", True), ("i*", "İx", True), ("ſ", "S", True), ("K", "k", True),
    ("ß", "SS", False),
    ("", "", True),
])
def test_glob_examples(pattern: str, text: str, hit: bool) -> None:
    assert (compile_glob(pattern).fullmatch(text) is not None) is hit


def test_unescaped_globs_keep_percent_forms_literal() -> None:
    assert compile_glob("%2a", escapes=False).fullmatch("%2A")
    assert not compile_glob("%2a", escapes=False).fullmatch("*")
    assert translate("a?b", question=False, escapes=False) == r"a\?b"


def test_a_glob_set_splits_what_re2_cannot_hold_in_one_program() -> None:
    sources = [translate("*" + "x" * 100 + f"*{i}" * 15) for i in range(1500)]
    globs = GlobSet(sources)
    assert len(globs._programs) > 1
    assert globs.fullmatch("x" * 100 + "1399" * 15)
    assert not globs.fullmatch("x" * 100 + "y")
    assert not GlobSet([])


# ---------------------------------------------------------------- pathological cases


def test_25_stars_and_b_against_100_a() -> None:
    out = run_isolated("""
        from isc.ir.requests import Url
        from isc.ir.web import UrlPattern
        from isc.models.urlmatch import glob, iwsva_matches
        p = UrlPattern("*a" * 25 + "b")
        print(glob(p.stored).fullmatch("a" * 100) is None,
              iwsva_matches(p, Url.parse("http://" + "a" * 100 + "b.x/")),
              iwsva_matches(p, Url.parse("http://" + "a" * 100 + "b/")))
    """)
    assert out == "True False True"


def test_a_1000_star_glob_is_decided() -> None:
    out = run_isolated("""
        from isc.models.urlmatch import glob
        g = glob("*a" * 1000 + "b")
        print(g.fullmatch("a" * 5000) is None, g.fullmatch("a" * 1000 + "b") is not None)
    """)
    assert out == "True True"


def test_5000_star_questions_are_decided() -> None:
    out = run_isolated("""
        from isc.models.urlmatch import glob
        g = glob("*?" * 5000 + "b")
        print(g.fullmatch("a" * 6000) is None, g.fullmatch("a" * 5000 + "b") is not None)
    """)
    assert out == "True True"


def test_a_host_of_20000_characters_is_decided() -> None:
    out = run_isolated("""
        from isc.ir.requests import Url
        from isc.ir.web import UrlPattern
        from isc.ir.ztsa import MatchMode
        from isc.ir.web import CustomCategory, WebPolicy
        from isc.models.iwsva import WebIndex
        from isc.models.urlmatch import iwsva_matches, ztsa_matches
        url = Url.parse("http://" + "a" * 20000 + "ab.x/")
        entries = (UrlPattern("@*ab*a*a*a*c"), UrlPattern("*a*a*a*a*a*a*a*b*x*"))
        web = WebPolicy(custom_categories=(CustomCategory("c", entries),))
        print(iwsva_matches(entries[0], url), iwsva_matches(entries[1], url),
              WebIndex(web).matches(url, False) == {0: entries[1]},
              ztsa_matches(MatchMode.URL, "*a*a*a*a*a*a*a*a*ab.y/", url),
              ztsa_matches(MatchMode.DOMAIN, "*a*a*a*a*a*a*a*ab.x", url))
    """)
    assert out == "False True True False True"


def test_a_mail_wildcard_of_20_stars_is_decided() -> None:
    out = run_isolated("""
        from isc.models.mailmatch import address_matches, domain_matches
        p = "*a" * 20 + "b@x.example"
        print(address_matches(p, "a" * 60 + "bc@x.example"),
              address_matches(p, "a" * 60 + "b@X.example"),
              domain_matches("*a" * 20 + "b", "a" * 5000 + "c"))
    """)
    assert out == "False True False"
