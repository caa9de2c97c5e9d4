"""The EmS back-end: lowering decisions, computed fidelity and the per-type reorder check
(docs/targets/ems.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings

from isc.backends import TARGETS
from isc.backends.ems import FILENAME, NAME, Options, compile_mail
from isc.diagnostics import Severity, Span
from isc.frontends.keywords import parse_expression
from isc.ir.common import Difference, Fidelity
from isc.ir.ems import CriteriaMatch, EmsPolicy, EmsRule, RuleKind
from isc.ir.export import Output, ReportEntry
from isc.ir.keyword_expr import Dialect
from isc.ir.mail import (
    AddressGroup,
    Archive,
    AttachmentName,
    Compare,
    Condition,
    Direction,
    DkimEnforcement,
    DlpCondition,
    Dmarc,
    Flag,
    FlagCondition,
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
    MailSetting,
    Match,
    Measure,
    MessagePart,
    MimeType,
    Notification,
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
)
from isc.ir.serde import dump_report
from isc.ir.serde_ems import dump_ems, load_ems
from isc.schemas import validate
from strategies_mail import mail_policies

INTERNAL = ("example.co.jp",)
EXE = AttachmentName("*.exe")
MB = 1024 * 1024


def ems_parse(text: str) -> Any:
    return parse_expression(text, dialect=Dialect.EMS)


def span(line: int) -> Span:
    return Span("policy.xml", line, 3)


def rule(name: str, order: int, *conditions: Condition, route: RouteType = RouteType.INCOMING,
         match: Match = Match.ANY, intercept: InterceptAction = InterceptAction.NONE,
         kind: RuleType = RuleType.OTHER, **kw: Any) -> MailRule:
    icpt = kw.pop("icpt", None) or Intercept(intercept)
    rt = kw.pop("route_obj", None) or Route(route)
    return MailRule(name, order, type=kind, route=rt, match=match, conditions=conditions,
                    intercept=icpt, span=span(order * 10), **kw)


def policy(*rules: MailRule, **kw: Any) -> MailPolicy:
    kw.setdefault("internal_domains", INTERNAL)
    return MailPolicy(rules=rules, **kw)


def compile_(p: MailPolicy) -> Output:
    return compile_mail(p, lambda f: f, Options(parse_expression=ems_parse, pool_limit=600))


def doc(out: Output) -> EmsPolicy:
    assert isinstance(out.document, EmsPolicy)
    return out.document


def entry(out: Output, kind: str, name: str) -> ReportEntry:
    found = [e for e in out.report if e.source.kind == kind and e.source.name == name]
    assert len(found) == 1, [(e.source.kind, e.source.name) for e in out.report]
    return found[0]


def rules_named(out: Output, name: str) -> list[EmsRule]:
    return [r for r in doc(out).rules if r.meta.source and r.meta.source.name == name]


def codes(out: Output) -> list[str]:
    return [d.code for d in out.diagnostics]


# ------------------------------------------------------------------------------ registry


def test_target_is_registered() -> None:
    assert "ems" in TARGETS and "ztsa-ia" in TARGETS
    assert (NAME, FILENAME) == ("ems", "ems.json")


# ------------------------------------------------------------------------------ routes


@pytest.mark.parametrize(("route", "directions"), [
    (RouteType.INCOMING, [Direction.INCOMING]),
    (RouteType.OUTGOING, [Direction.OUTGOING]),
    (RouteType.BOTH, [Direction.INCOMING, Direction.OUTGOING]),
    (RouteType.ALL, [Direction.INCOMING, Direction.OUTGOING]),
])
def test_route_type_becomes_directions(route: RouteType, directions: list[Direction]) -> None:
    out = compile_(policy(rule("Block exe", 1, EXE, route=route,
                               intercept=InterceptAction.DELETE)))
    made = rules_named(out, "Block exe")
    assert [r.direction for r in made] == directions
    assert all(r.kind is RuleKind.CONTENT_FILTERING for r in made)
    assert entry(out, "mail-rule", "Block exe").fidelity is Fidelity.EXACT


def test_pop3_rule_is_dropped() -> None:
    out = compile_(policy(rule("POP3 spam", 1, SpamCondition(), route=RouteType.POP3,
                               intercept=InterceptAction.DELETE)))
    assert doc(out).rules == ()
    e = entry(out, "mail-rule", "POP3 spam")
    assert e.fidelity is Fidelity.DROPPED and e.fate == "dropped"
    assert any("POP3" in r for r in e.reasons)
    # the models decide SMTP only, but what the rule deleted is now delivered: fail closed
    assert e.directions == {Difference.BROADENED}
    assert "ISC3002" in codes(out)
    # a POP3 rule that stops nothing loses nothing when dropped
    out = compile_(policy(rule("POP3 tag", 1, SpamCondition(), route=RouteType.POP3,
                               actions=(TagSubject("[spam]"),))))
    e = entry(out, "mail-rule", "POP3 tag")
    assert e.fidelity is Fidelity.DROPPED and e.directions == set()
    assert "ISC3004" in codes(out)


def test_parties_and_exceptions_are_carried() -> None:
    route = Route(RouteType.INCOMING, senders=(Party(PartyKind.ADDRESS, "*@partner.example"),),
                  recipients=(Party(PartyKind.ADDRESS_GROUP, "Execs"),),
                  exceptions=(RouteException(Party(PartyKind.ADDRESS, "a@partner.example")),))
    grp = AddressGroup("Execs", (Party(PartyKind.ADDRESS, "ceo@example.co.jp"),))
    out = compile_(policy(rule("Execs", 1, EXE, route_obj=route,
                               intercept=InterceptAction.QUARANTINE), address_groups=(grp,)))
    (r,) = rules_named(out, "Execs")
    assert r.senders == route.senders and r.recipients == route.recipients
    assert r.exceptions == route.exceptions
    assert entry(out, "mail-rule", "Execs").fidelity is Fidelity.EXACT
    assert doc(out).address_groups[0].name == "Execs"


# ------------------------------------------------------------------------------ split by type


def test_any_rule_splits_by_type_and_keeps_order() -> None:
    out = compile_(policy(
        rule("Mixed", 1, SpamCondition(), EXE, DlpCondition("PII"),
             intercept=InterceptAction.QUARANTINE),
        rule("Later content", 3, AttachmentName("*.js"), intercept=InterceptAction.DELETE),
        rule("Middle content", 2, MimeType("text/html"), intercept=InterceptAction.DELETE),
    ))
    made = rules_named(out, "Mixed")
    assert [r.kind for r in made] == [RuleKind.SPAM_FILTERING, RuleKind.CONTENT_FILTERING,
                                      RuleKind.DLP]
    assert [r.criteria for r in made] == [(SpamCondition(),), (EXE,), (DlpCondition("PII"),)]
    content = doc(out).rules_of(Direction.INCOMING, RuleKind.CONTENT_FILTERING)
    assert [(r.name, r.order) for r in content] == [
        ("Mixed", 1), ("Middle content", 2), ("Later content", 3)]
    assert entry(out, "mail-rule", "Mixed").fidelity is Fidelity.EXACT
    assert len(entry(out, "mail-rule", "Mixed").targets) == 3


def test_names_are_unique_per_type_and_stable() -> None:
    p = policy(rule("Same", 1, EXE), rule("Same", 2, AttachmentName("*.js")))
    out = compile_(p)
    names = [r.name for r in doc(out).rules]
    assert names == ["Same", "Same [order 2]"]
    assert dump_ems(compile_(p)) == dump_ems(out)


def test_all_match_inside_content_filtering_is_exact() -> None:
    size = SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 10 * MB, "MB")
    out = compile_(policy(rule("Big exe", 1, EXE, size, match=Match.ALL,
                               intercept=InterceptAction.DELETE)))
    (r,) = rules_named(out, "Big exe")
    assert r.match is CriteriaMatch.ALL and r.criteria == (EXE, size) and r.enabled
    assert entry(out, "mail-rule", "Big exe").fidelity is Fidelity.EXACT


def test_all_match_across_types_is_emitted_disabled() -> None:
    out = compile_(policy(rule("Spam with exe", 1, SpamCondition(), EXE, match=Match.ALL,
                               intercept=InterceptAction.DELETE)))
    made = rules_named(out, "Spam with exe")
    assert [r.kind for r in made] == [RuleKind.SPAM_FILTERING, RuleKind.CONTENT_FILTERING]
    assert not any(r.enabled for r in made)
    e = entry(out, "mail-rule", "Spam with exe")
    assert e.fate == "EmS rules (emitted disabled)"
    assert e.fidelity is Fidelity.BROADENED  # the deletes no longer happen
    assert e.witness is not None and e.witness["source"] == "delete"
    assert e.witness["target"] == "deliver"
    assert any(d.code == "ISC3002" and d.severity is Severity.WARNING for d in out.diagnostics)


def test_all_match_with_recipient_number_is_emitted_disabled() -> None:
    many = SizeCondition(Measure.RECIPIENT_COUNT, Compare.GT, 50)
    out = compile_(policy(rule("Mass exe", 1, many, EXE, match=Match.ALL,
                               intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Mass exe")
    assert not r.enabled and r.match is CriteriaMatch.ANY


def test_two_spam_criteria_anded_cannot_be_expressed() -> None:
    out = compile_(policy(rule("Gray spam", 1, SpamCondition(), FlagCondition(Flag.GRAYMAIL),
                               match=Match.ALL, intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Gray spam")
    assert r.kind is RuleKind.SPAM_FILTERING and not r.enabled


def test_single_criterion_all_match_is_any_match() -> None:
    out = compile_(policy(rule("Spam", 1, SpamCondition("high"), match=Match.ALL,
                               intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Spam")
    assert r.enabled and r.match is CriteriaMatch.ANY
    assert entry(out, "mail-rule", "Spam").fidelity is Fidelity.EXACT


def test_no_conditions_is_content_filtering_without_criteria() -> None:
    out = compile_(policy(rule("Stamp all", 1, actions=(TagSubject("[ext]"),))))
    (r,) = rules_named(out, "Stamp all")
    assert r.kind is RuleKind.CONTENT_FILTERING and r.match is CriteriaMatch.NONE
    assert entry(out, "mail-rule", "Stamp all").fidelity is Fidelity.EXACT


def test_antivirus_rule_becomes_virus_scan() -> None:
    out = compile_(policy(rule("AV", 1, kind=RuleType.ANTIVIRUS,
                               intercept=InterceptAction.DELETE, route=RouteType.ALL)))
    made = rules_named(out, "AV")
    assert [(r.direction, r.kind) for r in made] == [
        (Direction.INCOMING, RuleKind.VIRUS_SCAN), (Direction.OUTGOING, RuleKind.VIRUS_SCAN)]
    assert made[0].criteria == (VirusCondition(),)
    assert entry(out, "mail-rule", "AV").fidelity is Fidelity.EXACT


# ------------------------------------------------------------------------------ sizes


@pytest.mark.parametrize(("op", "value", "unit", "expected"), [
    (Compare.GT, 5 * MB, "MB", [(Compare.GT, 5 * MB, "MB")]),
    (Compare.GE, 5 * MB, "MB", [(Compare.GT, 5 * MB - 1, "B")]),
    (Compare.LT, 1024, "KB", [(Compare.LE, 1023, "B")]),
    (Compare.LE, 2048, "B", [(Compare.LE, 2048, "B")]),
])
def test_attachment_size_is_exact_with_gt_and_le(op: Compare, value: int, unit: str,
                                                 expected: list[tuple[Compare, int, str]]
                                                 ) -> None:
    """The written unit is kept where the value is whole in it."""
    cond = SizeCondition(Measure.ATTACHMENT_SIZE, op, value, unit)
    out = compile_(policy(rule("Size", 1, cond, intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Size")
    got = [(c.op, c.value, c.unit) for c in r.criteria if isinstance(c, SizeCondition)]
    assert got == expected
    assert r.match is CriteriaMatch.ANY
    assert entry(out, "mail-rule", "Size").fidelity is Fidelity.EXACT


def test_equal_count_becomes_two_criteria_with_all_match() -> None:
    cond = SizeCondition(Measure.ATTACHMENT_COUNT, Compare.EQ, 3)
    out = compile_(policy(rule("Three", 1, cond, intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Three")
    assert r.match is CriteriaMatch.ALL
    assert r.criteria == (SizeCondition(Measure.ATTACHMENT_COUNT, Compare.GT, 2),
                          SizeCondition(Measure.ATTACHMENT_COUNT, Compare.LE, 3))
    assert entry(out, "mail-rule", "Three").fidelity is Fidelity.EXACT


def test_equal_attachment_size_is_computed_narrowed() -> None:
    """'> n-1' AND '<= n' may hold for two different attachments: the models find it."""
    cond = SizeCondition(Measure.ATTACHMENT_SIZE, Compare.EQ, 4096, "KB")
    out = compile_(policy(rule("Size", 1, cond, intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Size")
    assert r.match is CriteriaMatch.ALL and len(r.criteria) == 2
    e = entry(out, "mail-rule", "Size")
    assert e.fidelity is Fidelity.NARROWED
    assert e.witness is not None and len(e.witness["message"]["attachments"]) >= 2


def test_equal_size_among_other_criteria_is_not_exact() -> None:
    cond = SizeCondition(Measure.ATTACHMENT_COUNT, Compare.EQ, 3)
    out = compile_(policy(rule("Three", 1, cond, EXE, intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Three")
    assert r.match is CriteriaMatch.ANY
    assert SizeCondition(Measure.ATTACHMENT_COUNT, Compare.GT, 2) in r.criteria
    e = entry(out, "mail-rule", "Three")
    assert e.fidelity is Fidelity.NARROWED  # 4+ attachments are now quarantined too
    assert any("no '='" in x for x in e.reasons)


def test_message_size_is_rounded_to_kb_towards_more_mail() -> None:
    cond = SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 1500, "B")
    out = compile_(policy(rule("Over 1500", 1, cond, intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Over 1500")
    assert r.criteria == (SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 1024, "KB"),)
    e = entry(out, "mail-rule", "Over 1500")
    assert e.fidelity is Fidelity.NARROWED
    assert any("KB" in x for x in e.reasons)


# ------------------------------------------------------------------------------ dropped parts


def test_unsupported_true_file_type_in_a_block_broadens() -> None:
    out = compile_(policy(
        rule("Block msi", 1, TrueFileType("MSI"), intercept=InterceptAction.DELETE),
        rule("Block msi or exe", 2, TrueFileType("MSI"), TrueFileType("EXE"),
             intercept=InterceptAction.DELETE)))
    assert rules_named(out, "Block msi") == []
    alone = entry(out, "mail-rule", "Block msi")
    assert alone.fate == "dropped" and alone.fidelity is Fidelity.DROPPED
    assert alone.directions == {Difference.BROADENED}
    (r,) = rules_named(out, "Block msi or exe")
    assert r.criteria == (TrueFileType("EXE"),)
    assert entry(out, "mail-rule", "Block msi or exe").fidelity is Fidelity.BROADENED


def test_dropped_condition_under_all_match_narrows() -> None:
    night = ReceivedTime(0, 360)
    out = compile_(policy(rule("Night exe", 1, EXE, night, match=Match.ALL,
                               intercept=InterceptAction.QUARANTINE)))
    (r,) = rules_named(out, "Night exe")
    assert r.criteria == (EXE,) and r.enabled
    e = entry(out, "mail-rule", "Night exe")
    assert e.fidelity is Fidelity.NARROWED
    assert any("Received time range" in x for x in e.reasons)


def test_all_match_with_nothing_left_is_disabled() -> None:
    out = compile_(policy(rule("Spoofed", 1, FlagCondition(Flag.SPOOFED_INTERNAL),
                               match=Match.ALL, intercept=InterceptAction.DELETE)))
    (r,) = rules_named(out, "Spoofed")
    assert not r.enabled and r.match is CriteriaMatch.NONE


@pytest.mark.parametrize("action", [Postpone(22 * 60), Archive("audit")])
def test_postpone_and_archive_are_dropped(action: Any) -> None:
    out = compile_(policy(rule("Keep", 1, EXE, actions=(action, TagSubject("[x]")))))
    (r,) = rules_named(out, "Keep")
    assert r.actions == (TagSubject("[x]"),)
    assert entry(out, "mail-rule", "Keep").fidelity is Fidelity.APPROXIMATED


def test_reserved_x_header_is_dropped() -> None:
    out = compile_(policy(rule("Hdr", 1, EXE, actions=(InsertXHeader("X-TM-Mark", "1"),
                                                        InsertXHeader("X-Corp", "1")))))
    (r,) = rules_named(out, "Hdr")
    assert r.actions == (InsertXHeader("X-Corp", "1"),)
    assert entry(out, "mail-rule", "Hdr").fidelity is Fidelity.APPROXIMATED


# ------------------------------------------------------------------------------ intercepts


def test_quarantine_area_is_lost_with_a_review_note() -> None:
    out = compile_(policy(rule("Q", 1, EXE, icpt=Intercept(InterceptAction.QUARANTINE,
                                                          area="Malware"))))
    (r,) = rules_named(out, "Q")
    assert r.intercept == Intercept(InterceptAction.QUARANTINE)
    e = entry(out, "mail-rule", "Q")
    assert e.fidelity is Fidelity.EXACT
    assert any("Malware" in x for x in r.meta.review)


def test_handoff_becomes_quarantine_narrowed() -> None:
    out = compile_(policy(rule("Encrypt", 1, DlpCondition("PII"), route=RouteType.OUTGOING,
                               icpt=Intercept(InterceptAction.HANDOFF, host="gw.example.co.jp",
                                              port=10025))))
    (r,) = rules_named(out, "Encrypt")
    assert r.intercept.action is InterceptAction.QUARANTINE and r.kind is RuleKind.DLP
    e = entry(out, "mail-rule", "Encrypt")
    assert e.fidelity is Fidelity.NARROWED
    assert e.witness is not None
    assert (e.witness["source"], e.witness["target"]) == ("handoff", "quarantine")
    assert any("gw.example.co.jp:10025" in x for x in e.reasons)


def test_change_recipient_is_exact() -> None:
    icpt = Intercept(InterceptAction.CHANGE_RECIPIENT, recipients=("sec@example.co.jp",))
    out = compile_(policy(rule("Redirect", 1, EXE, icpt=icpt)))
    (r,) = rules_named(out, "Redirect")
    assert r.intercept == icpt
    assert entry(out, "mail-rule", "Redirect").fidelity is Fidelity.EXACT


# ------------------------------------------------------------------------------ reorder


def test_reorder_across_types_is_warned_with_a_witness() -> None:
    out = compile_(policy(
        rule("Quarantine exe", 1, EXE, intercept=InterceptAction.QUARANTINE),
        rule("Global antivirus", 2, kind=RuleType.ANTIVIRUS, intercept=InterceptAction.DELETE),
    ))
    warnings = [d for d in out.diagnostics if d.code == "ISC3011"]
    assert len(warnings) == 1
    w = warnings[0]
    assert w.severity is Severity.WARNING and w.line == 10
    assert '"Quarantine exe" (order 1, content filtering)' in w.message
    assert '"Global antivirus" (order 2, virus scan)' in w.message
    assert "EmS runs virus scan first" in w.message
    e = entry(out, "mail-rule", "Quarantine exe")
    assert e.witness is not None and e.witness["cause"] == "per-type reorder"
    msg = e.witness["message"]
    assert msg["virus"] is True and msg["attachments"][0]["name"].endswith(".exe")
    assert (e.witness["source"], e.witness["target"]) == ("quarantine", "delete")
    assert e.fidelity is Fidelity.NARROWED  # widened by the sweep
    assert any("ISC3011" in x for x in e.reasons)
    (r,) = rules_named(out, "Quarantine exe")
    assert r.meta.fidelity is Fidelity.NARROWED
    assert entry(out, "mail-rule", "Global antivirus").witness is not None
    json.dumps(e.witness)  # the report can carry it


def test_no_reorder_warning_when_imsva_order_is_ems_order() -> None:
    out = compile_(policy(
        rule("Global antivirus", 1, kind=RuleType.ANTIVIRUS, intercept=InterceptAction.DELETE),
        rule("Quarantine exe", 2, EXE, intercept=InterceptAction.QUARANTINE),
    ))
    assert "ISC3011" not in codes(out)
    assert all(e.fidelity is Fidelity.EXACT for e in out.report)


def test_reorder_of_modifications_is_warned() -> None:
    """A later content rule's tag now runs before an earlier DLP rule stops the message."""
    out = compile_(policy(
        rule("DLP quarantine", 1, DlpCondition("PII"), intercept=InterceptAction.QUARANTINE),
        rule("Tag exe", 2, EXE, actions=(TagSubject("[exe]"),)),
    ))
    (w,) = [d for d in out.diagnostics if d.code == "ISC3011"]
    assert '"Tag exe" (order 2, content filtering) ran after "DLP quarantine"' in w.message
    assert w.line == 20


# ------------------------------------------------------------------------------ objects


def _kw(name: str, *texts: str, match: KeywordMatch = KeywordMatch.ANY,
        threshold: int | None = None, score: int = 0) -> KeywordList:
    return KeywordList(name, match, threshold, tuple(
        KeywordExpression(t, parse_expression(t), score=score) for t in texts))


def test_keyword_lists_and_score_threshold() -> None:
    lst = _kw("PII", "secret", "個人情報", match=KeywordMatch.SCORE, threshold=4, score=5)
    use = KeywordCondition(MessagePart.SUBJECT, "PII")
    out = compile_(policy(rule("PII", 1, use, intercept=InterceptAction.QUARANTINE),
                          keyword_lists=(lst,)))
    (k,) = doc(out).keyword_lists
    assert k.threshold == 5 and [e.text for e in k.expressions] == ["secret", "個人情報"]
    assert entry(out, "keyword-list", "PII").fidelity is Fidelity.EXACT
    assert entry(out, "mail-rule", "PII").fidelity is Fidelity.EXACT


def test_keyword_expression_without_ems_form_is_reported() -> None:
    out = compile_(policy(keyword_lists=(_kw("Bell", "a\\ab"),)))
    assert "ISC3013" in codes(out)
    assert entry(out, "keyword-list", "Bell").fidelity is Fidelity.APPROXIMATED


def test_notification_variables_and_stamps() -> None:
    bad = Notification("Alert", "admin@example.co.jp", "%RULENAME% %HOSTNAME%",
                       "area %quarantine_area%", span=span(5))
    good = Notification("Plain", "admin@example.co.jp", "%SUBJECT%", "%SENDER%")
    out = compile_(policy(notifications=(bad, good),
                          stamps=(Stamp("Ext", "External mail", "beginning"),)))
    (w,) = [d for d in out.diagnostics if d.code == "ISC3012"]
    assert "%HOSTNAME%" in w.message and "%QUARANTINE_AREA%" in w.message and w.line == 5
    assert entry(out, "notification", "Alert").fidelity is Fidelity.APPROXIMATED
    assert entry(out, "notification", "Plain").fidelity is Fidelity.EXACT
    assert doc(out).notifications[0].body == "area %quarantine_area%"
    assert entry(out, "stamp", "Ext").fidelity is Fidelity.EXACT
    assert doc(out).stamps[0].position == "beginning"


def test_address_group_with_wildcard_domain_is_hybrid() -> None:
    groups = (AddressGroup("Subs", (Party(PartyKind.ADDRESS, "*@*.example.com"),)),
              AddressGroup("Plain", (Party(PartyKind.ADDRESS, "*@example.com"),)))
    out = compile_(policy(address_groups=groups))
    assert [(g.name, g.hybrid) for g in doc(out).address_groups] == [("Subs", True),
                                                                     ("Plain", False)]


def test_ldap_parties() -> None:
    dn_user = Party(PartyKind.LDAP_USER, "CN=Taro,OU=Users,DC=example,DC=co,DC=jp")
    mail_user = Party(PartyKind.LDAP_USER, "hanako@example.co.jp")
    group = Party(PartyKind.LDAP_GROUP, "CN=Sales,OU=Groups,DC=example,DC=co,DC=jp")
    out = compile_(policy(
        rule("By group", 1, EXE, route_obj=Route(RouteType.INCOMING, recipients=(group,))),
        rule("By user", 2, EXE, route_obj=Route(RouteType.INCOMING,
                                                 recipients=(dn_user, mail_user))),
    ))
    (g,) = rules_named(out, "By group")
    assert g.recipients == (group,)
    assert entry(out, "mail-rule", "By group").fidelity is Fidelity.EXACT
    (u,) = rules_named(out, "By user")
    assert u.recipients == (dn_user, Party(PartyKind.ADDRESS, "hanako@example.co.jp"))
    assert entry(out, "mail-rule", "By user").fidelity is Fidelity.APPROXIMATED
    ldap_notes = [d for d in out.diagnostics if d.code == "ISC3014"]
    assert len(ldap_notes) == 2 and "CN=Sales" in ldap_notes[0].message


def test_sender_lists() -> None:
    spam = rule("Spam", 1, SpamCondition(), intercept=InterceptAction.QUARANTINE)
    out = compile_(policy(
        spam,
        approved_senders=(Party(PartyKind.ADDRESS, "*@partner.example", span=span(90)),
                          Party(PartyKind.ADDRESS, "news@*", span=span(91))),
        blocked_senders=(Party(PartyKind.ADDRESS, "*@bad.example", span=span(92)),),
    ))
    d = doc(out)
    assert [e.address for e in d.approved_senders] == ["*@partner.example"]
    assert [e.address for e in d.blocked_senders] == ["*@bad.example"]
    assert entry(out, "approved-senders.entry", "*@partner.example").fidelity is Fidelity.EXACT
    dropped = entry(out, "approved-senders.entry", "news@*")
    assert dropped.fate == "dropped" and dropped.fidelity is Fidelity.DROPPED
    assert dropped.directions == {Difference.NARROWED}
    # IMSVA only made spam match; EmS deletes every message of a blocked sender
    assert entry(out, "blocked-senders.entry", "*@bad.example").fidelity is Fidelity.NARROWED


def test_ip_lists() -> None:
    sf = SenderFiltering(
        approved_ips=(IpEntry("203.0.113.0/24"), IpEntry("10.0.0.0/8")),
        blocked_ips=(IpEntry("198.51.100.7", "block-permanently"),
                     IpEntry("198.51.100.8", "block-temporarily"),
                     IpEntry("203.0.113.9", "block-permanently")))
    out = compile_(policy(sender_filtering=sf))
    d = doc(out)
    assert [e.value for e in d.approved_ips] == ["203.0.113.0/24"]
    assert [e.value for e in d.blocked_ips] == ["198.51.100.7", "203.0.113.9"]
    assert entry(out, "sender-filtering.approved-ip", "10.0.0.0/8").fidelity is (
        Fidelity.DROPPED)
    temp = entry(out, "sender-filtering.blocked-ip", "198.51.100.8")
    assert temp.fate == "dropped" and temp.fidelity is Fidelity.DROPPED
    assert temp.directions == {Difference.BROADENED}
    assert entry(out, "sender-filtering.blocked-ip", "198.51.100.7").fidelity is Fidelity.EXACT
    assert entry(out, "sender-filtering.email-reputation", "Email Reputation").fidelity is (
        Fidelity.NARROWED)  # off in IMSVA, always on in EmS


def test_dkim_and_dmarc() -> None:
    out = compile_(policy(
        dkim_enforcement=DkimEnforcement(True, ("bank.example",), "quarantine"),
        dmarc=Dmarc(True, True, False, ("bank.example",), ("203.0.113.5",),
                    (("reject", "quarantine"),))))
    d = doc(out)
    assert d.dkim_verification is not None
    assert d.dkim_verification.enforced_domains == ("bank.example",)
    # EmS also checks the envelope sender: more mail is quarantined
    assert entry(out, "dkim-enforcement", "Global DKIM Enforcement rule").fidelity is (
        Fidelity.NARROWED)
    assert d.dmarc is not None and d.dmarc.actions == (("reject", "quarantine"),)
    e = entry(out, "dmarc", "DMARC")
    assert e.fidelity is Fidelity.NARROWED  # every domain, no IP exceptions
    assert any("203.0.113.5" in x for x in e.reasons)


def test_internal_domains_and_settings() -> None:
    out = compile_(policy(settings=(MailSetting("smtp", "port", "25", span=span(1)),)))
    assert doc(out).managed_domains == INTERNAL
    assert entry(out, "internal-addresses.domain", "example.co.jp").fidelity is Fidelity.EXACT
    s = entry(out, "imss.ini", "[smtp] port")
    assert s.fidelity is Fidelity.DROPPED
    assert not [d for d in out.diagnostics if d.line == 1]


# ------------------------------------------------------------------------------ the output


def sample() -> MailPolicy:
    kw = _kw("Secret", "confidential", "社外秘")
    return policy(
        rule("AV", 1, kind=RuleType.ANTIVIRUS, route=RouteType.ALL,
             intercept=InterceptAction.DELETE),
        rule("Secret out", 2, KeywordCondition(MessagePart.BODY, "Secret"),
             route=RouteType.OUTGOING, icpt=Intercept(InterceptAction.QUARANTINE, area="dlp")),
        rule("Spam", 3, SpamCondition(threshold="6.5"), FlagCondition(Flag.GRAYMAIL),
             intercept=InterceptAction.QUARANTINE),
        rule("Disabled", 4, EXE, enabled=False, intercept=InterceptAction.DELETE),
        keyword_lists=(kw,),
        approved_senders=(Party(PartyKind.ADDRESS, "*@partner.example"),),
        product="IMSVA", version="9.1.0.2011",
    )


def test_output_validates_and_reads_back() -> None:
    out = compile_(sample())
    document = dump_ems(out)
    validate(document, "ems-1")
    assert document["sourceProduct"] == "IMSVA 9.1.0.2011"
    text = json.dumps(document, ensure_ascii=False, sort_keys=True)
    back = load_ems(json.loads(text), filename="ems.json", parse_expression=ems_parse)
    assert back.document == out.document and back.source_product == out.source_product
    report = dump_report(out)
    validate(report, "report-1")
    assert report["target"] == "ems"
    (disabled,) = rules_named(out, "Disabled")
    assert not disabled.enabled


def test_every_source_object_has_one_report_entry() -> None:
    p = sample()
    out = compile_(p)
    keys = [(e.source.kind, e.source.name) for e in out.report]
    assert len(keys) == len(set(keys))
    assert {n for k, n in keys if k == "mail-rule"} == {r.name for r in p.rules}
    assert ("keyword-list", "Secret") in keys
    assert ("approved-senders.entry", "*@partner.example") in keys


def test_output_is_deterministic() -> None:
    a, b = compile_(sample()), compile_(sample())
    assert dump_ems(a) == dump_ems(b)
    assert dump_report(a) == dump_report(b)


@settings(max_examples=15, deadline=None)
@given(mail_policies())
def test_any_policy_compiles_to_a_valid_document(p: MailPolicy) -> None:
    out = compile_mail(p, lambda f: f, Options(parse_expression=ems_parse, pool_limit=150))
    document = dump_ems(out)
    validate(document, "ems-1")
    validate(dump_report(out), "report-1")
    back = load_ems(json.loads(json.dumps(document)), filename="ems.json",
                    parse_expression=ems_parse)
    assert back.document == out.document
    reported = {(e.source.kind, e.source.name) for e in out.report}
    assert {("mail-rule", r.name) for r in p.rules} <= reported
    for r in doc(out).rules:
        assert r.meta.source is not None and r.meta.source.kind == "mail-rule"
