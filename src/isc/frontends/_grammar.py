"""Finding and building the Lark grammars.

The ``.lark`` files live in the repository's top-level ``grammars/``. A wheel carries them as
``isc/grammars/`` (hatch force-include); an editable install or a plain checkout imports
``isc`` from ``src/isc`` and finds them two levels up. This is the one place that knows.

It also holds the switch for the front-ends' fast paths (:data:`FAST_PATH`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import attrs
from lark import Lark, UnexpectedInput, UnexpectedToken

from isc.diagnostics import Span

#: Whether the front-ends may take their fast paths. Lark stays the definition of the syntax:
#: the dominant line kinds (INI lines and section headers, ``key = value`` lines, URL list
#: entries, accounts) are first tried against precompiled ``re`` patterns that accept only a
#: conservative subset of valid lines, giving exactly what Lark gives; any line a fast path
#: does not accept, and every line with an error, is parsed by Lark, so diagnostics keep
#: their exact positions. Read at call time, so tests can compare both paths
#: (:func:`lark_only`). Not thread-safe to change while another thread parses.
FAST_PATH = True
# The mail front-end takes it too: addresses and domains (mail_addresses.py), and plain
# literal keyword expressions, tree-less Lark parses and remembered texts (keywords.py).


@contextlib.contextmanager
def lark_only() -> Iterator[None]:
    """Within the block, every line goes through Lark (the fast paths are off)."""
    global FAST_PATH
    saved = FAST_PATH
    FAST_PATH = False
    try:
        yield
    finally:
        FAST_PATH = saved


@functools.cache
def grammar_dir() -> Path:
    packaged = resources.files("isc") / "grammars"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[3] / "grammars"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("isc grammars not found (neither isc/grammars nor ./grammars)")


def grammar_text(name: str) -> str:
    return (grammar_dir() / f"{name}.lark").read_text(encoding="utf-8")


@functools.cache
def parser(name: str, start: str) -> Lark:
    """A LALR parser for ``start`` in ``grammars/<name>.lark``, built once per process."""
    return Lark(
        grammar_text(name),
        parser="lalr",
        start=start,
        propagate_positions=True,
        maybe_placeholders=False,
    )


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Within the block, no cyclic garbage collection. Reading a large export allocates
    millions of small acyclic objects (spans, lines, patterns), and each collection of the
    older generations walks all of them: a third of the load time. Reference counting still
    frees everything; cycles made meanwhile (rare) are collected after the block."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_SPAN_FIELDS = tuple(f.name for f in attrs.fields(Span))


def at_column(span: Span, column: int) -> Span:
    """``span`` at ``column``: ``attrs.evolve`` without its per-call field look-up."""
    if _SPAN_FIELDS != ("file", "line", "column", "end_line", "end_column"):
        return attrs.evolve(span, column=column)  # Span grew a field this does not know
    return Span(span.file, span.line, column, span.end_line, span.end_column)


def shift(span: Span, column: int) -> Span:
    """The span of 1-based ``column`` of the text that starts at ``span``."""
    return attrs.evolve(span, column=(span.column or 1) + column - 1)


def locate(exc: UnexpectedInput, text: str, span: Span, *, end: int | None = None
           ) -> tuple[bool, int, set[str], Span]:
    """Where a Lark error is: ``(at_end, column, expected terminals, span)``.

    At the end of input the column is ``end`` (default: just after the text).
    """
    at_end = isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    column = (len(text) + 1 if end is None else end) if at_end else max(exc.column or 1, 1)
    expected = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    return at_end, column, expected, shift(span, column)
