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

from isc.ir.ems import EmsPolicy
from isc.ir.mail import MailPolicy, Party, PartyKind, RouteType
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


__all__ = ["SenderSlots", "sender_key"]
