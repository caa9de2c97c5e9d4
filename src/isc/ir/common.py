"""Shared IR building blocks: source positions, fidelity tags, origin records."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import attrs

from isc.diagnostics import Span

__all__ = ["Fidelity", "Meta", "Origin", "Span", "span_field"]


def span_field() -> Any:
    """A ``span`` attribute: kept for messages, ignored by equality and hashing."""
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


class Fidelity(enum.Enum):
    """How faithfully a translated object decides like its source (spec semantics.md §5)."""

    EXACT = "exact"
    NARROWED = "narrowed"
    BROADENED = "broadened"
    APPROXIMATED = "approximated"
    DROPPED = "dropped"

    @staticmethod
    def combine(tags: list[Fidelity]) -> Fidelity:
        """The tag of an object whose parts carry ``tags``."""
        found = set(tags)
        if not found or found == {Fidelity.EXACT}:
            return Fidelity.EXACT
        if Fidelity.DROPPED in found and found <= {Fidelity.DROPPED}:
            return Fidelity.DROPPED
        directions = found - {Fidelity.EXACT, Fidelity.DROPPED}
        if Fidelity.APPROXIMATED in directions or len(directions) > 1:
            return Fidelity.APPROXIMATED
        if directions:
            return next(iter(directions))
        return Fidelity.DROPPED


@attrs.frozen
class Origin:
    """Where an emitted object came from: the source object's file, line, kind and name."""

    file: str
    line: int
    kind: str
    name: str

    @classmethod
    def at(cls, kind: str, name: str, span: Span | None,
           rel: Callable[[str], str] = str) -> Origin:
        """The origin of a source object written at ``span``; ``rel`` maps the file shown to
        the user to the path output documents cite. No span: file ``""``, line 0."""
        if span is None:
            return cls("", 0, kind, name)
        return cls(rel(span.file), span.line, kind, name)


@attrs.frozen
class Meta:
    """Provenance and fidelity carried by every emitted object."""

    source: Origin | None = None
    fidelity: Fidelity = Fidelity.EXACT
    review: tuple[str, ...] = ()
