"""Drop repeated entries from the mail policy's lists, where a repeat can never decide.

Every list handled here is read "does any entry match" by the IMSVA model, so only the first
of equal entries can ever count. Entries are equal when the model cannot tell them apart:

- addresses, LDAP names and domains compare stripped and case-insensitively (the model
  matches them case-insensitively); address-group references compare exactly (group lookup
  is by exact name);
- IP entries compare as networks (``10.0.0.5/24`` is ``10.0.0.0/24``), entries that are not
  IPs compare as written (they never match anything);
- keyword expressions compare by parsed expression and case sensitivity, and only in lists
  matching ``any`` / ``all`` / ``not``: in a ``score`` list a repeat adds its score again;
- conditions of one rule compare structurally (``any`` and ``all`` ignore repeats);
- BCC addresses compare exactly (each becomes the modification ``bcc:<address>``, and
  modifications form a set).

A DMARC action whose published policy repeats an earlier one is never used (the first wins).
Change-recipient addresses are left alone: the model reports them joined, as written.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from isc.diagnostics import Severity
from isc.ir.common import Span
from isc.ir.mail import (
    Bcc,
    Condition,
    IpEntry,
    KeywordCondition,
    KeywordExpression,
    KeywordList,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Party,
    PartyKind,
    Route,
)

if TYPE_CHECKING:
    from isc.passes import PassContext

_T = TypeVar("_T")

#: Keyword lists in which a repeated expression cannot change the outcome.
_SET_MATCHES = frozenset({KeywordMatch.ANY, KeywordMatch.ALL, KeywordMatch.NOT})


def _text_key(value: str) -> str:
    return value.strip().lower()


def _party_key(p: Party) -> tuple[PartyKind, str]:
    """Parties the model matches identically have the same key."""
    if p.kind in (PartyKind.ANYONE, PartyKind.MY_ORGANIZATION):
        return (p.kind, "")
    if p.kind is PartyKind.ADDRESS_GROUP:
        return (p.kind, p.value)
    return (p.kind, _text_key(p.value))


def _ip_key(value: str) -> Hashable:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return value.strip()


class _Deduper:
    def __init__(self, ctx: PassContext) -> None:
        self.ctx = ctx

    def run(self, items: Sequence[_T], key: Callable[[_T], Hashable], what: str,
            show: Callable[[_T], str], span: Callable[[_T], Span | None],
            warn: Callable[[_T, _T], str | None] = lambda first, dup: None, *,
            kind: str) -> tuple[_T, ...]:
        """The items without those whose key repeats an earlier one's, each recorded as
        ``kind`` (a report kind). ``warn`` says what the dropped one differs in, when that is
        worth a warning."""
        first: dict[Hashable, _T] = {}
        out: list[_T] = []
        for item in items:
            k = key(item)
            if k in first:
                lost = warn(first[k], item)
                kept = first[k]
                self.ctx.change(
                    "removed", kind, _bare(show(item)), span(item),
                    f"{what}: repeated entry {show(item)} removed"
                    + (f"; {lost}" if lost is not None else ""),
                    kept=(kind, _bare(show(kept)), span(kept)),
                    severity=Severity.NOTE if lost is None else Severity.WARNING)
                continue
            first[k] = item
            out.append(item)
        return tuple(out)

    def parties(self, parties: tuple[Party, ...], what: str, where: Span | None, kind: str
                ) -> tuple[Party, ...]:
        return self.run(parties, _party_key, what, _show_party, lambda p: p.span or where,
                        kind=kind)

    def strings(self, values: tuple[str, ...], what: str, where: Span | None, kind: str,
                key: Callable[[str], Hashable] = _text_key) -> tuple[str, ...]:
        return self.run(values, key, what, repr, lambda _: where, kind=kind)

    def ips(self, entries: tuple[IpEntry, ...], what: str, where: Span | None, kind: str
            ) -> tuple[IpEntry, ...]:
        def warn(first: IpEntry, dup: IpEntry) -> str | None:
            if first.action == dup.action:
                return None
            return (f"its action {dup.action or 'none'!r} never applied: the earlier "
                    f"{first.value!r} ({first.action or 'none'}) matches first")

        return self.run(entries, lambda e: _ip_key(e.value), what, lambda e: repr(e.value),
                        lambda e: e.span or where, warn, kind=kind)

    def route(self, route: Route, where: str, span: Span | None) -> Route:
        here = route.span or span
        return attrs.evolve(
            route,
            senders=self.parties(route.senders, f"{where} senders", here, "mail-rule.sender"),
            recipients=self.parties(route.recipients, f"{where} recipients", here,
                                    "mail-rule.recipient"),
            exceptions=self.run(
                route.exceptions, lambda e: (_party_key(e.sender), _party_key(e.recipient)),
                f"{where} exceptions",
                lambda e: f"{_show_party(e.sender)} → {_show_party(e.recipient)}",
                lambda e: e.span or here, kind="mail-rule.exception"))

    def rule(self, rule: MailRule) -> MailRule:
        where = f"rule \"{rule.name}\""
        conditions: tuple[Condition, ...] = self.run(
            rule.conditions, lambda c: c, f"{where} conditions", _show_condition,
            lambda c: c.span or rule.span, kind="mail-rule.condition")
        actions = tuple(
            attrs.evolve(a, addresses=self.strings(a.addresses, f"{where} BCC",
                                                   a.span or rule.span, "mail-rule.bcc",
                                                   key=lambda s: s))
            if isinstance(a, Bcc) else a
            for a in rule.actions)
        return attrs.evolve(rule, route=self.route(rule.route, where, rule.span),
                            conditions=conditions, actions=actions)

    def keyword_list(self, kl: KeywordList) -> KeywordList:
        if kl.match not in _SET_MATCHES:
            return kl  # score: a repeat adds its score again

        def key(e: KeywordExpression) -> Hashable:
            return (e.expr, e.case_sensitive)

        return attrs.evolve(kl, expressions=self.run(
            kl.expressions, key, f"keyword-list \"{kl.name}\"", lambda e: repr(e.text),
            lambda e: e.span or kl.span, kind="keyword-list.expression"))


def _bare(shown: str) -> str:
    """A shown value without the quotes ``repr`` gave it (the report names values bare)."""
    return shown[1:-1] if len(shown) >= 2 and shown[0] == shown[-1] and shown[0] in "'\"" \
        else shown


def _show_party(p: Party) -> str:
    return p.kind.value if not p.value else repr(p.value)


def _show_condition(c: Condition) -> str:
    if isinstance(c, KeywordCondition):
        return f"{c.part.value} keyword-list {c.keyword_list!r}"
    return type(c).__name__


def remove_duplicate_mail_entries(mail: MailPolicy, ctx: PassContext) -> MailPolicy:
    """Remove entries that repeat an earlier entry of the same list (module doc).

    Example:
        >>> from isc.passes import PassContext
        >>> m = MailPolicy(internal_domains=("example.com", "Example.com"))
        >>> remove_duplicate_mail_entries(m, PassContext()).internal_domains
        ('example.com',)
    """
    d = _Deduper(ctx)
    sf = mail.sender_filtering
    if sf is not None:
        sf = attrs.evolve(sf, approved_ips=d.ips(sf.approved_ips, "approved IPs", sf.span,
                                                 "sender-filtering.approved-ip"),
                          blocked_ips=d.ips(sf.blocked_ips, "blocked IPs", sf.span,
                                            "sender-filtering.blocked-ip"))
    dmarc = mail.dmarc
    if dmarc is not None:
        dmarc_span = dmarc.span

        def dmarc_warn(first: tuple[str, str], dup: tuple[str, str]) -> str | None:
            if _text_key(first[1]) == _text_key(dup[1]):
                return None
            return f"its action {dup[1]!r} never applied: the first one ({first[1]!r}) wins"

        dmarc = attrs.evolve(
            dmarc,
            domains=d.strings(dmarc.domains, "DMARC domains", dmarc.span, "dmarc.domain"),
            exception_ips=d.strings(dmarc.exception_ips, "DMARC exception IPs", dmarc.span,
                                    "dmarc.exception-ip", key=_ip_key),
            actions=d.run(dmarc.actions, lambda a: _text_key(a[0]), "DMARC actions",
                          lambda a: repr(a[0]), lambda _: dmarc_span,
                          dmarc_warn, kind="dmarc.action"))
    dkim = mail.dkim_enforcement
    if dkim is not None:
        dkim = attrs.evolve(dkim, domains=d.strings(dkim.domains, "DKIM enforcement domains",
                                                    dkim.span, "dkim-enforcement.domain"))
    return attrs.evolve(
        mail,
        internal_domains=d.strings(mail.internal_domains, "internal addresses", None,
                                   "internal-addresses.domain"),
        address_groups=tuple(
            attrs.evolve(g, addresses=d.parties(g.addresses, f"address-group \"{g.name}\"",
                                                g.span, "address-group.entry"))
            for g in mail.address_groups),
        keyword_lists=tuple(d.keyword_list(kl) for kl in mail.keyword_lists),
        rules=tuple(d.rule(r) for r in mail.rules),
        approved_senders=d.parties(mail.approved_senders, "approved senders", None,
                                   "approved-senders.entry"),
        blocked_senders=d.parties(mail.blocked_senders, "blocked senders", None,
                                  "blocked-senders.entry"),
        sender_filtering=sf,
        dmarc=dmarc,
        dkim_enforcement=dkim,
    )
