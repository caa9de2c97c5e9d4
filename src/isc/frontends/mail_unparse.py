"""The inverse of the mail front-end: :class:`~isc.ir.mail.MailPolicy` → rule-set XML text.

:func:`unparse_mail` writes the XML of formats.md §4 (docs/formats/mail.md) such that

    isc.loads(unparse_mail(p), filename="x.xml").mail == p

for every ``MailPolicy`` the front-end produces from one rule set (spans are not part of
equality and are not written). Lists are written inline, never as ``file`` references: an
address group read from a list file becomes ``<address>`` children, a keyword list file
becomes ``<expression>`` children with the defaults a list file implies. Every attribute is
written explicitly, so the output does not depend on the reader's defaults.

What is not written, and why:

- ``MailPolicy.settings``: they come from ``imss.ini``, not from the rule set.
- Values the front-end never produces raise :class:`ValueError` (a bug in the caller, not
  bad input): parties that cannot stand where they are (``my-organization``, an LDAP user
  in a route exception), a size not a whole number of its unit, a spam condition with
  neither catch rate nor threshold, characters XML 1.0 cannot hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from isc.ir.mail import (
    Action,
    AddressGroup,
    Archive,
    AttachmentName,
    Bcc,
    Clean,
    Condition,
    DeleteAttachments,
    DkimEnforcement,
    DlpCondition,
    Dmarc,
    Encrypt,
    FlagCondition,
    InsertStamp,
    InsertXHeader,
    Intercept,
    KeywordCondition,
    KeywordList,
    MailPolicy,
    MailRule,
    Measure,
    MimeType,
    Notification,
    Notify,
    Party,
    PartyKind,
    Postpone,
    ReceivedTime,
    RouteException,
    SenderFiltering,
    SizeCondition,
    SpamCondition,
    Stamp,
    TagSubject,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)

__all__ = ["unparse_mail"]

_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024 * 1024}
# XML 1.0 Char production, minus what escaping handles
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _check(value: str) -> str:
    bad = _NOT_XML.search(value)
    if bad is not None:
        raise ValueError(f"U+{ord(bad.group()):04X} cannot be written in XML 1.0: {value!r}")
    return value


def _text(value: str) -> str:
    # a literal CR would be read back as LF: write it as a character reference
    return (_check(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _attr(value: str) -> str:
    # attribute-value normalisation turns TAB, LF and CR into blanks: keep them as references
    return (_text(value).replace('"', "&quot;").replace("\t", "&#9;")
            .replace("\n", "&#10;"))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']

    def element(self, depth: int, tag: str, attrs: Iterable[tuple[str, str | None]] = (),
                text: str | None = None) -> None:
        written = "".join(f' {k}="{_attr(v)}"' for k, v in attrs if v is not None)
        pad = "  " * depth
        if text is None or text == "":
            self.lines.append(f"{pad}<{tag}{written}/>")
        else:
            self.lines.append(f"{pad}<{tag}{written}>{_text(text)}</{tag}>")

    def open(self, depth: int, tag: str, attrs: Iterable[tuple[str, str | None]] = ()
             ) -> None:
        written = "".join(f' {k}="{_attr(v)}"' for k, v in attrs if v is not None)
        self.lines.append(f"{'  ' * depth}<{tag}{written}>")

    def close(self, depth: int, tag: str) -> None:
        self.lines.append(f"{'  ' * depth}</{tag}>")


def unparse_mail(policy: MailPolicy) -> str:
    """The rule-set XML (UTF-8) that reads back as ``policy``."""
    w = _Writer()
    w.open(0, "imss-policy", (("product", policy.product), ("version", policy.version)))
    if policy.internal_domains:
        w.open(1, "internal-addresses")
        for domain in policy.internal_domains:
            w.element(2, "domain", text=domain)
        w.close(1, "internal-addresses")
    for group in policy.address_groups:
        _address_group(w, group)
    for keywords in policy.keyword_lists:
        _keyword_list(w, keywords)
    for stamp in policy.stamps:
        _stamp(w, stamp)
    for note in policy.notifications:
        _notification(w, note)
    for rule in policy.rules:
        _rule(w, rule)
    for tag, senders in (("approved-senders", policy.approved_senders),
                         ("blocked-senders", policy.blocked_senders)):
        if senders:
            w.open(1, tag)
            for party in senders:
                if party.kind is not PartyKind.ADDRESS:
                    raise ValueError(f"<{tag}> holds addresses only, not {party.kind.value}")
                w.element(2, "address", text=party.value)
            w.close(1, tag)
    if policy.sender_filtering is not None:
        _sender_filtering(w, policy.sender_filtering)
    if policy.dmarc is not None:
        _dmarc(w, policy.dmarc)
    if policy.dkim_enforcement is not None:
        _dkim(w, policy.dkim_enforcement)
    w.close(0, "imss-policy")
    return "\n".join(w.lines) + "\n"


# ---------------------------------------------------------------------- policy objects


def _party(w: _Writer, depth: int, party: Party) -> None:
    if party.kind is PartyKind.ANYONE:
        w.element(depth, "anyone")
    elif party.kind is PartyKind.ADDRESS:
        w.element(depth, "address", text=party.value)
    elif party.kind is PartyKind.ADDRESS_GROUP:
        w.element(depth, "address-group", (("ref", party.value),))
    elif party.kind in (PartyKind.LDAP_GROUP, PartyKind.LDAP_USER):
        w.element(depth, party.kind.value, text=party.value)
    else:
        raise ValueError(f"a {party.kind.value} party has no IMSVA form")


def _address_group(w: _Writer, group: AddressGroup) -> None:
    w.open(1, "address-group", (("name", group.name),))
    for party in group.addresses:
        if party.kind not in (PartyKind.ADDRESS, PartyKind.LDAP_USER, PartyKind.LDAP_GROUP):
            raise ValueError(f"an address group cannot hold a {party.kind.value} party")
        _party(w, 2, party)
    w.close(1, "address-group")


def _keyword_list(w: _Writer, keywords: KeywordList) -> None:
    threshold = None if keywords.threshold is None else str(keywords.threshold)
    w.open(1, "keyword-list", (("name", keywords.name), ("match", keywords.match.value),
                               ("threshold", threshold)))
    for expr in keywords.expressions:
        w.element(2, "expression", (("case-sensitive", _bool(expr.case_sensitive)),
                                    ("score", str(expr.score)),
                                    ("description", expr.description)), expr.text)
    w.close(1, "keyword-list")


def _stamp(w: _Writer, stamp: Stamp) -> None:
    w.element(1, "stamp", (("name", stamp.name), ("position", stamp.position)), stamp.text)


def _notification(w: _Writer, note: Notification) -> None:
    w.element(1, "notification", (("name", note.name), ("to", note.to),
                                  ("subject", note.subject)), note.body)


# ---------------------------------------------------------------------- rules


def _rule(w: _Writer, rule: MailRule) -> None:
    w.open(1, "rule", (("name", rule.name), ("order", str(rule.order)),
                       ("enabled", _bool(rule.enabled)), ("type", rule.type.value)))
    route = rule.route
    w.open(2, "route", (("type", route.type.value),))
    for tag, parties in (("senders", route.senders), ("recipients", route.recipients)):
        if parties:
            w.open(3, tag)
            for party in parties:
                _party(w, 4, party)
            w.close(3, tag)
    for exc in route.exceptions:
        w.element(3, "exception", _exception(exc))
    w.close(2, "route")
    if rule.conditions or rule.match.value != "any":
        w.open(2, "conditions", (("match", rule.match.value),))
        for cond in rule.conditions:
            _condition(w, cond)
        w.close(2, "conditions")
    w.open(2, "actions")
    _intercept(w, rule.intercept)
    for action in rule.actions:
        _action(w, action)
    w.close(2, "actions")
    if rule.notes:
        w.element(2, "notes", text=rule.notes)
    w.close(1, "rule")


def _exception(exc: RouteException) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for prefix, party in (("sender", exc.sender), ("recipient", exc.recipient)):
        if party.kind is PartyKind.ANYONE:
            continue
        suffix = {PartyKind.ADDRESS: "", PartyKind.ADDRESS_GROUP: "-group",
                  PartyKind.LDAP_GROUP: "-ldap-group"}.get(party.kind)
        if suffix is None:
            raise ValueError(f"a route exception cannot name a {party.kind.value}")
        out.append((prefix + suffix, party.value))
    return out


def _condition(w: _Writer, cond: Condition) -> None:
    if isinstance(cond, AttachmentName):
        w.element(3, "attachment-name", text=cond.pattern)
    elif isinstance(cond, TrueFileType):
        w.element(3, "true-file-type", text=cond.file_type)
    elif isinstance(cond, MimeType):
        w.element(3, "mime-type", text=cond.mime_type)
    elif isinstance(cond, SizeCondition):
        attrs: list[tuple[str, str | None]] = [("op", cond.op.value)]
        value = cond.value
        if cond.measure in (Measure.ATTACHMENT_SIZE, Measure.MESSAGE_SIZE) and cond.unit:
            unit = _UNITS[cond.unit]
            if value % unit:
                raise ValueError(f"{value} bytes is not a whole number of {cond.unit}")
            value //= unit
            attrs.append(("unit", cond.unit))
        w.element(3, cond.measure.value, attrs, str(value))
    elif isinstance(cond, KeywordCondition):
        names = ",".join(cond.headers) if cond.part.value == "header" else None
        w.element(3, cond.part.value, (("names", names), ("keyword-list", cond.keyword_list)))
    elif isinstance(cond, SpamCondition):
        if cond.threshold is not None:
            w.element(3, "spam", (("threshold", cond.threshold),))
        elif cond.catch_rate is not None:
            w.element(3, "spam", (("catch-rate", cond.catch_rate),))
        else:
            raise ValueError("a spam condition needs a catch rate or a threshold")
    elif isinstance(cond, WebReputationCondition):
        w.element(3, "web-reputation", (("level", cond.level), ("untested", cond.untested),
                                        ("time-of-click", _bool(cond.time_of_click))))
    elif isinstance(cond, FlagCondition):
        w.element(3, cond.flag.value)
    elif isinstance(cond, DlpCondition):
        w.element(3, "dlp", (("template", cond.template),))
    elif isinstance(cond, ReceivedTime):
        w.element(3, "received-time", (("from", _hhmm(cond.start)), ("to", _hhmm(cond.end))))
    elif isinstance(cond, VirusCondition):
        extensions = ",".join(cond.extensions) if cond.extensions else None
        w.element(3, "virus", (("scan", cond.scan), ("extensions", extensions)))


def _intercept(w: _Writer, intercept: Intercept) -> None:
    to = ";".join(intercept.recipients) if intercept.recipients else None
    port = None if intercept.port is None else str(intercept.port)
    w.element(3, "intercept", (("action", intercept.action.value), ("area", intercept.area),
                               ("to", to), ("host", intercept.host), ("port", port)))


def _action(w: _Writer, action: Action) -> None:
    if isinstance(action, DeleteAttachments):
        w.element(3, "delete-attachments", (("scope", action.scope),))
    elif isinstance(action, Clean):
        w.element(3, "clean", (("fallback", action.fallback),))
    elif isinstance(action, InsertStamp):
        w.element(3, "insert-stamp", (("ref", action.stamp),))
    elif isinstance(action, TagSubject):
        w.element(3, "tag-subject", text=action.tag)
    elif isinstance(action, InsertXHeader):
        w.element(3, "insert-x-header", (("name", action.name), ("value", action.value)))
    elif isinstance(action, Postpone):
        w.element(3, "postpone", (("until", _hhmm(action.until)),))
    elif isinstance(action, Notify):
        w.element(3, "notify", (("ref", action.notification),))
    elif isinstance(action, Bcc):
        w.element(3, "bcc", text=";".join(action.addresses))
    elif isinstance(action, Archive):
        w.element(3, "archive", (("area", action.area),))
    elif isinstance(action, Encrypt):
        raise ValueError("encrypt is an EmS action with no IMSVA form")


# ---------------------------------------------------------------------- global settings


def _sender_filtering(w: _Writer, sf: SenderFiltering) -> None:
    w.open(1, "sender-filtering")
    w.element(2, "email-reputation", (("enabled", _bool(sf.email_reputation)),
                                      ("level", sf.reputation_level)))
    for entry in sf.approved_ips:
        w.element(2, "approved-ip", text=entry.value)
    for entry in sf.blocked_ips:
        w.element(2, "blocked-ip", (("action", entry.action),), entry.value)
    w.close(1, "sender-filtering")


def _dmarc(w: _Writer, dmarc: Dmarc) -> None:
    w.open(1, "dmarc", (("enabled", _bool(dmarc.enabled)),
                        ("insert-x-header", _bool(dmarc.insert_x_header)),
                        ("daily-reports", _bool(dmarc.daily_reports))))
    for domain in dmarc.domains:
        w.element(2, "domain", text=domain)
    for ip in dmarc.exception_ips:
        w.element(2, "exception-ip", text=ip)
    for policy, action in dmarc.actions:
        w.element(2, "action", (("policy", policy), ("action", action)))
    w.close(1, "dmarc")


def _dkim(w: _Writer, dkim: DkimEnforcement) -> None:
    w.open(1, "dkim-enforcement", (("enabled", _bool(dkim.enabled)), ("action", dkim.action)))
    for domain in dkim.domains:
        w.element(2, "domain", text=domain)
    w.close(1, "dkim-enforcement")
