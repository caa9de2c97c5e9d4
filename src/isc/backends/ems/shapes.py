"""Which sender-list entries compare alike (semantics.md decision 161).

A sender entry is compared in the context of the whole rule set on both sides (with messages
from addresses it matches, to one internal recipient, inbound, with each spam-type verdict).
In that context a decision depends on the sender address only through

- whether the entry itself matches it (the one-entry sender list of the comparison), and
- which *sender slots* of the rules match it: a rule's senders (a ``both`` route's one
  Users list), and the sender of each of its exceptions.

Everything else a decision reads is the same for every entry: the recipient, the direction,
the verdicts, the rules' criteria (the probe messages carry no header a keyword condition
could read the sender from). So two entries whose probe addresses agree on those, address by
address, compare alike: :func:`sender_key` is that signature, and :class:`SenderSlots`
finds the slots an address matches through the index of the mail models, without trying
every rule. Slots that match every address (no parties, anyone, ``*@*``) are left out: they
are the same for all.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import attrs

from isc.ir.ems import EmsPolicy
from isc.ir.mail import MailPolicy, Party, PartyKind, RouteType
from isc.ir.requests import Decision, MailMessage
from isc.models import ems, imsva
from isc.models.index import Memo
from isc.models.mailindex import MailIndex, SlotIndex, address_keys
from isc.models.mailmatch import address_matches, users_of


class SenderSlots:
    """The sender slots of one policy's rules, found by address."""

    def __init__(self, policy: MailPolicy | EmsPolicy) -> None:
        index = MailIndex.of(policy)
        self._matcher = index.matcher
        slots: list[tuple[Party, ...]] = []
        if isinstance(policy, MailPolicy):
            for r in policy.rules_in_order():
                route = r.route
                slots.append(users_of(route) if route.type is RouteType.BOTH
                             else route.senders)
                slots += [(e.sender,) for e in route.exceptions]
        else:
            for e_rule in policy.rules:
                slots.append(e_rule.senders)
                slots += [(e.sender,) for e in e_rule.exceptions]
        self._slots = slots
        self._index = SlotIndex(index.group_keys)
        for i, parties in enumerate(slots):
            if not self._index.universal(parties):  # the same for every address
                self._index.add(i, parties)

    def matched(self, address: str) -> frozenset[int]:
        """The slots (by position) whose parties match ``address`` (no LDAP names: the
        probe messages carry none), those every address matches left out."""
        match = self._matcher.any_matches
        slots = self._slots
        return frozenset(i for i in self._index.candidates(address_keys(address, ()))
                         if match(slots[i], address, ()))


def sender_key(entry: Party, addresses: Sequence[str], slots: Sequence[SenderSlots],
               *extra: Hashable) -> Hashable:
    """What the comparison of a sender entry on messages from ``addresses`` depends on:
    per address, whether the entry matches it and the slots of each policy it matches."""
    listed = entry.kind is PartyKind.ADDRESS
    return (*extra, tuple(
        (listed and address_matches(entry.value, a), *(s.matched(a) for s in slots))
        for a in addresses))


class WholeDecisions:
    """Both whole policies' decisions (:meth:`decide`), shared by messages that differ only
    in a sender the policies tell apart no further than the module doc says: the witnesses
    of sender entries, thousands of messages from as many senders, each with a few verdicts.

    Beyond the sender slots it matches, a decision reads the sender in the sender lists
    (IMSVA: whether it is blocked or approved; EmS: whether it is approved, and a blocked
    one is decided at once by its entry), and in DKIM and DMARC (the envelope sender's
    domain stands for a missing header From: whether the domain lists hold it, and the
    domain itself where DKIM names it). The direction is read from the sender only when
    the message does not give it, and LDAP names only when it has some: such messages are
    decided in full.

    ``slots``: the sender slots of both policies where they are known already; those of
    policies with the same rules, in the same order, and the same address groups and
    internal domains (slots are found by position, members through those groups)."""

    def __init__(self, source: MailPolicy, target: EmsPolicy,
                 slots: tuple[SenderSlots, SenderSlots] | None = None) -> None:
        self._source, self._target = source, target
        self._slots = slots
        self._known: Memo[tuple[object, ...], Decision] = Memo()

    def decide(self, m: MailMessage) -> tuple[Decision, Decision]:
        src, tgt = self._source, self._target
        if m.direction is None or m.sender_groups:
            return imsva.decide(src, m), ems.decide(tgt, m)
        if self._slots is None:
            self._slots = SenderSlots(src), SenderSlots(tgt)
        s_slots, t_slots = self._slots
        s_look, t_look = MailIndex.of(src), MailIndex.of(tgt)
        sender = m.sender
        rest = attrs.evolve(m, sender="")
        domain = imsva.header_from_domain(m)
        dkim, dmarc = src.dkim_enforcement, src.dmarc
        dkim_listed = dkim is not None and s_look.domain_listed(dkim.domains, domain)
        s_key = ("imsva", rest, s_slots.matched(sender),
                 s_look.mail_sender_listed(True, sender),
                 s_look.mail_sender_listed(False, sender),
                 domain if dkim_listed else None,
                 dmarc is not None and s_look.domain_listed(dmarc.domains, domain))
        s = self._known.get(s_key)
        if s is None:
            s = self._known.put(s_key, imsva.decide(src, m))
        if t_look.ems_sender(True, sender) is not None:  # decided by its own entry
            return s, ems.decide(tgt, m)
        verification = tgt.dkim_verification
        t_key = ("ems", rest, t_slots.matched(sender),
                 t_look.ems_sender(False, sender) is not None,
                 tuple(ems.dkim_hits(verification, m, t_look)) if verification else ())
        t = self._known.get(t_key)
        if t is None:
            t = self._known.put(t_key, ems.decide(tgt, m))
        return s, t


__all__ = ["SenderSlots", "WholeDecisions", "sender_key"]
