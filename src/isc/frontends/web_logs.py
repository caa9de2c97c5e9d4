"""Web log lines → events for ``isc replay`` (spec logs.md §1 IWSVA syslog, §3 isc's JSON).

Each reader takes one decoded line (terminator already stripped) and returns exactly one
event: a request to decide, a line that carries none (:class:`~isc.ir.events.NotARequest`),
or a line isc cannot read and why (:class:`~isc.ir.events.Unreadable`). Readers never raise
on bad input: a log is months of lines, one bad line must not stop the replay.

IWSVA lines (:func:`parse_iwsva_line`)
--------------------------------------
``[<PRI>][timestamp host ]HOSTNAME: <TAG> [LOG_TYPE|SEVERITY] FRIENDLY TEXT tk_a=..,tk_b=..``.
The header is read tolerantly; the fields start at the first ``tk_<name>=`` after a blank
and are split only at ``,tk_<name>=`` (``tk_url`` may hold commas). Values ``""``,
``#null#`` and ``-`` are absent; the first of two same-named fields wins.

Log type: a ``[LOG_TYPE|...]`` tag naming performance or system events is no request,
whatever its fields. Otherwise fields decide: ``tk_ccca_source`` / ``tk_risk_level`` /
``tk_filter_action`` → ``cc-callback``; ``tk_malicious_entity`` / ``tk_scan_type`` /
``tk_action`` → ``malware``; ``tk_url`` with ``tk_client_ip`` or ``tk_category`` →
``access``; else the tag's type (``ACCESS_TRACKING``, ``VIRUS``/``MALWARE``/``SPYWARE``,
``CCCA``/``CALLBACK``); else a line with ``tk_url`` is access tracking (its trailing fields
are missing). A line with request fields (``tk_username``, ``tk_client_ip``...) or a
request tag but no URL is a truncated request: unreadable, not "not a request".

Time: ``tk_date_field`` (``YYYY-MM-DD HH:MM:SS`` or ``YYYY/MM/DD HH:MM:SS``, optionally
``+09:00`` / ``+0900`` / ``GMT+09:00`` / ``Z``; an RFC 2822-like ``Tue, 08 Oct 2013
14:32:16,EEST`` too), else a dated stamp in the header (IWSVA's ``<Tue, 08 Oct 2013
14:32:16,EEST>`` tag, then an RFC 5424 ISO stamp). A BSD syslog stamp (``Dec  5 10:00:01``)
has no year, so no weekday: it is not used. The wall clock is kept as logged (the models
read weekday, hour and minute); a numeric offset becomes the tzinfo, a zone abbreviation is
dropped (abbreviations are ambiguous).

Request: ``tk_username`` is the user unless it is an IP address (IP identification: then it
is the client when ``tk_client_ip`` is absent). ``tk_category`` gives TMUFE IDs, except on
malware lines, where it is the virus category. ``unknown``: ``file-type`` unless the line
fetched a page (no ``tk_file_name``, and a ``tk_mime_content`` of HTML, text, CSS, script,
JSON or XML: no file a true-file-type rule blocks), ``groups``
when there is a user (logs hold no LDAP membership), else ``user``; ``when``,
``categories``, ``client`` when the line does not give them. ``recorded``: ``tk_action``
(malware) compared only when ``tk_blocked_by`` names URL filtering or blocking;
``tk_filter_action`` (C&C) never compared.

JSON lines (:func:`parse_json_line`)
------------------------------------
The request and message forms of ``verify --requests`` / ``explain``, plus two optional
keys: ``recorded`` (``{"action", "by", "comparable"}``, what the appliance did) and, for
mail, ``messageId``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from typing import Any

from isc.ir import categories
from isc.ir.events import MailEvent, NotARequest, Recorded, Unreadable, WebEvent, Where
from isc.ir.requests import (
    WebRequest,
    message_from_json,
    request_from_json,
    request_problem,
)
from isc.ir.web import WebAction

__all__ = ["MAIL_ACTIONS", "WEB_ACTIONS", "parse_iwsva_line", "parse_json_line"]

#: The web source model's actions (those ``Recorded.action`` may hold for a web event).
WEB_ACTIONS: tuple[str, ...] = tuple(a.value for a in WebAction
                                     if a is not WebAction.MATCH_NEXT)
#: The mail source model's actions. Kept here because frontends may not import backends;
#: a test checks it against ``isc.backends.ems.fidelity.ACCESS_LEVEL``.
MAIL_ACTIONS: tuple[str, ...] = ("deliver", "deliver-now", "change-recipient", "handoff",
                                 "quarantine", "delete")

_IWSVA = "iwsva"
_JSON = "json"

# ---------------------------------------------------------------------- IWSVA syslog

#: The first field: ``tk_<name>=`` at the start or after a blank (not inside the header).
_FIELDS_START = re.compile(r"(?:^|(?<=\s))tk_[A-Za-z0-9_]+=")
#: Field boundaries: a comma only when a ``tk_<name>=`` follows it.
_FIELD_SPLIT = re.compile(r",(?=tk_[A-Za-z0-9_]+=)")
#: A line cut inside a field name leaves ``,tk_cli`` at the end of the last value.
_CUT_NAME = re.compile(r",(tk_[A-Za-z0-9_]*|tk?)\Z")
_TAG = re.compile(r"\[([^\[\]|\s]+)\|([^\[\]|\s]+)\]")
_NULLS = frozenset({"", "#null#", "-"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

_CC_MARKERS = ("tk_ccca_source", "tk_risk_level", "tk_filter_action")
_MALWARE_MARKERS = ("tk_malicious_entity", "tk_scan_type", "tk_action")
#: Fields only request-bearing log types have (logs.md §1): with no URL, a truncated line.
_REQUEST_FIELDS = frozenset({"tk_url", "tk_username", "tk_client_ip", "tk_category",
                             "tk_protocol", "tk_domain", *_CC_MARKERS, *_MALWARE_MARKERS})

#: ``tk_action`` words → the web model's actions. A file deleted or quarantined never
#: reached the user: a block. A cleaned file did, changed: no model action (None).
_MALWARE_ACTIONS: dict[str, str | None] = {
    "pass": "allow", "passed": "allow", "allow": "allow", "allowed": "allow",
    "block": "block", "blocked": "block", "deny": "block", "denied": "block",
    "delete": "block", "deleted": "block", "quarantine": "block", "quarantined": "block",
    "drop": "block", "dropped": "block",
    "monitor": "monitor", "monitored": "monitor", "log": "monitor", "logged": "monitor",
    "warn": "warn", "warned": "warn",
    "clean": None, "cleaned": None,
}
#: ``tk_filter_action``: 0 Authorize, 1 Block, 2 Monitor (the public ELK parser's
#: translation table), or the same in words.
_CC_ACTIONS: dict[str, str | None] = {
    "0": "allow", "1": "block", "2": "monitor",
    "authorize": "allow", "authorized": "allow", "allow": "allow", "allowed": "allow",
    "pass": "allow", "passed": "allow",
    "block": "block", "blocked": "block",
    "monitor": "monitor", "monitored": "monitor", "log": "monitor", "logged": "monitor",
}
#: ``tk_blocked_by`` naming URL filtering or URL blocking: a cause the IWSVA model decides.
#: Anything else (virus or spyware scan, web reputation, ...) is a scanner verdict.
_POLICY_BLOCKER = re.compile(r"url[\s_-]*(filter|block)", re.IGNORECASE)

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_HMS = r"(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,6})(?!\d))?"
#: ``2013-10-08 14:32:16``, ``2013/10/08 14:32:16``, ``2023-12-05T10:00:01``.
_YMD = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:T|\s+)" + _HMS)
#: ``Tue, 08 Oct 2013 14:32:16`` (the weekday optional).
_DMY = re.compile(r"(?:[A-Za-z]{3},?\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+" + _HMS)
#: What may follow the time: an offset, a UTC name, a zone abbreviation (dropped), nothing.
_ZONE = re.compile(r"\s*,?\s*(?:(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?"
                   r"|(Z|GMT|UTC)|([A-Za-z]{2,5}))?\s*\Z", re.IGNORECASE)


def parse_iwsva_line(line_no: int, text: str, file: str
                     ) -> WebEvent | NotARequest | Unreadable:
    """One IWSVA syslog line (logs.md §1) as an event; see the module docstring."""
    where = Where(file, line_no)
    line = text.strip().lstrip("\ufeff")
    if not line:
        return NotARequest(where, _IWSVA, "blank")
    start = _FIELDS_START.search(line)
    header = line if start is None else line[:start.start()]
    tag = _TAG.search(header)
    log_type = tag[1] if tag else None
    tag_kind = _tag_kind(log_type) if log_type else None
    other = _other_log(log_type) if log_type else None
    if other is not None:
        return NotARequest(where, _IWSVA, f"{log_type}: {other} log, no request")
    if start is None:
        if tag is None:
            return Unreadable(where, "not an IWSVA syslog line: no [LOG_TYPE|SEVERITY] tag "
                                     "and no tk_name=value fields")
        if tag_kind is not None:
            return Unreadable(where, f"{log_type} line without tk_ fields (truncated?)")
        return NotARequest(where, _IWSVA, f"{log_type} log without tk_ fields, no request")
    fields, cut = _split_fields(line[start.start():])
    if cut is not None:
        return Unreadable(where, f"truncated: the line ends inside a field name ({cut!r})")
    return _iwsva_event(where, fields, header, log_type, tag_kind)


def _other_log(log_type: str) -> str | None:
    """What a ``[LOG_TYPE|...]`` tag of a log type without requests names, else None."""
    t = log_type.upper()
    if "PERFORMANCE" in t:
        return "performance"
    if "SYSEVENT" in t:
        return "system event"
    return None


def _tag_kind(log_type: str) -> str | None:
    """The request log type a ``[LOG_TYPE|...]`` tag names, None for any other."""
    t = log_type.upper()
    if "ACCESS_TRACKING" in t:
        return "access"
    if any(w in t for w in ("CCCA", "CALLBACK", "C&C", "CNC")):
        return "cc-callback"
    if any(w in t for w in ("VIRUS", "MALWARE", "SPYWARE", "GRAYWARE")):
        return "malware"
    return None


def _split_fields(body: str) -> tuple[dict[str, str], str | None]:
    """The ``tk_`` fields (names lower-cased, values stripped; the first of a name wins),
    and the partial name a line cut inside a field name ends with (else None)."""
    out: dict[str, str] = {}
    pieces = _FIELD_SPLIT.split(body)
    cut = _CUT_NAME.search(pieces[-1].rstrip())
    if cut is not None:
        return out, cut[1]
    for piece in pieces:
        name, _, value = piece.partition("=")
        out.setdefault(name.lower(), value.strip())
    return out, None


def _value(fields: dict[str, str], name: str) -> str | None:
    v = fields.get(name)
    return None if v is None or v.lower() in _NULLS else v


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _iwsva_event(where: Where, fields: dict[str, str], header: str, log_type: str | None,
                 tag_kind: str | None) -> WebEvent | NotARequest | Unreadable:
    names = set(fields)
    url_text = _value(fields, "tk_url")
    if names.intersection(_CC_MARKERS):
        kind = "cc-callback"
    elif names.intersection(_MALWARE_MARKERS):
        kind = "malware"
    elif "tk_url" in names and names & {"tk_client_ip", "tk_category"}:
        kind = "access"
    elif tag_kind is not None:
        kind = tag_kind
    elif "tk_url" in names:
        kind = "access"  # the access layout with its trailing fields missing
    elif names & _REQUEST_FIELDS:
        return Unreadable(where, "a request line without tk_url (truncated?); fields: "
                          + ", ".join(sorted(names)))
    elif "tk_metric_id" in names or "tk_metric_value" in names:
        return NotARequest(where, _IWSVA, "performance metrics, no request")
    else:
        what = f"{log_type} log" if log_type else "a line"
        return NotARequest(where, _IWSVA, f"{what} without request fields (tk_url...): "
                           + ", ".join(sorted(names)))
    if url_text is None:
        state = "empty" if "tk_url" in names else "absent"
        return Unreadable(where, f"{kind} line without a URL (tk_url {state})")

    if not _SCHEME.match(url_text):
        protocol = (_value(fields, "tk_protocol") or "").lower()
        url_text = f"{protocol if protocol in ('http', 'https') else 'http'}://{url_text}"
    logged_user = _value(fields, "tk_username")
    client = _value(fields, "tk_client_ip")
    user = logged_user
    if logged_user is not None and _is_ip(logged_user):
        user = None  # IP user identification: the "user" is the client's address
        client = client if client is not None else logged_user
    # A malware line's tk_category is the virus category (the ELK parser reads it as
    # one), not the URL's: reading it as a URL category would decide on a wrong one.
    raw_cats = None if kind == "malware" else _value(fields, "tk_category")
    cats = _categories(raw_cats) if raw_cats is not None else ()
    when = _time(_value(fields, "tk_date_field")) or _header_time(header)

    request = WebRequest(url=url_text, client=client, user=user, categories=cats, when=when)
    problem = request_problem(request)
    if problem is not None:
        return Unreadable(where, f"{kind} line: {problem}")
    unknown = set()
    if not _page(fields):
        unknown.add("file-type")  # logs never give a download's true file type
    unknown.add("groups" if user is not None else "user")  # nor LDAP group membership
    if when is None:
        unknown.add("when")
    if not cats:
        unknown.add("categories")
    if client is None:
        unknown.add("client")
    return WebEvent(where=where, log=kind, request=request, unknown=frozenset(unknown),
                    recorded=_recorded(kind, fields),
                    who=logged_user or client or "")


#: Response types that are pages, not files: a request that fetched one downloaded no file
#: a true-file-type rule could block (``file_type`` None is then known, not unknown).
_PAGE_TYPES = re.compile(r"text/(html|plain|css|javascript)|application/(json|javascript|xml)",
                         re.IGNORECASE)


def _page(fields: dict[str, str]) -> bool:
    """Whether an access line fetched a page, not a file: no file name, and a MIME type
    of a page."""
    mime = _value(fields, "tk_mime_content")
    return (_value(fields, "tk_file_name") is None and mime is not None
            and _PAGE_TYPES.fullmatch(mime.split(";", 1)[0].strip()) is not None)


def _categories(text: str) -> tuple[str | int, ...]:
    """The categories of ``tk_category``: TMUFE IDs as ints (kept even when isc does not
    know the ID: the appliance said so), names isc knows; the rest dropped."""
    out: list[str | int] = []
    for token in re.split(r"[;,|]", text):
        t = token.strip()
        if t.lower() in _NULLS:
            continue
        if t.isascii() and t.isdigit():
            if len(t) <= 9:  # an ID has 3 digits at most; bound int() on hostile input
                out.append(int(t))
        elif categories.lookup(t) is not None or categories.ztsa_name(t) is not None:
            out.append(t)
    return tuple(dict.fromkeys(out))


def _recorded(kind: str, fields: dict[str, str]) -> Recorded | None:
    if kind == "malware":
        raw = _value(fields, "tk_action")
        if raw is None:
            return None
        blocked_by = _value(fields, "tk_blocked_by")
        action = _MALWARE_ACTIONS.get(_word(raw))
        # Only a URL filtering / blocking cause is one the model decides (a virus found
        # in a download is not); an action without model words compares nothing.
        policy = blocked_by is not None and _POLICY_BLOCKER.search(blocked_by) is not None
        return Recorded(action, blocked_by or _value(fields, "tk_rule_name"), raw,
                        comparable=policy and action is not None)
    if kind == "cc-callback":
        raw = _value(fields, "tk_filter_action")
        if raw is None:
            return None
        # C&C contact is a verdict of Trend's C&C lists, outside the models.
        return Recorded(_CC_ACTIONS.get(_word(raw)), _value(fields, "tk_rule_name"), raw,
                        comparable=False)
    return None  # access tracking does not record the action taken


def _word(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


# ---------------------------------------------------------------------- time


def _time(text: str | None) -> dt.datetime | None:
    """A date-time written as ``tk_date_field`` or a dated syslog stamp, None when it is
    not one (or names an impossible date)."""
    if text is None:
        return None
    m = _YMD.match(text)
    if m is not None:
        y, mo, d = int(m[1]), int(m[3]), int(m[4])
        hms, rest = m.groups()[4:8], text[m.end():]
    else:
        m = _DMY.match(text)
        month = _MONTHS.get(m[2].lower()) if m is not None else None
        if m is None or month is None:
            return None
        y, mo, d = int(m[3]), month, int(m[1])
        hms, rest = m.groups()[3:7], text[m.end():]
    z = _ZONE.match(rest)
    if z is None:
        return None
    tz: dt.tzinfo | None = None
    if z[1] is not None:
        delta = dt.timedelta(hours=int(z[2]), minutes=int(z[3] or 0))
        if delta >= dt.timedelta(hours=24):
            return None
        tz = dt.timezone(-delta if z[1] == "-" else delta)
    elif z[4] is not None:
        tz = dt.UTC
    try:
        return dt.datetime(y, mo, d, int(hms[0]), int(hms[1]), int(hms[2]),
                           int((hms[3] or "0").ljust(6, "0")), tzinfo=tz)
    except ValueError:
        return None


_TAG_DATE = re.compile(r"<([^<>]*\d{4}[^<>]*)>")
_ISO_STAMP = re.compile(r"(?:^|(?<=[\s>]))(\d{4}-\d{2}-\d{2}T[^\s]+)")


def _header_time(header: str) -> dt.datetime | None:
    """A dated stamp in the header: IWSVA's ``<Tue, 08 Oct 2013 14:32:16,EEST>`` first
    (the appliance's own clock), then an RFC 5424 ISO stamp. A BSD stamp has no year."""
    for m in _TAG_DATE.finditer(header):
        found = _time(m[1].strip())
        if found is not None:
            return found
    m2 = _ISO_STAMP.search(header)
    return _time(m2[1]) if m2 is not None else None


# ---------------------------------------------------------------------- JSON lines

_VERDICT_KEYS = ("virus", "spamScore", "graymail", "wrsLevel", "sea")
_DIRECTIONS = ("incoming", "inbound", "outgoing", "outbound")  # what the mail models read


def parse_json_line(line_no: int, text: str, file: str
                    ) -> WebEvent | MailEvent | NotARequest | Unreadable:
    """One line of isc's own JSON requests or messages (logs.md §3) as an event: an object
    with ``url`` is a web request, one with ``sender`` a mail message; a blank line or a
    ``#`` comment is no request."""
    where = Where(file, line_no)
    line = text.lstrip("\ufeff")
    stripped = line.strip()
    if not stripped:
        return NotARequest(where, _JSON, "blank")
    if stripped.startswith("#"):
        return NotARequest(where, _JSON, "comment")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return Unreadable(where, f"not JSON: {exc.msg} at column {exc.colno}")
    except (ValueError, RecursionError) as exc:  # huge numbers, absurd nesting
        return Unreadable(where, f"not JSON: {exc}")
    if not isinstance(data, dict):
        return Unreadable(where, f"not a JSON object but {_json_type(data)}")
    data = dict(data)
    recorded = data.pop("recorded", None)
    if "url" in data and "sender" in data:
        return Unreadable(where, "both 'url' and 'sender': a line is a web request or a "
                                 "mail message, not both")
    if "url" in data:
        return _json_web(where, data, recorded)
    if "sender" in data:
        return _json_mail(where, data, recorded)
    return Unreadable(where, "a JSON object with neither 'url' (a web request) nor 'sender' "
                             "(a mail message)")


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), "null")


def _json_web(where: Where, data: dict[str, Any], recorded_data: Any
              ) -> WebEvent | Unreadable:
    recorded = _json_recorded(recorded_data, WEB_ACTIONS)
    if isinstance(recorded, str):
        return Unreadable(where, recorded)
    cats = data.get("categories")
    if isinstance(cats, str | int) and not isinstance(cats, bool):
        cats = data["categories"] = [cats]  # one category alone, as verify --requests takes
    for c in cats if isinstance(cats, list) else ():
        problem = _category_problem(c)
        if problem is not None:
            return Unreadable(where, problem)
    try:
        request = request_from_json(data, "request")
    except (ValueError, TypeError) as exc:
        return Unreadable(where, str(exc))
    problem = request_problem(request)
    if problem is not None:
        return Unreadable(where, problem)
    # A key left out is unknown; null is a known "none" (no user, not a download), except
    # for when: every request has a time, so null cannot be one.
    unknown = {name for name, key in (("categories", "categories"), ("client", "client"),
                                      ("user", "user"), ("file-type", "fileType"))
               if key not in data}
    if data.get("when") is None:
        unknown.add("when")
    if data.get("user") is not None and "groups" not in data:
        unknown.add("groups")
    return WebEvent(where=where, log=_JSON, request=request, unknown=frozenset(unknown),
                    recorded=recorded, who=request.user or request.client or "")


def _category_problem(value: object) -> str | None:
    """Why a JSON request's category is not one isc knows (as ``verify --requests`` reads
    it: an unknown one would silently count as Untested), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None  # request_from_json names the bad type
    if categories.lookup(value) is not None:
        return None
    if isinstance(value, str) and categories.ztsa_name(value) is not None:
        return None
    return f"request.categories: unknown URL category {value!r}"


def _json_mail(where: Where, data: dict[str, Any], recorded_data: Any
               ) -> MailEvent | Unreadable:
    recorded = _json_recorded(recorded_data, MAIL_ACTIONS)
    if isinstance(recorded, str):
        return Unreadable(where, recorded)
    message_id = data.pop("messageId", "")
    if not isinstance(message_id, str):
        return Unreadable(where, "message.messageId: not a valid str")
    recipients = data.get("recipients")
    if ("recipient" not in data and isinstance(recipients, list) and recipients
            and isinstance(recipients[0], str)):
        data["recipient"] = recipients[0]  # the event is for one recipient: the first
    try:
        message = message_from_json(data, "message")
    except (ValueError, TypeError) as exc:
        return Unreadable(where, str(exc))
    if (message.direction is not None
            and message.direction.strip().lower() not in _DIRECTIONS):
        return Unreadable(where, f"message.direction: unknown mail direction "
                                 f"{message.direction!r} (incoming or outgoing)")
    atts = data.get("attachments")
    unknown = {name for name, key in (("body", "body"), ("attachments", "attachments"),
                                      ("headers", "headers")) if key not in data}
    if atts is None or any("content" not in a for a in atts):
        unknown.add("attachment-content")
    if not any(k in data for k in _VERDICT_KEYS):
        unknown.add("verdicts")
    if data.get("when") is None:
        unknown.add("when")
    if data.get("clientIp") is None:
        unknown.add("client")
    return MailEvent(where=(where,), log=_JSON, message=message, message_id=message_id,
                     unknown=frozenset(unknown), recorded=recorded)


def _json_recorded(data: Any, actions: tuple[str, ...]) -> Recorded | str | None:
    """``recorded`` of a JSON line, or what is wrong with it (a string)."""
    if data is None:
        return None
    if not isinstance(data, dict):
        return "recorded: not a JSON object"
    extra = sorted(set(data) - {"action", "by", "comparable"})
    if extra:
        return f"recorded: unknown key {extra[0]!r}; known: action, by, comparable"
    if "action" not in data:
        return "recorded: missing 'action'"
    action, by, comparable = data["action"], data.get("by"), data.get("comparable", True)
    if action is not None and not isinstance(action, str):
        return "recorded.action: not a string"
    if action is not None and action.strip().lower() not in actions:
        return (f"recorded.action: {action!r} is not an action of the model ("
                + ", ".join(actions) + ")")
    if by is not None and not isinstance(by, str):
        return "recorded.by: not a string"
    if not isinstance(comparable, bool):
        return "recorded.comparable: not a boolean"
    return Recorded(None if action is None else action.strip().lower(), by,
                    action or "", comparable=comparable)
