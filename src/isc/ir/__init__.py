"""The intermediate representation: frozen attrs classes, shared by every stage."""

from isc.ir.common import Fidelity, Origin, Span
from isc.ir.export import Export, Output, ReportEntry, SourceFile
from isc.ir.requests import Attachment, DecidedBy, Decision, MailMessage, Url, WebRequest

__all__ = [
    "Attachment",
    "DecidedBy",
    "Decision",
    "Export",
    "Fidelity",
    "MailMessage",
    "Origin",
    "Output",
    "ReportEntry",
    "SourceFile",
    "Span",
    "Url",
    "WebRequest",
]
