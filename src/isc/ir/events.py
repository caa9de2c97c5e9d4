"""Events read from appliance logs (spec logs.md), as ``isc replay`` decides them.

A log reader turns each line (or, for mail, each message joined across lines) into exactly
one of: a :class:`WebEvent` or :class:`MailEvent` (a request or message to decide), a
:class:`NotARequest` (a log type that carries none: performance, system events), or an
:class:`Unreadable` (a line isc cannot read, with why). The counts of the four add up to
the lines read, so nothing is skipped silently.
"""

from __future__ import annotations

import attrs

from isc.ir.requests import MailMessage, WebRequest


@attrs.frozen(order=True)
class Where:
    """A line of a log file: the file as the user gave it (an archive member as
    ``archive:member``) and its 1-based line number."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@attrs.frozen
class Recorded:
    """What the appliance logged that it did with the request or message.

    ``action`` is in the source model's vocabulary (web: ``block``, ``allow``, ``warn``,
    ``monitor``...; mail: ``delete``, ``quarantine``, ``deliver``...), or ``None`` when
    the log says something happened but not in words a model decides (a cleaned file).
    ``by`` is the rule or module the log names (``tk_rule_name``, ``tk_blocked_by``, the
    IMSVA rule name); ``raw`` the log's own words, for the report."""

    action: str | None
    by: str | None = None
    raw: str = ""
    #: Whether the cause is one the models decide (a policy or rule), not a scanner verdict
    #: outside them (a virus found in a download): only then is the source model's
    #: decision compared with it.
    comparable: bool = True


#: What a log line may lack that a decision can read (``WebEvent.unknown``).
WEB_UNKNOWNS = ("when", "categories", "groups", "client", "user", "file-type")
#: What mail logs never hold, or may lack (``MailEvent.unknown``).
MAIL_UNKNOWNS = ("body", "attachment-content", "attachments", "headers", "when",
                 "verdicts", "client")


@attrs.frozen
class WebEvent:
    """One web request a log recorded. ``log``: ``access``, ``malware``, ``cc-callback``
    or ``json``. ``unknown``: fields of :data:`WEB_UNKNOWNS` the line did not give (a
    decision that reads one of them is undetermined). ``who``: the user or client the log
    names, for the report's "most affected"."""

    where: Where
    log: str
    request: WebRequest
    unknown: frozenset[str] = frozenset()
    recorded: Recorded | None = None
    who: str = ""


@attrs.frozen
class MailEvent:
    """One message, for one recipient, that logs recorded; ``where`` is every line joined
    into it (the first first). ``log``: ``imsva`` (polevt and/or msgtra, joined by message
    ID) or ``json``."""

    where: tuple[Where, ...]
    log: str
    message: MailMessage
    message_id: str = ""
    unknown: frozenset[str] = frozenset()
    recorded: Recorded | None = None


@attrs.frozen
class NotARequest:
    """A line of a log type that carries no request or message (``reason`` says which)."""

    where: Where
    log: str
    reason: str


@attrs.frozen
class Unreadable:
    """A line isc cannot read, and why (never skipped silently)."""

    where: Where
    reason: str


Event = WebEvent | MailEvent | NotARequest | Unreadable

__all__ = ["MAIL_UNKNOWNS", "WEB_UNKNOWNS", "Event", "MailEvent", "NotARequest", "Recorded",
           "Unreadable", "WebEvent", "Where"]
