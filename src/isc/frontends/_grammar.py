"""Finding and building the Lark grammars.

The ``.lark`` files live in the repository's top-level ``grammars/``. A wheel carries them as
``isc/grammars/`` (hatch force-include); an editable install or a plain checkout imports
``isc`` from ``src/isc`` and finds them two levels up. This is the one place that knows.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from lark import Lark


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
