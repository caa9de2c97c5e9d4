"""The Trend Micro Email Security decision model (spec semantics.md §4), on an :class:`EmsPolicy`.

Order of evaluation (targets.md §2.2, §2.9), for the one recipient the message is evaluated for:

1. Direction from the managed domains (as IMSVA does with its Internal Addresses).
2. Connection filtering (inbound only): an approved IP skips IP reputation; a blocked IP
   that is not approved → ``delete``. Blocked senders (envelope sender) → ``delete`` without
   scanning, before approved senders (a block wins); an approved sender skips the spam-type
   criteria (spam, phishing, web reputation, graymail, SEA) in every rule, not virus,
   content or DLP criteria.
3. Domain-based authentication (inbound only): DKIM verification for the enforced domains
   (header From or envelope sender domain, no passing signature), then DMARC.
4. Rules of the message's direction by type: Virus Scan, Spam Filtering, Content Filtering,
   DLP; within a type by order. Intercept ``none`` goes on, ``deliver-now`` skips every
   remaining rule and delivers, the others stop. Modify and monitor actions accumulate as
   in the IMSVA model so that the two models' decisions compare.
"""

from __future__ import annotations

from email.utils import getaddresses

from isc.ir.common import Meta, alike_but_meta
from isc.ir.ems import CriteriaMatch, DkimVerification, EmsPolicy, EmsRule, RuleKind
from isc.ir.mail import Direction, InterceptAction
from isc.ir.requests import DecidedBy, Decision, MailMessage
from isc.models.imsva import (
    Effects,
    Env,
    Lookups,
    authentication_action,
    criteria_match,
    dmarc_result,
)
from isc.models.mailindex import MailIndex
from isc.models.mailmatch import (
    PartyMatcher,
    direction_of,
    domain_of,
)

#: EmS runs its rule types in this order (semantics.md §4).
KIND_ORDER = (RuleKind.VIRUS_SCAN, RuleKind.SPAM_FILTERING, RuleKind.CONTENT_FILTERING,
              RuleKind.DLP)


def _by(kind: str, name: str, meta: Meta | None) -> DecidedBy:
    src = meta.source if meta else None
    return DecidedBy(kind, name, src.file if src else None, src.line if src else None)


def rule_applies(rule: EmsRule, message: MailMessage, parties: PartyMatcher, env: Env) -> bool:
    if not rule.enabled:
        return False
    if not parties.route_matches(rule.senders, rule.recipients, rule.exceptions, message):
        return False
    criteria = () if rule.match is CriteriaMatch.NONE else rule.criteria
    return criteria_match(criteria, rule.match is CriteriaMatch.ALL, message, env,
                          virus=rule.kind is RuleKind.VIRUS_SCAN)


def _header_domains(message: MailMessage) -> set[str]:
    found = {domain_of(a) for _, a in getaddresses(list(message.header("From"))) if a}
    found.add(domain_of(message.sender))
    found.discard("")
    return found


def dkim_hits(dkim: DkimVerification, message: MailMessage, look: Lookups) -> list[str]:
    """The domains of the message (header From, envelope sender) that DKIM verification
    enforces, in order."""
    return sorted(d for d in _header_domains(message)
                  if look.domain_listed(dkim.enforced_domains, d))


def decided_alike(old: EmsPolicy, new: EmsPolicy) -> bool:
    """Do two policies differ at most in their objects' directions and review notes (which
    no decision reads: ``_by`` takes only the source)? See
    :func:`isc.ir.common.alike_but_meta`."""
    return alike_but_meta(old, new)


def decide(policy: EmsPolicy, message: MailMessage) -> Decision:
    """The EmS decision for ``message`` (module doc for the order)."""
    return decide_with(policy, message, MailIndex.of(policy))


def decide_with(policy: EmsPolicy, message: MailMessage, look: Lookups) -> Decision:
    """:func:`decide` with the look-ups given."""
    direction = direction_of(message, look.matcher.internal)
    trace: list[str] = [f"direction={direction.value}"]
    effects = Effects()

    def done(action: str, by: DecidedBy | None) -> Decision:
        return Decision(action, by, modifications=effects.result(), trace=tuple(trace))

    incoming = direction is Direction.INCOMING
    approved = False
    if incoming:
        if look.first_ip(policy.approved_ips, message.client_ip) is None:
            found = look.first_ip(policy.blocked_ips, message.client_ip)
            if found is not None:
                ip = policy.blocked_ips[found]
                trace.append(f"blocked IP {ip.value}")
                return done("delete", _by("blocked-ip", ip.value, ip.meta))
        blocked = look.ems_sender(True, message.sender)
        if blocked is not None:
            entry = policy.blocked_senders[blocked]
            trace.append(f"blocked sender {entry.address}")
            return done("delete", _by("blocked-sender", entry.address, entry.meta))
        approved = look.ems_sender(False, message.sender) is not None
        if approved:
            trace.append("approved sender: spam-type criteria skipped")
        dkim = policy.dkim_verification
        if dkim is not None and dkim.enabled and message.dkim_pass is not True:
            hit = dkim_hits(dkim, message, look)
            if hit:
                trace.append(f"DKIM verification: {hit[0]} without a passing signature")
                verdict = authentication_action(dkim.action)
                if verdict is not None:
                    return done(verdict, _by("dkim-verification", hit[0], dkim.meta))
                effects.add(f"dkim-enforcement:{dkim.action}")
        dmarc = policy.dmarc
        if dmarc is not None and dmarc.enabled and message.dmarc is not None:
            result = dmarc_result(dmarc.actions, message.dmarc, effects, trace)
            if result is not None:
                return done(result, _by("dmarc", message.dmarc, dmarc.meta))
    env = Env(look.keyword_list, reaches=True, skip_spam_types=approved)
    parties = look.matcher
    for kind in KIND_ORDER:
        for rule in look.ems_rules(direction, kind, message):
            if not rule_applies(rule, message, parties, env):
                continue
            effects.actions(rule.actions)
            effects.intercept(rule.intercept)
            action = rule.intercept.action
            trace.append(f"{kind.value} rule {rule.name!r}: {action.value}")
            if action is InterceptAction.NONE:
                continue
            return done(action.value, _by("ems-rule", rule.name, rule.meta))
    return done("deliver", None)


__all__ = ["KIND_ORDER", "decide", "decide_with", "dkim_hits", "rule_applies"]
