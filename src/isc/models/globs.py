"""Wildcard patterns matched in linear time (semantics.md §1.3 and §4.3).

URL entries and mail address wildcards are globs: ``*`` any run of characters (newlines and
``/`` included), ``?`` exactly one (URL entries only), everything else literal and compared
case-insensitively. A glob translated to Python's backtracking ``re`` takes exponential time on
``*a*a*a…*ab``, so globs run on RE2 instead, which never backtracks: one match costs
O(pattern × text) at worst, and far less through RE2's DFA. The front-ends also bound the
length and wildcard count of every pattern (``ISC4005``), so a pattern's cost is bounded too.

:class:`Glob` is one compiled glob, :class:`GlobSet` many globs folded into as few RE2
programs as RE2's memory budget allows (the per-list index of ``urlmatch``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, Final, Literal

import re2

__all__ = ["Glob", "GlobSet", "compile_glob", "translate"]

#: What an RE2 program may use (bytes). The default (8 MiB) is enough for one glob within
#: the front-ends' limits; a union that needs more is split (:class:`GlobSet`).
MAX_MEM: Final = 64 << 20
#: Source characters per union before :class:`GlobSet` starts a new RE2 program.
_CHUNK: Final = 256 << 10

_TOKENS = {
    # (``?`` is a wildcard, ``%2a``/``%3f`` are escapes) → the tokens to recognise
    (True, True): re.compile(r"%2a|%3f|\*|\?", re.IGNORECASE),
    (True, False): re.compile(r"\*|\?"),
    (False, False): re.compile(r"\*"),
    (False, True): re.compile(r"%2a|%3f|\*", re.IGNORECASE),
}


def _options() -> Any:
    opts = re2.Options()
    opts.case_sensitive = False
    opts.dot_nl = True
    opts.never_capture = True
    opts.log_errors = False
    opts.max_mem = MAX_MEM
    return opts


_OPTIONS: Final = _options()
_BOTH: Final = re2._Anchor.ANCHOR_BOTH


#: Python folds ``I i İ ı`` together when it ignores case; RE2's case orbits join only
#: ``I i``. A literal holding one of them is written as the class of all four, so that the
#: decisions stay those of the former ``re`` translation.
_DOTTED_I: Final = "Iiİı"


def _literal(text: str) -> str:
    if not any(c in _DOTTED_I for c in text):
        return str(re2.escape(text))
    return "".join(f"[{_DOTTED_I}]" if c in _DOTTED_I else re2.escape(c) for c in text)


def _encode(text: str) -> bytes:
    # ``surrogatepass``: a lone surrogate cannot be a UTF-8 character; it becomes bytes that
    # only ``.`` matches, never a literal, instead of an exception.
    return text.encode("utf-8", "surrogatepass")


@functools.lru_cache(maxsize=65536)
def translate(pattern: str, *, question: bool = True, escapes: bool = True) -> str:
    """The RE2 source of a glob: ``*`` → ``.*``; with ``question``, ``?`` → ``.``; with
    ``escapes``, ``%2a``/``%3f`` are a literal ``*``/``?``. Everything else is quoted."""
    out: list[str] = []
    pos = 0
    for m in _TOKENS[question, escapes].finditer(pattern):
        out.append(_literal(pattern[pos:m.start()]))
        tok = m.group().lower()
        if tok == "*":
            out.append(".*")
        elif tok == "?":
            out.append(".")
        else:
            out.append(re2.escape("*" if tok == "%2a" else "?"))
        pos = m.end()
    out.append(_literal(pattern[pos:]))
    return "".join(out)


def _compile(source: str) -> Any:
    program = re2._re2.RE2(_encode(source), _OPTIONS)
    if not program.ok():
        raise re2.error(program.error())
    return program


class Glob:
    """One compiled glob (case-insensitive, anchored at both ends)."""

    __slots__ = ("_program", "pattern")

    def __init__(self, source: str) -> None:
        #: The RE2 source (what :class:`GlobSet` folds together).
        self.pattern = source
        self._program = _compile(source)

    def fullmatch(self, text: str) -> Literal[True] | None:
        """``True`` when the whole ``text`` matches, else ``None`` (as ``re.fullmatch``)."""
        data = _encode(text)
        return True if self._program.Match(_BOTH, data, 0, len(data))[0][0] >= 0 else None


@functools.lru_cache(maxsize=65536)
def compile_glob(pattern: str, *, question: bool = True, escapes: bool = True) -> Glob:
    """The (cached) compiled glob; see :func:`translate` for ``question`` and ``escapes``."""
    return Glob(translate(pattern, question=question, escapes=escapes))


class GlobSet:
    """Several globs, matched as one alternation: does ``text`` match any of them?

    The alternation is split into as few RE2 programs as RE2's memory budget allows, so a
    list of any length compiles; each program is still linear in the text.
    """

    __slots__ = ("_programs",)

    def __init__(self, sources: Iterable[str]) -> None:
        self._programs: list[Any] = []
        chunk: list[str] = []
        size = 0
        for source in sources:
            if chunk and size + len(source) > _CHUNK:
                self._add(chunk)
                chunk, size = [], 0
            chunk.append(source)
            size += len(source) + 5
        if chunk:
            self._add(chunk)

    def _add(self, sources: list[str]) -> None:
        try:
            self._programs.append(_compile("|".join(f"(?:{s})" for s in sources)))
        except re2.error:
            if len(sources) == 1:
                raise
            half = len(sources) // 2
            self._add(sources[:half])
            self._add(sources[half:])

    def __bool__(self) -> bool:
        return bool(self._programs)

    def fullmatch(self, text: str) -> bool:
        data = _encode(text)
        end = len(data)
        programs = self._programs
        if len(programs) == 1:  # the usual case, without a generator: it runs for every probe
            return bool(programs[0].Match(_BOTH, data, 0, end)[0][0] >= 0)
        return any(p.Match(_BOTH, data, 0, end)[0][0] >= 0 for p in programs)
