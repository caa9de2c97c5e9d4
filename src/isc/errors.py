"""Exceptions raised by isc. Each carries the fields of a :class:`~isc.diagnostics.Diagnostic`."""

from __future__ import annotations

from isc.diagnostics import Diagnostic, Severity, Span


class IscError(Exception):
    """Base class of every error isc raises on bad input or a failed gate."""

    default_code = "ISC1002"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        span: Span | None = None,
        notes: tuple[str, ...] = (),
        diagnostics: tuple[Diagnostic, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.span = span
        self.notes = notes
        self.diagnostics = diagnostics
        self.severity = Severity.ERROR

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def diagnostic(self) -> Diagnostic:
        return Diagnostic.at(self.code, Severity.ERROR, self.message, self.span, self.notes)

    def __str__(self) -> str:
        return self.diagnostic().render()


class ParseError(IscError):
    """Input text that does not follow its grammar."""

    default_code = "ISC1002"


class DecodeError(IscError):
    """A file that decodes under no candidate encoding."""

    default_code = "ISC1001"


class InputError(IscError):
    """An input path that is missing, unreadable or of an unknown kind."""

    default_code = "ISC1009"


class SemanticError(IscError):
    """Well-formed input that does not make sense (unknown reference, unknown category)."""

    default_code = "ISC2003"


class LimitError(IscError):
    """Input refused for safety: size limits, hostile archive members, hostile XML."""

    default_code = "ISC4001"


class DocumentError(IscError):
    """An isc output document that is not valid JSON or does not match its schema."""

    default_code = "ISC1007"


class GateError(IscError):
    """A compile gate failed (``--never-broaden``) or ``verify`` found a difference."""

    default_code = "ISC3007"
