"""Exact inclusion between IWSVA URL list entries: does entry ``b`` match every URL entry
``a`` matches? (issue 11: the ``remove-subsumed-entries`` pass.)

:func:`entry_subsumes` answers True only when it has *proved* that, for every URL and both
``host_only`` settings, ``iwsva_matches(a, url, host_only=h)`` implies
``iwsva_matches(b, url, host_only=h)``; it answers False whenever it cannot prove it (a pair
of entries it does not model, a search over its state budget, an inclusion that does not
hold). False is always safe: the pass then keeps the entry. :func:`subsumers` finds, for every
entry of a list, a kept entry of the same list that matches all it matches, without trying all
pairs.

Why True is sound: what the matcher compares (:mod:`isc.models.urlmatch`)
----------------------------------------------------------------------------
An entry is a glob ``G`` (``*`` any run, ``?`` one character, ``%2a``/``%3f`` a literal
``*``/``?``, compared case-insensitively) with a *view*: the strings of a URL ``u`` it is
compared with for a setting ``h`` (``_candidates``). Write ``N`` for ``u.netloc`` and ``s``
for ``u.scheme``; a URL is a *root* when its path is ``/`` and it has no query:

- ``W`` (a Web-site entry ``@P``, ``G = *P``; a String entry without scheme): the strings
  ``W(u, h)`` = ``{N/, N}`` when ``h`` or a root, else ``{N + path[?query]}``.
- ``F`` (a String entry starting ``scheme://``): ``{s:// + w : w in W(u, h)}``.
- ``K`` (a URL keyword ``*k*``): the one string ``u.full(host_only=h)``: ``s://N`` when
  ``h``, ``s://N/`` for a root, else ``s:// + N + path[?query]``; so ``K(u, h) = s:// + w*``
  for one ``w*`` in ``W(u, h)``, and ``K(u, h)`` is one of the ``F`` strings.

An entry matches when its glob matches one of its strings *and* its longest literal run
(``required_literal``, lower-cased) occurs in ``haystack(u, h)`` (the lower-cased
``u.full(h) + "/"``, which holds every string of every view as a substring).

Per pair of views, a includes into b when these glob inclusions hold (``L`` the language,
``L/'/'`` the strings ``x`` with ``x + '/'`` in ``L``); a keyword's glob ``*X*`` is closed
under superstrings, which the cross-view cases use:

=========== ============================================================================
a → b       sufficient condition (and why)
=========== ============================================================================
W→W, F→F,   ``L(a) ⊆ L(b)``: both are compared with the same strings.
K→K, K→F    (``K(u, h)`` is one of the ``F`` strings.)
F→K, W→K    ``L(a) ⊆ L(b)`` and ``L(a)/'/' ⊆ L(b)``: every string a is compared with is a
            substring of ``K(u, h)``, except ``N/`` and ``s://N/`` with ``h``, which are
            ``K(u, h) + '/'`` or a suffix of it plus ``/``.
F→W         ``L(rest) ⊆ L(b)``, ``a = scheme:// + rest``: ``s://w`` matches a only if ``s``
            is that scheme (no ``:`` in either) and ``w`` matches ``rest``.
K→W         ``{w : s://w in L(a), s a scheme} ⊆ L(b)``, with ``s`` any string of the scheme
            characters ``Url.parse`` gives (``[a-z0-9+.-]``), over-approximated.
W→F         never: a Web-site or schemeless entry does not look at the scheme.
=========== ============================================================================

Characters. Both globs are lower-cased. RE2 (``models/globs.py``) folds case by Unicode orbits:
an ASCII letter also matches ``K`` (KELVIN SIGN, for ``k``) and ``ſ`` (for ``s``), and ``i``
matches ``I i İ ı``; no other character outside ASCII folds to ASCII. A non-ASCII pattern
character is modelled only when it is *caseless* (its own lower, upper and case fold, not a
surrogate): it then matches only itself. So every text character matches the literal class
of at most one pattern character, and the glob inclusion is decided over the pattern
characters plus one "other" symbol: exactly. An entry with any other character is compared
only with an entry of the identical stored text.

The literal pre-filter of b. b matches only when its required literal ``r_b`` occurs in the
lower-cased haystack. A glob match of b puts text there that folds to ``r_b``; its lower case
*is* ``r_b`` unless ``ſ``, ``İ`` or ``ı`` took an ``s`` or ``i``. So the proof needs ``r_b``
without ``s`` and ``i``, or ``r_b`` inside ``r_a`` (a's own pre-filter then implies b's).

The glob inclusion. ``L(a) ⊆ L(b)`` is decided on the product of a's NFA (positions) with the
subset construction of b's NFA, over the symbols that matter at each step (b's next literals
and "other"), with a budget of :data:`BUDGET` states (over it: False). When b has no ``?`` a
shortcut is exact: replace each wildcard of a by a character b lacks; ``L(a) ⊆ L(b)`` iff b
matches that string (b's ``*`` then absorbs each stand-in, and so any text in its place).

One more condition, necessary for every inclusion over one view: each literal run of b lies
inside one literal run of a (else a's string with each wildcard filled by a character b
lacks escapes b). It is required in every case, so that :func:`subsumption_edges` can find
candidates through a :class:`~isc.models.index.LiteralIndex` of one run of each b and still
find every pair :func:`entry_subsumes` accepts.

Assumed of URLs: they are what ``Url.parse`` makes (every ``Url`` the models decide on is),
so a scheme is a run of ``[a-z0-9+.-]``, never holding ``:`` or ``/``.

Not proved (False, so the entry stays) though true: an inclusion that needs the pairing of
``N/`` with ``N`` (``example.com`` and ``example.com/`` match the same URLs), and one whose
search exceeds the budget.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Final

from isc.ir.web import UrlMatchType, UrlPattern
from isc.models.index import LiteralIndex

__all__ = ["BUDGET", "entry_subsumes", "keepers", "subsumers", "subsumption_edges"]

#: Product states one glob inclusion may visit before it gives up (and answers False).
BUDGET: Final = 20000

_STAR: Final = 0
_ANY: Final = 1
Token = str | int
_SPLIT = re.compile(r"(%2a|%3f|\*|\?)", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
#: What ``Url.parse`` puts in a scheme (urlsplit's scheme characters, lower-cased).
_SCHEME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
#: Lower-case letters some non-ASCII text character folds to in RE2 with a lower case other
#: than themselves (``ſ`` → s; ``İ``, ``ı`` → i): b's pre-filter may then miss its match.
_FOLD_TRAPS: Final = frozenset("si")

_W, _F, _K = 0, 1, 2


class _Entry:
    """One stored entry, read once; its glob tokens only when an inclusion test needs them
    (most entries of an estate's list are never a candidate)."""

    __slots__ = ("_tokens", "glob", "modelled", "need", "runs", "view")

    def __init__(self, view: int, glob: str, runs: tuple[str, ...], need: str,
                 modelled: bool, tokens: tuple[Token, ...] | None = None) -> None:
        self.view = view
        #: The matcher's glob (``*P`` for a web site ``@P``).
        self.glob = glob
        #: Its literal runs (escapes are literal characters here), non-empty, in order.
        self.runs = runs
        #: The literal the matcher's pre-filter looks for (``urlmatch.required_literal``).
        self.need = need
        #: False when a character is outside what the inclusion models (see the docstring).
        self.modelled = modelled
        self._tokens = tokens

    @property
    def tokens(self) -> tuple[Token, ...]:
        """The glob, lower-cased: characters, ``_STAR``, ``_ANY``; runs of ``*`` collapsed."""
        if self._tokens is None:
            self._tokens = _read(self.glob)[0]
        return self._tokens


def _caseless(c: str) -> bool:
    return (c.lower() == c == c.upper() == c.casefold()
            and unicodedata.category(c) != "Cs")


def _lower(text: str) -> tuple[str, bool]:
    """``text`` as compared, and whether every character of it is modelled."""
    if text.isascii():
        return text.lower(), True
    ok = all(c.isascii() or _caseless(c) for c in text)
    # ASCII letters fold to ASCII; a caseless character is its own lower case
    return "".join(c.lower() if c.isascii() else c for c in text), ok


#: What separates the literal runs of a glob with no escape.
_WILD = re.compile(r"[*?]+")


def _entry(stored: str) -> _Entry:
    kind = UrlPattern(stored).kind
    glob = "*" + stored[1:] if kind is UrlMatchType.WEB_SITE else stored
    if kind is UrlMatchType.KEYWORD:
        view = _K
    elif kind is UrlMatchType.STRING and _SCHEME.match(glob):
        view = _F
    else:
        view = _W
    if "%" not in glob and glob.isascii():  # the usual entry: what _read gives, directly
        runs = tuple(r for r in _WILD.split(glob.lower()) if r)
        return _Entry(view, glob, runs, max(runs, key=len, default=""), True)
    tokens, runs, need, modelled = _read(glob)
    return _Entry(view, glob, runs, need, modelled, tokens)


@functools.lru_cache(maxsize=1 << 16)
def _read(glob: str) -> tuple[tuple[Token, ...], tuple[str, ...], str, bool]:
    """A glob's tokens, literal runs, pre-filter literal, and whether it is modelled."""
    pieces = _SPLIT.split(glob)
    tokens: list[Token] = []
    runs: list[str] = []
    run = ""  # the literal run being read (escapes are literal characters in it)
    modelled = True
    # the matcher's own tokens (``globs.translate``): odd pieces are the wildcards/escapes
    for k, piece in enumerate(pieces):
        if not k % 2:
            text, ok = _lower(piece)
            modelled = modelled and ok
        elif piece in "*?":
            if run:
                runs.append(run)
                run = ""
            if piece == "?":
                tokens.append(_ANY)
            elif not tokens or tokens[-1] != _STAR:  # ``**`` is ``*``
                tokens.append(_STAR)
            continue
        else:
            text = "*" if piece.lower() == "%2a" else "?"
        tokens.extend(text)
        run += text
    if run:
        runs.append(run)
    # what ``urlmatch.required_literal(glob)`` gives, from the same split
    need = max(pieces[::2], key=len).lower()
    return tuple(tokens), tuple(runs), need, modelled


# ---------------------------------------------------------------- glob inclusion


class _Nfa:
    """A glob's NFA over positions ``0..n`` as bit masks (bit ``n``: accepted). ``*`` stays
    on its position or moves on without reading; ``?`` reads any character; a literal reads
    itself."""

    __slots__ = ("any", "final", "lits", "star", "tokens")

    def __init__(self, tokens: tuple[Token, ...]) -> None:
        self.tokens = tokens
        self.star = self.any = 0
        self.lits: dict[str, int] = {}
        for i, t in enumerate(tokens):
            if isinstance(t, str):
                self.lits[t] = self.lits.get(t, 0) | 1 << i
            elif t == _STAR:
                self.star |= 1 << i
            else:
                self.any |= 1 << i
        self.final = 1 << len(tokens)

    def closure(self, m: int) -> int:
        # one step is enough: runs of ``*`` were collapsed, so a star is never followed by one
        return m | ((m & self.star) << 1)

    def step(self, m: int, c: str | None) -> int:
        """Read ``c`` (None: a character no literal of this glob is)."""
        moved = m & (self.any | (self.lits.get(c, 0) if c is not None else 0))
        return self.closure((m & self.star) | (moved << 1))

    def next_literals(self, m: int) -> set[str]:
        out = set()
        tokens = self.tokens
        x = m & ~(self.star | self.any) & (self.final - 1)
        while x:
            low = x & -x
            t = tokens[low.bit_length() - 1]
            if isinstance(t, str):  # always: the mask holds literal positions only
                out.add(t)
            x ^= low
        return out


@functools.lru_cache(maxsize=1 << 16)
def _nfa(tokens: tuple[Token, ...]) -> _Nfa:
    return _Nfa(tokens)


def _filler(b: tuple[Token, ...]) -> str:
    c = "\x00"
    while c in b:
        c = chr(ord(c) + 1)
    return c


def _star_match(b: tuple[Token, ...], text: str) -> bool:
    """Does the ``*``-only glob ``b`` match all of ``text``? Leftmost placement of each run
    is optimal for ``*``-only globs."""
    segments: list[str] = []
    current: list[str] = []
    for t in b:
        if isinstance(t, str):
            current.append(t)
        else:
            segments.append("".join(current))
            current = []
    segments.append("".join(current))
    if len(segments) == 1:
        return text == segments[0]
    first, last = segments[0], segments[-1]
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return False
    pos = len(first)
    for s in segments[1:-1]:
        i = text.find(s, pos, end)
        if i < 0:
            return False
        pos = i + len(s)
    return True


def _nfa_includes(a: tuple[Token, ...], b: tuple[Token, ...], start: int | None
                  ) -> bool | None:
    """``L(a) ⊆ L(b)``, a read from the positions in the mask ``start`` (None: from its
    start); None when the search exceeds :data:`BUDGET`."""
    na, nb = _nfa(a), _nfa(b)
    n = len(a)
    b0 = nb.closure(1)
    if start is None:
        start = na.closure(1)
    todo: list[tuple[int, int]] = []
    x = start
    while x:
        low = x & -x
        todo.append((low.bit_length() - 1, b0))
        x ^= low
    seen = set(todo)
    while todo:
        i, sb = todo.pop()
        if not sb:
            return False  # b is dead while a can still finish (every glob suffix matches)
        if i == n:
            if not sb & nb.final:
                return False
            continue
        t = a[i]
        nxt: list[tuple[int, int]]
        if isinstance(t, str):
            nxt = [(i + 1, nb.step(sb, t))]
        else:
            # any character: b's next literals, and one it has none of
            symbols: list[str | None] = [*nb.next_literals(sb), None]
            j = i if t == _STAR else i + 1
            nxt = [(j, nb.step(sb, c)) for c in symbols]
            if t == _STAR:
                nxt.append((i + 1, sb))
        for state in nxt:
            if state not in seen:
                if len(seen) >= BUDGET:
                    return None
                seen.add(state)
                todo.append(state)
    return True


def _includes(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """``L(a) ⊆ L(b)`` for globs (False when undecided)."""
    if _ANY not in b:
        fill = _filler(b)
        return _star_match(b, "".join(t if isinstance(t, str) else fill for t in a))
    return _nfa_includes(a, b, None) is True


def _after_scheme(a: tuple[Token, ...]) -> int:
    """The positions of a reached after reading ``s://``, ``s`` any run of scheme characters
    (an over-approximation: more start positions only make the inclusion harder)."""
    na = _nfa(a)
    reach = na.closure(1)
    while True:
        more = reach
        for c in [*(c for c in na.next_literals(reach) if c in _SCHEME_CHARS), None]:
            more |= na.step(reach, c)
        if more == reach:
            break
        reach = more
    for c in "://":
        reach = na.step(reach, c)
    return reach


def _quotient_slash(a: tuple[Token, ...]) -> tuple[Token, ...] | None:
    """A glob for ``L(a)/'/'`` minus what ``L(a)`` already holds: ``x`` with ``x + '/'`` in
    ``L(a)``. ``Q*`` gives ``L(Q*)`` and ``Q``'s quotient; ``Q/`` and ``Q?`` give ``Q``; any
    other last literal nothing (None)."""
    q = a[:-1] if a and a[-1] == _STAR else a
    if q and q[-1] in ("/", _ANY):
        return q[:-1]
    return None


# ---------------------------------------------------------------- entries


def _runs_inside(b: _Entry, a: _Entry) -> bool:
    return all(any(r in s for s in a.runs) for r in b.runs)


def _key_run(e: _Entry, seen: Counter[str]) -> str:
    """The run to file an entry under: any run of b must lie in a run of a, so the one
    fewest entries share (then the longest) keeps the candidates few."""
    return min(e.runs, key=lambda r: (seen[r], -len(r), r), default="")


def _subsumes(b: _Entry, a: _Entry) -> bool:
    if not (a.modelled and b.modelled):
        return False
    if not _runs_inside(b, a):
        return False
    if not _FOLD_TRAPS.isdisjoint(b.need) and b.need not in a.need:
        return False
    va, vb = a.view, b.view
    if vb == va or (va == _K and vb == _F):
        return _includes(a.tokens, b.tokens)
    if vb == _K:  # a is W or F
        if not _includes(a.tokens, b.tokens):
            return False
        q = _quotient_slash(a.tokens)
        return q is None or _includes(q, b.tokens)
    if va == _F:  # b is W
        m = _SCHEME.match("".join(t if isinstance(t, str) else "\x00" for t in a.tokens))
        return m is not None and _includes(a.tokens[m.end():], b.tokens)
    if va == _K:  # b is W
        return _nfa_includes(a.tokens, b.tokens, _after_scheme(a.tokens)) is True
    return False  # a is W, b is F: b looks at a scheme a does not


def entry_subsumes(b: UrlPattern, a: UrlPattern) -> bool:
    """True only if every URL ``a`` matches (for either ``host_only``) ``b`` matches too.

    Example:
        >>> entry_subsumes(UrlPattern("@example.com*"), UrlPattern("@www.example.com*"))
        True
        >>> entry_subsumes(UrlPattern("@www.example.com*"), UrlPattern("@example.com*"))
        False
    """
    if a.stored == b.stored:
        return True
    return _subsumes(_entry(b.stored), _entry(a.stored))


def subsumption_edges(entries: Sequence[UrlPattern]) -> list[list[int]]:
    """For each entry, the positions of the *other* entries that subsume it, ascending.

    Each entry b is filed in a :class:`LiteralIndex` under one of its literal runs (the
    rarest in the list), and looked up with the runs of the entry a to cover: since
    :func:`entry_subsumes` requires every run of b inside a run of a, no pair it accepts is
    missed, and only those candidates get the exact test. Near-linear when literals differ;
    the edges themselves may be many (``*a*`` subsumes every keyword with an ``a``)."""
    infos = [_entry(p.stored) for p in entries]
    seen: Counter[str] = Counter(r for e in infos for r in set(e.runs))
    keys = [_key_run(e, seen) for e in infos]
    index = LiteralIndex()
    for i, key in enumerate(keys):
        index.add(i, key)
    out: list[list[int]] = []
    for j, a in enumerate(infos):
        # one look-up for all runs: no key run holds a NUL, so each is found inside a run
        runs = "\x00".join(a.runs)
        found = set(index.candidates(runs))
        found.discard(j)
        stored = entries[j].stored
        edges = []
        for i in found:
            # the key run first (cheap; the index may offer more for a text it cannot search)
            if keys[i] in runs and (entries[i].stored == stored or (
                    all(r in runs for r in infos[i].runs) and _subsumes(infos[i], a))):
                edges.append(i)
        edges.sort()
        out.append(edges)
    return out


def keepers(edges: Sequence[Sequence[int]]) -> list[int | None]:
    """Which entries to drop, given who subsumes whom: for each entry None (kept) or the
    position of a *kept* entry that matches all it matches.

    Entries that subsume each other (a cycle) match the same URLs. Of each group of them that
    nothing outside subsumes, the first is kept and the others go; a group something outside
    subsumes goes entirely. Every dropped entry is thus included (through a chain) in a kept
    one, and no kept entry subsumes another, so running again drops nothing."""
    n = len(edges)
    comp = [-1] * n
    rep: list[int] = []  # per component: its kept entry (its own, or a successor's)
    out: list[int | None] = [None] * n
    # Tarjan's algorithm, iterative (lists of 10^5 entries nest deeper than Python's stack);
    # it closes a component only after every component it reaches, so ``rep`` is known for
    # every successor when a component is closed
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            v, k = work.pop()
            if k == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            succ = edges[v]
            descended = False
            while k < len(succ):
                w = succ[k]
                k += 1
                if index[w] < 0:
                    work.append((v, k))
                    work.append((w, 0))
                    descended = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if descended:
                continue
            if work:  # v is done: its parent reaches what it reaches
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] != index[v]:
                continue
            here = len(rep)
            members = []
            while True:
                w = stack.pop()
                on_stack[w] = False
                comp[w] = here
                members.append(w)
                if w == v:
                    break
            members.sort()
            outside = [w for m in members for w in edges[m] if comp[w] != here]
            if outside:  # all of them are matched where a later component's entry matches
                keep = rep[comp[min(outside)]]
                for m in members:
                    out[m] = keep
            else:  # they match the same URLs: the first stays
                keep = members[0]
                for m in members[1:]:
                    out[m] = keep
            rep.append(keep)
    return out


def subsumers(entries: Sequence[UrlPattern]) -> list[int | None]:
    """For each entry of one list, None when it stays, else the position of a kept entry of
    the list that matches every URL it matches (:func:`keepers` over
    :func:`subsumption_edges`; entries of identical stored text are folded first).

    Example:
        >>> subsumers([UrlPattern("@www.a.example*"), UrlPattern("@a.example*"),
        ...            UrlPattern("@a.example*")])
        [1, None, 1]
    """
    first: dict[str, int] = {}
    unique: list[int] = []
    for i, p in enumerate(entries):
        if p.stored not in first:
            first[p.stored] = len(unique)
            unique.append(i)
    kept = keepers(subsumption_edges([entries[i] for i in unique]))
    out: list[int | None] = []
    for i, p in enumerate(entries):
        u = first[p.stored]
        k = kept[u]
        if k is not None:
            out.append(unique[k])
        else:
            out.append(None if unique[u] == i else unique[u])
    return out
