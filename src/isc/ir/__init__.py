"""The intermediate representation: frozen attrs classes, shared by every stage."""

from isc.ir.common import Fidelity, Origin, Span
from isc.ir.export import Export, Output, ReportEntry, SourceFile
from isc.ir.requests import DecidedBy, Decision, Url, WebRequest

__all__ = [
    "DecidedBy",
    "Decision",
    "Export",
    "Fidelity",
    "Origin",
    "Output",
    "ReportEntry",
    "SourceFile",
    "Span",
    "Url",
    "WebRequest",
]
