"""Inclusion between URL list entries (isc.models.urlinclusion, issue 11).

``entry_subsumes(b, a)`` must never be True when some URL matches ``a`` and not ``b`` (for
either ``host_only``): the documented examples, URLs built around ``a`` by hypothesis, and a
small universe enumerated exhaustively check that. It must also say True where it should:
the common cases (subdomains, keywords in keywords, schemes, equal languages) and, over one
view, exactly when the glob languages include (a bounded brute force is the oracle).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.ir.requests import Url
from isc.ir.web import UrlPattern
from isc.models import urlinclusion
from isc.models.urlinclusion import entry_subsumes, keepers
from isc.models.urlmatch import iwsva_matches, required_literal
from pass_checks import reachable


def subsumes(b: str, a: str) -> bool:
    return entry_subsumes(UrlPattern(b), UrlPattern(a))


def matches(p: str, url: Url | str, host_only: bool) -> bool:
    u = url if isinstance(url, Url) else Url.parse(url)
    return iwsva_matches(UrlPattern(p), u, host_only=host_only)


# ---------------------------------------------------------------- documented examples

#: (b, a, does b cover a, why)
EXAMPLES = [
    ("@example.com*", "@www.example.com*", True, "a subdomain"),
    ("@www.example.com*", "@example.com*", False, "the parent domain is more"),
    ("@example.com*", "@testexample.com*", True, "@example.com* matches testexample.com"),
    ("*kw*", "*kwx*", True, "a keyword in a keyword"),
    ("*kwx*", "*kw*", False, "a shorter keyword is more"),
    ("*example*", "@www.example.com*", True, "a keyword in a web-site entry"),
    ("@example.com*", "*example.com*", False, "a keyword may match in the scheme"),
    ("@x.example*", "*www.x.example/*", True, "a '/' cannot be in a scheme"),
    ("*example.com/*", "@example.com/", False, "undecrypted, a keyword sees no final '/'"),
    ("*example.com/*", "@example.com/*", False, "…nor one ending in '/*'"),
    ("*example.com/*", "@example.com/x*", True, "…one with a path it does"),
    ("@a?c*", "@abc*", True, "'?' covers one character"),
    ("@abc*", "@a?c*", False, "…any character"),
    ("@a?c*", "@ac*", False, "…exactly one"),
    ("@a*c*", "@a%2ac*", True, "'*' covers a literal '*'"),
    ("@a%2ac*", "@a*c*", False, "%2a is only a '*'"),
    ("@a%2ac*", "@A%2Ac*", True, "%2A is %2a, and case does not matter"),
    ("@a?c*", "@a%3fc*", True, "'?' covers a literal '?'"),
    ("@a%3fc*", "@a?c*", False, "%3f is only a '?'"),
    ("@example.com*", "http://www.example.com/*", True, "a scheme-ful string under a site"),
    ("@example.com*", "https://example.com/", True, "a bare root with scheme"),
    ("http://*", "http://a.example/x", True, "the same scheme"),
    ("https://*", "http://a.example/x", False, "another scheme"),
    ("http://a.example/*", "@a.example/*", False, "a site does not fix the scheme"),
    ("https://a.example/*", "HTTPS://A.example/x*", True, "scheme and host case"),
    ("example.com/", "example.com/", True, "identical"),
    ("@example.com/", "example.com/", True, "a bare root with '/'"),
    ("@example.com*", "example.com", True, "a bare root without '/'"),
    ("example.com", "@example.com*", False, "a bare root is one URL"),
    ("**", "@a*", True, "'**' matches everything"),
    ("@*", "*a*", True, "'@*' matches everything"),
    ("@*", "**", True, "…both ways"),
    ("**", "@*", True, "…both ways"),
    ("*sales*", "http://x.example/*/sales", False, "'ſ' matches 's' but not in the pre-filter"),
    ("*ale*", "http://x.example/*/sales", True, "no 's' or 'i' in b's literal"),
    ("?lock", "block", True, "Trend's '?lock' example"),
    ("?lock", "lock", False, "…not lock"),
    ("Trend?Micro*", "Trend-Micro*", True, "Trend's 'Trend?Micro' example"),
    ("Trend?Micro*", "TrendMicro*", False, "…not TrendMicro"),
    ("@İ.example*", "@İ.example*", True, "an unmodelled character: identical only"),
    ("@i.example*", "@İ.example*", False, "…else never"),
    ("@日本.example*", "@www.日本.example*", True, "caseless characters are modelled"),
    ("*ς*", "*zzzzzz*ς*", False, "'ς' folds with 'σ', which the pre-filter tells apart"),
]


@pytest.mark.parametrize(("b", "a", "expected", "why"), EXAMPLES,
                         ids=[f"{b} ⊇ {a}" for b, a, _, _ in EXAMPLES])
def test_documented_examples(b: str, a: str, expected: bool, why: str) -> None:
    assert subsumes(b, a) is expected, why


#: A URL that a matches and b misses, for the examples above that say False.
WITNESSES = [
    ("@www.example.com*", "@example.com*", "http://example.com/", False),
    ("@example.com*", "*example.com*", "example.com://h/", False),
    ("*example.com/*", "@example.com/", "https://example.com/", True),
    ("*example.com/*", "@example.com/*", "https://example.com/", True),
    ("@abc*", "@a?c*", "http://axc/", False),
    ("@a%2ac*", "@a*c*", "http://abc/", False),
    ("http://a.example/*", "@a.example/*", "https://a.example/", False),
    ("*sales*", "http://x.example/*/sales", "http://x.example/q/ſales", False),
    ("example.com", "@example.com*", "http://example.com/x", False),
    ("@i.example*", "@İ.example*", "http://x/İ.example", False),
    ("*ς*", "*zzzzzz*ς*", "http://h/zzzzzz/σ", False),
]


@pytest.mark.parametrize(("b", "a", "url", "host_only"), WITNESSES)
def test_false_examples_have_a_witness(b: str, a: str, url: str, host_only: bool) -> None:
    assert matches(a, url, host_only) and not matches(b, url, host_only)
    assert not subsumes(b, a)


# ---------------------------------------------------------------- URLs built around a

_PIECES = ["a", "b", ".", "/", ":", "s", "i", "K", "%2a", "%3f", "*", "?", "日", "ς"]
_FILLS = ["", "a", "b", "/", ".", ":", "?", "#", "ſ", "İ", "ı", "K", "s", "i", "x/y", "://",
          "日", "*", "%2a", "a.b", "σ"]
_SCHEMES = ["http", "https", "ftp", "a.b", "s"]
bodies = st.lists(st.sampled_from(_PIECES), max_size=6).map("".join)


@st.composite
def patterns(draw: st.DrawFn) -> str:
    body = draw(bodies)
    form = draw(st.integers(0, 3))
    if form == 0:
        return "@" + body
    if form == 1:
        return f"*{body}*"
    if form == 2:
        return body or "a"
    return f"{draw(st.sampled_from(_SCHEMES))}://{body}"


def _mutate(draw: st.DrawFn, a: str) -> str:
    """An entry near ``a``: often one that covers it, sometimes one that almost does."""
    how = draw(st.integers(0, 7))
    glob = "*" + a[1:] if a.startswith("@") else a
    if how == 0 and len(a) > 1:  # drop a leading piece
        return a[:1] + a[1 + draw(st.integers(0, len(a) - 2)):]
    if how == 1 and a:  # a character becomes a wildcard
        i = draw(st.integers(0, len(a) - 1))
        return a[:i] + draw(st.sampled_from(["?", "*"])) + a[i + 1:]
    if how == 2:  # a keyword of one of a's pieces
        pieces = [p for p in re.split(r"%2a|%3f|\*|\?", glob, flags=re.IGNORECASE) if p]
        if pieces:
            p = draw(st.sampled_from(pieces))
            i = draw(st.integers(0, len(p) - 1))
            return f"*{p[i:i + draw(st.integers(1, 4))]}*"
    if how == 3 and "://" in a:  # the scheme goes (a web-site or schemeless string)
        rest = a.split("://", 1)[1]
        return draw(st.sampled_from(["@" + rest, rest, f"@{rest}*"]))
    if how == 4:  # as a web-site entry
        return "@" + glob.lstrip("*")
    if how == 5:
        return a.upper()
    return draw(patterns())


@st.composite
def pairs(draw: st.DrawFn) -> tuple[str, str]:
    a = draw(patterns())
    return _mutate(draw, a), a


def _fill(draw: st.DrawFn, glob: str) -> str:
    out = []
    for tok in re.split(r"(%2a|%3f|\*|\?)", glob, flags=re.IGNORECASE):
        low = tok.lower()
        if low == "*":
            out.append("".join(draw(st.lists(st.sampled_from(_FILLS), max_size=3))))
        elif low == "?":
            out.append(draw(st.sampled_from(_FILLS[1:])))
        elif low in ("%2a", "%3f"):
            out.append("*" if low == "%2a" else "?")
        else:
            out.append(draw(st.sampled_from([tok, tok.upper(), tok.replace("s", "ſ"),
                                             tok.replace("ς", "σ")])))
    return "".join(out)


@st.composite
def urls_around(draw: st.DrawFn, a: str) -> list[Url]:
    """URLs made of ``a``'s own pieces with wildcards filled: most of them match ``a``."""
    glob = "*" + a[1:] if a.startswith("@") else a
    text = _fill(draw, glob)
    scheme = draw(st.sampled_from(_SCHEMES))
    texts = [text, f"{scheme}://{text}", f"{scheme}://{text}/", f"{scheme}://h/{text}",
             f"{scheme}://{text}?q", f"{text}://h/"]
    out = []
    for t in texts:
        with contextlib.suppress(ValueError):  # an odd port the fill made
            out.append(Url.parse(t))
    # and built directly: a root, a path, odd splits of the text into host and path
    host, _, path = text.partition("/")
    out += [Url(scheme, host, None, "/", ""), Url(scheme, host, None, "/" + path, ""),
            Url(scheme, text, draw(st.sampled_from([None, 8080])), "/", ""),
            Url(scheme, "h", None, "/" + text, draw(st.sampled_from(["", "q"])))]
    return out


@given(stored=st.one_of(patterns(), st.sampled_from(["@a%2Ab*c*", "*kw?x*", "http://h/%3fq"])))
def test_the_pre_filter_literal_is_the_matchers(stored: str) -> None:
    """The soundness argument reasons about the literal the matcher looks for first."""
    glob = "*" + stored[1:] if stored.startswith("@") else stored
    assert urlinclusion._entry(stored).need == required_literal(glob)


@given(data=st.data())
def test_true_is_never_contradicted_by_a_url(data: st.DataObject) -> None:
    b, a = data.draw(pairs(), label="b, a")
    if not subsumes(b, a):
        return
    for url in data.draw(urls_around(a), label="urls"):
        for host_only in (False, True):
            if matches(a, url, host_only):
                assert matches(b, url, host_only), (b, a, url, host_only)


# ---------------------------------------------------------------- a small universe

U_HOSTS = ("a", "a.b", "b.a", "ab", "b")
U_PATHS = ("/", "/a", "/a/", "/b.a", "/?a", "/a?b")
U_SCHEMES = ("http", "https", "a.b")
UNIVERSE = [Url.parse(f"{s}://{h}{p}") for s in U_SCHEMES for h in U_HOSTS for p in U_PATHS]
UNIVERSE += [Url("http", "a", 8080, "/a", ""), Url("https", "a.b", None, "/", "q")]
U_ALPHABET = ("a", ".", "/", "*", "?", "%2a")


def _universe_patterns() -> list[str]:
    out = set()
    for n in range(3):
        for t in itertools.product(U_ALPHABET, repeat=n):
            body = "".join(t)
            out |= {"@" + body, f"*{body}*", "http://" + body}
            if body:
                out.add(body)
    return sorted(out)


U_PATTERNS = _universe_patterns()


@functools.cache
def _matched(p: str) -> frozenset[tuple[int, bool]]:
    return frozenset((i, h) for i, u in enumerate(UNIVERSE) for h in (False, True)
                     if matches(p, u, h))


def test_small_universe_exhaustively() -> None:
    """Every pair of entries of the universe: True only where the universe agrees."""
    true = 0
    for a in U_PATTERNS:
        for b in U_PATTERNS:
            if subsumes(b, a):
                true += 1
                assert _matched(a) <= _matched(b), (b, a, sorted(_matched(a) - _matched(b)))
    assert true > 3 * len(U_PATTERNS)  # not only the identical pairs


def _lang(glob: str) -> re.Pattern[str]:
    out = []
    for tok in re.split(r"(%2a|%3f|\*|\?)", glob, flags=re.IGNORECASE):
        out.append({"*": ".*", "?": ".", "%2a": r"\*", "%3f": r"\?"}.get(tok.lower(),
                                                                          re.escape(tok)))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


#: Strings up to this length over the universe's characters and one other decide inclusion
#: of its globs (of at most four tokens): a shortest counterexample is shorter.
_STRINGS = ["".join(t) for n in range(7) for t in itertools.product("a./*z", repeat=n)]


@functools.cache
def _words(glob: str) -> frozenset[str]:
    lang = _lang(glob)
    return frozenset(s for s in _STRINGS if lang.fullmatch(s))


def test_one_view_is_exact() -> None:
    """Over one view (two web-site entries, two keywords, two schemed strings) the answer is
    the inclusion of the glob languages, no more, no less."""
    groups = [[p for p in U_PATTERNS if p.startswith("@")],
              [p for p in U_PATTERNS if len(p) > 1 and p[0] == p[-1] == "*"],
              [p for p in U_PATTERNS if p.startswith("http://")]]
    for group in groups:
        for a in group:
            for b in group:
                # web-site entries match as ``*P``; schemed strings share their scheme
                ga = "*" + a[1:] if a.startswith("@") else a.removeprefix("http://")
                gb = "*" + b[1:] if b.startswith("@") else b.removeprefix("http://")
                assert subsumes(b, a) == (_words(ga) <= _words(gb)), (b, a)


# ---------------------------------------------------------------- completeness

labels = st.text(st.sampled_from("abcdefghjklmnopqrtuvwxyz0123456789-"), min_size=1, max_size=6)
hosts = st.lists(labels, min_size=1, max_size=3).map(".".join)
words = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789./-_"), min_size=1,
                max_size=8)


@given(sub=labels, host=hosts)
def test_subdomains_are_covered(sub: str, host: str) -> None:
    assert subsumes(f"@{host}*", f"@{sub}.{host}*")
    assert subsumes(f"@{host}*", f"@{sub}.{host}/{sub}*")
    assert subsumes(f"@{host}*", f"http://{sub}.{host}/*")
    assert subsumes(f"@{host}*", f"{host}/{sub}")
    assert subsumes(f"*{host}*", f"@{sub}.{host}*")
    assert subsumes(f"@{host}*", f"*www.{sub}.{host}/*")


@given(k=words, x=words, y=words)
def test_keywords_in_keywords_are_covered(k: str, x: str, y: str) -> None:
    assert subsumes(f"*{k}*", f"*{x}{k}{y}*")
    assert subsumes(f"*{k}*", f"*{k}*")
    assert subsumes(f"*{k[:1]}?{k[2:]}*", f"*{k}*") or len(k) < 2


@given(host=hosts)
def test_equal_languages_both_ways(host: str) -> None:
    for p, q in ((f"@{host}*", f"@{host.upper()}*"), (f"*{host}*", f"**{host}**"),
                 (f"@*.{host}*", f"@.{host}*"), (f"{host}/a/*", f"{host.upper()}/A/*")):
        assert subsumes(p, q) and subsumes(q, p)


# ---------------------------------------------------------------- keepers


graphs = st.integers(0, 7).flatmap(lambda n: st.lists(
    st.lists(st.integers(0, n - 1), max_size=n, unique=True).map(sorted) if n else st.just([]),
    min_size=n, max_size=n))


@given(edges=graphs)
def test_keepers_keep_a_cover_for_each_dropped_entry(edges: list[list[int]]) -> None:
    edges = [[w for w in e if w != v] for v, e in enumerate(edges)]
    kept = keepers(edges)
    for v, k in enumerate(kept):
        if k is not None:
            assert kept[k] is None and k in reachable(edges, v)
        else:  # a kept entry is covered by no other kept entry: a second run drops nothing
            assert all(kept[w] is not None for w in edges[v])
    for v in range(len(edges)):  # what nothing covers stays
        if not edges[v]:
            assert kept[v] is None


def test_keepers_ties_and_chains() -> None:
    assert keepers([[1], [0]]) == [None, 0]  # equal: the first stays
    assert keepers([[1], [0], []]) == [None, 0, None]
    assert keepers([[1], [2], []]) == [2, 2, None]  # a chain: the widest stays
    assert keepers([[1], [0, 2], []]) == [2, 2, None]  # equal, both under a third
    assert keepers([[], [], []]) == [None, None, None]
