"""Indexes the fast decision models are built on (issue 9: a decision must not cost the
length of the lists, only the entries that can match).

Each index narrows a question to *candidates*; the exact per-object test of the reference
models (:mod:`isc.models.reference`) still decides each candidate. An index is therefore
sound exactly when it never leaves out an object the exact test would accept, which is what
each class below argues and ``tests/models/test_indexed_models.py`` checks against the
reference models.

- :class:`LiteralIndex`: patterns by a substring every match must contain (the pattern's
  required literal), found in a text by one Aho-Corasick automaton over the literals.
- :class:`DomainIndex`: plain domains by name, found by a host and its parent domains.
- :class:`IntervalIndex`: integer intervals (IP ranges), found by a point (a segment tree).
- :class:`Selector`: ordered objects (policies, rules) by who they apply to.
"""

from __future__ import annotations

import bisect
import functools
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Final, Generic, TypeVar

import ahocorasick_rs

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Up to this many items a :class:`LiteralIndex` files nothing and offers them all.
_FEW: Final = 16
#: The longest key of a :class:`LiteralIndex`: long enough to tell URL literals apart (a
#: host name and more), short enough that few keys occur at one position of a text.
WINDOW: Final = 16
#: A key holding this many items makes the next long literal look for a rarer window.
_CROWDED: Final = 8


def _encodable(text: str) -> bool:
    """Can ``text`` be searched by the automaton (UTF-8: no lone surrogates)?"""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class LiteralIndex:
    """Items keyed by a literal that every text they match contains.

    ``add(item, literal)`` files the item under its literal, or under one window of
    :data:`WINDOW` characters of a longer one (the first, or a rarer one when that key is
    crowded); an empty literal makes the item *always* a candidate. ``candidates(text)``
    gives every item whose key occurs in ``text``, found by one Aho-Corasick automaton over
    the distinct keys (``ahocorasick_rs``, built at the first look-up after an add). No key
    is longer than :data:`WINDOW`, so at most that many occur at any position of the text:
    a look-up costs the text and the items found, never the number of items, whatever the
    literals (``a``, ``aa``, ``aaa``... would otherwise all occur everywhere in ``aaaa…``).
    When each item's literal is a lower-case substring of every text (lower-cased) the item
    matches, no match is left out; the caller checks the whole literal. A literal or a text
    the automaton cannot take (a lone surrogate) is a candidate always, or makes every item
    one.
    """

    __slots__ = ("_all", "_always", "_automaton", "_few", "_found", "_keys")

    def __init__(self) -> None:
        #: The first few items, kept as they are: for a handful of items (the one-object
        #: policies fidelity compares) building an automaton costs more than trying them all.
        self._few: list[tuple[int, str]] | None = []
        self._always: list[int] = []
        self._all: list[int] = []
        self._keys: dict[str, list[int]] = {}
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        #: the items of each key, by the automaton's pattern number
        self._found: list[list[int]] = []

    def __len__(self) -> int:
        return len(self._few) if self._few is not None else len(self._all)

    def add(self, item: int, literal: str) -> None:
        few = self._few
        if few is not None:
            few.append((item, literal))
            if len(few) <= _FEW:
                return
            self._few = None
            for i, lit in few:
                self._file(i, lit)
            return
        self._file(item, literal)

    def _file(self, item: int, literal: str) -> None:
        self._automaton = None
        self._all.append(item)
        if literal and _encodable(literal):
            key = literal if len(literal) <= WINDOW else self._window(literal)
            self._keys.setdefault(key, []).append(item)
        else:
            self._always.append(item)

    def _window(self, literal: str) -> str:
        """The key of a literal longer than :data:`WINDOW`: its first window, unless that
        key is crowded; then the first free window, else the rarest (linear in the
        literal)."""
        keys = self._keys
        best = literal[:WINDOW]
        found = keys.get(best)
        if found is None or len(found) < _CROWDED:
            return best
        size = len(found)
        for i in range(1, len(literal) - WINDOW + 1):
            window = literal[i:i + WINDOW]
            found = keys.get(window)
            if found is None:
                return window
            if len(found) < size:
                best, size = window, len(found)
        return best

    def _build(self) -> ahocorasick_rs.AhoCorasick | None:
        if not self._keys:
            return None
        self._found = list(self._keys.values())
        self._automaton = ahocorasick_rs.AhoCorasick(
            list(self._keys), implementation=ahocorasick_rs.Implementation.ContiguousNFA)
        return self._automaton

    def candidates(self, text: str) -> list[int]:
        """The items that may match ``text`` (lower-case), in no particular order."""
        if self._few is not None:
            return [i for i, _ in self._few]
        automaton = self._automaton or self._build()
        if automaton is None:
            return list(self._always)
        if not _encodable(text):
            return list(self._all)
        out = list(self._always)
        found = self._found
        for k in {m[0] for m in automaton.find_matches_as_indexes(text, overlapping=True)}:
            out.extend(found[k])
        return out


def parent_domains(host: str) -> Iterator[str]:
    """``a.b.c`` → ``a.b.c``, ``b.c``, ``c`` (what a domain entry may be filed under)."""
    yield host
    i = host.find(".")
    while i >= 0:
        yield host[i + 1:]
        i = host.find(".", i + 1)


class DomainIndex:
    """Items keyed by a domain that a matching host equals or ends with (after a dot).

    Items whose domain cannot be keyed (wildcards inside, characters outside ASCII) are
    candidates for every host, and so is every item for a host outside ASCII: there
    case-insensitive matching folds characters (``ı``, ``K``) a dictionary would not.
    """

    __slots__ = ("_all", "_always", "_by_domain")

    def __init__(self) -> None:
        self._by_domain: dict[str, list[int]] = {}
        self._always: list[int] = []
        self._all: list[int] = []

    def add(self, item: int, domain: str | None) -> None:
        self._all.append(item)
        if domain is None:
            self._always.append(item)
        else:
            self._by_domain.setdefault(domain, []).append(item)

    def candidates(self, host: str) -> list[int]:
        if not host.isascii():
            return list(self._all)
        out = list(self._always)
        by = self._by_domain
        for d in parent_domains(host):
            found = by.get(d)
            if found is not None:
                out.extend(found)
        return out


class IntervalIndex:
    """Closed integer intervals, found by a point: a static segment tree, O(log n + k)."""

    __slots__ = ("_coords", "_size", "_tree")

    def __init__(self, intervals: Iterable[tuple[int, int, int]]) -> None:
        """``intervals``: ``(item, lo, hi)``."""
        items = [(i, lo, hi) for i, lo, hi in intervals if lo <= hi]
        self._coords = sorted({lo for _, lo, _ in items} | {hi + 1 for _, _, hi in items})
        size = 1
        while size < max(len(self._coords), 1):
            size *= 2
        self._size = size
        self._tree: dict[int, list[int]] = {}
        for item, lo, hi in items:
            left = bisect.bisect_left(self._coords, lo) + size
            right = bisect.bisect_left(self._coords, hi + 1) + size
            while left < right:
                if left & 1:
                    self._tree.setdefault(left, []).append(item)
                    left += 1
                if right & 1:
                    right -= 1
                    self._tree.setdefault(right, []).append(item)
                left //= 2
                right //= 2

    def stab(self, point: int) -> list[int]:
        """The items whose interval holds ``point``."""
        j = bisect.bisect_right(self._coords, point) - 1
        if j < 0 or j >= len(self._coords) - 1:
            return []
        out: list[int] = []
        node = j + self._size
        tree = self._tree
        while node:
            found = tree.get(node)
            if found is not None:
                out.extend(found)
            node //= 2
        return out


class Selector(Generic[K]):
    """Ordered objects by who they apply to: some to everyone, some to keys (names), some
    to address intervals per IP version. ``select`` gives the positions of those that may
    apply, in order; the caller still runs the exact test on each."""

    def __init__(self) -> None:
        self._everyone: list[int] = []
        self._keys: dict[K, list[int]] = {}
        self._intervals: dict[int, list[tuple[int, int, int]]] = {}
        self._trees: dict[int, IntervalIndex] | None = None

    def everyone(self, item: int) -> None:
        self._everyone.append(item)

    def key(self, item: int, key: K) -> None:
        self._keys.setdefault(key, []).append(item)

    def interval(self, item: int, version: int, lo: int, hi: int) -> None:
        self._intervals.setdefault(version, []).append((item, lo, hi))
        self._trees = None

    def select(self, keys: Iterable[K], address: tuple[int, int] | None) -> list[int]:
        """The positions for any of ``keys`` or the address ``(version, int)``, sorted."""
        found = set(self._everyone)
        for k in keys:
            hit = self._keys.get(k)
            if hit is not None:
                found.update(hit)
        if address is not None:
            if self._trees is None:
                self._trees = {v: IntervalIndex(ivs) for v, ivs in self._intervals.items()}
            tree = self._trees.get(address[0])
            if tree is not None:
                found.update(tree.stab(address[1]))
        return sorted(found)


Obj = TypeVar("Obj")
Idx = TypeVar("Idx")


class PerObject(Generic[Obj, Idx]):
    """An index per live object: built on first use, dropped when the object is collected.
    Keyed by identity, because hashing a whole frozen policy costs as much as reading it.
    An index must not refer to its object, or the object never dies."""

    def __init__(self) -> None:
        self._found: dict[int, tuple[weakref.ref[Obj], Idx]] = {}

    def get(self, obj: Obj, build: Callable[[Obj], Idx]) -> Idx:
        key = id(obj)
        found = self._found.get(key)
        if found is not None and found[0]() is obj:
            return found[1]
        index = build(obj)
        self._found[key] = (weakref.ref(obj, functools.partial(self._drop, key)), index)
        return index

    def discard(self, obj: Obj) -> None:
        """Forget the index of ``obj`` (a later use builds it again): the memory of a large
        policy's index is not kept once the work that needed it is done."""
        found = self._found.get(id(obj))
        if found is not None and found[0]() is obj:
            del self._found[id(obj)]

    def _drop(self, key: int, ref: weakref.ref[Obj]) -> None:
        found = self._found.get(key)
        if found is not None and found[0] is ref:
            del self._found[key]


class Memo(dict[K, V]):
    """A memo that forgets everything when it is full: a probe sweep asks the same URLs and
    identities again and again, but an estate's sweep must not keep them all."""

    def __init__(self, bound: int = 65536) -> None:
        super().__init__()
        self.bound = bound

    def put(self, key: K, value: V) -> V:
        if len(self) >= self.bound:
            self.clear()
        self[key] = value
        return value
