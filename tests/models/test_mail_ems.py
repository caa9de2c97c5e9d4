"""The Email Security decision model (semantics.md §4), on policies built from the IR."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.frontends.keywords import parse_expression
from isc.ir.common import Meta, Origin
from isc.ir.ems import (
    CriteriaMatch,
    DkimVerification,
    EmsAddressGroup,
    EmsDmarc,
    EmsKeywordList,
    EmsPolicy,
    EmsRule,
    IpListEntry,
    RuleKind,
    SenderEntry,
)
from isc.ir.keyword_expr import Dialect
from isc.ir.mail import (
    Action,
    AttachmentName,
    Compare,
    Condition,
    Direction,
    Encrypt,
    Flag,
    FlagCondition,
    InsertXHeader,
    Intercept,
    InterceptAction,
    KeywordCondition,
    KeywordExpression,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Match,
    Measure,
    MessagePart,
    Party,
    PartyKind,
    Route,
    RouteException,
    RouteType,
    SizeCondition,
    SpamCondition,
    TagSubject,
    VirusCondition,
    WebReputationCondition,
)
from isc.ir.requests import Attachment, DecidedBy, MailMessage
from isc.models import ems, imsva

DATA = Path(__file__).parents[1] / "data" / "mail"
MANAGED = ("example.co.jp",)
EXE = Attachment("setup.exe", file_type="EXE", size=10)


def addr(value: str) -> Party:
    return Party(PartyKind.ADDRESS, value)


def rule(name: str, kind: RuleKind, order: int, *criteria: Condition,
         action: InterceptAction = InterceptAction.NONE, actions: tuple[Action, ...] = (),
         direction: Direction = Direction.INCOMING, match: CriteriaMatch | None = None,
         **kw: object) -> EmsRule:
    if match is None:
        match = CriteriaMatch.ANY if criteria else CriteriaMatch.NONE
    return EmsRule(name, kind, direction, order, match=match, criteria=criteria,
                   intercept=Intercept(action), actions=actions,
                   meta=Meta(Origin("policy.xml", order, "mail-rule", name)),
                   **kw)  # type: ignore[arg-type]


def policy(*rules: EmsRule, **kw: object) -> EmsPolicy:
    kw.setdefault("managed_domains", MANAGED)
    return EmsPolicy(rules=rules, **kw)  # type: ignore[arg-type]


def msg(**kw: object) -> MailMessage:
    base: dict[str, object] = {"sender": "x@outside.example", "recipient": "a@example.co.jp"}
    base.update(kw)
    return MailMessage(**base)  # type: ignore[arg-type]


def decide(p: EmsPolicy, m: MailMessage) -> tuple[str, str | None, tuple[str, ...]]:
    d = ems.decide(p, m)
    return d.action, d.decided_by.name if d.decided_by else None, d.modifications


def test_no_rule_delivers() -> None:
    d = ems.decide(policy(), msg())
    assert (d.action, d.decided_by, d.modifications) == ("deliver", None, ())


def test_types_run_in_ems_order_whatever_the_order_numbers() -> None:
    # A content rule numbered before the virus rule still runs after it.
    p = policy(
        rule("content first by number", RuleKind.CONTENT_FILTERING, 1,
             AttachmentName("*.exe"), action=InterceptAction.QUARANTINE),
        rule("virus", RuleKind.VIRUS_SCAN, 50, action=InterceptAction.DELETE),
    )
    d = ems.decide(p, msg(virus=True, attachments=(EXE,)))
    assert d.action == "delete"
    assert d.decided_by == DecidedBy("ems-rule", "virus", "policy.xml", 50)
    assert decide(p, msg(attachments=(EXE,)))[:2] == ("quarantine", "content first by number")


def test_spam_before_content_before_dlp() -> None:
    p = policy(
        rule("dlp", RuleKind.DLP, 1, action=InterceptAction.DELETE),
        rule("content", RuleKind.CONTENT_FILTERING, 1, actions=(TagSubject("c"),)),
        rule("spam", RuleKind.SPAM_FILTERING, 9, SpamCondition(threshold="5.0"),
             actions=(TagSubject("s"),)),
    )
    d = ems.decide(p, msg(spam_score=9.0))
    assert d.modifications == ("tag-subject:s", "tag-subject:c")
    assert d.decided_by is not None and d.decided_by.name == "dlp"


def test_within_a_type_rules_run_by_order() -> None:
    p = policy(rule("b", RuleKind.CONTENT_FILTERING, 7, action=InterceptAction.DELETE),
               rule("a", RuleKind.CONTENT_FILTERING, 3, action=InterceptAction.QUARANTINE))
    assert decide(p, msg())[:2] == ("quarantine", "a")


def test_rules_of_the_other_direction_do_not_apply() -> None:
    p = policy(rule("out", RuleKind.CONTENT_FILTERING, 1, action=InterceptAction.DELETE,
                    direction=Direction.OUTGOING))
    assert decide(p, msg())[0] == "deliver"
    assert decide(p, msg(sender="a@example.co.jp", recipient="x@o.example"))[0] == "delete"


def test_deliver_now_skips_every_remaining_rule() -> None:
    p = policy(
        rule("tag", RuleKind.VIRUS_SCAN, 1, VirusCondition(), actions=(TagSubject("v"),)),
        rule("trusted partner", RuleKind.SPAM_FILTERING, 1, action=InterceptAction.DELIVER_NOW,
             senders=(addr("*@partner.example"),)),
        rule("block exe", RuleKind.CONTENT_FILTERING, 1, AttachmentName("*.exe"),
             action=InterceptAction.DELETE),
    )
    m = msg(sender="x@partner.example", attachments=(EXE,))
    assert decide(p, m) == ("deliver-now", "trusted partner", ())
    assert decide(p, attrs.evolve(m, sender="x@other.example"))[:2] == ("delete", "block exe")
    assert decide(p, attrs.evolve(m, virus=True)) == ("deliver-now", "trusted partner",
                                                      ("tag-subject:v",))


def test_virus_rule_without_criteria_matches_infected_mail_only() -> None:
    p = policy(rule("virus", RuleKind.VIRUS_SCAN, 1, action=InterceptAction.DELETE))
    assert decide(p, msg(virus=True))[0] == "delete"
    assert decide(p, msg())[0] == "deliver"


def test_content_filtering_all_match_versus_any_match() -> None:
    crit = (AttachmentName("*.exe"), SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 100))
    any_p = policy(rule("r", RuleKind.CONTENT_FILTERING, 1, *crit,
                        action=InterceptAction.DELETE))
    all_p = policy(rule("r", RuleKind.CONTENT_FILTERING, 1, *crit, match=CriteriaMatch.ALL,
                        action=InterceptAction.DELETE))
    small_exe = msg(attachments=(EXE,), size=50)
    assert decide(any_p, small_exe)[0] == "delete"
    assert decide(all_p, small_exe)[0] == "deliver"
    assert decide(all_p, attrs.evolve(small_exe, size=500))[0] == "delete"


def test_criteria_none_matches_every_message() -> None:
    p = policy(rule("all mail", RuleKind.CONTENT_FILTERING, 1, AttachmentName("*.zip"),
                    match=CriteriaMatch.NONE, action=InterceptAction.QUARANTINE))
    assert decide(p, msg())[0] == "quarantine"


def test_recipients_senders_and_exceptions() -> None:
    p = policy(
        rule("r", RuleKind.CONTENT_FILTERING, 1, action=InterceptAction.DELETE,
             recipients=(Party(PartyKind.ADDRESS_GROUP, "Execs"),),
             exceptions=(RouteException(addr("partner@x.example"), Party(PartyKind.ANYONE)),)),
        address_groups=(EmsAddressGroup("Execs", (addr("*@board.example.co.jp"),), hybrid=True),),
        managed_domains=("example.co.jp", "board.example.co.jp"),
    )
    assert decide(p, msg(recipient="ceo@board.example.co.jp"))[0] == "delete"
    assert decide(p, msg(recipient="a@example.co.jp"))[0] == "deliver"
    assert decide(p, msg(recipient="ceo@board.example.co.jp",
                         sender="partner@x.example"))[0] == "deliver"


def test_my_organization_is_the_managed_domains() -> None:
    out = Direction.OUTGOING
    p = policy(rule("r", RuleKind.CONTENT_FILTERING, 1, action=InterceptAction.DELETE,
                    direction=out, senders=(Party(PartyKind.MY_ORGANIZATION),),
                    recipients=(Party(PartyKind.MY_ORGANIZATION),)))
    m = msg(sender="a@example.co.jp", recipient="b@example.co.jp", direction="outgoing")
    assert decide(p, m)[0] == "delete"
    assert decide(p, attrs.evolve(m, recipient="b@outside.example"))[0] == "deliver"


def test_approved_senders_skip_spam_type_criteria_but_not_content_or_virus() -> None:
    p = policy(
        rule("virus", RuleKind.VIRUS_SCAN, 1, action=InterceptAction.DELETE),
        rule("spam", RuleKind.SPAM_FILTERING, 1, SpamCondition(threshold="5.0"),
             WebReputationCondition("low"), FlagCondition(Flag.GRAYMAIL),
             FlagCondition(Flag.SOCIAL_ENGINEERING), action=InterceptAction.QUARANTINE),
        rule("exe", RuleKind.CONTENT_FILTERING, 1, AttachmentName("*.exe"),
             action=InterceptAction.DELETE),
        approved_senders=(SenderEntry("*@partner.example"),),
    )
    spammy = msg(sender="x@partner.example", spam_score=9.9, wrs_level="high",
                 graymail=True, sea=True)
    assert decide(p, spammy)[0] == "deliver"
    assert decide(p, attrs.evolve(spammy, sender="x@other.example"))[0] == "quarantine"
    assert decide(p, attrs.evolve(spammy, attachments=(EXE,)))[:2] == ("delete", "exe")
    assert decide(p, attrs.evolve(spammy, virus=True))[:2] == ("delete", "virus")


def test_blocked_senders_win_over_approved_and_skip_scanning() -> None:
    entry = SenderEntry("spam@bad.example", Meta(Origin("senders.txt", 4, "sender", "x")))
    p = policy(rule("deliver", RuleKind.VIRUS_SCAN, 1, action=InterceptAction.DELIVER_NOW),
               blocked_senders=(entry,), approved_senders=(SenderEntry("*@bad.example"),))
    d = ems.decide(p, msg(sender="SPAM@bad.example", virus=True))
    assert d.action == "delete"
    assert d.decided_by == DecidedBy("blocked-sender", "spam@bad.example", "senders.txt", 4)
    # the sender filter is inbound connection filtering
    assert decide(p, msg(sender="spam@bad.example", recipient="x@o.example",
                         direction="outgoing"))[0] == "deliver"


def test_ip_reputation_lists() -> None:
    p = policy(approved_ips=(IpListEntry("203.0.113.5"),),
               blocked_ips=(IpListEntry("203.0.113.0/24"),))
    assert decide(p, msg(client_ip="203.0.113.9"))[:2] == ("delete", "203.0.113.0/24")
    assert decide(p, msg(client_ip="203.0.113.5"))[0] == "deliver"
    assert decide(p, msg())[0] == "deliver"


def test_dkim_verification_header_and_envelope() -> None:
    p = policy(dkim_verification=DkimVerification(enforced_domains=("bank.example",),
                                                  action="delete"))
    header = msg(sender="bounce@mailer.example", headers=(("From", "info@bank.example"),))
    envelope = msg(sender="info@bank.example", headers=(("From", "x@other.example"),))
    assert decide(p, header)[:2] == ("delete", "bank.example")
    assert decide(p, envelope)[:2] == ("delete", "bank.example")
    assert decide(p, attrs.evolve(header, dkim_pass=True))[0] == "deliver"


def test_dmarc() -> None:
    p = policy(dmarc=EmsDmarc(enabled=True, actions=(("reject", "reject"),)))
    assert decide(p, msg(dmarc="reject"))[:2] == ("delete", "reject")
    assert decide(p, msg(dmarc="quarantine"))[0] == "deliver"


def test_x_header_last_wins_and_encrypt_is_last() -> None:
    p = policy(
        rule("a", RuleKind.CONTENT_FILTERING, 1, direction=Direction.OUTGOING,
             actions=(Encrypt(), InsertXHeader("X-A", "1"))),
        rule("b", RuleKind.CONTENT_FILTERING, 2, direction=Direction.OUTGOING,
             actions=(InsertXHeader("X-A", "2"), TagSubject("t"))),
    )
    m = msg(sender="a@example.co.jp", recipient="x@o.example")
    assert decide(p, m)[2] == ("x-header:X-A=2", "tag-subject:t", "encrypt")


@pytest.mark.parametrize("action", [InterceptAction.DELETE, InterceptAction.QUARANTINE,
                                    InterceptAction.CHANGE_RECIPIENT])
def test_terminal_intercepts_stop(action: InterceptAction) -> None:
    p = policy(rule("stop", RuleKind.SPAM_FILTERING, 1, action=action),
               rule("later", RuleKind.CONTENT_FILTERING, 1, actions=(TagSubject("x"),)))
    assert decide(p, msg())[:2] == (action.value, "stop")
    assert "tag-subject:x" not in decide(p, msg())[2]


def test_disabled_rules_do_not_apply() -> None:
    p = policy(rule("off", RuleKind.CONTENT_FILTERING, 1, action=InterceptAction.DELETE,
                    enabled=False))
    assert decide(p, msg())[0] == "deliver"


# ---------------------------------------------------------------------- keyword criteria


def kw_list(name: str, *texts: str, match: KeywordMatch = KeywordMatch.ANY,
            threshold: int | None = None, scores: tuple[int, ...] = ()) -> EmsKeywordList:
    exprs = tuple(KeywordExpression(t, parse_expression(t, dialect=Dialect.EMS), score=s)
                  for t, s in zip(texts, scores or (0,) * len(texts), strict=True))
    return EmsKeywordList(name, match, threshold, exprs)


def test_score_list_reaching_the_threshold_matches() -> None:
    lists = (kw_list("s", "alpha", "beta", match=KeywordMatch.SCORE, threshold=5,
                     scores=(5, 1)),)
    p = policy(rule("r", RuleKind.CONTENT_FILTERING, 1, KeywordCondition(MessagePart.BODY, "s"),
                    action=InterceptAction.DELETE), keyword_lists=lists)
    assert decide(p, msg(body="alpha"))[0] == "delete"
    assert decide(p, msg(body="beta"))[0] == "deliver"


def test_approved_sender_still_gets_content_keyword_rules() -> None:
    p = policy(rule("secret", RuleKind.CONTENT_FILTERING, 1,
                    KeywordCondition(MessagePart.SUBJECT, "secret"),
                    action=InterceptAction.QUARANTINE),
               keyword_lists=(kw_list("secret", "社外秘"),),
               approved_senders=(SenderEntry("*@outside.example"),))
    jp = MailMessage.from_eml(DATA / "japanese.eml")
    assert decide(p, jp)[:2] == ("quarantine", "secret")


# ---------------------------------------------------------------------- the two models agree


_CONDS = st.sampled_from([
    AttachmentName("*.exe"), AttachmentName("*.zip"),
    SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 1000),
    SizeCondition(Measure.ATTACHMENT_SIZE, Compare.LE, 50),
    FlagCondition(Flag.PASSWORD_PROTECTED),
])
_ACTIONS = st.sampled_from([TagSubject("[a]"), TagSubject("[b]"), InsertXHeader("X-S", "1"),
                            InsertXHeader("X-S", "2")])
_INTERCEPTS = st.sampled_from([InterceptAction.NONE, InterceptAction.NONE,
                               InterceptAction.DELETE, InterceptAction.QUARANTINE])
_RULES = st.lists(st.tuples(st.lists(_CONDS, max_size=3), st.booleans(), _INTERCEPTS,
                            st.lists(_ACTIONS, max_size=2)), max_size=5)
_ATTS = st.lists(st.builds(Attachment, st.sampled_from(["a.exe", "b.zip", "c.txt"]),
                           size=st.integers(0, 100), password_protected=st.booleans()),
                 max_size=3)


@given(_RULES, _ATTS, st.integers(0, 3000))
def test_content_rules_decide_alike_in_both_models(
        rules: list[tuple[list[Condition], bool, InterceptAction, list[Action]]],
        atts: list[Attachment], size: int) -> None:
    source = MailPolicy(internal_domains=MANAGED, rules=tuple(
        MailRule(f"r{i}", i, route=Route(RouteType.INCOMING), conditions=tuple(c),
                 match=Match.ALL if all_ else Match.ANY, intercept=Intercept(act), actions=tuple(a))
        for i, (c, all_, act, a) in enumerate(rules)))
    target = policy(*(
        rule(f"r{i}", RuleKind.CONTENT_FILTERING, i, *c, action=act, actions=tuple(a),
             match=(CriteriaMatch.NONE if not c else
                    CriteriaMatch.ALL if all_ else CriteriaMatch.ANY))
        for i, (c, all_, act, a) in enumerate(rules)))
    m = msg(attachments=tuple(atts), size=size)
    s, t = imsva.decide(source, m), ems.decide(target, m)
    assert (s.action, s.modifications) == (t.action, t.modifications)
    assert (s.decided_by and s.decided_by.name) == (t.decided_by and t.decided_by.name)
