"""Finding and building the Lark grammars.

The ``.lark`` files live in the repository's top-level ``grammars/``. A wheel carries them as
``isc/grammars/`` (hatch force-include); an editable install or a plain checkout imports
``isc`` from ``src/isc`` and finds them two levels up. This is the one place that knows.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import attrs
from lark import Lark, UnexpectedInput, UnexpectedToken

from isc.diagnostics import Span


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
