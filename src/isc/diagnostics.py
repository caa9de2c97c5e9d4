"""Diagnostics: stable codes, severities, source positions and their rendering.

Every message isc prints has a code from :data:`CODES` (documented in docs/diagnostics.md):
``ISC1xxx`` parse, ``ISC2xxx`` semantic, ``ISC3xxx`` fidelity, ``ISC4xxx`` limits.
"""

from __future__ import annotations

import enum
import json
import unicodedata
from collections.abc import Iterable, Mapping

import attrs


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@attrs.frozen
class Span:
    """A position in an input file (1-based line and column)."""

    file: str
    line: int = 0
    column: int = 0
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


#: Every diagnostic code isc can emit, with its one-line meaning. The catalogue in
#: docs/diagnostics.md is checked against this table by the test suite.
CODES: Mapping[str, str] = {
    # 1xxx: parse
    "ISC1001": "the file decodes under no candidate encoding",
    "ISC1002": "a line of an INI-dialect file is not a comment, section header, key or entry",
    "ISC1003": "a URL list entry is malformed",
    "ISC1004": "an account (ip, ip-range, ip-subset, ldap-user, ldap-group, host) is malformed",
    "ISC1005": "a schedule (days or hours) is malformed",
    "ISC1006": "a value has the wrong type (boolean, integer, enumeration)",
    "ISC1007": "a JSON document is not valid JSON or does not match its schema",
    "ISC1008": "an archive cannot be read",
    "ISC1009": "an input path does not exist or cannot be read",
    "ISC1010": "a quoted string is not terminated or has a bad escape",
    "ISC1011": "a mail address or address wildcard is malformed",
    "ISC1012": "a keyword expression is malformed",
    "ISC1013": "an XML document is not well-formed or does not match the shipped schema",
    "ISC1014": "the output directory cannot be created or written",
    # 2xxx: semantic
    "ISC2001": "an unknown section kind",
    "ISC2002": "a key with no meaning in its section",
    "ISC2003": "a reference to an object that does not exist",
    "ISC2004": "an unknown URL category name or ID",
    "ISC2005": "an object is defined twice",
    "ISC2006": "an entry is both in a list and in its exceptions (precedence is version-dependent)",
    "ISC2007": "a required key is missing",
    "ISC2008": "a file or archive member was not recognised",
    "ISC2009": "a policy kind has no target counterpart and was kept and reported",
    "ISC2010": "a key was read but has no policy meaning",
    "ISC2011": "two policies share one priority; their order is taken from the input",
    "ISC2012": "a list file's kind was guessed from its sections",
    "ISC2013": "TMUFE category ID 91 is ambiguous between generations (C&C Server or Unknown)",
    "ISC2014": "a certificate file is missing or not PEM",
    "ISC2015": "an optimisation pass merged or removed an object that cannot change a decision",
    "ISC2016": "a mail list file is not referenced by any rule set",
    "ISC2017": "a mail rule can never apply or has no effect",
    # 3xxx: fidelity
    "ISC3001": "a translated object decides some traffic differently (narrowed)",
    "ISC3002": "a translated object lets some traffic through that the source blocked (broadened)",
    "ISC3003": "a translated object decides differently in both directions or in non-access ways",
    "ISC3004": "an object has no target counterpart and was dropped",
    "ISC3005": "an LDAP account needs an SSO user or group in the target",
    "ISC3006": "a URL pattern feature (port, literal wildcard) has no target syntax",
    "ISC3007": "--never-broaden: the translation must broaden access",
    "ISC3008": "verify: a decision differs in a way the fidelity tags do not declare",
    "ISC3009": "a schedule is evaluated in the gateway location's time zone in the target",
    "ISC3010": "a private IP source needs the Secure Access Module or X-Forwarded-For",
    "ISC3011": "splitting the single IMSVA rule order per EmS rule type changes a decision",
    "ISC3012": "a notification uses a variable EmS does not support",
    "ISC3013": "a keyword expression cannot be expressed in the EmS dialect",
    "ISC3014": "an LDAP user or group needs directory synchronisation in EmS",
    "ISC3015": "verify: the output was compiled from another input, or has no report.json",
    "ISC3016": "verify: objects of the output were edited, added or deleted since compile",
    # 4xxx: limits
    "ISC4001": "an archive member or archive exceeds the size limit",
    "ISC4002": "an archive member is a link, device, absolute path or escapes the archive",
    "ISC4003": "an XML document uses DTDs, entities or network access",
    "ISC4004": "too many archive members",
    "ISC4005": "a pattern (URL entry, address wildcard, keyword expression) is over a length or "
               "wildcard limit",
    "ISC4006": "a keyword expression cannot be run by the linear-time matching engine",
    "ISC4007": "an input is not a regular file (a device, FIFO or socket)",
    "ISC4008": "two archive members or input files have the same path",
    "ISC4009": "a line, value or document is over a size limit",
}


@attrs.frozen
class Diagnostic:
    """One message about the input or the translation."""

    code: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    notes: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"Diagnostic.code: unknown code {self.code!r}")

    @classmethod
    def at(
        cls,
        code: str,
        severity: Severity,
        message: str,
        span: Span | None,
        notes: Iterable[str] = (),
    ) -> Diagnostic:
        if span is None:
            return cls(code, severity, message, notes=tuple(notes))
        return cls(code, severity, message, span.file, span.line, span.column, tuple(notes))

    @property
    def location(self) -> str:
        if self.file is None:
            return "isc"
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"

    def render(self, source_line: str | None = None) -> str:
        """``FILE:LINE:COL: severity[CODE]: message``, then the source line and a caret."""
        out = [f"{self.location}: {self.severity.value}[{self.code}]: {self.message}"]
        if source_line is not None and self.line:
            text = source_line.rstrip("\r\n")
            out.append(f"    {text}")
            out.append("    " + caret_prefix(text, self.column or 1) + "^")
        out.extend(f"    note: {n}" for n in self.notes)
        return "\n".join(out)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "notes": list(self.notes),
        }

    def to_json_line(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)


def caret_prefix(text: str, column: int) -> str:
    """What to print before a caret under ``column`` (1-based, in characters) of ``text``.

    Terminals show East Asian wide and full-width characters two cells wide and combining
    marks in no cell of their own, so a blank per character would put the caret too far left
    under Japanese text. A tab stays a tab: the caret then meets the same tab stops.
    """
    out = []
    for ch in text[: max(column - 1, 0)]:
        if ch == "\t":
            out.append("\t")
        elif unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            out.append("  ")
        else:
            out.append(" ")
    out.append(" " * max(column - 1 - len(text), 0))  # a column past the end of the line
    return "".join(out)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    """Deterministic order: by file, line, column, code, message."""
    return (d.file or "", d.line or 0, d.column or 0, d.code, d.message)
