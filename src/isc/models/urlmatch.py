"""URL pattern matching as IWSVA and ZTSA do it (formats.md §2, semantics.md §2 step 4).

Everything compares case-insensitively (hosts by definition; paths by the decision written in
docs/semantics.md). A request that was not decrypted shows only ``scheme://host[:port]/``.
"""

from __future__ import annotations

import functools
import re

from isc.ir.requests import Url
from isc.ir.web import UrlMatchType, UrlPattern
from isc.ir.ztsa import MatchMode
from isc.models.globs import Glob, translate

_TOKEN = re.compile(r"%2a|%3f|\*|\?", re.IGNORECASE)


#: Compiled globs kept: each holds its RE2 program and the DFA states it has built (about
#: 28 KiB once used), and an estate's sweep meets each of its 8,000 RE2 patterns about once
#: (a cache of them all held 220 MiB, for 20 hits); the patterns decided again and again
#: (one entry's probes) stay.
GLOBS_KEPT = 2048


@functools.lru_cache(maxsize=GLOBS_KEPT)
def glob(pattern: str, *, escapes: bool = True) -> Glob:
    """``*`` any run, ``?`` one character; with ``escapes``, ``%2a``/``%3f`` are literal.

    Compiled for RE2 (:mod:`isc.models.globs`), so a match is linear in the URL whatever
    the pattern."""
    return Glob(translate(pattern, question=True, escapes=escapes))


@functools.lru_cache(maxsize=65536)
def required_literal(pattern: str) -> str:
    """The longest literal run of a pattern: a URL without it cannot match (a cheap filter
    in front of the regular expression)."""
    return max(_TOKEN.split(pattern), key=len).lower()


@functools.lru_cache(maxsize=65536)
def haystack(url: Url, host_only: bool) -> str:
    """The lower-case text a pattern's required literal is looked for in: every string a
    pattern is compared with is part of it."""
    return (url.full(host_only=host_only) + "/").lower()


@functools.lru_cache(maxsize=65536)
def _segments(pattern: str) -> tuple[str, ...] | None:
    """The literal runs of a glob whose only wildcard is ``*`` and that is all ASCII without
    ``%`` (so no escape either); None for any other glob."""
    if pattern.isascii() and "?" not in pattern and "%" not in pattern:
        return tuple(pattern.lower().split("*"))
    return None


def star_fullmatch(segments: tuple[str, ...], text: str) -> bool:
    """Does ``*``-joined ``segments`` match all of ``text`` (ASCII, any case)? Leftmost
    placement of each middle run is optimal for ``*``-only globs, so this is exact, and
    linear in the text for each run."""
    t = text.lower()
    if len(segments) == 1:
        return t == segments[0]
    first, last = segments[0], segments[-1]
    end = len(t) - len(last)
    if end < len(first) or not t.startswith(first) or not t.endswith(last):
        return False
    pos = len(first)
    for s in segments[1:-1]:
        i = t.find(s, pos, end)
        if i < 0:
            return False
        pos = i + len(s)
    return True


def fullmatch(pattern: str, text: str, *, escapes: bool = True) -> bool:
    """``glob(pattern).fullmatch(text)``, without compiling the common ``*``-only ASCII
    globs (an ASCII text: where case folding is plain ASCII, as RE2's is on it)."""
    if text.isascii():
        segments = _segments(pattern)
        if segments is not None:
            return star_fullmatch(segments, text)
    return glob(pattern, escapes=escapes).fullmatch(text) is not None


def _may_match(pattern: str, url: Url, host_only: bool) -> bool:
    need = required_literal(pattern)
    return not need or need in haystack(url, host_only)


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _has_scheme(pattern: str) -> bool:
    return _SCHEME.match(pattern) is not None


def _candidates(url: Url, host_only: bool, with_scheme: bool) -> tuple[str, ...]:
    """The strings a whole-URL pattern is compared with; a bare root also without its ``/``."""
    text = url.full(host_only=host_only) if with_scheme else url.without_scheme(host_only=host_only)
    if host_only or (url.path == "/" and not url.query):
        base = url.full(host_only=True) if with_scheme else url.netloc
        return (base + "/", base)
    return (text,)


def _whole(pattern: str, url: Url, host_only: bool, *, escapes: bool = True) -> bool:
    if not _may_match(pattern, url, host_only):
        return False
    return any(fullmatch(pattern, c, escapes=escapes)
               for c in _candidates(url, host_only, _has_scheme(pattern)))


def iwsva_matches(pattern: UrlPattern | str, url: Url, *, host_only: bool = False) -> bool:
    """Does an IWSVA stored-form entry match this URL?

    Web site ``@P``: ``*P`` against the URL without its scheme. Keyword ``*k*``: anywhere in
    the URL. String: the whole URL (with scheme if the entry has one, else without).
    """
    p = pattern if isinstance(pattern, UrlPattern) else UrlPattern(pattern)
    stored = p.stored
    kind = p.kind
    if kind is UrlMatchType.WEB_SITE:
        return _whole("*" + stored[1:], url, host_only)
    if kind is UrlMatchType.KEYWORD:
        if not _may_match(stored, url, host_only):
            return False
        return fullmatch(stored, url.full(host_only=host_only))
    return _whole(stored, url, host_only)


def ztsa_matches(mode: MatchMode, value: str, url: Url, *, host_only: bool = False) -> bool:
    """Does a ZTSA custom-category or allow/deny-list entry match this URL?

    Domain: that domain and its subdomains (``*.d`` only subdomains). Keyword: a substring of
    the URL. URL: the whole URL with ``*``/``?`` wildcards. ZTSA documents no escape for a
    literal ``*``/``?``, so ``%2a`` is taken as the three characters it is.
    """
    if mode is MatchMode.DOMAIN:
        return domain_matches(value, url.host, subdomains=True)
    if mode is MatchMode.KEYWORD:
        if not _may_match(value, url, host_only):
            return False
        return fullmatch(f"*{value}*", url.full(host_only=host_only), escapes=False)
    return _whole(value, url, host_only, escapes=False)


def domain_matches(domain: str, host: str, *, subdomains: bool) -> bool:
    """ZTSA domain semantics. With ``subdomains`` (custom categories) ``d`` covers ``*.d`` too;
    without (inspection exceptions) ``example.com`` is the apex only."""
    d = domain.strip().lower().rstrip(".")
    h = host.lower()
    if d.startswith("*."):
        return fullmatch(d, h, escapes=False) and h != d[2:]
    if fullmatch(d, h, escapes=False):
        return True
    return subdomains and fullmatch("*." + d, h, escapes=False)
