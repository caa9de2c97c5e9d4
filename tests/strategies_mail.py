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
