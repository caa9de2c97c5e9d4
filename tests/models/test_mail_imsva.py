"""The IMSVA / IMSS mail decision model (semantics.md §3), on policies built from the IR."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.diagnostics import Span
from isc.frontends.keywords import parse_expression
from isc.ir.mail import (
    AddressGroup,
    Archive,
    AttachmentName,
    Bcc,
    Clean,
    Compare,
    Condition,
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
    TagSubject,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)
from isc.ir.requests import Attachment, DecidedBy, MailMessage
from isc.models import imsva

DATA = Path(__file__).parents[1] / "data" / "mail"
INTERNAL = ("example.co.jp",)
IN = dict(sender="x@outside.example", recipient="a@example.co.jp")
OUT = dict(sender="a@example.co.jp", recipient="x@outside.example")
EXE = Attachment("setup.EXE", mime_type="application/x-msdownload", file_type="EXE", size=2048)


def addr(value: str) -> Party:
    return Party(PartyKind.ADDRESS, value)


def rule(name: str, order: int, *conditions: Condition,
         action: InterceptAction = InterceptAction.NONE, actions: tuple[object, ...] = (),
         route: Route | None = None, match: Match = Match.ANY, enabled: bool = True,
         type: RuleType = RuleType.OTHER, **intercept: object) -> MailRule:
    return MailRule(name, order, enabled=enabled, type=type,
                    route=route or Route(RouteType.ALL), match=match,
                    conditions=conditions,
                    intercept=Intercept(action, **intercept),  # type: ignore[arg-type]
                    actions=actions,  # type: ignore[arg-type]
                    span=Span("policy.xml", order * 10, 3))


def policy(*rules: MailRule, **kw: object) -> MailPolicy:
    return MailPolicy(internal_domains=INTERNAL, rules=rules, **kw)  # type: ignore[arg-type]


def msg(base: dict[str, str] = IN, **kw: object) -> MailMessage:
    return MailMessage(**base, **kw)  # type: ignore[arg-type]


def decide(p: MailPolicy, m: MailMessage) -> tuple[str, str | None, tuple[str, ...]]:
    d = imsva.decide(p, m)
    return d.action, d.decided_by.name if d.decided_by else None, d.modifications


# ---------------------------------------------------------------------- order and intercept


def test_no_rule_delivers_by_default() -> None:
    d = imsva.decide(policy(), msg())
    assert (d.action, d.decided_by, d.modifications) == ("deliver", None, ())


def test_rules_run_in_order_number_order_and_terminal_intercept_stops() -> None:
    p = policy(
        rule("late delete", 9, action=InterceptAction.DELETE),
        rule("early quarantine", 2, action=InterceptAction.QUARANTINE, area="Q"),
    )
    d = imsva.decide(p, msg())
    assert d.action == "quarantine"
    assert d.decided_by == DecidedBy("mail-rule", "early quarantine", "policy.xml", 20)
    assert "late delete" not in " ".join(d.trace)


def test_do_not_intercept_falls_through_and_accumulates() -> None:
    p = policy(
        rule("tag", 1, actions=(TagSubject("[ext]"), Notify("Admin alert"))),
        rule("stamp", 2, actions=(InsertStamp("Footer"),)),
        rule("quarantine", 3, action=InterceptAction.QUARANTINE),
        rule("never reached", 4, actions=(Bcc(("audit@example.co.jp",)),)),
    )
    action, by, mods = decide(p, msg())
    assert (action, by) == ("quarantine", "quarantine")
    assert mods == ("tag-subject:[ext]", "notify:Admin alert", "insert-stamp:Footer")


def test_all_none_rules_deliver_by_default_with_their_modifications() -> None:
    p = policy(rule("tag", 1, actions=(TagSubject("[ext]"),)))
    d = imsva.decide(p, msg())
    assert (d.action, d.decided_by, d.modifications) == ("deliver", None, ("tag-subject:[ext]",))
    assert any("tag" in t for t in d.trace)


def test_disabled_rules_do_not_apply() -> None:
    p = policy(rule("off", 1, action=InterceptAction.DELETE, enabled=False))
    assert decide(p, msg())[0] == "deliver"


def test_order_ties_keep_input_order() -> None:
    p = policy(rule("first", 5, action=InterceptAction.DELETE),
               rule("second", 5, action=InterceptAction.QUARANTINE))
    assert decide(p, msg())[:2] == ("delete", "first")


@pytest.mark.parametrize(("action", "expected"), [
    (InterceptAction.DELETE, "delete"),
    (InterceptAction.QUARANTINE, "quarantine"),
    (InterceptAction.CHANGE_RECIPIENT, "change-recipient"),
    (InterceptAction.HANDOFF, "handoff"),
])
def test_every_terminal_intercept_stops(action: InterceptAction, expected: str) -> None:
    p = policy(rule("r", 1, action=action), rule("after", 2, actions=(TagSubject("x"),)))
    assert decide(p, msg())[0] == expected
    assert "tag-subject:x" not in decide(p, msg())[2]


def test_change_recipient_reports_the_new_recipients() -> None:
    p = policy(rule("r", 1, action=InterceptAction.CHANGE_RECIPIENT,
                    recipients=("legal@example.co.jp", "boss@example.co.jp")))
    assert decide(p, msg()) == ("change-recipient", "r",
                                ("change-recipient:legal@example.co.jp;boss@example.co.jp",))


def test_x_header_last_rule_wins() -> None:
    p = policy(
        rule("a", 1, actions=(InsertXHeader("X-Isc", "first"), TagSubject("t"))),
        rule("b", 2, actions=(InsertXHeader("X-Other", "o"),)),
        rule("c", 3, actions=(InsertXHeader("x-isc", "last"),)),
    )
    assert decide(p, msg())[2] == ("tag-subject:t", "x-header:X-Other=o", "x-header:x-isc=last")


def test_modification_vocabulary_and_dedup() -> None:
    p = policy(
        rule("a", 1, actions=(DeleteAttachments("all"), Clean("matching"), Archive("Arc"),
                              Postpone(22 * 60 + 5), Bcc(("a@x.example", "b@x.example")),
                              TagSubject("t"))),
        rule("b", 2, actions=(TagSubject("t"), Bcc(("a@x.example",)))),
    )
    assert decide(p, msg())[2] == (
        "delete-attachments:all", "clean:matching", "archive:Arc", "postpone:22:05",
        "bcc:a@x.example", "bcc:b@x.example", "tag-subject:t")


# ---------------------------------------------------------------------- routes


@pytest.mark.parametrize(("route_type", "incoming", "outgoing"), [
    (RouteType.INCOMING, True, False),
    (RouteType.OUTGOING, False, True),
    (RouteType.BOTH, True, True),
    (RouteType.ALL, True, True),
    (RouteType.POP3, False, False),
])
def test_route_types(route_type: RouteType, incoming: bool, outgoing: bool) -> None:
    p = policy(rule("r", 1, route=Route(route_type), action=InterceptAction.DELETE))
    assert (decide(p, msg(IN))[0] == "delete") is incoming
    assert (decide(p, msg(OUT))[0] == "delete") is outgoing


@pytest.mark.parametrize(("pattern", "recipient", "hit"), [
    ("*@*", "a@example.co.jp", True),
    ("a@*", "a@example.co.jp", True),
    ("a@*", "b@example.co.jp", False),
    ("*@example.co.jp", "B@Example.co.jp", True),
    ("*@example.co.jp", "b@sales.example.co.jp", False),
    ("*@*.example.co.jp", "b@sales.example.co.jp", True),
    ("*@*.example.co.jp", "b@example.co.jp", False),
    ("a@*.jp", "a@example.co.jp", True),
    ("*@*.jp", "z@example.co.jp", True),
])
def test_route_wildcards(pattern: str, recipient: str, hit: bool) -> None:
    route = Route(RouteType.INCOMING, recipients=(addr(pattern),))
    p = MailPolicy(internal_domains=("example.co.jp", "*.example.co.jp"),
                   rules=(rule("r", 1, route=route, action=InterceptAction.DELETE),))
    m = MailMessage(sender="x@outside.example", recipient=recipient)
    assert (decide(p, m)[0] == "delete") is hit


def test_senders_and_recipients_both_must_match() -> None:
    route = Route(RouteType.INCOMING, senders=(addr("*@partner.example"),),
                  recipients=(addr("sales@example.co.jp"),))
    p = policy(rule("r", 1, route=route, action=InterceptAction.DELETE))
    hit = MailMessage(sender="bob@partner.example", recipient="sales@example.co.jp")
    assert decide(p, hit)[0] == "delete"
    assert decide(p, attrs_evolve(hit, sender="bob@other.example"))[0] == "deliver"
    assert decide(p, attrs_evolve(hit, recipient="hr@example.co.jp"))[0] == "deliver"


def test_both_route_users_list_matches_sender_or_recipient() -> None:
    # imsva.md §1.2: "both" applies to senders OR recipients that match the Users list
    users = (addr("ceo@example.co.jp"),)
    route = Route(RouteType.BOTH, senders=users, recipients=users)
    p = policy(rule("r", 1, route=route, action=InterceptAction.DELETE))
    assert decide(p, MailMessage(sender="x@outside.example",
                                 recipient="ceo@example.co.jp"))[0] == "delete"
    assert decide(p, MailMessage(sender="ceo@example.co.jp",
                                 recipient="x@outside.example"))[0] == "delete"
    assert decide(p, MailMessage(sender="x@outside.example",
                                 recipient="hr@example.co.jp"))[0] == "deliver"
    # an <anyone/> beside the list does not widen it
    wide = Route(RouteType.BOTH, senders=(Party(PartyKind.ANYONE),), recipients=users)
    p = policy(rule("r", 1, route=wide, action=InterceptAction.DELETE))
    assert decide(p, MailMessage(sender="x@outside.example",
                                 recipient="hr@example.co.jp"))[0] == "deliver"


def attrs_evolve(m: MailMessage, **kw: object) -> MailMessage:
    import attrs
    return attrs.evolve(m, **kw)  # type: ignore[arg-type]


def test_exceptions_are_sender_recipient_pairs() -> None:
    route = Route(RouteType.INCOMING, recipients=(addr("*@example.co.jp"),),
                  exceptions=(RouteException(addr("partner@x.example"),
                                             addr("ceo@example.co.jp")),))
    p = policy(rule("r", 1, route=route, action=InterceptAction.DELETE))
    assert decide(p, MailMessage(sender="partner@x.example",
                                 recipient="ceo@example.co.jp"))[0] == "deliver"
    # the pair, not either side alone, is excepted
    assert decide(p, MailMessage(sender="partner@x.example",
                                 recipient="cfo@example.co.jp"))[0] == "delete"
    assert decide(p, MailMessage(sender="other@x.example",
                                 recipient="ceo@example.co.jp"))[0] == "delete"


def test_address_groups_and_ldap_groups_in_routes() -> None:
    groups = (AddressGroup("Execs", (addr("ceo@example.co.jp"),
                                     Party(PartyKind.LDAP_GROUP, "CN=Board,DC=example"))),)
    route = Route(RouteType.INCOMING, recipients=(Party(PartyKind.ADDRESS_GROUP, "Execs"),))
    p = policy(rule("r", 1, route=route, action=InterceptAction.DELETE),
               address_groups=groups)
    assert decide(p, MailMessage(sender="x@o.example", recipient="ceo@example.co.jp"))[0] \
        == "delete"
    board = MailMessage(sender="x@o.example", recipient="b@example.co.jp",
                        recipient_groups=("cn=board,dc=example",))
    assert decide(p, board)[0] == "delete"
    assert decide(p, MailMessage(sender="x@o.example", recipient="b@example.co.jp"))[0] \
        == "deliver"


# ---------------------------------------------------------------------- conditions


def test_conditions_any_versus_all() -> None:
    conds = (AttachmentName("*.exe"), SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 1000))
    any_p = policy(rule("r", 1, *conds, action=InterceptAction.DELETE))
    all_p = policy(rule("r", 1, *conds, match=Match.ALL, action=InterceptAction.DELETE))
    only_exe = msg(attachments=(EXE,), size=10)
    both = msg(attachments=(EXE,), size=5000)
    neither = msg(size=10)
    assert [decide(any_p, m)[0] for m in (only_exe, both, neither)] == \
        ["delete", "delete", "deliver"]
    assert [decide(all_p, m)[0] for m in (only_exe, both, neither)] == \
        ["deliver", "delete", "deliver"]


def test_rule_without_conditions_matches_every_message() -> None:
    assert decide(policy(rule("r", 1, action=InterceptAction.DELETE)), msg())[0] == "delete"


@pytest.mark.parametrize(("cond", "m", "hit"), [
    (AttachmentName("*.exe"), msg(attachments=(EXE,)), True),
    (AttachmentName("exe"), msg(attachments=(EXE,)), True),
    (AttachmentName("set?p.*"), msg(attachments=(EXE,)), True),
    (AttachmentName("*.zip"), msg(attachments=(EXE,)), False),
    (AttachmentName("*.exe"), msg(), False),
    (TrueFileType("exe"), msg(attachments=(EXE,)), True),
    (TrueFileType("ZIP"), msg(attachments=(EXE,)), False),
    (TrueFileType("7-Zip"), msg(attachments=(Attachment("a.bin", file_type="7Z"),)), True),
    (TrueFileType("OLE"), msg(attachments=(Attachment("a.doc", file_type="DOC"),)), True),
    (MimeType("application/x-msdownload"), msg(attachments=(EXE,)), True),
    (MimeType("application/*"), msg(attachments=(EXE,)), True),
    (MimeType("image/png"), msg(attachments=(EXE,)), False),
    (SizeCondition(Measure.ATTACHMENT_SIZE, Compare.GE, 2048), msg(attachments=(EXE,)), True),
    (SizeCondition(Measure.ATTACHMENT_SIZE, Compare.GT, 2048), msg(attachments=(EXE,)), False),
    (SizeCondition(Measure.ATTACHMENT_SIZE, Compare.LT, 10), msg(), False),
    (SizeCondition(Measure.ATTACHMENT_COUNT, Compare.EQ, 2), msg(attachments=(EXE, EXE)), True),
    (SizeCondition(Measure.ATTACHMENT_COUNT, Compare.LE, 0), msg(), True),
    (SizeCondition(Measure.MESSAGE_SIZE, Compare.LT, 100), msg(size=99), True),
    (SizeCondition(Measure.RECIPIENT_COUNT, Compare.GT, 2),
     msg(recipients=("a@example.co.jp", "b@example.co.jp", "c@example.co.jp")), True),
    (SizeCondition(Measure.RECIPIENT_COUNT, Compare.EQ, 1), msg(), True),
    (SpamCondition(threshold="6.5"), msg(spam_score=6.5), True),
    (SpamCondition(threshold="6.5"), msg(spam_score=6.4), False),
    (SpamCondition(catch_rate="high"), msg(spam_score=4.0), True),
    (SpamCondition(catch_rate="medium"), msg(spam_score=4.0), False),
    (SpamCondition(catch_rate="low"), msg(spam_score=7.9), False),
    (SpamCondition(), msg(), False),
    (WebReputationCondition("high"), msg(wrs_level="low"), True),
    (WebReputationCondition("medium"), msg(wrs_level="low"), False),
    (WebReputationCondition("medium"), msg(wrs_level="medium"), True),
    (WebReputationCondition("low"), msg(wrs_level="medium"), False),
    (WebReputationCondition("low"), msg(wrs_level="high"), True),
    (WebReputationCondition("low"), msg(), False),
    (WebReputationCondition(untested="apply"), msg(wrs_level="untested"), True),
    (WebReputationCondition(untested="bypass"), msg(wrs_level="untested"), False),
    (FlagCondition(Flag.GRAYMAIL), msg(graymail=True), True),
    (FlagCondition(Flag.GRAYMAIL), msg(), False),
    (FlagCondition(Flag.SOCIAL_ENGINEERING), msg(sea=True), True),
    (FlagCondition(Flag.PASSWORD_PROTECTED),
     msg(attachments=(Attachment("a.zip", password_protected=True),)), True),
    (FlagCondition(Flag.PASSWORD_PROTECTED), msg(attachments=(EXE,)), False),
    (FlagCondition(Flag.CC_EMAIL), msg(cc_email=True), True),
    (FlagCondition(Flag.UNABLE_TO_DECRYPT), msg(undecryptable=True), True),
    (FlagCondition(Flag.SPOOFED_INTERNAL), msg(spoofed_internal=True), True),
    (FlagCondition(Flag.SPOOFED_INTERNAL), msg(), False),
    (DlpCondition("PCI-DSS"), msg(dlp_templates=("pci-dss",)), True),
    (DlpCondition("PCI-DSS"), msg(dlp_templates=("HIPAA",)), False),
    (ReceivedTime(0, 360), msg(when=359), True),
    (ReceivedTime(0, 360), msg(when=360), False),
    (ReceivedTime(22 * 60, 6 * 60), msg(when=23 * 60), True),
    (ReceivedTime(22 * 60, 6 * 60), msg(when=5 * 60), True),
    (ReceivedTime(22 * 60, 6 * 60), msg(when=12 * 60), False),
    (ReceivedTime(0, 360), msg(), True),
    (VirusCondition(), msg(virus=True), True),
    (VirusCondition(), msg(), False),
    (VirusCondition("extensions", ("exe", "com")), msg(virus=True, attachments=(EXE,)), True),
    (VirusCondition("extensions", ("zip",)), msg(virus=True, attachments=(EXE,)), False),
])
def test_each_condition(cond: Condition, m: MailMessage, hit: bool) -> None:
    p = policy(rule("r", 1, cond, action=InterceptAction.DELETE))
    assert (decide(p, m)[0] == "delete") is hit


def test_antivirus_rule_without_conditions_matches_infected_mail_only() -> None:
    p = policy(rule("Global Antivirus", 1, type=RuleType.ANTIVIRUS,
                    action=InterceptAction.DELETE))
    assert decide(p, msg(virus=True))[0] == "delete"
    assert decide(p, msg())[0] == "deliver"


def test_antivirus_rule_extension_scope() -> None:
    p = policy(rule("av", 1, VirusCondition("extensions", ("exe",)), type=RuleType.ANTIVIRUS,
                    action=InterceptAction.DELETE, actions=(Clean("all"),)))
    assert decide(p, msg(virus=True, attachments=(EXE,))) == ("delete", "av", ("clean:all",))
    assert decide(p, msg(virus=True, attachments=(Attachment("a.doc"),)))[0] == "deliver"
    assert decide(p, msg(virus=False, attachments=(EXE,)))[0] == "deliver"


@given(st.floats(min_value=0, max_value=10, allow_nan=False),
       st.sampled_from(["3.0", "4.5", "6.5", "10.0"]))
def test_spam_threshold_is_inclusive(score: float, threshold: str) -> None:
    p = policy(rule("r", 1, SpamCondition(catch_rate=None, threshold=threshold),
                    action=InterceptAction.QUARANTINE))
    assert (decide(p, msg(spam_score=score))[0] == "quarantine") is (score >= float(threshold))


# ---------------------------------------------------------------------- global settings


def test_approved_and_blocked_senders_override_the_spam_verdict_only() -> None:
    p = policy(
        rule("spam", 1, SpamCondition(threshold="5.0"), action=InterceptAction.QUARANTINE),
        rule("exe", 2, AttachmentName("*.exe"), action=InterceptAction.DELETE),
        approved_senders=(addr("*@partner.example"),),
        blocked_senders=(addr("spam@bad.example"),),
    )
    partner = MailMessage(sender="x@partner.example", recipient="a@example.co.jp",
                          spam_score=9.0)
    assert decide(p, partner)[0] == "deliver"
    assert decide(p, attrs_evolve(partner, attachments=(EXE,)))[0] == "delete"
    bad = MailMessage(sender="spam@bad.example", recipient="a@example.co.jp", spam_score=0.1)
    assert decide(p, bad)[:2] == ("quarantine", "spam")
    # without a spam rule a blocked sender is just mail
    assert decide(policy(blocked_senders=(addr("spam@bad.example"),)), bad)[0] == "deliver"


def test_sender_filtering_blocked_ip_unless_approved() -> None:
    sf = SenderFiltering(approved_ips=(IpEntry("198.51.100.7"),),
                         blocked_ips=(IpEntry("198.51.100.0/24", "block-permanently",
                                              span=Span("policy.xml", 99, 5)),))
    p = policy(sender_filtering=sf)
    d = imsva.decide(p, msg(client_ip="198.51.100.8"))
    assert d.action == "delete"
    assert d.decided_by == DecidedBy("blocked-ip", "198.51.100.0/24", "policy.xml", 99)
    assert decide(p, msg(client_ip="198.51.100.7"))[0] == "deliver"
    assert decide(p, msg(client_ip="192.0.2.1"))[0] == "deliver"
    assert decide(p, msg(OUT, client_ip="198.51.100.8"))[0] == "deliver"


def test_dkim_enforcement_before_rules() -> None:
    dkim = DkimEnforcement(domains=("bank.example",), action="quarantine")
    p = policy(rule("r", 1, action=InterceptAction.DELETE), dkim_enforcement=dkim)
    m = MailMessage(sender="bounce@mailer.example", recipient="a@example.co.jp",
                    headers=(("From", "Bank <info@bank.example>"),))
    assert decide(p, m)[:2] == ("quarantine", "bank.example")
    assert decide(p, attrs_evolve(m, dkim_pass=False))[0] == "quarantine"
    assert decide(p, attrs_evolve(m, dkim_pass=True))[0] == "delete"
    # IMSVA looks at the header From only
    other = MailMessage(sender="info@bank.example", recipient="a@example.co.jp",
                        headers=(("From", "x@other.example"),))
    assert decide(p, other)[0] == "delete"
    tagged = policy(dkim_enforcement=DkimEnforcement(domains=("bank.example",), action="tag"))
    assert decide(tagged, m) == ("deliver", None, ("dkim-enforcement:tag",))


def test_dmarc_actions() -> None:
    dm = Dmarc(enabled=True, exception_ips=("192.0.2.1",),
               actions=(("reject", "reject"), ("quarantine", "quarantine"), ("none", "tag")))
    p = policy(dmarc=dm)
    assert decide(p, msg(dmarc="reject"))[0] == "delete"
    assert decide(p, msg(dmarc="quarantine"))[0] == "quarantine"
    assert decide(p, msg(dmarc="none")) == ("deliver", None, ("dmarc:tag",))
    assert decide(p, msg(dmarc="reject", client_ip="192.0.2.1"))[0] == "deliver"
    assert decide(p, msg())[0] == "deliver"
    assert decide(policy(dmarc=Dmarc(enabled=False, actions=dm.actions)),
                  msg(dmarc="reject"))[0] == "deliver"


# ---------------------------------------------------------------------- keyword conditions


def kw_list(name: str, *texts: str, match: KeywordMatch = KeywordMatch.ANY,
            threshold: int | None = None, scores: tuple[int, ...] = ()) -> KeywordList:
    exprs = tuple(KeywordExpression(t, parse_expression(t), score=s)
                  for t, s in zip(texts, scores or (0,) * len(texts), strict=True))
    return KeywordList(name, match, threshold, exprs)


def test_subject_keyword_on_a_japanese_eml() -> None:
    p = policy(rule("confidential", 1, KeywordCondition(MessagePart.SUBJECT, "社外秘"),
                    action=InterceptAction.QUARANTINE),
               keyword_lists=(kw_list("社外秘", "社外秘"),))
    jp = MailMessage.from_eml(DATA / "japanese.eml")
    assert decide(p, jp)[:2] == ("quarantine", "confidential")
    assert decide(p, MailMessage.from_eml(DATA / "plain.eml"))[0] == "deliver"


@pytest.mark.parametrize(("part", "headers", "eml", "hit"), [
    (MessagePart.BODY, (), "plain.eml", True),
    (MessagePart.BODY, (), "attachments.eml", False),
    (MessagePart.HEADER, ("Subject",), "forwarded.eml", False),
    (MessagePart.HEADER, ("Message-ID",), "plain.eml", False),
    (MessagePart.ATTACHMENT_CONTENT, (), "forwarded.eml", True),
    (MessagePart.ATTACHMENT_CONTENT, (), "plain.eml", False),
])
def test_keyword_parts(part: MessagePart, headers: tuple[str, ...], eml: str,
                       hit: bool) -> None:
    p = policy(rule("r", 1, KeywordCondition(part, "conf", headers),
                    action=InterceptAction.DELETE),
               keyword_lists=(kw_list("conf", "confidential"),))
    m = MailMessage.from_eml(DATA / eml, recipient="a@example.co.jp")
    assert (decide(p, m)[0] == "delete") is hit


def test_header_keyword_looks_at_the_named_headers_only() -> None:
    p = policy(rule("r", 1, KeywordCondition(MessagePart.HEADER, "partner", ("From", "Reply-To")),
                    action=InterceptAction.DELETE),
               keyword_lists=(kw_list("partner", "partner[.]example"),))
    hit = msg(headers=(("Reply-To", "x@partner.example"),))
    miss = msg(headers=(("To", "x@partner.example"),))
    assert decide(p, hit)[0] == "delete"
    assert decide(p, miss)[0] == "deliver"


def test_attachment_content_of_an_office_document() -> None:
    p = policy(rule("r", 1, KeywordCondition(MessagePart.ATTACHMENT_CONTENT, "falcon"),
                    action=InterceptAction.DELETE),
               keyword_lists=(kw_list("falcon", "Project Falcon"),))
    assert decide(p, MailMessage.from_eml(DATA / "attachments.eml"))[0] == "delete"


def test_not_list_on_attachment_content_needs_an_attachment() -> None:
    p = policy(rule("r", 1, KeywordCondition(MessagePart.ATTACHMENT_CONTENT, "nope"),
                    action=InterceptAction.DELETE),
               keyword_lists=(kw_list("nope", "zzz", match=KeywordMatch.NOT),))
    assert decide(p, msg())[0] == "deliver"
    assert decide(p, msg(attachments=(Attachment("a.txt", content="hello"),)))[0] == "delete"
    assert decide(p, msg(attachments=(Attachment("a.txt", content="zzz"),)))[0] == "deliver"


def test_unknown_keyword_list_never_matches() -> None:
    p = policy(rule("r", 1, KeywordCondition(MessagePart.SUBJECT, "missing"),
                    action=InterceptAction.DELETE))
    assert decide(p, msg(subject="anything"))[0] == "deliver"


def test_score_list_must_exceed_the_threshold() -> None:
    lists = (kw_list("s", "alpha", "beta", match=KeywordMatch.SCORE, threshold=5,
                     scores=(5, 1)),)
    p = policy(rule("r", 1, KeywordCondition(MessagePart.BODY, "s"),
                    action=InterceptAction.DELETE), keyword_lists=lists)
    assert decide(p, msg(body="alpha"))[0] == "deliver"
    assert decide(p, msg(body="alpha beta"))[0] == "delete"
