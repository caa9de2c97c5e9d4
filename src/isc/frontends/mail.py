"""The mail front-end: XML rule sets, ``imss.ini`` and list files → one
:class:`~isc.ir.mail.MailPolicy` (formats.md §4, docs/formats/mail.md).

Documents are added one by one (a directory or archive gives several); :meth:`finish` merges
them and checks what needs all of them: references by name (``ISC2003``), names defined
twice (``ISC2005``), rules sharing an order number (``ISC2011``) and rules that can never
apply or do nothing (``ISC2017``).

How an ``imss.ini`` is told from the other INI-dialect files (web exports, ``intscan.ini``):
its file name is ``imss.ini`` (any case), or it has a section IMSVA documents for
``imss.ini`` (:data:`IMSS_INI_SECTIONS`). The caller asks only about documents that hold no
web section kind, so a web export is never taken for one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Protocol, TypeVar

import attrs

from isc.diagnostics import Diagnostic, Severity, Span
from isc.errors import IscError
from isc.frontends.ini import IniDocument, parse_keyline
from isc.frontends.mail_addresses import looks_like_address_or_domain
from isc.frontends.mail_xml import Resolver, XmlResult, parse_mail_xml
from isc.ir.mail import Clean as CleanAction
from isc.ir.mail import (
    Condition,
    InsertStamp,
    InterceptAction,
    KeywordCondition,
    MailPolicy,
    MailRule,
    MailSetting,
    Measure,
    Notify,
    Party,
    PartyKind,
    RouteType,
    RuleType,
    SizeCondition,
    VirusCondition,
)

__all__ = ["IMSS_INI_SECTIONS", "MailBuilder", "is_imss_ini", "looks_like_mail_list"]

#: Sections documented for ``imss.ini`` (research imsva.md §4.1).
IMSS_INI_SECTIONS = frozenset({"imp_exp", "policy_server"})


def is_imss_ini(doc: IniDocument) -> bool:
    """Whether an INI-dialect document without web sections is IMSVA's ``imss.ini``."""
    name = PurePosixPath(doc.path.rsplit(":", 1)[-1]).name.lower()
    if name == "imss.ini":
        return True
    return any(s.name.lower() in IMSS_INI_SECTIONS for s in doc.sections)


def looks_like_mail_list(text: str) -> bool:
    """Whether a text file (not INI) is an address, sender or domain list: every line that
    is not blank or a ``#`` comment is one address or one dotted domain."""
    entries = [line.strip() for line in text.splitlines()
               if line.strip() and not line.strip().startswith("#")]
    return bool(entries) and all(looks_like_address_or_domain(e) for e in entries)


class _Spanned(Protocol):
    @property
    def span(self) -> Span | None: ...


class _Named(_Spanned, Protocol):
    @property
    def name(self) -> str: ...


class _Odd(Protocol):
    """The ``odd`` reporter :meth:`MailBuilder._check_rule` passes on."""

    def __call__(self, message: str, span: Span | None = ...) -> None: ...


_N = TypeVar("_N", bound=_Named)
_S = TypeVar("_S", bound=_Spanned)


@attrs.frozen
class Added:
    """What :meth:`MailBuilder.add_xml` recognised."""

    kind: str
    text: str | None = None
    encoding: str | None = None


@attrs.define
class MailBuilder:
    """Collects mail documents; :meth:`finish` merges them and resolves references."""

    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    fragments: list[MailPolicy] = attrs.field(factory=list)
    settings: list[MailSetting] = attrs.field(factory=list)
    #: Every list file a rule set named: the resolver key it was found under → its kind.
    lists: dict[str, str] = attrs.field(factory=dict)
    touched: bool = False

    # ------------------------------------------------------------------ documents

    def add_xml(self, data: bytes, path: str, resolve: Resolver | None = None, *,
                rel: str | None = None, encoding: str | None = None) -> Added:
        """Add one XML document (any root: only ``<imss-policy>`` is read)."""
        result: XmlResult = parse_mail_xml(data, path, rel=rel, resolve=resolve,
                                           encoding=encoding)
        self.diagnostics.extend(result.diagnostics)
        self.lists.update(result.lists)
        if not result.is_rule_set:
            return Added("unrecognised XML", result.text, result.encoding)
        self.touched = True
        if result.policy is not None:
            self.fragments.append(result.policy)
        return Added("mail rule set", result.text, result.encoding)

    def add_ini(self, doc: IniDocument) -> str:
        """Add ``imss.ini``: every key becomes a :class:`MailSetting`."""
        self.touched = True
        for section in doc.sections:
            for line in section.lines:
                try:
                    kl = parse_keyline(line)
                except IscError as exc:
                    self.diagnostics.append(exc.diagnostic())
                    continue
                self.settings.append(MailSetting(section.name, kl.key, kl.value, span=kl.span))
        return "imss.ini"

    # ------------------------------------------------------------------ diagnostics

    def report(self, code: str, severity: Severity, message: str, span: Span | None,
               notes: tuple[str, ...] = ()) -> None:
        self.diagnostics.append(Diagnostic.at(code, severity, message, span, notes))

    # ------------------------------------------------------------------ merge and check

    def finish(self) -> MailPolicy | None:
        if not self.touched:
            return None
        policy = self._merge()
        self._check_references(policy)
        self._check_orders(policy)
        for rule in policy.rules:
            self._check_rule(policy, rule)
        return policy

    def _merge(self) -> MailPolicy:
        product: str | None = None
        version: str | None = None
        domains: list[str] = []
        domain_spans: list[Span | None] = []
        approved: list[Party] = []
        blocked: list[Party] = []
        for frag in self.fragments:
            product = product or frag.product
            version = version or frag.version
            domains.extend(frag.internal_domains)
            domain_spans.extend(frag.internal_spans)
            approved.extend(frag.approved_senders)
            blocked.extend(frag.blocked_senders)
        return MailPolicy(
            product=product,
            version=version,
            internal_domains=tuple(domains),
            internal_spans=tuple(domain_spans),
            address_groups=self._unique("address-group", (
                g for f in self.fragments for g in f.address_groups)),
            keyword_lists=self._unique("keyword-list", (
                k for f in self.fragments for k in f.keyword_lists)),
            stamps=self._unique("stamp", (s for f in self.fragments for s in f.stamps)),
            notifications=self._unique("notification", (
                n for f in self.fragments for n in f.notifications)),
            rules=self._unique("rule", (r for f in self.fragments for r in f.rules)),
            approved_senders=tuple(approved),
            blocked_senders=tuple(blocked),
            sender_filtering=self._single("sender-filtering", (
                f.sender_filtering for f in self.fragments)),
            dmarc=self._single("dmarc", (f.dmarc for f in self.fragments)),
            dkim_enforcement=self._single("dkim-enforcement", (
                f.dkim_enforcement for f in self.fragments)),
            settings=tuple(self.settings),
        )

    def _unique(self, kind: str, items: Iterable[_N]) -> tuple[_N, ...]:
        out: list[_N] = []
        seen: dict[str, Span | None] = {}
        for item in items:
            if item.name in seen:
                self.report("ISC2005", Severity.ERROR,
                            f"{kind} \"{item.name}\" is defined twice; the first definition "
                            f"is at {seen[item.name]}", item.span)
                continue
            seen[item.name] = item.span
            out.append(item)
        return tuple(out)

    def _single(self, kind: str, items: Iterable[_S | None]) -> _S | None:
        found = [i for i in items if i is not None]
        for extra in found[1:]:
            self.report("ISC2005", Severity.ERROR,
                        f"<{kind}> is given in more than one rule set; the first is at "
                        f"{found[0].span}", extra.span)
        return found[0] if found else None

    # ------------------------------------------------------------------ references

    def _missing(self, kind: str, name: str, known: Iterable[str], span: Span | None,
                 where: str) -> None:
        close = difflib.get_close_matches(name, list(known), 1, 0.6)
        notes = (f"did you mean \"{close[0]}\"?",) if close else ()
        self.report("ISC2003", Severity.ERROR, f"{where} refers to {kind} \"{name}\", which "
                    "does not exist", span, notes)

    def _check_references(self, policy: MailPolicy) -> None:
        groups = {g.name for g in policy.address_groups}
        lists = {k.name for k in policy.keyword_lists}
        stamps = {s.name for s in policy.stamps}
        notifications = {n.name for n in policy.notifications}
        for rule in policy.rules:
            where = f"rule \"{rule.name}\""
            sides = [*rule.route.senders, *rule.route.recipients]
            for exc in rule.route.exceptions:
                sides.extend((exc.sender, exc.recipient))
            for party in sides:
                if party.kind is PartyKind.ADDRESS_GROUP and party.value not in groups:
                    self._missing("address group", party.value, groups, party.span, where)
            for cond in rule.conditions:
                if isinstance(cond, KeywordCondition) and cond.keyword_list not in lists:
                    self._missing("keyword list", cond.keyword_list, lists, cond.span, where)
            for action in rule.actions:
                if isinstance(action, InsertStamp) and action.stamp not in stamps:
                    self._missing("stamp", action.stamp, stamps, action.span, where)
                elif isinstance(action, Notify) and action.notification not in notifications:
                    self._missing("notification", action.notification, notifications,
                                  action.span, where)

    def _check_orders(self, policy: MailPolicy) -> None:
        first: dict[int, MailRule] = {}
        for rule in policy.rules:
            if rule.order in first:
                other = first[rule.order]
                self.report("ISC2011", Severity.WARNING,
                            f"rules \"{other.name}\" and \"{rule.name}\" share order "
                            f"{rule.order}; their order is taken from the input", rule.span)
            else:
                first[rule.order] = rule

    # ------------------------------------------------------------------ oddities

    def _check_rule(self, policy: MailPolicy, rule: MailRule) -> None:
        def odd(message: str, span: Span | None = rule.span) -> None:
            self.report("ISC2017", Severity.WARNING, f"rule \"{rule.name}\" {message}", span)

        if rule.intercept.action is InterceptAction.NONE and not rule.actions:
            odd("has no intercept, modify or monitor action: it has no effect")
        route = rule.route
        if route.type is RouteType.POP3 and (route.senders or route.recipients
                                             or route.exceptions):
            odd("has a POP3 route, which applies to all POP3 messages: its senders, "
                "recipients and exceptions have no effect", route.span)
        for exc in route.exceptions:
            if exc.sender.kind is PartyKind.ANYONE and exc.recipient.kind is PartyKind.ANYONE:
                odd("has an exception from anyone to anyone: it never applies", exc.span)
        for party in [*route.senders, *route.recipients]:
            group = policy.address_group(party.value) if (
                party.kind is PartyKind.ADDRESS_GROUP) else None
            if group is not None and not group.addresses:
                odd(f"names the empty address group \"{group.name}\"", party.span)
        for cond in rule.conditions:
            self._check_condition(rule, cond, odd)
        if rule.type is RuleType.OTHER:
            for action in rule.actions:
                if isinstance(action, CleanAction):
                    odd("is not an antivirus rule: IMSVA offers <clean> only in antivirus "
                        "rules; isc applies it as written", action.span)

    @staticmethod
    def _check_condition(rule: MailRule, cond: Condition, odd: _Odd) -> None:
        if isinstance(cond, VirusCondition):
            if rule.type is RuleType.OTHER:
                odd("is not an antivirus rule: IMSVA offers <virus> only in antivirus rules; "
                    "isc evaluates it as written (the message is infected)", cond.span)
            elif cond.scan == "extensions" and not cond.extensions:
                odd("scans by extension but names no extension: isc scans every "
                    "attachment", cond.span)
        elif isinstance(cond, SizeCondition) and cond.op.value == "lt" and cond.value == 0:
            what = "size" if cond.measure in (Measure.ATTACHMENT_SIZE,
                                              Measure.MESSAGE_SIZE) else "count"
            odd(f"has a condition {cond.measure.value} < 0, which never matches ({what}s "
                "are never negative)", cond.span)


