"""Source IR of an InterScan Messaging Security (IMSVA / IMSS 9.1) policy export.

Built by the mail front-end from the XML rule set of formats.md §4, ``imss.ini`` and the
list files. Every node built from input carries a ``span`` that equality ignores;
collections are tuples in source order so that unparse-then-parse is the identity.

Condition and action classes are shared with the EmS target IR (:mod:`isc.ir.ems`), which
uses the subset the target can express; the models evaluate both with one code path.
"""

from __future__ import annotations

import enum

import attrs

from isc.ir.common import Span, span_field
from isc.ir.keyword_expr import Node

# ---------------------------------------------------------------------- addresses and routes


class PartyKind(enum.Enum):
    """One member of a senders, recipients or exception side."""

    ANYONE = "anyone"
    ADDRESS = "address"              # an address or wildcard (imsva.md §1.2), in ``value``
    ADDRESS_GROUP = "address-group"  # ``value`` names an AddressGroup
    LDAP_GROUP = "ldap-group"        # ``value`` is the DN or name
    LDAP_USER = "ldap-user"
    MY_ORGANIZATION = "my-organization"  # EmS only: every managed domain


@attrs.frozen
class Party:
    kind: PartyKind
    value: str = ""
    span: Span | None = span_field()


ANYONE = Party(PartyKind.ANYONE)


class RouteType(enum.Enum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    BOTH = "both"
    POP3 = "pop3"
    ALL = "all"


class Direction(enum.Enum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


@attrs.frozen
class RouteException:
    """A sender→recipient pair the rule does not apply to."""

    sender: Party = ANYONE
    recipient: Party = ANYONE
    span: Span | None = span_field()


@attrs.frozen
class Route:
    """Who a rule applies to. An empty ``senders``/``recipients`` means anyone."""

    type: RouteType = RouteType.INCOMING
    senders: tuple[Party, ...] = ()
    recipients: tuple[Party, ...] = ()
    exceptions: tuple[RouteException, ...] = ()
    span: Span | None = span_field()


# ---------------------------------------------------------------------- conditions


class Compare(enum.Enum):
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    EQ = "eq"


class Measure(enum.Enum):
    ATTACHMENT_SIZE = "attachment-size"    # bytes, any one attachment
    ATTACHMENT_COUNT = "attachment-count"
    MESSAGE_SIZE = "message-size"          # bytes
    RECIPIENT_COUNT = "recipient-count"


@attrs.frozen
class SizeCondition:
    """``<attachment-size op="gt" unit="MB">10</attachment-size>`` etc.; ``value`` in bytes
    for sizes (KB and MB are 1024-based), a plain count otherwise. ``unit`` keeps how it was
    written, for unparse."""

    measure: Measure
    op: Compare
    value: int
    unit: str = ""
    span: Span | None = span_field()


@attrs.frozen
class AttachmentName:
    """``*.exe``-style name or extension pattern (``*`` any run, ``?`` one character)."""

    pattern: str
    span: Span | None = span_field()


@attrs.frozen
class TrueFileType:
    file_type: str
    span: Span | None = span_field()


@attrs.frozen
class MimeType:
    mime_type: str
    span: Span | None = span_field()


class MessagePart(enum.Enum):
    SUBJECT = "subject"
    BODY = "body"
    HEADER = "header"
    ATTACHMENT_CONTENT = "attachment-content"


@attrs.frozen
class KeywordCondition:
    """Content of ``part`` matches the keyword list ``keyword_list``; ``headers`` names the
    header fields for ``part=header``."""

    part: MessagePart
    keyword_list: str
    headers: tuple[str, ...] = ()
    span: Span | None = span_field()


@attrs.frozen
class SpamCondition:
    """Spam/phishing detection: a catch rate (high|medium|low) or a threshold 3.0-10.0,
    kept as the decimal text written (``"6.5"``) so it round-trips exactly."""

    catch_rate: str | None = "medium"
    threshold: str | None = None
    span: Span | None = span_field()


@attrs.frozen
class WebReputationCondition:
    level: str = "medium"          # high | medium | low
    untested: str = "bypass"       # bypass | apply | submit
    time_of_click: bool = False
    span: Span | None = span_field()


class Flag(enum.Enum):
    """Conditions without parameters."""

    GRAYMAIL = "graymail"
    SOCIAL_ENGINEERING = "social-engineering"
    CC_EMAIL = "cc-email"
    UNABLE_TO_DECRYPT = "unable-to-decrypt"
    SPOOFED_INTERNAL = "spoofed-internal"
    PASSWORD_PROTECTED = "password-protected"


@attrs.frozen
class FlagCondition:
    flag: Flag
    span: Span | None = span_field()


@attrs.frozen
class DlpCondition:
    template: str
    span: Span | None = span_field()


@attrs.frozen
class ReceivedTime:
    """Arrival between ``start`` and ``end`` minutes after midnight (end may be 1440)."""

    start: int
    end: int
    span: Span | None = span_field()


@attrs.frozen
class VirusCondition:
    """Antivirus rules: ``scan`` is all | intelliscan | extensions."""

    scan: str = "all"
    extensions: tuple[str, ...] = ()
    span: Span | None = span_field()


Condition = (SizeCondition | AttachmentName | TrueFileType | MimeType | KeywordCondition
             | SpamCondition | WebReputationCondition | FlagCondition | DlpCondition
             | ReceivedTime | VirusCondition)


class Match(enum.Enum):
    ANY = "any"
    ALL = "all"


# ---------------------------------------------------------------------- actions


class InterceptAction(enum.Enum):
    """Intercept actions of both products; ``none`` delivers (and continues)."""

    NONE = "none"
    DELETE = "delete"
    QUARANTINE = "quarantine"
    CHANGE_RECIPIENT = "change-recipient"
    HANDOFF = "handoff"          # IMSVA only
    DELIVER_NOW = "deliver-now"  # EmS only

    @property
    def terminal(self) -> bool:
        return self is not InterceptAction.NONE


@attrs.frozen
class Intercept:
    action: InterceptAction = InterceptAction.NONE
    area: str | None = None                 # quarantine area
    recipients: tuple[str, ...] = ()        # change-recipient
    host: str | None = None                 # handoff / deliver-now to a specific server
    port: int | None = None
    span: Span | None = span_field()


@attrs.frozen
class DeleteAttachments:
    scope: str = "matching"   # matching | all
    span: Span | None = span_field()


@attrs.frozen
class Clean:
    """Antivirus: attempt to clean; ``fallback`` when uncleanable (matching | all)."""

    fallback: str = "matching"
    span: Span | None = span_field()


@attrs.frozen
class InsertStamp:
    stamp: str
    span: Span | None = span_field()


@attrs.frozen
class TagSubject:
    tag: str
    span: Span | None = span_field()


@attrs.frozen
class InsertXHeader:
    name: str
    value: str
    span: Span | None = span_field()


@attrs.frozen
class Postpone:
    """IMSVA only: ``until`` minutes after midnight."""

    until: int
    span: Span | None = span_field()


@attrs.frozen
class Notify:
    notification: str
    span: Span | None = span_field()


@attrs.frozen
class Bcc:
    addresses: tuple[str, ...]
    span: Span | None = span_field()


@attrs.frozen
class Archive:
    """IMSVA only: archive (a modified copy) to a named area."""

    area: str
    span: Span | None = span_field()


@attrs.frozen
class Encrypt:
    """EmS only (outbound): encrypt the message."""

    span: Span | None = span_field()


Action = (DeleteAttachments | Clean | InsertStamp | TagSubject | InsertXHeader | Postpone
          | Notify | Bcc | Archive | Encrypt)


# ---------------------------------------------------------------------- rules


class RuleType(enum.Enum):
    ANTIVIRUS = "antivirus"
    OTHER = "other"


@attrs.frozen
class MailRule:
    name: str
    order: int
    enabled: bool = True
    type: RuleType = RuleType.OTHER
    route: Route = Route()
    match: Match = Match.ANY
    conditions: tuple[Condition, ...] = ()
    intercept: Intercept = Intercept()
    actions: tuple[Action, ...] = ()
    notes: str = ""
    span: Span | None = span_field()


# ---------------------------------------------------------------------- policy objects


@attrs.frozen
class AddressGroup:
    name: str
    addresses: tuple[Party, ...] = ()   # ADDRESS (wildcards allowed) or LDAP parties
    span: Span | None = span_field()


class KeywordMatch(enum.Enum):
    ANY = "any"
    ALL = "all"
    NOT = "not"
    SCORE = "score"


@attrs.frozen
class KeywordExpression:
    """One expression: ``text`` as written (source dialect) and its parsed ``expr``."""

    text: str
    expr: Node
    case_sensitive: bool = False
    score: int = 0
    description: str = ""
    span: Span | None = span_field()


@attrs.frozen
class KeywordList:
    name: str
    match: KeywordMatch = KeywordMatch.ANY
    threshold: int | None = None
    expressions: tuple[KeywordExpression, ...] = ()
    span: Span | None = span_field()


@attrs.frozen
class Stamp:
    name: str
    text: str
    position: str = "end"   # beginning | end
    span: Span | None = span_field()


@attrs.frozen
class Notification:
    name: str
    to: str
    subject: str
    body: str
    span: Span | None = span_field()


@attrs.frozen
class IpEntry:
    """An IPv4/IPv6 address or CIDR; ``action`` for blocked IPs
    (block-permanently | block-temporarily)."""

    value: str
    action: str = ""
    span: Span | None = span_field()


@attrs.frozen
class SenderFiltering:
    email_reputation: bool = False
    reputation_level: str = "standard"   # standard | advanced
    approved_ips: tuple[IpEntry, ...] = ()
    blocked_ips: tuple[IpEntry, ...] = ()
    span: Span | None = span_field()


@attrs.frozen
class Dmarc:
    """DMARC settings (IMSVA only); ``actions`` maps a published policy (none | quarantine |
    reject | no-record) to an action, in source order."""

    enabled: bool = False
    insert_x_header: bool = False
    daily_reports: bool = False
    domains: tuple[str, ...] = ()
    exception_ips: tuple[str, ...] = ()
    actions: tuple[tuple[str, str], ...] = ()
    span: Span | None = span_field()


@attrs.frozen
class DkimEnforcement:
    """The Global DKIM Enforcement rule: mail from these domains without a passing DKIM
    signature is spam; ``action`` is what is done with it."""

    enabled: bool = True
    domains: tuple[str, ...] = ()
    action: str = "quarantine"
    span: Span | None = span_field()


@attrs.frozen
class MailSetting:
    """One key of ``imss.ini`` (kept and reported: no EmS counterpart)."""

    section: str
    key: str
    value: str
    span: Span | None = span_field()


@attrs.frozen
class MailPolicy:
    """Everything the mail front-end understood, merged over all input files."""

    product: str | None = None
    version: str | None = None
    internal_domains: tuple[str, ...] = ()
    #: Where each internal domain was written (parallel to ``internal_domains``).
    internal_spans: tuple[Span | None, ...] = attrs.field(default=(), eq=False, repr=False)
    address_groups: tuple[AddressGroup, ...] = ()
    keyword_lists: tuple[KeywordList, ...] = ()
    stamps: tuple[Stamp, ...] = ()
    notifications: tuple[Notification, ...] = ()
    rules: tuple[MailRule, ...] = ()
    approved_senders: tuple[Party, ...] = ()
    blocked_senders: tuple[Party, ...] = ()
    sender_filtering: SenderFiltering | None = None
    dmarc: Dmarc | None = None
    dkim_enforcement: DkimEnforcement | None = None
    settings: tuple[MailSetting, ...] = ()

    def address_group(self, name: str) -> AddressGroup | None:
        return next((g for g in self.address_groups if g.name == name), None)

    def keyword_list(self, name: str) -> KeywordList | None:
        return next((k for k in self.keyword_lists if k.name == name), None)

    def stamp(self, name: str) -> Stamp | None:
        return next((s for s in self.stamps if s.name == name), None)

    def notification(self, name: str) -> Notification | None:
        return next((n for n in self.notifications if n.name == name), None)

    def rules_in_order(self) -> tuple[MailRule, ...]:
        """Rules by order number; ties keep input order."""
        return tuple(sorted(self.rules, key=lambda r: r.order))
