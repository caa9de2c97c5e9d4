"""Hypothesis strategies for the mail IR: policies the mail front-end can produce from one
XML rule set. Imported by tests as ``from strategies_mail import mail_policies``.

``mail_policies()`` builds :class:`~isc.ir.mail.MailPolicy` values as the front-end builds
them: unique names per kind, references that resolve (address groups, keyword lists, stamps,
notifications), addresses in the canonical form :func:`parse_address` gives (domain
lower-case), IP addresses in canonical form, values stripped where the front-end strips
them. Restrictions, each a property of what the front-end produces:

- no ``settings`` (they come from ``imss.ini``, not from the rule set);
- a keyword list matching by score has a threshold; a change-recipient intercept names a
  recipient; a handoff names a host (each else an error);
- parties the XML cannot hold are not generated (``my-organization``, an LDAP user as a
  route-exception side), nor EmS-only actions (``encrypt``, ``deliver-now``);
- text holds no character XML 1.0 cannot carry (controls other than TAB and LF, surrogates,
  noncharacters).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import string
from typing import Any

from hypothesis import strategies as st

from isc.diagnostics import Span
from isc.frontends.keywords import parse_expression
from isc.ir.keyword_expr import to_text
from isc.ir.mail import (
    AddressGroup,
    Archive,
    AttachmentName,
    Bcc,
    Clean,
    Compare,
    DeleteAttachments,
    DkimEnforcement,
    DlpCondition,
    Dmarc,
    Flag,
    FlagCondition,
    InsertStamp,
    InsertXHeader,
    Intercept,
    InterceptAction,
    IpEntry,
    KeywordCondition,
    KeywordExpression,
    KeywordList,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Match,
    Measure,
    MessagePart,
    MimeType,
    Notification,
    Notify,
    Party,
    PartyKind,
    Postpone,
    ReceivedTime,
    Route,
    RouteException,
    RouteType,
    RuleType,
    SenderFiltering,
    SizeCondition,
    SpamCondition,
    Stamp,
    TagSubject,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)
from strategies_keywords import expressions as keyword_asts

__all__ = [
    "SAMPLE_XML",
    "addresses",
    "mail_policies",
    "mail_texts",
    "plain_addresses",
    "sender_addresses",
]

_SPAN = Span("<strategy>", 1, 1)
_NOT_XML = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: The rule set of formats.md §4, its "..." placeholders filled in.
SAMPLE_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<imss-policy product="IMSVA" version="9.1.0.2011">
  <internal-addresses>
    <domain>example.co.jp</domain>            <!-- decides incoming vs outgoing -->
  </internal-addresses>
  <address-group name="Executives">
    <address>ceo@example.co.jp</address>
  </address-group>
  <keyword-list name="社外秘" match="any" threshold="">   <!-- any|all|not|score -->
    <expression case-sensitive="false" score="0" description="">社外秘</expression>
    <expression>confidential{WSP}report</expression>
  </keyword-list>
  <stamp name="External warning" position="beginning">text</stamp>
  <notification name="Admin alert" to="admin@example.co.jp"
                subject="%RULENAME%">body %SENDER%</notification>
  <rule name="Block executables" order="3" enabled="true" type="other">  <!-- antivirus|other -->
    <route type="incoming">          <!-- incoming|outgoing|both|pop3|all -->
      <senders><anyone/></senders>
      <recipients>
        <address>*@example.co.jp</address>
        <address-group ref="Executives"/>
        <ldap-group>CN=Sales,OU=Groups,DC=example,DC=co,DC=jp</ldap-group>
      </recipients>
      <exception sender="partner@example.com" recipient="*@example.co.jp"/>
    </route>
    <conditions match="any">          <!-- any (OR) | all (AND) -->
      <attachment-name>*.exe</attachment-name>
      <true-file-type>EXE</true-file-type>
      <attachment-size op="gt" unit="MB">10</attachment-size>
      <attachment-count op="gt">5</attachment-count>
      <message-size op="gt" unit="MB">20</message-size>
      <recipient-count op="gt">50</recipient-count>
      <subject keyword-list="社外秘"/>
      <body keyword-list="社外秘"/>
      <header names="From,Reply-To" keyword-list="社外秘"/>
      <attachment-content keyword-list="社外秘"/>
      <spam catch-rate="medium"/>       <!-- high|medium|low, or threshold="6.5" (3.0-10.0) -->
      <web-reputation level="medium" untested="bypass" time-of-click="true"/>
      <graymail/> <social-engineering/> <dlp template="PCI-DSS"/> <cc-email/>
      <received-time from="00:00" to="06:00"/> <unable-to-decrypt/> <spoofed-internal/>
    </conditions>
    <actions>
      <!-- none|delete|quarantine|change-recipient|handoff -->
      <intercept action="quarantine" area="Default"/>
      <delete-attachments scope="matching"/>            <!-- matching|all -->
      <insert-stamp ref="External warning"/> <tag-subject>[要確認]</tag-subject>
      <insert-x-header name="X-Isc" value="1"/> <postpone until="22:00"/>
      <notify ref="Admin alert"/> <bcc>audit@example.co.jp</bcc> <archive area="Archive"/>
    </actions>
    <notes>free text</notes>
  </rule>
  <approved-senders> <address>*@partner.example.com</address> </approved-senders>
  <blocked-senders> <address>spam@bad.example</address> </blocked-senders>
  <sender-filtering>
    <email-reputation enabled="true" level="standard"/>            <!-- standard|advanced -->
    <approved-ip>203.0.113.0/24</approved-ip>
    <blocked-ip action="block-permanently">198.51.100.7</blocked-ip>
  </sender-filtering>
  <dmarc enabled="true">
    <domain>example.com</domain> <action policy="reject" action="quarantine"/>
  </dmarc>
  <dkim-enforcement> <domain>bank.example</domain> </dkim-enforcement>
</imss-policy>
"""

# ---------------------------------------------------------------- text

_JAPANESE = "社外秘取引先役員経理部要確認警告株式会社ソフト・（）"
_CHARS = st.sampled_from(
    [*string.ascii_letters, *string.digits, *' "\'\\;#=[]/-_&<>.,()*?@:%!', *_JAPANESE,
     "\u3000", "\t", "\n", "\x85", "\u2028", "\U0001f600", "\r"]
)
#: Free text as it may stand in element content or an attribute value (CR included: the
#: writer keeps it as a character reference).
mail_texts = st.text(_CHARS, max_size=12)
#: A name: some non-blank character.
names = mail_texts.filter(lambda s: s.strip() != "")
#: A value the front-end strips and requires: no blanks around it, not empty.
stripped = names.map(str.strip)


@functools.cache
def _unique(max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(names, max_size=max_size, unique=True)


# ---------------------------------------------------------------- addresses

_LABEL_CHARS = string.ascii_lowercase + string.digits + "-_" + "例社東京"
_label = st.text(st.sampled_from(_LABEL_CHARS), min_size=1, max_size=6)
#: A canonical domain: lower-case labels.
domains = st.lists(_label, min_size=1, max_size=3).map(".".join)
_local = st.text(st.sampled_from(string.ascii_letters + string.digits + ".+-_!#%'社員"),
                 min_size=1, max_size=8)


def _address(local: str, form: str, domain: str) -> str:
    return {"any": f"{local}@*", "sub": f"{local}@*.{domain}"}.get(form, f"{local}@{domain}")


#: Route and address-group addresses, all documented forms (imsva.md §1.2).
addresses = st.builds(_address, st.one_of(st.just("*"), _local),
                      st.sampled_from(["any", "sub", "exact"]), domains)
#: Sender-list addresses: as above but never ``*@*``.
sender_addresses = addresses.filter(lambda a: a != "*@*")
#: A single address (change-recipient, BCC, notification recipient).
plain_addresses = st.builds(lambda local, d: f"{local}@{d}", _local, domains)
_internal_domains = st.one_of(domains, domains.map(lambda d: "*." + d), st.just("*"))


def _ip(v4: bool, n: int, bits: int | None) -> str:
    addr = ipaddress.IPv4Address(n % 2**32) if v4 else ipaddress.IPv6Address(n)
    if bits is None:
        return addr.compressed
    return ipaddress.ip_network(f"{addr}/{min(bits, addr.max_prefixlen)}",
                                strict=False).compressed


ips = st.builds(_ip, st.booleans(), st.integers(0, 2**128 - 1),
                st.one_of(st.none(), st.integers(0, 128)))


# ---------------------------------------------------------------- parties


def _parties(groups: list[str], *, exception: bool = False) -> st.SearchStrategy[Party]:
    options: list[st.SearchStrategy[Party]] = [
        st.builds(Party, st.just(PartyKind.ADDRESS), addresses),
        st.builds(Party, st.just(PartyKind.LDAP_GROUP), stripped),
    ]
    if not exception:
        options += [st.just(Party(PartyKind.ANYONE)),
                    st.builds(Party, st.just(PartyKind.LDAP_USER), stripped)]
    else:
        options.append(st.just(Party(PartyKind.ANYONE)))
    if groups:
        options.append(st.builds(Party, st.just(PartyKind.ADDRESS_GROUP),
                                 st.sampled_from(groups)))
    return st.one_of(options)


# ---------------------------------------------------------------- policy objects

_literal_texts = st.text(st.sampled_from(string.ascii_letters + string.digits + " " + _JAPANESE),
                         min_size=1, max_size=10)
#: Expression texts: plain literals, and the IMSVA text of any AST the keyword front-end
#: produces (helper strategies of tests/strategies_keywords.py), as XML can carry them.
_keyword_texts = st.one_of(
    _literal_texts,
    keyword_asts().map(to_text).filter(lambda t: t.strip() != "" and not _NOT_XML.search(t)),
)


def _expression(text: str, case_sensitive: bool, score: int, description: str
                ) -> KeywordExpression:
    return KeywordExpression(text, parse_expression(text, _SPAN), case_sensitive, score,
                             description)


_expressions = st.builds(_expression, _keyword_texts, st.booleans(), st.integers(-10, 10),
                         mail_texts)


@st.composite
def _keyword_list(draw: Any, name: str) -> KeywordList:
    match = draw(st.sampled_from(KeywordMatch))
    threshold = draw(st.integers(-100, 100)) if match is KeywordMatch.SCORE else draw(
        st.one_of(st.none(), st.integers(0, 100)))
    return KeywordList(name, match, threshold,
                       tuple(draw(st.lists(_expressions, max_size=3))))


def _group(name: str) -> st.SearchStrategy[AddressGroup]:
    member = st.one_of(
        st.builds(Party, st.just(PartyKind.ADDRESS), addresses),
        st.builds(Party, st.sampled_from([PartyKind.LDAP_USER, PartyKind.LDAP_GROUP]),
                  stripped))
    return st.builds(AddressGroup, st.just(name), st.lists(member, max_size=3).map(tuple))


# ---------------------------------------------------------------- conditions and actions

_UNIT = {"": 1, "B": 1, "KB": 1024, "MB": 1024 * 1024}


@st.composite
def _size(draw: Any) -> SizeCondition:
    measure = draw(st.sampled_from(Measure))
    unit = ""
    if measure in (Measure.ATTACHMENT_SIZE, Measure.MESSAGE_SIZE):
        unit = draw(st.sampled_from(sorted(_UNIT)))
    return SizeCondition(measure, draw(st.sampled_from(Compare)),
                         draw(st.integers(0, 10**6)) * _UNIT[unit], unit)


_item = st.text(st.sampled_from(string.ascii_letters + string.digits + "-.*"),
                min_size=1, max_size=6)


def _conditions(lists: list[str]) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [
        st.builds(AttachmentName, stripped),
        st.builds(TrueFileType, stripped),
        st.builds(MimeType, stripped),
        _size(),
        st.one_of(st.builds(SpamCondition, st.sampled_from(["high", "medium", "low"]),
                            st.none()),
                  st.builds(SpamCondition, st.none(),
                            st.sampled_from(["3.0", "6.5", "10", "7", "9.99", "03.5"]))),
        st.builds(WebReputationCondition, st.sampled_from(["high", "medium", "low"]),
                  st.sampled_from(["bypass", "apply", "submit"]), st.booleans()),
        st.builds(FlagCondition, st.sampled_from(Flag)),
        st.builds(DlpCondition, stripped),
        st.builds(ReceivedTime, st.integers(0, 1439), st.integers(0, 1440)),
        st.builds(VirusCondition, st.sampled_from(["all", "intelliscan", "extensions"]),
                  st.lists(_item, max_size=3).map(tuple)),
    ]
    if lists:
        header_names = st.lists(_item, min_size=1, max_size=3).map(tuple)
        options.append(st.one_of(
            st.builds(KeywordCondition,
                      st.sampled_from([MessagePart.SUBJECT, MessagePart.BODY,
                                       MessagePart.ATTACHMENT_CONTENT]),
                      st.sampled_from(lists)),
            st.builds(KeywordCondition, st.just(MessagePart.HEADER), st.sampled_from(lists),
                      header_names)))
    return st.one_of(options)


_intercepts = st.one_of(
    st.sampled_from([Intercept(), Intercept(InterceptAction.DELETE)]),
    st.builds(Intercept, st.just(InterceptAction.QUARANTINE), st.one_of(st.none(), mail_texts)),
    st.builds(lambda r: Intercept(InterceptAction.CHANGE_RECIPIENT, recipients=tuple(r)),
              st.lists(plain_addresses, min_size=1, max_size=3)),
    st.builds(lambda h, p: Intercept(InterceptAction.HANDOFF, host=h, port=p),
              stripped, st.one_of(st.none(), st.integers(1, 65535))),
)


def _actions(stamps: list[str], notifications: list[str]) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [
        st.builds(DeleteAttachments, st.sampled_from(["matching", "all"])),
        st.builds(Clean, st.sampled_from(["matching", "all"])),
        st.builds(TagSubject, mail_texts),
        st.builds(InsertXHeader, stripped, mail_texts),
        st.builds(Postpone, st.integers(0, 1439)),
        st.builds(Bcc, st.lists(plain_addresses, min_size=1, max_size=3).map(tuple)),
        st.builds(Archive, stripped),
    ]
    if stamps:
        options.append(st.builds(InsertStamp, st.sampled_from(stamps)))
    if notifications:
        options.append(st.builds(Notify, st.sampled_from(notifications)))
    return st.one_of(options)


@st.composite
def _rule(draw: Any, name: str, groups: list[str], lists: list[str], stamps: list[str],
          notifications: list[str]) -> MailRule:
    parties = _parties(groups)
    side = _parties(groups, exception=True)
    route = Route(
        draw(st.sampled_from(RouteType)),
        tuple(draw(st.lists(parties, max_size=3))),
        tuple(draw(st.lists(parties, max_size=3))),
        tuple(draw(st.lists(st.builds(RouteException, side, side), max_size=2))),
    )
    return MailRule(
        name=name,
        order=draw(st.integers(0, 50)),
        enabled=draw(st.booleans()),
        type=draw(st.sampled_from(RuleType)),
        route=route,
        match=draw(st.sampled_from(Match)),
        conditions=tuple(draw(st.lists(_conditions(lists), max_size=4))),
        intercept=draw(_intercepts),
        actions=tuple(draw(st.lists(_actions(stamps, notifications), max_size=4))),
        notes=draw(mail_texts),
    )


# ---------------------------------------------------------------- global settings

_sender_filtering = st.builds(
    SenderFiltering, st.booleans(), st.sampled_from(["standard", "advanced"]),
    st.lists(st.builds(IpEntry, ips), max_size=3).map(tuple),
    st.lists(st.builds(IpEntry, ips, st.sampled_from(["block-permanently",
                                                      "block-temporarily"])),
             max_size=3).map(tuple))


@st.composite
def _dmarc(draw: Any) -> Dmarc:
    policies = draw(st.lists(st.sampled_from(["none", "quarantine", "reject", "no-record"]),
                             unique=True, max_size=4))
    actions = tuple((p, draw(st.sampled_from(["none", "quarantine", "reject", "tag"])))
                    for p in policies)
    return Dmarc(draw(st.booleans()), draw(st.booleans()), draw(st.booleans()),
                 tuple(draw(st.lists(domains, max_size=3))),
                 tuple(draw(st.lists(ips, max_size=3))), actions)


_dkim = st.builds(DkimEnforcement, st.booleans(), st.lists(domains, max_size=3).map(tuple),
                  st.sampled_from(["quarantine", "delete", "tag"]))


# ---------------------------------------------------------------- policy


@st.composite
def mail_policies(draw: Any) -> MailPolicy:
    group_names = draw(_unique(3))
    list_names = draw(_unique(3))
    stamp_names = draw(_unique(2))
    notification_names = draw(_unique(2))
    rule_names = draw(_unique(4))
    return MailPolicy(
        product=draw(st.sampled_from([None, "IMSVA", "IMSS"])),
        version=draw(st.one_of(st.none(), mail_texts)),
        internal_domains=tuple(draw(st.lists(_internal_domains, max_size=3))),
        address_groups=tuple(draw(_group(n)) for n in group_names),
        keyword_lists=tuple(draw(_keyword_list(n)) for n in list_names),
        stamps=tuple(Stamp(n, draw(mail_texts), draw(st.sampled_from(["beginning", "end"])))
                     for n in stamp_names),
        notifications=tuple(Notification(n, draw(plain_addresses), draw(mail_texts),
                                          draw(mail_texts)) for n in notification_names),
        rules=tuple(draw(_rule(n, group_names, list_names, stamp_names, notification_names))
                    for n in rule_names),
        approved_senders=tuple(draw(st.lists(st.builds(
            Party, st.just(PartyKind.ADDRESS), sender_addresses), max_size=3))),
        blocked_senders=tuple(draw(st.lists(st.builds(
            Party, st.just(PartyKind.ADDRESS), sender_addresses), max_size=3))),
        sender_filtering=draw(st.one_of(st.none(), _sender_filtering)),
        dmarc=draw(st.one_of(st.none(), _dmarc())),
        dkim_enforcement=draw(st.one_of(st.none(), _dkim)),
    )


# ---------------------------------------------------------------- messages aimed at a policy
# (for the mail pass properties: messages that reach the policy's rules and lists)

import attrs  # noqa: E402

from isc.ir.requests import Attachment, MailMessage  # noqa: E402
from strategies_keywords import texts_for  # noqa: E402

_OUTSIDER = st.sampled_from(["outsider@external.example", "Partner@Other.Example", "",
                             "x@sub.external.example"])


def _fill_address(draw: Any, pattern: str) -> str:
    """An address ``pattern`` (imsva.md §1.2 forms) matches, or one just beside it."""
    local, at, domain = pattern.strip().rpartition("@")
    if not at:
        local, domain = "*", pattern.strip()
    filler = st.sampled_from(["x", "Staff", "a.b"])
    local = local.replace("*", draw(filler))
    if domain.startswith("*.") and draw(st.integers(0, 3)) == 0:
        domain = domain[2:]  # the apex, which *.d does not cover
    domain = domain.replace("*", draw(st.sampled_from(["sub", "deep.sub", "example"])))
    address = f"{local}@{domain}"
    return address.upper() if draw(st.integers(0, 5)) == 0 else address


def _group_addresses(policy: MailPolicy, name: str, seen: frozenset[str] = frozenset()
                     ) -> list[Party]:
    group = policy.address_group(name)
    if group is None or name in seen:
        return []
    out: list[Party] = []
    for p in group.addresses:
        if p.kind is PartyKind.ADDRESS_GROUP:
            out += _group_addresses(policy, p.value, seen | {name})
        else:
            out.append(p)
    return out


def _identity(draw: Any, policy: MailPolicy, parties: list[Party]) -> tuple[str, list[str]]:
    """An address and LDAP names for one side, aimed at ``parties`` when there are any."""
    flat: list[Party] = []
    for p in parties:
        flat += _group_addresses(policy, p.value) if p.kind is PartyKind.ADDRESS_GROUP else [p]
    groups = [p.value for p in flat if p.kind in (PartyKind.LDAP_GROUP, PartyKind.LDAP_USER)]
    addresses = [p.value for p in flat if p.kind is PartyKind.ADDRESS]
    internal = [f"*@{d}" if "@" not in d else d for d in policy.internal_domains]
    pool = addresses or internal
    if pool and draw(st.integers(0, 4)) > 0:
        address = _fill_address(draw, draw(st.sampled_from(pool)))
    elif internal and draw(st.booleans()):
        address = _fill_address(draw, draw(st.sampled_from(internal)))
    else:
        address = draw(_OUTSIDER)
    chosen = draw(st.lists(st.sampled_from(groups), max_size=2)) if groups else []
    return address, chosen


def _attachment(**kw: Any) -> Attachment:
    kw.setdefault("name", "file.bin")
    return Attachment(**kw)


def _condition_feature(draw: Any, policy: MailPolicy, cond: Any, f: dict[str, Any]) -> None:
    """Make ``cond`` (often) true of the message being built in ``f``."""
    attachments: list[Attachment] = f.setdefault("attachments", [])
    near = draw(st.sampled_from([-1, 0, 0, 1]))
    if isinstance(cond, SizeCondition):
        value = max(cond.value + near, 0)
        if cond.measure is Measure.ATTACHMENT_SIZE:
            attachments.append(_attachment(size=value))
        elif cond.measure is Measure.MESSAGE_SIZE:
            f["size"] = value
        elif cond.measure is Measure.ATTACHMENT_COUNT:
            attachments.extend(_attachment(name=f"n{i}.dat") for i in range(min(value, 6)))
        else:
            f["recipients"] = [f"r{i}@many.example" for i in range(min(value, 6))]
    elif isinstance(cond, AttachmentName):
        name = cond.pattern.replace("*", "x").replace("?", "a")
        attachments.append(_attachment(name=name if "." in name else f"x.{name}"))
    elif isinstance(cond, TrueFileType):
        attachments.append(_attachment(file_type=cond.file_type))
    elif isinstance(cond, MimeType):
        attachments.append(_attachment(mime_type=cond.mime_type.replace("*", "x")))
    elif isinstance(cond, KeywordCondition):
        kl = policy.keyword_list(cond.keyword_list)
        exprs = list(kl.expressions) if kl else []
        picked = draw(st.lists(st.sampled_from(exprs), max_size=3)) if exprs else []
        text = " ".join(draw(texts_for(e.expr)) for e in picked)
        if cond.part is MessagePart.SUBJECT:
            f["subject"] = f.get("subject", "") + text
        elif cond.part is MessagePart.BODY:
            f["body"] = f.get("body", "") + text
        elif cond.part is MessagePart.HEADER:
            names_ = cond.headers or ("X-Test",)
            f.setdefault("headers", []).append((draw(st.sampled_from(names_)).strip(), text))
        else:
            attachments.append(_attachment(name="doc.txt", content=text))
    elif isinstance(cond, SpamCondition):
        base = float(cond.threshold) if cond.threshold else {
            "high": 4.0, "medium": 6.0, "low": 8.0}.get(cond.catch_rate or "", 6.0)
        f["spam_score"] = base + near * 0.5
    elif isinstance(cond, WebReputationCondition):
        f["wrs_level"] = draw(st.sampled_from(["low", "medium", "high", "untested"]))
    elif isinstance(cond, FlagCondition):
        if cond.flag is Flag.PASSWORD_PROTECTED:
            attachments.append(_attachment(name="p.zip", password_protected=True))
        else:
            f[{Flag.GRAYMAIL: "graymail", Flag.SOCIAL_ENGINEERING: "sea",
               Flag.CC_EMAIL: "cc_email", Flag.UNABLE_TO_DECRYPT: "undecryptable",
               Flag.SPOOFED_INTERNAL: "spoofed_internal"}[cond.flag]] = True
    elif isinstance(cond, DlpCondition):
        f["dlp_templates"] = [*f.get("dlp_templates", []), cond.template]
    elif isinstance(cond, ReceivedTime):
        f["when"] = draw(st.sampled_from([cond.start, cond.end - 1, cond.start - 1]))
    elif isinstance(cond, VirusCondition):
        f["virus"] = True
        if cond.extensions:
            ext = draw(st.sampled_from(cond.extensions)).lstrip("*").lstrip(".")
            attachments.append(_attachment(name=f"v.{ext.replace('*', 'x') or 'exe'}"))


def _ip_inside(value: str) -> str | None:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False).network_address)
    except ValueError:
        return None


@st.composite
def mail_messages(draw: Any, policy: MailPolicy) -> MailMessage:
    """A message aimed at ``policy``: mostly at one of its rules (sender and recipient from
    its route, features that satisfy some of its conditions), with features of other rules'
    conditions mixed in, sometimes from a listed sender or client IP, or with DKIM / DMARC
    results; the direction given or left to the Internal Addresses."""
    f: dict[str, Any] = {}
    rules = list(policy.rules)
    target = draw(st.sampled_from(rules)) if rules and draw(st.integers(0, 5)) > 0 else None
    route = target.route if target else None
    senders = list(route.senders) if route else []
    recipients = list(route.recipients) if route else []
    if route and route.exceptions and draw(st.integers(0, 3)) == 0:
        exc = draw(st.sampled_from(route.exceptions))
        senders, recipients = [exc.sender], [exc.recipient]
    if route and route.type is RouteType.BOTH and draw(st.booleans()):
        senders, recipients = recipients, senders
    listed = list(policy.approved_senders + policy.blocked_senders)
    if listed and draw(st.integers(0, 4)) == 0:
        senders = [draw(st.sampled_from(listed))]
    f["sender"], f["sender_groups"] = _identity(draw, policy, senders)
    f["recipient"], f["recipient_groups"] = _identity(draw, policy, recipients)
    f["direction"] = draw(st.sampled_from([None, None, "incoming", "outgoing"]))
    conditions = list(target.conditions) if target else []
    if target is not None and draw(st.booleans()):
        # and the rule next to it, so that neighbours apply together
        ordered = policy.rules_in_order()
        at = next(i for i, r in enumerate(ordered) if r is target)
        near = [r for r in ordered[max(at - 1, 0):at + 2] if r is not target]
        conditions += [c for r in near for c in r.conditions]
    chosen = draw(st.lists(st.sampled_from(conditions), max_size=3)) if conditions else []
    others = [c for r in rules for c in r.conditions]
    if others and draw(st.booleans()):
        chosen.append(draw(st.sampled_from(others)))
    for cond in chosen:
        _condition_feature(draw, policy, cond, f)
    if "when" not in f and draw(st.booleans()):
        f["when"] = draw(st.sampled_from([0, 699, 700, 1439, 1440 + 5]))
    if "recipients" not in f and draw(st.integers(0, 3)) == 0:
        f["recipients"] = [f["recipient"], "other@example.net"]
    if target is not None and target.type is RuleType.ANTIVIRUS and draw(st.integers(0, 3)):
        f["virus"] = True
    if draw(st.integers(0, 5)) == 0:
        f["virus"] = not f.get("virus", False)
    sf = policy.sender_filtering
    ips = [e.value for e in sf.approved_ips + sf.blocked_ips] if sf else []
    ips += list(policy.dmarc.exception_ips) if policy.dmarc else []
    if ips and draw(st.booleans()):
        f["client_ip"] = _ip_inside(draw(st.sampled_from(ips)))
    auth = list(policy.dkim_enforcement.domains if policy.dkim_enforcement else ())
    auth += list(policy.dmarc.domains if policy.dmarc else ())
    if draw(st.integers(0, 3)) == 0:
        sender = (_fill_address(draw, "*@" + draw(st.sampled_from(auth))) if auth
                  else f["sender"])
        f.setdefault("headers", []).append(("From", sender))
        f["dkim_pass"] = draw(st.sampled_from([None, False, True]))
        f["dmarc"] = draw(st.sampled_from([None, "none", "quarantine", "reject", "no-record"]))
    return MailMessage(**f)


_ALWAYS = [ReceivedTime(0, 0), ReceivedTime(0, 1440), ReceivedTime(700, 700),
           SizeCondition(Measure.ATTACHMENT_COUNT, Compare.GE, 0),
           SizeCondition(Measure.ATTACHMENT_COUNT, Compare.GT, -1),
           SizeCondition(Measure.RECIPIENT_COUNT, Compare.GE, 1),
           SizeCondition(Measure.RECIPIENT_COUNT, Compare.GT, 0)]
_ALMOST = [ReceivedTime(0, 1439), ReceivedTime(1, 1440), ReceivedTime(700, 699),
           SizeCondition(Measure.ATTACHMENT_COUNT, Compare.GT, 0),
           SizeCondition(Measure.RECIPIENT_COUNT, Compare.GT, 1)]


@st.composite
def catch_alls(draw: Any, nothing_list: str | None = None) -> tuple[MailRule, bool]:
    """A rule that stops every message of its directions (second item True), or, as often,
    one that just misses being one in one respect (False). ``nothing_list`` names a keyword
    list matching ``not`` without expressions, if the policy has one."""
    everyone = st.lists(st.sampled_from([Party(PartyKind.ANYONE),
                                         Party(PartyKind.ADDRESS, "*@*"),
                                         Party(PartyKind.ADDRESS, " * ")]), max_size=1)
    always = list(_ALWAYS)
    almost = list(_ALMOST)
    if nothing_list is not None:
        always += [KeywordCondition(p, nothing_list) for p in
                   (MessagePart.SUBJECT, MessagePart.BODY, MessagePart.HEADER)]
        almost.append(KeywordCondition(MessagePart.ATTACHMENT_CONTENT, nothing_list))
    rule = MailRule(
        name="catch-all",
        order=0,
        type=draw(st.sampled_from(RuleType)),
        route=Route(draw(st.sampled_from([RouteType.INCOMING, RouteType.OUTGOING,
                                          RouteType.BOTH, RouteType.ALL])),
                    tuple(draw(everyone)), tuple(draw(everyone))),
        match=draw(st.sampled_from(Match)),
        conditions=tuple(draw(st.lists(st.sampled_from(always), max_size=2))),
        intercept=draw(_intercepts.filter(lambda i: i.action.terminal)),
    )
    # each way of missing equally likely, each near-miss condition one of them
    misses: list[Any] = ["disabled", "intercept", "users", "exception", "scope", *almost]
    miss = draw(st.sampled_from(misses)) if draw(st.integers(0, 2)) > 0 else "none"
    if miss == "disabled":
        rule = attrs.evolve(rule, enabled=False)
    elif miss == "intercept":
        rule = attrs.evolve(rule, intercept=Intercept())
    elif miss == "users":  # a both route's Users list does not count <anyone/>
        rule = attrs.evolve(rule, route=Route(
            RouteType.BOTH, (Party(PartyKind.ANYONE),),
            (Party(PartyKind.ADDRESS, draw(addresses).replace("*", "x")),)))
    elif miss == "exception":
        rule = attrs.evolve(rule, route=attrs.evolve(rule.route, exceptions=(
            RouteException(Party(PartyKind.ADDRESS, draw(addresses))),)))
    elif miss == "scope":
        rule = attrs.evolve(rule, type=RuleType.ANTIVIRUS, conditions=rule.conditions + (
            VirusCondition("extensions", ("exe",)),))
    elif miss != "none":
        # all of: conditions that always match and one that does not
        conditions = (draw(st.sampled_from(always)), *rule.conditions, miss)
        rule = attrs.evolve(rule, match=Match.ALL,
                            conditions=tuple(draw(st.permutations(conditions))))
    return rule, miss == "none"


# A small vocabulary, so that rules share routes, conditions and actions by chance.
_COMPACT_ADDRESSES = ["ceo@example.co.jp", "CEO@Example.co.jp", "*@example.co.jp",
                      "*@*.example.co.jp", "*@partner.example", "sales@*", "*@*"]
_COMPACT_LDAP = ["CN=Sales,DC=example", "cn=sales, dc=example"]


@functools.cache
def _compact_keyword_lists() -> tuple[KeywordList, ...]:
    # in the score list only the repeat of 社外秘 takes it over the threshold
    exprs = tuple(_expression(t, False, score, "")
                  for t, score in (("社外秘", 3), ("confidential", 1), ("社外秘", 3)))
    return (KeywordList("社外秘", KeywordMatch.ANY, None, exprs),
            KeywordList("点数", KeywordMatch.SCORE, 5, exprs),
            KeywordList("nothing", KeywordMatch.NOT))


_COMPACT_PARTIES = st.one_of(
    st.just(Party(PartyKind.ANYONE)),
    st.builds(Party, st.just(PartyKind.ADDRESS), st.sampled_from(_COMPACT_ADDRESSES)),
    st.builds(Party, st.just(PartyKind.LDAP_GROUP), st.sampled_from(_COMPACT_LDAP)),
    st.just(Party(PartyKind.ADDRESS_GROUP, "役員")),
)
_COMPACT_CONDITIONS = st.one_of(
    st.sampled_from([*_ALWAYS, *_ALMOST, ReceivedTime(0, 360),
                     SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 1000, "B"),
                     AttachmentName("*.exe"), DlpCondition("PCI-DSS"), SpamCondition(),
                     VirusCondition(), VirusCondition("extensions", ("exe",)),
                     WebReputationCondition()]),
    st.builds(FlagCondition, st.sampled_from(Flag)),
    st.builds(KeywordCondition, st.sampled_from([MessagePart.SUBJECT, MessagePart.BODY,
                                                 MessagePart.ATTACHMENT_CONTENT]),
              st.sampled_from(["社外秘", "点数", "nothing"])),
)
_COMPACT_INTERCEPTS = st.sampled_from([
    Intercept(), Intercept(), Intercept(InterceptAction.DELETE),
    Intercept(InterceptAction.QUARANTINE, "Q"),
    Intercept(InterceptAction.CHANGE_RECIPIENT, recipients=("r@example.co.jp",))])


@st.composite
def compact_mail_policies(draw: Any) -> MailPolicy:
    """Small policies over a small vocabulary of addresses, conditions, intercepts and
    actions (quick to generate; rules often repeat each other)."""
    parties = st.lists(_COMPACT_PARTIES, max_size=2).map(tuple)
    rules = tuple(
        MailRule(
            name=f"r{i}",
            order=draw(st.integers(0, 6)),
            enabled=draw(st.integers(0, 4)) > 0,
            type=RuleType.ANTIVIRUS if draw(st.integers(0, 4)) == 0 else RuleType.OTHER,
            route=Route(draw(st.sampled_from(RouteType)), draw(parties), draw(parties),
                        tuple(draw(st.lists(st.builds(RouteException, _COMPACT_PARTIES,
                                                      _COMPACT_PARTIES), max_size=1)))),
            match=draw(st.sampled_from(Match)),
            conditions=tuple(draw(st.lists(_COMPACT_CONDITIONS, max_size=3))),
            intercept=draw(_COMPACT_INTERCEPTS),
            # something to see when the rule applies
            actions=draw(action_lists()) or (TagSubject(f"[r{i}]"),),
        )
        for i in range(draw(st.integers(1, 6))))
    senders = st.lists(st.builds(Party, st.just(PartyKind.ADDRESS),
                                 st.sampled_from(_COMPACT_ADDRESSES[:-1])), max_size=2)
    ips = st.sampled_from(["198.51.100.0/24", "198.51.100.7", "2001:db8::/32", "bad.example"])
    return MailPolicy(
        internal_domains=tuple(draw(st.lists(st.sampled_from(
            ["example.co.jp", "*.example.co.jp", "Example.co.jp"]), min_size=1, max_size=2))),
        address_groups=(AddressGroup("役員", tuple(draw(st.lists(st.builds(
            Party, st.just(PartyKind.ADDRESS), st.sampled_from(_COMPACT_ADDRESSES)),
            max_size=3)))),),
        keyword_lists=_compact_keyword_lists(),
        rules=rules,
        approved_senders=tuple(draw(senders)),
        blocked_senders=tuple(draw(senders)),
        sender_filtering=SenderFiltering(
            approved_ips=tuple(draw(st.lists(st.builds(IpEntry, ips), max_size=2))),
            blocked_ips=tuple(draw(st.lists(st.builds(IpEntry, ips, st.sampled_from(
                ["block-permanently", "block-temporarily"])), max_size=2)))),
        dkim_enforcement=DkimEnforcement(True, tuple(draw(st.lists(st.sampled_from(
            ["bank.example", "BANK.example", "partner.example"]), max_size=2)))),
    )


@st.composite
def optimisable_mail_policies(draw: Any, *, compact: bool = False) -> MailPolicy:
    """:func:`mail_policies` (or, ``compact``, :func:`compact_mail_policies`) with what the
    optimisation passes look for planted in it: repeated list entries, enabled Other rules
    with the route, intercept and actions of the rule directly above them, and catch-all
    rules (everyone, always, terminal) or rules that just miss being one."""
    policy = draw(compact_mail_policies() if compact else mail_policies())
    rules = list(policy.rules)
    lists = [k.name for k in policy.keyword_lists]
    new_conditions = _COMPACT_CONDITIONS if compact else _conditions(lists)
    names = {r.name for r in rules}

    def fresh(base: str) -> str:
        n = 1
        while f"{base} {n}" in names:
            n += 1
        names.add(f"{base} {n}")
        return f"{base} {n}"

    def dup(items: tuple[Any, ...]) -> tuple[Any, ...]:
        if not items or not draw(st.booleans()):
            return items
        i = draw(st.integers(0, len(items)))
        return items[:i] + (draw(st.sampled_from(items)),) + items[i:]

    # twins: rules directly below another (same order number, next in input order) with
    # its route, intercept and actions
    out: list[MailRule] = []
    for r in rules:
        if draw(st.booleans()):
            if draw(st.integers(0, 3)) > 0:
                r = attrs.evolve(r, enabled=True, type=RuleType.OTHER, match=Match.ANY)
            if draw(st.booleans()):
                r = attrs.evolve(r, intercept=Intercept())  # both may apply, in a row
            if draw(st.integers(0, 3)) == 0:
                # an X-header before another action: applying them twice is not once
                r = attrs.evolve(r, actions=(InsertXHeader("X-Isc", draw(st.sampled_from(
                    ["1", "2"]))), TagSubject("[isc]")))
            out.append(r)
            for _ in range(draw(st.integers(1, 2))):
                conditions = tuple(draw(st.lists(new_conditions, max_size=3)))
                out.append(attrs.evolve(r, name=fresh("twin"), conditions=conditions,
                                        enabled=True, type=RuleType.OTHER,
                                        match=draw(st.sampled_from(Match))))
        else:
            out.append(r)
    # catch-alls (everyone, conditions that always match, a terminal intercept) and rules
    # that just miss being one, early in the order so that rules follow them
    keyword_lists = policy.keyword_lists
    nothing = fresh("nothing") if draw(st.booleans()) else None
    if nothing is not None:
        keyword_lists += (KeywordList(nothing, KeywordMatch.NOT),)
    for _ in range(draw(st.integers(0, 2))):
        rule, _ = draw(catch_alls(nothing))
        lowest = min((r.order for r in out), default=0)
        rule = attrs.evolve(rule, name=fresh("catch-all"), order=draw(st.one_of(
            st.just(lowest), st.integers(0, 50))))
        out.insert(draw(st.integers(0, len(out))), rule)
    out = [attrs.evolve(r, route=attrs.evolve(r.route, senders=dup(r.route.senders),
                                              recipients=dup(r.route.recipients)),
                        conditions=dup(r.conditions))
           for r in out]
    sf = policy.sender_filtering
    dmarc = policy.dmarc
    if dmarc is not None and dmarc.actions and draw(st.booleans()):
        published = draw(st.sampled_from(dmarc.actions))[0]
        again = (published.upper(), draw(st.sampled_from(["none", "quarantine", "reject"])))
        dmarc = attrs.evolve(dmarc, enabled=True, actions=dup(dmarc.actions) + (again,),
                             domains=dup(dmarc.domains))
    return attrs.evolve(
        policy,
        dmarc=dmarc,
        rules=tuple(out),
        internal_domains=dup(policy.internal_domains),
        address_groups=tuple(attrs.evolve(g, addresses=dup(g.addresses))
                             for g in policy.address_groups),
        keyword_lists=tuple(attrs.evolve(k, expressions=dup(k.expressions))
                            for k in keyword_lists),
        approved_senders=dup(policy.approved_senders),
        sender_filtering=None if sf is None else attrs.evolve(
            sf, blocked_ips=dup(sf.blocked_ips), approved_ips=dup(sf.approved_ips)),
    )


def action_lists() -> st.SearchStrategy[tuple[Any, ...]]:
    """Modify and monitor actions of one rule, drawn from few values so that rules repeat
    each other's X-header names and tags (the modifications' ordered-set rules matter)."""
    few = st.sampled_from(["1", "2"])
    action = st.one_of(
        st.builds(InsertXHeader, st.sampled_from(["X-A", "x-a", "X-B"]), few),
        st.builds(TagSubject, few),
        st.builds(Bcc, st.lists(st.sampled_from(["a@b.example", "c@d.example"]), min_size=1,
                                max_size=2).map(tuple)),
        _actions([], []),
    )
    return st.lists(action, max_size=4).map(tuple)


def _x_headers_last(actions: tuple[Any, ...]) -> bool:
    kinds = [isinstance(a, InsertXHeader) for a in actions]
    return kinds == sorted(kinds)


@st.composite
def near_twins(draw: Any) -> tuple[MailPolicy, bool]:
    """A compact policy with a rule "a" and a rule "b" directly below it that has the same
    route, intercept and actions and other conditions (the second item True: the merge pass
    must merge them), or (as often) that differs in one more respect that rules a merge out
    (False): route, intercept, actions, enabled, type, all-matching, a rule between them,
    sides swapped, or "do not intercept" with an action after an X-header."""
    parties = st.lists(_COMPACT_PARTIES, max_size=2).map(tuple)
    conditions = st.lists(_COMPACT_CONDITIONS, max_size=2).map(tuple)
    a = MailRule(
        name="a", order=1,
        route=Route(draw(st.sampled_from(RouteType)), draw(parties), draw(parties),
                    tuple(draw(st.lists(st.builds(RouteException, _COMPACT_PARTIES,
                                                  _COMPACT_PARTIES), max_size=1)))),
        conditions=draw(conditions), intercept=draw(_COMPACT_INTERCEPTS),
        actions=draw(action_lists()))
    b_conditions = draw(conditions)
    b = attrs.evolve(a, name="b", order=draw(st.sampled_from([1, 2])),
                     conditions=b_conditions,
                     match=Match.ANY if len(b_conditions) > 1 else draw(st.sampled_from(Match)),
                     # the same route written otherwise: sides in another order
                     route=attrs.evolve(a.route, senders=a.route.senders[::-1]))
    between: list[MailRule] = []
    how = draw(st.sampled_from(["same", "same", "same", "route type", "route side",
                                "exception", "intercept", "actions", "disabled", "antivirus",
                                "all", "between", "sides"]))
    if how == "sides":  # senders and recipients swapped: another route unless equal
        b = attrs.evolve(b, route=attrs.evolve(b.route, senders=a.route.recipients,
                                               recipients=a.route.senders))
        if set(a.route.senders) == set(a.route.recipients):
            how = "same"
    elif how == "route type":
        b = attrs.evolve(b, route=attrs.evolve(b.route, type=draw(st.sampled_from(
            [t for t in RouteType if t is not a.route.type]))))
    elif how == "route side":
        extra = draw(_COMPACT_PARTIES.filter(lambda p: p not in a.route.recipients))
        b = attrs.evolve(b, route=attrs.evolve(b.route,
                                               recipients=b.route.recipients + (extra,)))
    elif how == "exception":
        b = attrs.evolve(b, route=attrs.evolve(b.route, exceptions=b.route.exceptions + (
            RouteException(Party(PartyKind.ADDRESS, "boss@partner.example")),)))
    elif how == "intercept":
        b = attrs.evolve(b, intercept=draw(_COMPACT_INTERCEPTS.filter(
            lambda i: i != a.intercept)))
    elif how == "actions":
        b = attrs.evolve(b, actions=b.actions + (TagSubject("[b]"),))
    elif how == "disabled":
        b = attrs.evolve(b, enabled=False)
    elif how == "antivirus":
        which = draw(st.booleans())
        a = attrs.evolve(a, type=RuleType.ANTIVIRUS) if which else a
        b = b if which else attrs.evolve(b, type=RuleType.ANTIVIRUS)
    elif how == "all":
        b = attrs.evolve(b, match=Match.ALL, conditions=draw(st.lists(
            _COMPACT_CONDITIONS, min_size=2, max_size=2, unique=True).map(tuple)))
    elif how == "between":
        b = attrs.evolve(b, order=3)
        between.append(MailRule("c", 2, enabled=draw(st.booleans()),
                                route=Route(RouteType.POP3)))
    merges = how == "same" and (a.intercept.action.terminal or _x_headers_last(a.actions))
    policy = MailPolicy(
        internal_domains=("example.co.jp",),
        address_groups=(AddressGroup("役員", (Party(PartyKind.ADDRESS, "ceo@example.co.jp"),)),),
        keyword_lists=_compact_keyword_lists(), rules=(a, *between, b))
    return policy, merges


@st.composite
def keyword_lists_with_repeats(draw: Any) -> KeywordList:
    """A keyword list (any match mode) in which some expressions come again: as they are,
    or with another case sensitivity, score or description."""
    kl = draw(_keyword_list("list"))
    exprs = list(kl.expressions) or [draw(_expressions)]
    for _ in range(draw(st.integers(1, 3))):
        e = draw(st.sampled_from(exprs))
        how = draw(st.sampled_from(["same", "case", "score", "description"]))
        if how == "case":
            e = attrs.evolve(e, case_sensitive=not e.case_sensitive)
        elif how == "score":
            e = attrs.evolve(e, score=draw(st.integers(-10, 10)))
        elif how == "description":
            e = attrs.evolve(e, description=draw(mail_texts))
        exprs.insert(draw(st.integers(0, len(exprs))), e)
    return attrs.evolve(kl, expressions=tuple(exprs))


@st.composite
def texts_for_list(draw: Any, kl: KeywordList) -> tuple[str, ...]:
    """Message parts holding some of the list's expressions (each part searched alone)."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 2))):
        picked = draw(st.lists(st.sampled_from(kl.expressions), max_size=3)) \
            if kl.expressions else []
        parts.append(" ".join(draw(texts_for(e.expr)) for e in picked))
    return tuple(parts)


@st.composite
def parties_with_repeats(draw: Any, groups: list[str]) -> tuple[Party, ...]:
    """Route or group parties some of which come again, as written or with other case and
    blanks around them (group references: other case only, which is another group)."""
    parties = list(draw(st.lists(_parties(groups), min_size=1, max_size=4)))
    for _ in range(draw(st.integers(1, 3))):
        p = draw(st.sampled_from(parties))
        how = draw(st.sampled_from(["same", "case", "blanks"]))
        if how == "case":
            p = attrs.evolve(p, value=p.value.swapcase())
        elif how == "blanks" and p.kind is not PartyKind.ADDRESS_GROUP:
            p = attrs.evolve(p, value=f" {p.value}\t")
        parties.insert(draw(st.integers(0, len(parties))), p)
    return tuple(parties)
