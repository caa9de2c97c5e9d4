"""Appliance log lines written to the layouts of spec logs.md, for the replay tests and
benchmark: IWSVA
access-tracking syslog lines, IMSVA polevt and msgtra lines, and isc's own JSON lines that
state every field (so that nothing a decision reads is unknown)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs

from isc.ir import categories
from isc.ir.requests import MailMessage, WebRequest, message_to_json, request_to_json

#: A Monday morning: requests of a log happened at some time.
WHEN = dt.datetime(2026, 11, 30, 10, 15)


def timed(r: WebRequest) -> WebRequest:
    """The request at :data:`WHEN` if it has no time (a logged request always has one)."""
    return r if r.when is not None else attrs.evolve(r, when=WHEN)


def web_json_line(r: WebRequest) -> str:
    """Every field stated: null is a known "none" (no user, no client, not a download)."""
    d: dict[str, Any] = {"url": r.url, "client": r.client, "user": r.user,
                         "groups": list(r.groups), "categories": [], "fileType": r.file_type,
                         "decrypted": r.decrypted}
    d.update(request_to_json(r))
    d.setdefault("categories", [])
    return json.dumps(d, ensure_ascii=False)


def settled(m: MailMessage) -> MailMessage:
    """The message with a client address and an arrival time (logs have both)."""
    return attrs.evolve(m, client_ip=m.client_ip or "203.0.113.99",
                        when=m.when if m.when is not None else 600)


def mail_json_line(m: MailMessage) -> str:
    """Every field stated, attachment contents included."""
    d = message_to_json(m)
    d.setdefault("body", "")
    d.setdefault("headers", [])
    d["attachments"] = [{**a, "content": a.get("content", "")} for a in d.get("attachments", [])]
    d.setdefault("virus", m.virus)
    return json.dumps(d, ensure_ascii=False)


def access_line(r: WebRequest, n: int) -> str:
    """An IWSVA access-tracking syslog line for ``r``."""
    ids = [str(c.id) for name in r.categories
           if (c := categories.lookup(name)) is not None]
    when = (r.when or WHEN).strftime("%Y-%m-%d %H:%M:%S")
    fields = [("tk_username", r.user or r.client or "10.0.0.1"), ("tk_url", r.url),
              ("tk_size", str(1000 + n)), ("tk_date_field", when),
              ("tk_protocol", r.url.split(":", 1)[0]), ("tk_mime_content", "text/html"),
              ("tk_server", "origin"), ("tk_client_ip", r.client or "10.0.0.1"),
              ("tk_server_ip", "198.51.100.1"), ("tk_domain", ""), ("tk_path", ""),
              ("tk_file_name", ""), ("tk_operation", "GET"), ("tk_uid", f"{n:08d}"),
              ("tk_category", ";".join(ids) or "#null#"), ("tk_category_type", "0")]
    return ("<134>iwsva01: <ACCESS> [ACCESS_TRACKING|INFO] Access log "
            + ",".join(f"{k}={v}" for k, v in fields))


def _at(n: int, seconds: int = 0) -> dt.datetime:
    """Message ``n``'s time: one message a second from :data:`WHEN` (logs are in time
    order, and a message's msgtra and polevt lines a moment apart)."""
    return WHEN + dt.timedelta(seconds=n + seconds)


def mail_id(n: int) -> str:
    return f"{n:08X}-0000-4000-8000-{n:012X}"


def polevt_line(m: MailMessage, n: int, *, rule: str = "", actions: str = "00100000000000000"
                ) -> str:
    """An IMSVA policy-event line for ``m`` (tab-separated, logs.md §2)."""
    direction = {"incoming": "1", "outgoing": "2"}.get(m.direction or "", "1")
    filters = "".join("1" if (i == 1 and m.virus) else "0" for i in range(1, 17))
    fields = [_at(n).strftime("%Y/%m/%d %H:%M:%S GMT+09:00"), mail_id(n), m.sender,
              ";".join(m.recipients or (m.recipient,)), m.subject, direction, rule, filters,
              "", f"{m.size / 1024:.6f}", actions,
              f"{m.spam_score or 0:.6f}", "0", "0", "", ""]
    return "\t".join(fields)


def msgtra_line(m: MailMessage, n: int, actions: str = "00100000000000000") -> str:
    """An IMSVA message-tracking line for ``m``."""
    fields = ["NormalTransac", _at(n, -1).strftime("%Y %b %d %H:%M:%S +09:00"), "#null#",
              "#null#",
              f"<{n}@example.test>", mail_id(n), f"{n:010X}", "1", m.sender,
              ";".join(m.recipients or (m.recipient,)), m.subject,
              f"mx.example[{m.client_ip or '203.0.113.99'}]", "[192.0.2.20]:25",
              "250 2.0.0 Ok", "sent", actions]
    return "\t".join(fields)
