"""Every mail optimisation pass, and the default mail pipeline, is idempotent and never
changes a decision of the IMSVA model; and each one does change something when it can."""

from __future__ import annotations

import itertools

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import isc
from isc.diagnostics import Severity
from isc.frontends.keywords import parse_expression
from isc.ir.mail import (
    Action,
    AddressGroup,
    Bcc,
    Dmarc,
    Flag,
    FlagCondition,
    InsertXHeader,
    Intercept,
    InterceptAction,
    KeywordExpression,
    KeywordList,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Match,
    Party,
    PartyKind,
    ReceivedTime,
    Route,
    RouteException,
    RouteType,
    RuleType,
    TagSubject,
    VirusCondition,
)
from isc.ir.requests import Attachment, MailMessage
from isc.models import imsva
from isc.models.keywords import keyword_list_matches
from isc.passes import (
    DEFAULT_MAIL_PIPELINE,
    MAIL_PASSES,
    PASSES,
    PassContext,
    run_mail_pipeline,
)
from pass_checks import mail_size
from strategies_mail import (
    action_lists,
    addresses,
    catch_alls,
    keyword_lists_with_repeats,
    mail_messages,
    mail_policies,
    near_twins,
    optimisable_mail_policies,
    parties_with_repeats,
    texts_for_list,
)

PIPELINE = "default mail pipeline"
NAMES = [*MAIL_PASSES, PIPELINE]
#: Passes after which a merged-away rule's messages are decided by the rule it joined.
MERGING = {"merge-content-filter-rules", PIPELINE}


def _run(name: str, mail: MailPolicy, ctx: PassContext | None = None) -> MailPolicy:
    ctx = ctx or PassContext()
    if name == PIPELINE:
        return run_mail_pipeline(mail, DEFAULT_MAIL_PIPELINE, ctx)
    return MAIL_PASSES[name](mail, ctx)


def _mail(text: str) -> MailPolicy:
    mail = isc.loads(text, filename="policy.xml").mail
    assert mail is not None
    return mail


def _absorber(before: MailPolicy, after: MailPolicy) -> dict[str, str]:
    """Each rule the pass removed → the nearest rule above it that survived (where a
    merged rule's conditions went)."""
    kept = {r.name for r in after.rules}
    out: dict[str, str] = {}
    last: str | None = None
    for r in before.rules_in_order():
        if r.name in kept:
            last = r.name
        elif last is not None:
            out[r.name] = last
    return out


def _assert_same(name: str, before: MailPolicy, after: MailPolicy, message: MailMessage,
                 ) -> None:
    want = imsva.decide(before, message)
    got = imsva.decide(after, message)
    assert (got.action, got.modifications) == (want.action, want.modifications), message
    if got.decided_by == want.decided_by:
        return
    # Only merging may change who decided, and only to the rule the decider was merged into.
    assert name in MERGING, (want.decided_by, got.decided_by)
    assert want.decided_by is not None and got.decided_by is not None
    assert want.decided_by.kind == got.decided_by.kind == "mail-rule"
    assert _absorber(before, after).get(want.decided_by.name) == got.decided_by.name


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("name", NAMES)
@given(mail=st.one_of(mail_policies(), optimisable_mail_policies(),
                     optimisable_mail_policies(compact=True)))
def test_idempotent_and_never_larger(name: str, mail: MailPolicy) -> None:
    once = _run(name, mail)
    ctx = PassContext()
    assert _run(name, once, ctx) == once
    assert ctx.diagnostics == [] and ctx.changes == []
    assert mail_size(once) <= mail_size(mail)


@pytest.mark.parametrize("compact", [False, True], ids=["full", "compact"])
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_decisions_are_preserved(name: str, compact: bool, data: st.DataObject) -> None:
    mail = data.draw(optimisable_mail_policies(compact=compact), label="mail")
    out = _run(name, mail)
    for message in data.draw(st.lists(mail_messages(mail), min_size=4, max_size=16),
                             label="messages"):
        _assert_same(name, mail, out, message)


@pytest.mark.parametrize("name", NAMES)
@given(mail=st.one_of(optimisable_mail_policies(), optimisable_mail_policies(compact=True)))
def test_every_change_is_reported(name: str, mail: MailPolicy) -> None:
    ctx = PassContext()
    out = _run(name, mail, ctx)
    assert (out != mail) == bool(ctx.diagnostics)
    assert all(d.code == "ISC2015" for d in ctx.diagnostics)
    removed = len(mail.rules) - len(out.rules)
    assert removed == sum(d.message.endswith("; removed")
                          or "its conditions were merged into" in d.message
                          for d in ctx.diagnostics)


@given(prior=st.lists(action_lists(), max_size=3), actions=action_lists())
def test_merging_none_rules_applies_their_actions_once(
        prior: list[tuple[Action, ...]], actions: tuple[Action, ...]) -> None:
    """The case that needs a proof: two "do not intercept" rules that both apply gave their
    actions twice, the merged rule gives them once (after any earlier modifications)."""
    everyone = Route(RouteType.ALL)
    mail = MailPolicy(rules=(
        *(MailRule(f"p{i}", i, route=everyone, actions=a) for i, a in enumerate(prior)),
        MailRule("a", 10, route=everyone, conditions=(FlagCondition(Flag.GRAYMAIL),),
                 actions=actions),
        MailRule("b", 11, route=everyone, conditions=(FlagCondition(Flag.SOCIAL_ENGINEERING),),
                 actions=actions),
    ))
    out = MAIL_PASSES["merge-content-filter-rules"](mail, PassContext())
    for graymail, sea in ((True, True), (True, False), (False, True), (False, False)):
        m = MailMessage("x@ext.example", "y@corp.example", graymail=graymail, sea=sea)
        assert imsva.decide(out, m) == imsva.decide(mail, m)


@given(data=st.data())
def test_shadowing_is_exact_against_a_rule_that_always_applies(data: st.DataObject) -> None:
    """A rule above one that applies to every message of its route (each type and route
    type): the pass removes the lower one exactly when the upper one stops every such
    message; a wrong "always" claim lets a message through to a rule that is gone."""
    uppers = data.draw(st.lists(catch_alls("nothing"), min_size=3, max_size=3),
                       label="uppers")
    lowers = [MailRule(f"lower {t.value} {rt.value}", 1, type=t, route=Route(rt),
                       intercept=Intercept(InterceptAction.HANDOFF, host="mx.example"))
              for t in RuleType for rt in RouteType]
    base = MailPolicy(internal_domains=("example.co.jp",),
                      keyword_lists=(KeywordList("nothing", KeywordMatch.NOT),))
    aim = attrs.evolve(base, rules=(*(u for u, _ in uppers), *lowers))
    messages = data.draw(st.lists(mail_messages(aim), min_size=8, max_size=16),
                         label="messages")
    bits = {RouteType.INCOMING: 1, RouteType.OUTGOING: 2, RouteType.BOTH: 3,
            RouteType.ALL: 3, RouteType.POP3: 4}
    for (upper, stops_everything), lower in itertools.product(uppers, lowers):
        mail = attrs.evolve(base, rules=(upper, lower))
        out = MAIL_PASSES["remove-shadowed-mail-rules"](mail, PassContext())
        for message in messages:
            _assert_same("remove-shadowed-mail-rules", mail, out, message)
        covers = bits[lower.route.type] & ~bits[upper.route.type] == 0
        shadows = stops_everything and covers and (
            upper.type is RuleType.OTHER or lower.type is RuleType.ANTIVIRUS)
        assert (len(out.rules) == 1) == shadows, lower.name


@given(data=st.data())
def test_merging_is_exact_for_near_twins(data: st.DataObject) -> None:
    """Two rules that differ in conditions only are merged; one more difference that the
    module doc rules out, and they are not; decisions are kept either way."""
    for mail, merges in data.draw(st.lists(near_twins(), min_size=3, max_size=3),
                                  label="policies"):
        ctx = PassContext()
        out = MAIL_PASSES["merge-content-filter-rules"](mail, ctx)
        assert [r.name for r in out.rules] == [r.name for r in mail.rules if r.name != "b"
                                               or not merges]
        assert len(ctx.diagnostics) == merges
        for message in data.draw(st.lists(mail_messages(mail), min_size=4, max_size=8),
                                 label="messages"):
            _assert_same("merge-content-filter-rules", mail, out, message)


@given(data=st.data())
def test_repeated_expressions_never_change_what_a_list_matches(data: st.DataObject) -> None:
    kl = data.draw(keyword_lists_with_repeats(), label="list")
    out = MAIL_PASSES["remove-duplicate-mail-entries"](MailPolicy(keyword_lists=(kl,)),
                                                       PassContext()).keyword_lists[0]
    if kl.match is KeywordMatch.SCORE:
        assert out == kl
    for texts in data.draw(st.lists(texts_for_list(kl), min_size=4, max_size=8),
                           label="texts"):
        assert (keyword_list_matches(out.match, out.threshold, out.expressions, texts)
                == keyword_list_matches(kl.match, kl.threshold, kl.expressions, texts))


@given(data=st.data())
def test_repeated_parties_never_change_who_a_route_matches(data: st.DataObject) -> None:
    groups = ["Sales", "sALES"]  # two groups: group names compare exactly
    members = [tuple(Party(PartyKind.ADDRESS, a) for a in data.draw(
        st.lists(addresses, max_size=2), label=g)) for g in groups]
    listed = data.draw(parties_with_repeats([*groups, "list"]), label="listed")
    route = Route(data.draw(st.sampled_from(RouteType)), listed, data.draw(
        parties_with_repeats(groups), label="recipients"))
    mail = MailPolicy(
        internal_domains=("example.co.jp",),
        address_groups=(*(AddressGroup(g, m) for g, m in zip(groups, members, strict=True)),
                        AddressGroup("list", listed)),
        rules=(MailRule("r", 1, route=route, intercept=Intercept(InterceptAction.DELETE)),
               MailRule("via group", 2, intercept=Intercept(InterceptAction.QUARANTINE),
                        route=Route(RouteType.BOTH, (Party(PartyKind.ADDRESS_GROUP,
                                                           "list"),)))))
    out = MAIL_PASSES["remove-duplicate-mail-entries"](mail, PassContext())
    assert len(out.rules[0].route.senders) <= len(listed)
    for message in data.draw(st.lists(mail_messages(mail), min_size=4, max_size=12),
                             label="messages"):
        assert imsva.decide(out, message) == imsva.decide(mail, message)


def test_registries() -> None:
    assert set(DEFAULT_MAIL_PIPELINE) == set(MAIL_PASSES)
    assert set(PASSES).isdisjoint(MAIL_PASSES)
    with pytest.raises(ValueError, match="unknown mail pass"):
        run_mail_pipeline(MailPolicy(), ("remove-duplicate-entries",))


# ---------------------------------------------------------------- each pass does something

DUPLICATES = """\
<?xml version="1.0" encoding="UTF-8"?>
<imss-policy product="IMSVA" version="9.1.0.2011">
  <internal-addresses>
    <domain>example.co.jp</domain>
    <domain>EXAMPLE.co.jp</domain>
  </internal-addresses>
  <address-group name="役員">
    <address>ceo@example.co.jp</address>
    <address>cfo@example.co.jp</address>
    <address>CEO@example.co.jp</address>
  </address-group>
  <keyword-list name="社外秘" match="any">
    <expression>社外秘</expression>
    <expression>confidential</expression>
    <expression description="again">社外秘</expression>
  </keyword-list>
  <keyword-list name="点数" match="score" threshold="5">
    <expression score="3">社外秘</expression>
    <expression score="3">社外秘</expression>
  </keyword-list>
  <rule name="Confidential out" order="1" type="other">
    <route type="outgoing">
      <senders><address-group ref="役員"/><address-group ref="役員"/></senders>
      <recipients><anyone/></recipients>
    </route>
    <conditions match="any">
      <subject keyword-list="社外秘"/>
      <subject keyword-list="社外秘"/>
      <body keyword-list="点数"/>
    </conditions>
    <actions><intercept action="quarantine" area="Default"/></actions>
  </rule>
  <blocked-senders>
    <address>spam@bad.example</address>
    <address>spam@bad.example</address>
  </blocked-senders>
  <sender-filtering>
    <blocked-ip action="block-permanently">198.51.100.0/24</blocked-ip>
    <blocked-ip action="block-temporarily">198.51.100.7/24</blocked-ip>
  </sender-filtering>
  <dkim-enforcement> <domain>bank.example</domain> <domain>bank.example</domain> </dkim-enforcement>
</imss-policy>
"""


def test_remove_duplicate_mail_entries_drops_repeats() -> None:
    mail = _mail(DUPLICATES)
    ctx = PassContext()
    out = MAIL_PASSES["remove-duplicate-mail-entries"](mail, ctx)
    assert out.internal_domains == ("example.co.jp",)
    group = out.address_group("役員")
    assert group is not None
    assert [p.value for p in group.addresses] == ["ceo@example.co.jp", "cfo@example.co.jp"]
    any_list, score_list = out.keyword_lists
    assert [e.text for e in any_list.expressions] == ["社外秘", "confidential"]
    assert len(score_list.expressions) == 2  # repeats add score: kept
    rule = out.rules[0]
    assert len(rule.route.senders) == 1
    assert len(rule.conditions) == 2
    assert [p.value for p in out.blocked_senders] == ["spam@bad.example"]
    assert out.sender_filtering is not None
    assert [e.value for e in out.sender_filtering.blocked_ips] == ["198.51.100.0/24"]
    assert out.dkim_enforcement is not None
    assert out.dkim_enforcement.domains == ("bank.example",)
    assert len(ctx.diagnostics) == 8
    # different block actions for one network: the dropped one's action is worth a warning
    assert [d.severity for d in ctx.diagnostics].count(Severity.WARNING) == 1
    for m in (MailMessage("ceo@example.co.jp", "x@partner.example", subject="社外秘です"),
              MailMessage("a@b.example", "ceo@example.co.jp", client_ip="198.51.100.9"),
              MailMessage("cfo@example.co.jp", "x@partner.example", body="社外秘 社外秘")):
        assert imsva.decide(out, m) == imsva.decide(mail, m)
        assert imsva.decide(out, m).action in ("quarantine", "delete")


def test_remove_duplicate_mail_entries_keeps_what_differs() -> None:
    ci = KeywordExpression("abc", parse_expression("abc", None))
    mail = MailPolicy(
        keyword_lists=(KeywordList("k", expressions=(
            ci, attrs.evolve(ci, case_sensitive=True), attrs.evolve(ci, score=7))),),
        address_groups=(AddressGroup("Sales", (Party(PartyKind.ADDRESS, "a@x.example"),)),
                        AddressGroup("sales", (Party(PartyKind.ADDRESS, "b@x.example"),))),
        rules=(MailRule("r", 1, route=Route(RouteType.INCOMING, recipients=(
            Party(PartyKind.ADDRESS_GROUP, "Sales"), Party(PartyKind.ADDRESS_GROUP, "sales"),
            Party(PartyKind.LDAP_GROUP, "CN=Staff, DC=x"),
            Party(PartyKind.LDAP_GROUP, "cn=staff, dc=x "))), actions=(
            Bcc(("audit@x.example", "Audit@x.example", "audit@x.example")),)),),
        dmarc=Dmarc(True, domains=("x.example",), exception_ips=("10.0.0.1", "10.0.0.1/32"),
                    actions=(("reject", "quarantine"), ("REJECT", "none"))),
    )
    ctx = PassContext()
    out = MAIL_PASSES["remove-duplicate-mail-entries"](mail, ctx)
    # case sensitivity matters; a score in an any list does not
    assert out.keyword_lists[0].expressions == mail.keyword_lists[0].expressions[:2]
    recipients = out.rules[0].route.recipients
    assert [p.value for p in recipients] == ["Sales", "sales", "CN=Staff, DC=x"]
    assert out.rules[0].actions == (Bcc(("audit@x.example", "Audit@x.example")),)
    assert out.dmarc is not None
    assert out.dmarc.exception_ips == ("10.0.0.1",)
    assert out.dmarc.actions == (("reject", "quarantine"),)
    assert [d.severity for d in ctx.diagnostics].count(Severity.WARNING) == 1  # DMARC
    for m in (MailMessage("s@y.example", "b@x.example", direction="incoming"),
              MailMessage("s@y.example", "c@x.example", recipient_groups=("CN=Staff,DC=x",),
                          direction="incoming"),
              MailMessage("s@x.example", "c@x.example", dmarc="reject",
                          direction="incoming"),
              MailMessage("s@x.example", "c@x.example", dmarc="reject", client_ip="10.0.0.1",
                          direction="incoming")):
        assert imsva.decide(out, m) == imsva.decide(mail, m)


TWINS = """\
<?xml version="1.0" encoding="UTF-8"?>
<imss-policy product="IMSVA" version="9.1.0.2011">
  <internal-addresses><domain>example.co.jp</domain></internal-addresses>
  <rule name="Block executables" order="10" type="other">
    <route type="incoming"><senders><anyone/></senders>
      <recipients><address>*@example.co.jp</address></recipients></route>
    <conditions match="any"><attachment-name>*.exe</attachment-name></conditions>
    <actions><intercept action="quarantine" area="Default"/>
      <tag-subject>[危険]</tag-subject></actions>
  </rule>
  <rule name="Block scripts" order="11" type="other">
    <route type="incoming"><senders><anyone/></senders>
      <recipients><address>*@example.co.jp</address></recipients></route>
    <conditions match="any"><attachment-name>*.js</attachment-name>
      <attachment-name>*.vbs</attachment-name></conditions>
    <actions><intercept action="quarantine" area="Default"/>
      <tag-subject>[危険]</tag-subject></actions>
  </rule>
  <rule name="Tag big" order="20" type="other">
    <route type="incoming"/>
    <conditions match="any"><message-size op="gt" unit="MB">10</message-size></conditions>
    <actions><intercept action="none"/><tag-subject>[大]</tag-subject>
      <insert-x-header name="X-Big" value="1"/></actions>
  </rule>
  <rule name="Tag many" order="21" type="other">
    <route type="incoming"/>
    <conditions match="any"><recipient-count op="gt">50</recipient-count></conditions>
    <actions><intercept action="none"/><tag-subject>[大]</tag-subject>
      <insert-x-header name="X-Big" value="1"/></actions>
  </rule>
  <rule name="Header first" order="30" type="other">
    <route type="incoming"/>
    <conditions match="any"><graymail/></conditions>
    <actions><intercept action="none"/><insert-x-header name="X-G" value="1"/>
      <tag-subject>[灰]</tag-subject></actions>
  </rule>
  <rule name="Header first too" order="31" type="other">
    <route type="incoming"/>
    <conditions match="any"><social-engineering/></conditions>
    <actions><intercept action="none"/><insert-x-header name="X-G" value="1"/>
      <tag-subject>[灰]</tag-subject></actions>
  </rule>
</imss-policy>
"""


def test_merge_content_filter_rules_merges_adjacent_twins() -> None:
    mail = _mail(TWINS)
    ctx = PassContext()
    out = MAIL_PASSES["merge-content-filter-rules"](mail, ctx)
    assert [r.name for r in out.rules] == [
        "Block executables", "Tag big", "Header first", "Header first too"]
    assert len(out.rules[0].conditions) == 3
    assert len(out.rules[1].conditions) == 2
    assert len(ctx.diagnostics) == 2
    inside = "staff@example.co.jp"
    script = MailMessage("a@ext.example", inside, attachments=(Attachment("run.js"),))
    got, want = imsva.decide(out, script), imsva.decide(mail, script)
    assert (got.action, got.modifications) == (want.action, want.modifications) == (
        "quarantine", ("tag-subject:[危険]",))
    assert want.decided_by is not None and want.decided_by.name == "Block scripts"
    assert got.decided_by is not None and got.decided_by.name == "Block executables"
    big_and_many = MailMessage("a@ext.example", inside, size=11 * 2**20,
                               recipients=tuple(f"r{i}@example.co.jp" for i in range(60)))
    assert imsva.decide(out, big_and_many) == imsva.decide(mail, big_and_many)
    # Why "Header first" stays: its tag would be added after the X-header twice over.
    both = MailMessage("a@ext.example", inside, graymail=True, sea=True)
    assert imsva.decide(mail, both).modifications == ("tag-subject:[灰]", "x-header:X-G=1")
    merged = attrs.evolve(mail.rules[4], conditions=mail.rules[4].conditions
                          + mail.rules[5].conditions)
    unsafe = attrs.evolve(mail, rules=(merged,))
    assert imsva.decide(unsafe, both).modifications == ("x-header:X-G=1", "tag-subject:[灰]")


def test_merge_needs_a_rule_without_conditions_to_stay_without() -> None:
    route = Route(RouteType.INCOMING)
    stop = Intercept(InterceptAction.DELETE)
    mail = MailPolicy(rules=(
        MailRule("graymail", 1, route=route, conditions=(FlagCondition(Flag.GRAYMAIL),),
                 intercept=stop),
        MailRule("everything", 2, route=route, intercept=stop),
        MailRule("all of one", 3, route=route, match=Match.ALL, intercept=stop,
                 conditions=(FlagCondition(Flag.CC_EMAIL),)),
    ))
    out = MAIL_PASSES["merge-content-filter-rules"](mail, PassContext())
    assert len(out.rules) == 1
    assert out.rules[0].conditions == ()
    m = MailMessage("a@ext.example", "b@corp.example", direction="incoming")
    assert imsva.decide(out, m).action == imsva.decide(mail, m).action == "delete"


def test_merge_leaves_antivirus_disabled_and_non_adjacent_rules() -> None:
    route = Route(RouteType.INCOMING)
    stop = Intercept(InterceptAction.DELETE)
    av = MailRule("av", 1, type=RuleType.ANTIVIRUS, route=route, intercept=stop,
                  conditions=(VirusCondition("extensions", ("exe",)),))
    mail = MailPolicy(rules=(
        av, attrs.evolve(av, name="av 2", order=2, conditions=(VirusCondition(),)),
        MailRule("a", 3, route=route, conditions=(FlagCondition(Flag.GRAYMAIL),),
                 intercept=stop),
        MailRule("off", 4, enabled=False, route=route, intercept=stop),
        MailRule("b", 5, route=route, conditions=(FlagCondition(Flag.SOCIAL_ENGINEERING),),
                 intercept=stop),
        MailRule("c", 6, route=Route(RouteType.BOTH),
                 conditions=(FlagCondition(Flag.CC_EMAIL),), intercept=stop),
    ))
    assert MAIL_PASSES["merge-content-filter-rules"](mail, PassContext()) == mail


SHADOWED = """\
<?xml version="1.0" encoding="UTF-8"?>
<imss-policy product="IMSVA" version="9.1.0.2011">
  <internal-addresses><domain>example.co.jp</domain></internal-addresses>
  <rule name="Global Antivirus" order="1" type="antivirus">
    <route type="all"><senders><anyone/></senders><recipients><anyone/></recipients></route>
    <actions><intercept action="delete"/></actions>
  </rule>
  <rule name="Virus notify" order="2" type="antivirus">
    <route type="incoming"/>
    <actions><intercept action="quarantine" area="Virus"/></actions>
  </rule>
  <rule name="Night quarantine" order="3" type="other">
    <route type="incoming"><senders><address>*@*</address></senders></route>
    <conditions match="any"><received-time from="00:00" to="00:00"/></conditions>
    <actions><intercept action="quarantine" area="Night"/></actions>
  </rule>
  <rule name="Block executables" order="4" type="other">
    <route type="incoming"/>
    <conditions match="any"><attachment-name>*.exe</attachment-name></conditions>
    <actions><intercept action="delete"/></actions>
  </rule>
  <rule name="Old antivirus" order="5" type="antivirus" enabled="false">
    <route type="outgoing"/>
    <actions><intercept action="delete"/></actions>
  </rule>
  <rule name="Outgoing DLP" order="6" type="other">
    <route type="outgoing"/>
    <conditions match="any"><dlp template="PCI-DSS"/></conditions>
    <actions><intercept action="quarantine" area="DLP"/></actions>
  </rule>
</imss-policy>
"""


def test_remove_shadowed_mail_rules_drops_unreachable_rules() -> None:
    mail = _mail(SHADOWED)
    ctx = PassContext()
    out = MAIL_PASSES["remove-shadowed-mail-rules"](mail, ctx)
    # antivirus shadows antivirus only; the time range covering the day shadows incoming
    assert [r.name for r in out.rules] == ["Global Antivirus", "Night quarantine",
                                           "Outgoing DLP"]
    assert [d.severity for d in ctx.diagnostics] == [Severity.WARNING] * 3
    assert "\"Global Antivirus\"" in ctx.diagnostics[0].message
    for m in (MailMessage("a@ext.example", "b@example.co.jp", virus=True),
              MailMessage("a@ext.example", "b@example.co.jp",
                          attachments=(Attachment("x.exe"),)),
              MailMessage("b@example.co.jp", "a@ext.example", dlp_templates=("PCI-DSS",))):
        assert imsva.decide(out, m) == imsva.decide(mail, m)
    assert imsva.decide(out, MailMessage("b@example.co.jp", "a@ext.example",
                                         dlp_templates=("PCI-DSS",))).action == "quarantine"


def test_shadowing_follows_the_model_where_a_rule_does_not_cover_everyone() -> None:
    stop = Intercept(InterceptAction.DELETE)
    later = MailRule("later", 9, route=Route(RouteType.INCOMING), intercept=stop,
                     conditions=(FlagCondition(Flag.GRAYMAIL),))
    not_everyone = [
        # a both route's Users list ignores <anyone/>: only this address's mail
        MailRule("users", 1, intercept=stop, route=Route(
            RouteType.BOTH, (Party(PartyKind.ANYONE),),
            (Party(PartyKind.ADDRESS, "x@example.co.jp"),))),
        MailRule("exception", 1, route=Route(RouteType.INCOMING, exceptions=(
            RouteException(Party(PartyKind.ADDRESS, "boss@ext.example")),)), intercept=stop),
        MailRule("time", 1, route=Route(RouteType.INCOMING), intercept=stop,
                 conditions=(ReceivedTime(0, 1439),)),
        MailRule("none", 1, route=Route(RouteType.INCOMING)),
        MailRule("off", 1, enabled=False, route=Route(RouteType.INCOMING), intercept=stop),
        MailRule("av", 1, type=RuleType.ANTIVIRUS, route=Route(RouteType.INCOMING),
                 intercept=stop),
        MailRule("outgoing", 1, route=Route(RouteType.OUTGOING), intercept=stop),
        MailRule("all of", 1, route=Route(RouteType.INCOMING), intercept=stop,
                 match=Match.ALL, conditions=(ReceivedTime(0, 0),
                                              FlagCondition(Flag.GRAYMAIL))),
    ]
    for first in not_everyone:
        mail = MailPolicy(rules=(first, later))
        assert MAIL_PASSES["remove-shadowed-mail-rules"](mail, PassContext()) == mail, first
    pop3 = MailRule("pop3", 9, route=Route(RouteType.POP3), intercept=stop)
    everything = MailRule("all", 1, route=Route(RouteType.ALL), intercept=stop)
    mail = MailPolicy(rules=(everything, later, pop3))
    out = MAIL_PASSES["remove-shadowed-mail-rules"](mail, PassContext())
    assert [r.name for r in out.rules] == ["all", "pop3"]


def test_shadowers_add_up_over_directions() -> None:
    stop = Intercept(InterceptAction.QUARANTINE)
    mail = MailPolicy(rules=(
        MailRule("in", 1, route=Route(RouteType.INCOMING), intercept=stop),
        MailRule("both early", 2, route=Route(RouteType.BOTH), intercept=stop,
                 conditions=(FlagCondition(Flag.GRAYMAIL),)),
        MailRule("out", 3, route=Route(RouteType.OUTGOING), intercept=stop),
        MailRule("both late", 4, route=Route(RouteType.BOTH), intercept=stop,
                 actions=(TagSubject("x"),)),
    ))
    out = MAIL_PASSES["remove-shadowed-mail-rules"](mail, PassContext())
    assert [r.name for r in out.rules] == ["in", "both early", "out"]


PIPELINE_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<imss-policy product="IMSVA" version="9.1.0.2011">
  <internal-addresses>
    <domain>example.co.jp</domain><domain>example.co.jp</domain>
  </internal-addresses>
  <rule name="Global Antivirus" order="1" type="antivirus">
    <route type="all"/>
    <actions><intercept action="delete"/></actions>
  </rule>
  <rule name="Virus notify" order="2" type="antivirus">
    <route type="incoming"/>
    <actions><intercept action="quarantine" area="Virus"/></actions>
  </rule>
  <rule name="Block executables" order="3" type="other">
    <route type="incoming"/>
    <conditions match="any"><attachment-name>*.exe</attachment-name></conditions>
    <actions><intercept action="delete"/></actions>
  </rule>
  <rule name="Block scripts" order="4" type="other">
    <route type="incoming"/>
    <conditions match="all"><attachment-name>*.js</attachment-name></conditions>
    <actions><intercept action="delete"/></actions>
  </rule>
</imss-policy>
"""


def test_default_mail_pipeline_runs_every_pass() -> None:
    mail = _mail(PIPELINE_XML)
    ctx = PassContext()
    out = run_mail_pipeline(mail, ctx=ctx)
    assert out.internal_domains == ("example.co.jp",)
    assert [r.name for r in out.rules] == ["Global Antivirus", "Block executables"]
    assert len(out.rules[1].conditions) == 2
    assert [d.severity for d in ctx.diagnostics] == [
        Severity.NOTE, Severity.WARNING, Severity.NOTE]
    assert run_mail_pipeline(out) == out
    script = MailMessage("a@ext.example", "b@example.co.jp", attachments=(Attachment("a.js"),))
    assert imsva.decide(out, script).action == imsva.decide(mail, script).action == "delete"


def test_x_header_actions_last_keep_a_none_rule_mergeable() -> None:
    route = Route(RouteType.INCOMING)
    actions = (TagSubject("[t]"), InsertXHeader("X-A", "1"), InsertXHeader("X-B", "2"))
    mail = MailPolicy(rules=(
        MailRule("a", 1, route=route, conditions=(FlagCondition(Flag.GRAYMAIL),),
                 actions=actions),
        MailRule("b", 2, route=route, conditions=(FlagCondition(Flag.SOCIAL_ENGINEERING),),
                 actions=actions),
        MailRule("c", 3, route=route, actions=(InsertXHeader("X-A", "3"),)),
    ))
    out = MAIL_PASSES["merge-content-filter-rules"](mail, PassContext())
    assert [r.name for r in out.rules] == ["a", "c"]
    for flags in ({"graymail": True}, {"sea": True}, {"graymail": True, "sea": True}, {}):
        m = MailMessage("x@ext.example", "y@corp.example", direction="incoming", **flags)
        assert imsva.decide(out, m) == imsva.decide(mail, m)
