"""Target IR: a Trend Micro Email Security policy (document ``isc/ems/1``).

What the EmS back-end builds and what ``isc.load`` reads back from ``ems.json``; the EmS
decision model (``isc.models.ems``) runs on it. Conditions, actions, parties and keyword
expressions reuse the classes of :mod:`isc.ir.mail`; the back-end only uses the subset EmS
can express (e.g. size comparisons ``gt``/``le`` only, no handoff, no postpone).
"""

from __future__ import annotations

import enum

import attrs

from isc.ir.common import Meta
from isc.ir.mail import (
    Action,
    Condition,
    Direction,
    Intercept,
    IpEntry,
    KeywordExpression,
    KeywordMatch,
    Party,
    RouteException,
)

SCHEMA = "isc/ems/1"


class RuleKind(enum.Enum):
    """EmS rule families, in the order EmS runs them (semantics.md §4)."""

    VIRUS_SCAN = "virus-scan"
    SPAM_FILTERING = "spam-filtering"
    CONTENT_FILTERING = "content-filtering"
    DLP = "dlp"


class CriteriaMatch(enum.Enum):
    """``none``: no criteria, every message (content filtering only); ``any``/``all``:
    Any Match / All Match (All Match only in content filtering)."""

    NONE = "none"
    ANY = "any"
    ALL = "all"


@attrs.frozen
class EmsRule:
    name: str
    kind: RuleKind
    direction: Direction
    order: int
    enabled: bool = True
    recipients: tuple[Party, ...] = ()   # empty: anyone
    senders: tuple[Party, ...] = ()
    exceptions: tuple[RouteException, ...] = ()
    match: CriteriaMatch = CriteriaMatch.ANY
    criteria: tuple[Condition, ...] = ()
    intercept: Intercept = Intercept()
    actions: tuple[Action, ...] = ()      # modify and monitor actions
    notes: str = ""
    meta: Meta = Meta()


@attrs.frozen
class EmsAddressGroup:
    name: str
    addresses: tuple[Party, ...] = ()
    hybrid: bool = False   # wildcard domains are allowed only in hybrid groups
    meta: Meta = Meta()


@attrs.frozen
class EmsKeywordList:
    """``expressions`` hold EmS-dialect text and the same AST."""

    name: str
    match: KeywordMatch = KeywordMatch.ANY
    threshold: int | None = None
    expressions: tuple[KeywordExpression, ...] = ()
    meta: Meta = Meta()


@attrs.frozen
class EmsStamp:
    name: str
    text: str
    position: str = "end"
    meta: Meta = Meta()


@attrs.frozen
class EmsNotification:
    name: str
    to: str
    subject: str
    body: str
    meta: Meta = Meta()


@attrs.frozen
class SenderEntry:
    """An approved or blocked sender (Connection Filtering → Sender Filter)."""

    address: str
    meta: Meta = Meta()


def ems_sender_ok(address: str) -> bool:
    """EmS sender lists take ``user@domain``, ``*@domain`` and ``*@*.domain`` (targets.md
    §2.9); IMSVA's ``user@*``, ``user@*.tld`` have no EmS form."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return False
    if local == "*":
        rest = domain[2:] if domain.startswith("*.") else domain
        return "*" not in rest and bool(rest)
    return "*" not in local and "*" not in domain


@attrs.frozen
class IpListEntry:
    """An approved or blocked IP/CIDR (Connection Filtering → IP Reputation)."""

    value: str
    meta: Meta = Meta()


@attrs.frozen
class DkimVerification:
    """Inbound DKIM verification, ``Default (for unspecified domains)`` policy: mail from
    ``enforced_domains`` without a passing signature gets ``action``."""

    enabled: bool = True
    enforced_domains: tuple[str, ...] = ()
    action: str = "quarantine"
    meta: Meta = Meta()


@attrs.frozen
class EmsDmarc:
    enabled: bool = False
    insert_x_header: bool = False
    daily_reports: bool = False
    actions: tuple[tuple[str, str], ...] = ()
    meta: Meta = Meta()


@attrs.frozen
class EmsPolicy:
    product: str | None = None
    managed_domains: tuple[str, ...] = ()
    rules: tuple[EmsRule, ...] = ()   # direction, then kind (EmS order), then order
    address_groups: tuple[EmsAddressGroup, ...] = ()
    keyword_lists: tuple[EmsKeywordList, ...] = ()
    stamps: tuple[EmsStamp, ...] = ()
    notifications: tuple[EmsNotification, ...] = ()
    approved_senders: tuple[SenderEntry, ...] = ()
    blocked_senders: tuple[SenderEntry, ...] = ()
    approved_ips: tuple[IpListEntry, ...] = ()
    blocked_ips: tuple[IpListEntry, ...] = ()
    dkim_verification: DkimVerification | None = None
    dmarc: EmsDmarc | None = None

    def rules_of(self, direction: Direction, kind: RuleKind) -> tuple[EmsRule, ...]:
        return tuple(sorted((r for r in self.rules
                             if r.direction is direction and r.kind is kind),
                            key=lambda r: r.order))

    def address_group(self, name: str) -> EmsAddressGroup | None:
        return next((g for g in self.address_groups if g.name == name), None)

    def keyword_list(self, name: str) -> EmsKeywordList | None:
        return next((k for k in self.keyword_lists if k.name == name), None)


__all__ = ["SCHEMA", "CriteriaMatch", "DkimVerification", "EmsAddressGroup", "EmsDmarc",
           "EmsKeywordList", "EmsNotification", "EmsPolicy", "EmsRule", "EmsStamp",
           "IpEntry", "IpListEntry", "RuleKind", "SenderEntry", "ems_sender_ok"]
