"""The reference look-ups of the mail models: every group member, sender entry and rule
scanned in order, nothing indexed. With them :func:`isc.models.imsva.decide_with` and
:func:`isc.models.ems.decide_with` are the oracle of the indexed mail models (the order of
the decision itself is shared: what the indexes replace is what is checked)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from isc.ir.ems import EmsPolicy, EmsRule, RuleKind
from isc.ir.mail import (
    Direction,
    KeywordExpression,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Party,
    PartyKind,
)
from isc.ir.requests import Decision, MailMessage
from isc.models import ems, imsva
from isc.models.mailmatch import PartyMatcher, address_matches, domain_matches, ip_in


class Plain:
    """:class:`isc.models.imsva.Lookups` by scanning the policy."""

    def __init__(self, policy: MailPolicy | EmsPolicy) -> None:
        self.policy = policy

        def resolve(name: str) -> tuple[Party, ...] | None:
            group = policy.address_group(name)
            return None if group is None else group.addresses

        domains = (policy.internal_domains if isinstance(policy, MailPolicy)
                   else policy.managed_domains)
        self.matcher = PartyMatcher(domains, resolve)

    def keyword_list(self, name: str) -> tuple[KeywordMatch, int | None,
                                               Sequence[KeywordExpression]] | None:
        kl = self.policy.keyword_list(name)
        return None if kl is None else (kl.match, kl.threshold, kl.expressions)

    def mail_rules(self, message: MailMessage) -> tuple[MailRule, ...]:
        assert isinstance(self.policy, MailPolicy)
        return self.policy.rules_in_order()

    def mail_sender_listed(self, blocked: bool, sender: str) -> bool:
        assert isinstance(self.policy, MailPolicy)
        parties = self.policy.blocked_senders if blocked else self.policy.approved_senders
        return any(p.kind is PartyKind.ADDRESS and address_matches(p.value, sender)
                   for p in parties)

    def ems_rules(self, direction: Direction, kind: RuleKind, message: MailMessage
                  ) -> tuple[EmsRule, ...]:
        assert isinstance(self.policy, EmsPolicy)
        return self.policy.rules_of(direction, kind)

    def ems_sender(self, blocked: bool, sender: str) -> int | None:
        assert isinstance(self.policy, EmsPolicy)
        entries = self.policy.blocked_senders if blocked else self.policy.approved_senders
        return next((i for i, e in enumerate(entries) if address_matches(e.address, sender)),
                    None)


    def first_ip(self, entries: tuple[Any, ...], client: str | None) -> int | None:
        return next((i for i, e in enumerate(entries)
                     if ip_in(e if isinstance(e, str) else e.value, client)), None)

    def domain_listed(self, patterns: tuple[str, ...], domain: str) -> bool:
        return any(domain_matches(p, domain) for p in patterns)


def imsva_decide(policy: MailPolicy, message: MailMessage) -> Decision:
    return imsva.decide_with(policy, message, Plain(policy))


def ems_decide(policy: EmsPolicy, message: MailMessage) -> Decision:
    return ems.decide_with(policy, message, Plain(policy))
