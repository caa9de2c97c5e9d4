"""Indexes the fast decision models are built on (issue 9: a decision must not cost the
length of the lists, only the entries that can match).

Each index narrows a question to *candidates*; the exact per-object test of the reference
models (:mod:`isc.models.reference`) still decides each candidate. An index is therefore
sound exactly when it never leaves out an object the exact test would accept, which is what
each class below argues and ``tests/models/test_indexed_models.py`` checks against the
reference models.

- :class:`LiteralIndex`: patterns by a substring every match must contain (a *gram* of the
  pattern's longest literal run), found in a text by looking up the text's grams.
- :class:`DomainIndex`: plain domains by name, found by a host and its parent domains.
- :class:`IntervalIndex`: integer intervals (IP ranges), found by a point (a segment tree).
- :class:`Selector`: ordered objects (policies, rules) by who they apply to.
"""

from __future__ import annotations

import bisect
import functools
import re
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Final, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: The lengths of a gram: a literal of at least :data:`LONG` characters is filed under one
#: of that length, a shorter one of at least :data:`GRAM` under one of four. Eight
#: characters separate URL literals of a large estate well (vocabularies of host words
#: repeat in four-character grams); a URL of n characters has n - 7 and n - 3 of them.
LONG: Final = 8
GRAM: Final = 4
#: A bucket larger than this makes the next pattern look for a rarer gram of its literal.
_CROWDED: Final = 8
_WORD = re.compile(r"[a-z0-9]+")
#: Up to this many items a :class:`LiteralIndex` files nothing and offers them all.
_FEW: Final = 16


class LiteralIndex:
    """Items keyed by a literal that every text they match contains.

    ``add(item, literal)`` files the item under one gram of ``literal`` (:data:`LONG` or
    :data:`GRAM` characters); a literal shorter than :data:`GRAM` is kept apart and looked
    for as it is, and an empty one makes the item *always* a candidate.
    ``candidates(text)`` gives every item whose gram (or short literal) occurs in ``text``.
    When each item's literal is a lower-case substring of every text (lower-cased) the item
    matches, no match is left out.
    """

    __slots__ = ("_always", "_few", "_short", "_tables")

    def __init__(self) -> None:
        self._tables: dict[int, dict[str, list[int]]] = {LONG: {}, GRAM: {}}
        self._always: list[int] = []
        self._short: dict[str, list[int]] = {}
        #: The first few items, kept as they are: for a handful of items (the one-object
        #: policies fidelity compares) filing them costs more than trying them all.
        self._few: list[tuple[int, str]] | None = []

    def __len__(self) -> int:
        if self._few is not None:
            return len(self._few)
        return (sum(len(b) for t in self._tables.values() for b in t.values())
                + len(self._always) + sum(map(len, self._short.values())))

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
        if not literal:
            self._always.append(item)
        elif len(literal) < GRAM:
            self._short.setdefault(literal, []).append(item)
        else:
            length = LONG if len(literal) >= LONG else GRAM
            table = self._tables[length]
            table.setdefault(self._gram(literal, table, length), []).append(item)

    @staticmethod
    def _gram(literal: str, table: dict[str, list[int]], length: int) -> str:
        # the middle of the longest word: host labels and path words are distinctive,
        # their ends (``www.``, ``.com``, ``.html``) are not
        word = max(_WORD.findall(literal), key=len, default="")
        if len(word) >= length:
            start = literal.find(word) + (len(word) - length) // 2
        else:
            start = min(max(literal.find(word) + (len(word) - length) // 2, 0),
                        len(literal) - length)
        key = literal[start:start + length]
        bucket = table.get(key)
        if bucket is not None and len(bucket) >= _CROWDED:
            # a crowded gram: the first free one of the literal, else the rarest (the cost
            # stays linear in the literal)
            best, size = key, len(bucket)
            for i in range(len(literal) - length + 1):
                gram = literal[i:i + length]
                found = table.get(gram)
                if found is None:
                    return gram
                if len(found) < size:
                    best, size = gram, len(found)
            key = best
        return key

    def candidates(self, text: str) -> list[int]:
        """The items that may match ``text`` (lower-case), in no particular order."""
        if self._few is not None:
            return [i for i, _ in self._few]
        out = list(self._always)
        n = len(text)
        for length, table in self._tables.items():
            if table:
                grams = {text[i:i + length] for i in range(n - length + 1)}
                for g in table.keys() & grams:  # iterates the smaller of the two
                    out.extend(table[g])
        short = self._short
        if len(short) <= 3 * n:
            for literal, items in short.items():
                if literal in text:
                    out.extend(items)
        else:  # many short literals: look the text's own short substrings up instead
            subs = {text[i:i + k] for k in range(1, GRAM) for i in range(n - k + 1)}
            for literal in short.keys() & subs:
                out.extend(short[literal])
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

    def share(self, old: Obj, new: Obj) -> bool:
        """Let ``new`` use the index built for ``old`` (the caller has established that
        nothing an index reads differs between them); False when ``old`` has none."""
        found = self._found.get(id(old))
        if found is None or found[0]() is not old:
            return False
        key = id(new)
        self._found[key] = (weakref.ref(new, functools.partial(self._drop, key)), found[1])
        return True

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
