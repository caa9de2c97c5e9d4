"""IMSVA / IMSS mail logs → mail events (spec logs.md §2).

Two line readers and a joiner:

- :func:`parse_polevt` reads one policy-event line (``polevt.imss.*``) into a
  :class:`PolicyEvent`, :func:`parse_msgtra` one message-tracking line (``msgtra.imss.*``)
  into a :class:`Tracking`; a line they cannot read is an :class:`~isc.ir.events.Unreadable`
  with its file, line number and a short reason. Neither ever raises.
- :class:`MailJoiner` joins both kinds by message ID into
  :class:`~isc.ir.events.MailEvent` values, in bounded memory.

Reading a line (where logs.md is silent, these are isc's choices):

- Fields are split at TAB only, and are not stripped, except where a value has a form (a
  time, a number, a bitmask, the direction, the message ID, addresses, the rule name):
  those are stripped of blanks first. A field that is ``#null#`` is absent, as is an empty
  one. Fields past the documented ones are ignored, and missing trailing ones are absent.
- A polevt line needs its first 4 fields (time, message ID, sender, recipients), a msgtra
  line its first 10 (up to the recipients). Fewer is unreadable, as is a filter bitmask
  that is not 16 binary digits, an action bitmask that is not 17, a size or spam score
  that is not a plain decimal, and a polevt time that is present but not a time (field 1
  is always written by the appliance: a line whose field 1 is no time is not a policy
  event). A msgtra time is [U] in logs.md, so one isc cannot read is only absent.
- Times: ``YYYY/MM/DD HH:MM:SS`` (or ``YYYY Mon DD HH:MM:SS``, as msgtra writes them)
  followed by an optional ``GMT``/``UTC`` and an optional ``+HH:MM`` offset; the
  ``datetime`` carries the offset when one is written (``GMT`` alone is UTC), else it is
  naive.
- Direction ``1`` is ``incoming``, ``2`` ``outgoing``, anything else None.
- Size: the field is KB as a decimal; ``size`` is ``round(KB * 1024)`` bytes, computed in
  decimal (so a size IMSVA wrote with 6 decimals gives back the exact byte count).
- The connecting host (msgtra field 12) is ``name[IP]``; ``client_ip`` is the IP when it is
  a valid IPv4 or IPv6 address (a ``IPv6:`` prefix dropped), else None.
- A message ID of ``#null#`` (msgtra writes it for some transactions) is ``""``: the joiner
  cannot join such a line and emits it as a message of its own.

Action bits → :class:`~isc.ir.events.Recorded` (:func:`recorded_from_bits`):

- ``action`` is the strongest of the bits the IMSVA model decides: deleted → ``delete``,
  quarantined → ``quarantine``, hand-off → ``handoff``, changed recipient →
  ``change-recipient``, delivered → ``deliver`` (in that order of strength, the model's
  ``ACCESS_LEVEL`` with hand-off above change of recipient). Other bits (archived, stamped,
  tagged, postponed, notified, BCC, X-header, attachment deleted, cleaned) are
  modifications, not actions: a line with none of the five has ``action=None``.
- ``comparable`` is False when the cleaned bit (11) is set: the appliance cleaned what its
  virus scanner found, and whether a file can be cleaned (and so whether the rule's
  uncleanable fallback applied) is the scanner's, never a model's, to know. It is also
  False when ``action`` is None (there is nothing to compare).
- ``raw`` is the bitmask and the names of its set bits, ``by`` the polevt rule name.

Joining (:class:`MailJoiner`): a message is never known to be complete (IMSVA writes no
last line for a message, and polevt and msgtra lines of one message may be in different
files), so a message is emitted only when it is evicted (more than ``bound`` messages
pending: the first seen goes) or flushed, or when it reaches ``max_lines`` lines. A later
line of an emitted message's ID starts a new message. See :meth:`MailJoiner.build` for how
the lines make one :class:`~isc.ir.requests.MailMessage`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

import attrs

from isc.ir.events import MailEvent, Recorded, Unreadable, Where
from isc.ir.requests import Attachment, MailMessage

__all__ = [
    "ACTION_BITS",
    "ACTION_STRENGTH",
    "FILTER_BITS",
    "MailJoiner",
    "PolicyEvent",
    "Tracking",
    "parse_msgtra",
    "parse_polevt",
    "parse_time",
    "recorded_from_bits",
    "true_file_type",
]

NULL = "#null#"
FILTER_LENGTH = 16
ACTION_LENGTH = 17
POLEVT_MIN_FIELDS = 4
MSGTRA_MIN_FIELDS = 10

#: Filter bitmask positions (1-based) logs.md names.
FILTER_BITS = {1: "virus", 2: "spam/phishing", 3: "attachment", 4: "content",
               10: "web reputation", 15: "graymail"}
#: Action bitmask positions (1-based) logs.md names.
ACTION_BITS = {1: "deleted", 2: "quarantined", 3: "delivered", 4: "archived",
               5: "changed recipient", 6: "stamped body", 7: "deleted attachment",
               8: "tagged subject", 9: "postponed", 10: "notification", 11: "cleaned",
               12: "BCC", 13: "hand-off", 14: "X-header"}
#: The bits that are a model action, strongest first.
ACTION_STRENGTH = (("delete", 1), ("quarantine", 2), ("handoff", 13),
                   ("change-recipient", 5), ("deliver", 3))
_CLEANED = 11
_VIRUS, _WRS, _GRAYMAIL = 1, 10, 15

_SHOWN = 40   # characters of a bad value quoted in a reason
_DESCRIPTION_MAX = 200   # characters of a true-file-type description read
_NUMBER = re.compile(r"\d{1,15}(?:\.\d{0,12})?|\.\d{1,12}", re.ASCII)
_SIGNED = re.compile(r"[+-]?(?:\d{1,15}(?:\.\d{0,12})?|\.\d{1,12})", re.ASCII)
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})"
_ZONE = (r"(?:\s*(?P<gmt>GMT|UTC))?"
         r"(?:\s*(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?")
_TIMES = (
    re.compile(r"(?P<y>\d{4})[/-](?P<mo>\d{1,2})[/-](?P<d>\d{1,2})\s+" + _CLOCK + _ZONE,
               re.ASCII | re.IGNORECASE),
    re.compile(r"(?P<y>\d{4})\s+(?P<mon>[A-Za-z]{3})\s+(?P<d>\d{1,2})\s+" + _CLOCK + _ZONE,
               re.ASCII | re.IGNORECASE),
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}", re.ASCII)
_HOST = re.compile(r"[^\[\]]*\[(?:IPv6:)?(?P<ip>[^\[\]]+)\](?::\d+)?", re.IGNORECASE)

#: Words of a logged true-file-type description → isc's true file type names
#: (``TRUE_FILE_TYPES``). IMSVA's descriptions are not documented; these are isc's guess,
#: tried in order (the more specific first: 7-Zip and Office Open XML before ZIP).
_FILE_TYPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name) for pattern, name in (
        (r"\bshortcut\b|\blnk\b", "LNK"),
        (r"\bmsi\b|windows installer", "MSI"),
        (r"\bjar\b|java archive", "JAR"),
        (r"\bjava\b.*\bclass\b|\bclass\b", "CLASS"),
        (r"\belf\b", "ELF"),
        (r"\bexe\b|\bexecutable\b|\bwin32\b|\bwin64\b|\bpe\b|\bdll\b|windows 32", "EXE"),
        (r"\b7-?zip\b|\b7z\b", "7Z"),
        (r"\bgzip\b|\bgz\b", "GZIP"),
        (r"\bbzip2?\b|\bbz2\b", "BZIP2"),
        (r"\brar\b", "RAR"),
        (r"\bcab\b|\bcabinet\b", "CAB"),
        (r"\btar\b", "TAR"),
        (r"\bdocx\b|\bword\b.*\b(?:200[7-9]|20[1-9][0-9]|open xml|xml)\b", "DOCX"),
        (r"\bxlsx\b|\bexcel\b.*\b(?:200[7-9]|20[1-9][0-9]|open xml|xml)\b", "XLSX"),
        (r"\bpptx\b|\bpowerpoint\b.*\b(?:200[7-9]|20[1-9][0-9]|open xml|xml)\b", "PPTX"),
        (r"\bdoc\b|\bword\b", "DOC"),
        (r"\bxls\b|\bexcel\b", "XLS"),
        (r"\bppt\b|\bpowerpoint\b", "PPT"),
        (r"\bzip\b", "ZIP"),
        (r"\bpdf\b|portable document", "PDF"),
        (r"\brtf\b|rich text", "RTF"),
        (r"\bpng\b", "PNG"),
        (r"\bgif\b", "GIF"),
        (r"\bjpe?g\b", "JPEG"),
        (r"\bbmp\b|\bbitmap\b", "BMP"),
        (r"\btiff?\b", "TIFF"),
        (r"\bole\b|compound (?:document|file)", "OLE"),
    ))


# ---------------------------------------------------------------------- records


@attrs.frozen
class PolicyEvent:
    """One polevt line: a rule that acted on a message. Absent fields are None (text fields
    ``""``). ``filter_bits`` / ``action_bits`` are the bitmasks as logged; ``size`` is in
    bytes; ``attachment_type`` the logged true-file-type description."""

    where: Where
    message_id: str
    time: datetime | None = None
    sender: str = ""
    recipients: tuple[str, ...] = ()
    subject: str = ""
    direction: str | None = None
    rule: str | None = None
    filter_bits: str | None = None
    size: int | None = None
    action_bits: str | None = None
    spam_score: float | None = None
    attachment_name: str | None = None
    attachment_type: str | None = None

    @property
    def filters(self) -> tuple[str, ...]:
        """Names of the set filter bits (``bit N`` for a position logs.md does not name)."""
        return _bit_names(self.filter_bits, FILTER_BITS)

    def filter_set(self, position: int) -> bool:
        """Whether filter bit ``position`` (1-based) is set."""
        return _bit(self.filter_bits, position)

    @property
    def recorded(self) -> Recorded | None:
        """What this line says the appliance did (None: no action bitmask)."""
        return recorded_from_bits(self.action_bits, self.rule)


@attrs.frozen
class Tracking:
    """One msgtra line: a message transaction. ``transaction`` is field 1
    (``NormalTransac``...), ``time`` field 2, ``internet_message_id`` field 5 (the message's
    own Message-ID), ``message_id`` field 6 (as in polevt), ``client_host`` field 12 as
    logged and ``client_ip`` the IP in it."""

    where: Where
    transaction: str
    message_id: str
    time: datetime | None = None
    internet_message_id: str | None = None
    sender: str = ""
    recipients: tuple[str, ...] = ()
    subject: str = ""
    client_host: str | None = None
    client_ip: str | None = None
    action_bits: str | None = None

    @property
    def recorded(self) -> Recorded | None:
        """What this line says the appliance did (None: no action bitmask)."""
        return recorded_from_bits(self.action_bits, None)


Record = PolicyEvent | Tracking


# ---------------------------------------------------------------------- fields


class _Bad(Exception):
    """A field that makes the line unreadable; the message is the reason."""


def _show(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


def _field(fields: Sequence[str], number: int) -> str | None:
    """Field ``number`` (1-based) as written, None when missing, empty or ``#null#``."""
    if number > len(fields):
        return None
    value = fields[number - 1]
    if value == "" or value.strip() == NULL:
        return None
    return value


def _stripped(fields: Sequence[str], number: int) -> str | None:
    value = _field(fields, number)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _address(value: str | None) -> str:
    """An address as logged, without blanks or angle brackets around it (``<>``: ``""``,
    the null sender)."""
    if value is None:
        return ""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return "" if value == NULL else value


def _recipients(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(a for a in map(_address, value.split(";")) if a)


def _bits(kind: str, fields: Sequence[str], number: int, label: str, length: int
          ) -> str | None:
    value = _stripped(fields, number)
    if value is None:
        return None
    if len(value) != length or value.strip("01"):
        raise _Bad(f"{kind} field {number} ({label}): {_show(value)} is not {length} "
                   "binary digits")
    return value


def _bit(bits: str | None, position: int) -> bool:
    return bits is not None and len(bits) >= position and bits[position - 1] == "1"


def _bit_names(bits: str | None, names: dict[int, str]) -> tuple[str, ...]:
    if bits is None:
        return ()
    return tuple(names.get(i, f"bit {i}") for i, c in enumerate(bits, 1) if c == "1")


def _message_id(kind: str, fields: Sequence[str], number: int) -> str:
    value = _field(fields, number)
    if value is None:
        # An explicit #null# is a message without an ID; an empty field is a broken line.
        if number <= len(fields) and fields[number - 1].strip() == NULL:
            return ""
        raise _Bad(f"{kind} field {number} (message ID): empty")
    value = value.strip()
    if not value or any(c.isspace() for c in value) or len(value) > 256:
        raise _Bad(f"{kind} field {number} (message ID): {_show(value)} is not a message ID")
    return value


def _size(kind: str, fields: Sequence[str], number: int) -> int | None:
    value = _stripped(fields, number)
    if value is None:
        return None
    if not _NUMBER.fullmatch(value):
        raise _Bad(f"{kind} field {number} (size): {_show(value)} is not a decimal number "
                   "of KB")
    try:
        return round(Decimal(value) * 1024)
    except InvalidOperation:   # unreachable for what the pattern accepts; never raise
        raise _Bad(f"{kind} field {number} (size): {_show(value)} is not a decimal "
                   "number of KB") from None


def _score(kind: str, fields: Sequence[str], number: int) -> float | None:
    value = _stripped(fields, number)
    if value is None:
        return None
    if not _SIGNED.fullmatch(value):
        raise _Bad(f"{kind} field {number} (spam score): {_show(value)} is not a decimal "
                   "number")
    return float(value)


def parse_time(text: str) -> datetime | None:
    """A logged time (``YYYY/MM/DD HH:MM:SS GMT+HH:MM``, or ``YYYY Mon DD HH:MM:SS
    +HH:MM``; zone optional), None when ``text`` is none of these or no real date."""
    text = text.strip()
    for pattern in _TIMES:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        month = (_MONTHS.get(groups["mon"].lower()) if groups.get("mon")
                 else int(groups["mo"]))
        if month is None:
            return None
        tz: timezone | None = None
        if groups["sign"]:
            minutes = int(groups["oh"]) * 60 + int(groups["om"] or 0)
            if minutes >= 24 * 60 or int(groups["om"] or 0) >= 60:
                return None
            tz = timezone(timedelta(minutes=-minutes if groups["sign"] == "-" else minutes))
        elif groups["gmt"]:
            tz = UTC
        try:
            return datetime(int(groups["y"]), month, int(groups["d"]), int(groups["h"]),
                            int(groups["mi"]), int(groups["s"]), tzinfo=tz)
        except ValueError:   # 2019/02/30, 25:00:00...
            return None
    return None


def _direction(fields: Sequence[str], number: int) -> str | None:
    return {"1": "incoming", "2": "outgoing"}.get(_stripped(fields, number) or "")


def _client_ip(host: str | None) -> str | None:
    if host is None:
        return None
    m = _HOST.fullmatch(host.strip())
    if m is None:
        return None
    try:
        return str(ipaddress.ip_address(m.group("ip").strip()))
    except ValueError:
        return None


def _count(kind: str, fields: Sequence[str], least: int, what: str) -> None:
    if len(fields) < least:
        n = len(fields)
        raise _Bad(f"{kind}: {n} field{'s' if n != 1 else ''}, {what} has at least {least}")


# ---------------------------------------------------------------------- line readers


def parse_polevt(line_no: int, text: str, file: str) -> PolicyEvent | Unreadable:
    """One polevt line (logs.md §2) → a :class:`PolicyEvent`, or why it is unreadable."""
    where = Where(file, line_no)
    fields = text.split("\t")
    try:
        _count("polevt", fields, POLEVT_MIN_FIELDS, "a policy event")
        written = _stripped(fields, 1)
        time = None if written is None else parse_time(written)
        if written is not None and time is None:
            raise _Bad(f"polevt field 1 (time): {_show(written)} is not a time "
                       "(YYYY/MM/DD HH:MM:SS GMT+HH:MM)")
        return PolicyEvent(
            where=where,
            message_id=_message_id("polevt", fields, 2),
            time=time,
            sender=_address(_field(fields, 3)),
            recipients=_recipients(_field(fields, 4)),
            subject=_field(fields, 5) or "",
            direction=_direction(fields, 6),
            rule=_stripped(fields, 7),
            filter_bits=_bits("polevt", fields, 8, "filter bits", FILTER_LENGTH),
            size=_size("polevt", fields, 10),
            action_bits=_bits("polevt", fields, 11, "action bits", ACTION_LENGTH),
            spam_score=_score("polevt", fields, 12),
            attachment_name=_stripped(fields, 15),
            attachment_type=_stripped(fields, 16),
        )
    except _Bad as bad:
        return Unreadable(where, str(bad))


def parse_msgtra(line_no: int, text: str, file: str) -> Tracking | Unreadable:
    """One msgtra line (logs.md §2) → a :class:`Tracking`, or why it is unreadable."""
    where = Where(file, line_no)
    fields = text.split("\t")
    try:
        _count("msgtra", fields, MSGTRA_MIN_FIELDS, "a message transaction")
        transaction = _stripped(fields, 1)
        if transaction is None or not _WORD.fullmatch(transaction):
            raise _Bad(f"msgtra field 1 (transaction type): {_show(fields[0])} is not a "
                       "transaction type")
        written = _stripped(fields, 2)
        host = _stripped(fields, 12)
        return Tracking(
            where=where,
            transaction=transaction,
            message_id=_message_id("msgtra", fields, 6),
            time=None if written is None else parse_time(written),
            internet_message_id=_stripped(fields, 5),
            sender=_address(_field(fields, 9)),
            recipients=_recipients(_field(fields, 10)),
            subject=_field(fields, 11) or "",
            client_host=host,
            client_ip=_client_ip(host),
            action_bits=_bits("msgtra", fields, 16, "action bits", ACTION_LENGTH),
        )
    except _Bad as bad:
        return Unreadable(where, str(bad))


# ---------------------------------------------------------------------- actions


def _strongest(bits: str | None) -> str | None:
    for action, position in ACTION_STRENGTH:
        if _bit(bits, position):
            return action
    return None


def recorded_from_bits(bits: str | None, rule: str | None) -> Recorded | None:
    """An action bitmask as :class:`Recorded` (rules in the module docstring); None when
    there is no bitmask."""
    if bits is None:
        return None
    action = _strongest(bits)
    names = _bit_names(bits, ACTION_BITS)
    raw = f"{bits} ({', '.join(names)})" if names else bits
    return Recorded(action, by=rule, raw=raw,
                    comparable=action is not None and not _bit(bits, _CLEANED))


def true_file_type(description: str | None) -> str | None:
    """isc's true file type name (``EXE``, ``ZIP``...) for a logged description, None when
    no word of it names one."""
    if not description:
        return None
    head = description[:_DESCRIPTION_MAX]   # bounds the regex work on a hostile line
    for pattern, name in _FILE_TYPES:
        if pattern.search(head):
            return name
    return None


# ---------------------------------------------------------------------- joining


def _sort_key(t: datetime) -> int:
    # Seconds in UTC for an aware time, as written for a naive one (no zone logged); in
    # integers, since converting year 1 or 9999 across a zone overflows a datetime.
    offset = t.utcoffset() or timedelta(0)
    return (t.toordinal() * 86400 + t.hour * 3600 + t.minute * 60 + t.second
            - int(offset.total_seconds()))


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


class MailJoiner:
    """Joins :class:`PolicyEvent` and :class:`Tracking` records by message ID into
    :class:`~isc.ir.events.MailEvent` values.

    At most ``bound`` messages are pending, kept in the order their first line came; the
    one over the bound evicts the oldest, which is emitted as it is. A message that reaches
    ``max_lines`` lines is emitted at once (so memory is bounded by the two, whatever the
    input). A record without a message ID is emitted at once, alone. Nothing tells when a
    message is complete, so these and :meth:`flush` are the only ways out."""

    def __init__(self, bound: int = 50_000, *, max_lines: int = 1_000) -> None:
        if bound < 1 or max_lines < 1:
            raise ValueError("bound and max_lines must be at least 1")
        self.bound = bound
        self.max_lines = max_lines
        self._pending: dict[str, list[Record]] = {}   # dicts keep insertion order

    def __len__(self) -> int:
        """Messages pending."""
        return len(self._pending)

    def add(self, record: Record) -> list[MailEvent]:
        """Take one record; return the events it completed or evicted (often none)."""
        mid = record.message_id
        if not mid:
            return [self.build("", [record])]
        lines = self._pending.get(mid)
        if lines is not None:
            lines.append(record)
            if len(lines) >= self.max_lines:
                return [self.build(mid, self._pending.pop(mid))]
            return []
        self._pending[mid] = [record]
        out: list[MailEvent] = []
        while len(self._pending) > self.bound:
            oldest = next(iter(self._pending))
            out.append(self.build(oldest, self._pending.pop(oldest)))
        return out

    def flush(self) -> list[MailEvent]:
        """Emit every pending message, in the order their first line came."""
        pending, self._pending = self._pending, {}
        return [self.build(mid, lines) for mid, lines in pending.items()]

    @staticmethod
    def build(message_id: str, records: Sequence[Record]) -> MailEvent:
        """One event from the lines of one message.

        Text fields come from the polevt lines first, in the order added, then the msgtra
        lines: the first non-empty sender and subject; recipients are every line's, first
        seen first, without repeats (case-insensitive); ``recipient`` is the first. Size,
        direction, verdicts, spam score (the highest) and attachments come from polevt,
        the client IP from msgtra. ``when`` is the earliest time logged, as minutes after
        midnight of the clock it was written in (the appliance's, which its schedules
        use). ``recorded`` is the strongest action of any line, ``by`` the rule of a polevt
        line that recorded it; it is comparable only when no line has the cleaned bit.
        """
        events = [r for r in records if isinstance(r, PolicyEvent)]
        tracks = [r for r in records if isinstance(r, Tracking)]
        ordered: list[Record] = [*events, *tracks]
        recipients: dict[str, str] = {}
        for r in ordered:
            for address in r.recipients:
                recipients.setdefault(address.lower(), address)
        times = [r.time for r in ordered if r.time is not None]
        earliest = min(times, key=_sort_key) if times else None
        attachments = list(dict.fromkeys(
            (e.attachment_name, true_file_type(e.attachment_type))
            for e in events if e.attachment_name))
        scores = [e.spam_score for e in events if e.spam_score is not None]
        client_ip = _first(t.client_ip for t in tracks)
        verdicts = any(e.filter_bits is not None for e in events)
        message = MailMessage(
            sender=_first(r.sender for r in ordered) or "",
            recipient=next(iter(recipients.values()), ""),
            recipients=recipients.values(),
            subject=_first(r.subject for r in ordered) or "",
            attachments=(Attachment(name, file_type=kind) for name, kind in attachments),
            size=next((e.size for e in events if e.size is not None), 0),
            direction=_first(e.direction for e in events),
            client_ip=client_ip,
            when=None if earliest is None else earliest.hour * 60 + earliest.minute,
            virus=any(e.filter_set(_VIRUS) for e in events),
            spam_score=max(scores) if scores else None,
            graymail=any(e.filter_set(_GRAYMAIL) for e in events),
            wrs_level="high" if any(e.filter_set(_WRS) for e in events) else None,
        )
        lacking = {"body", "attachment-content", "headers"}
        if not verdicts:
            lacking.add("verdicts")
        if not attachments:
            lacking.add("attachments")
        if earliest is None:
            lacking.add("when")
        if client_ip is None:
            lacking.add("client")
        return MailEvent(
            where=tuple(sorted(r.where for r in records)),
            log="imsva",
            message=message,
            message_id=message_id,
            unknown=frozenset(lacking),
            recorded=_joined_recorded(ordered),
        )


def _joined_recorded(ordered: Sequence[Record]) -> Recorded | None:
    """The strongest recorded action of the lines (polevt first on a tie, for its rule)."""
    recorded = [(r, rec) for r in ordered if (rec := r.recorded) is not None]
    if not recorded:
        return None
    cleaned = any(_bit(r.action_bits, _CLEANED) for r, _ in recorded)
    for action, _ in ACTION_STRENGTH:
        winners = [rec for _, rec in recorded if rec.action == action]
        if winners:
            best = next((w for w in winners if w.by), winners[0])
            return attrs.evolve(best, comparable=not cleaned)
    first = recorded[0][1]
    return attrs.evolve(first, by=_first(rec.by for _, rec in recorded), comparable=False)
