"""EmS fidelity: the access order of mail actions, model comparison, witnesses, probes."""

from __future__ import annotations

import json

import pytest

from isc.backends.ems import probes
from isc.backends.ems.fidelity import (
    ACCESS_LEVEL,
    classify,
    compare,
    differences,
    message_json,
    witness_json,
    witness_text,
)
from isc.frontends.keywords import parse_expression
from isc.ir.common import Difference, Fidelity
from isc.ir.ems import CriteriaMatch, EmsPolicy, EmsRule, RuleKind
from isc.ir.mail import (
    AttachmentName,
    Compare,
    Direction,
    Intercept,
    InterceptAction,
    KeywordCondition,
    KeywordExpression,
    KeywordList,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Match,
    Measure,
    MessagePart,
    Party,
    PartyKind,
    Route,
    RouteType,
    SizeCondition,
    SpamCondition,
    TagSubject,
)
from isc.ir.requests import Attachment, Decision, MailMessage
from isc.models import ems, imsva, keywords

INTERNAL = ("example.co.jp",)


def d(action: str, *mods: str) -> Decision:
    return Decision(action, modifications=mods)


# ------------------------------------------------------------------------------ classify


N, B, X = Difference.NARROWED, Difference.BROADENED, Difference.NON_ACCESS


@pytest.mark.parametrize(("source", "target", "found"), [
    (d("deliver"), d("deliver"), set()),
    (d("deliver", "a", "b"), d("deliver", "b", "a"), set()),  # order ignored
    (d("deliver", "tag-subject:x"), d("deliver"), {X}),
    (d("deliver"), d("quarantine"), {N}),
    (d("handoff"), d("quarantine"), {N}),
    (d("quarantine"), d("delete"), {N}),
    (d("delete"), d("quarantine"), {B}),
    (d("change-recipient"), d("deliver"), {B}),
    (d("handoff"), d("deliver-now"), {B}),
    (d("handoff"), d("change-recipient"), {X}),  # same level
    (d("deliver"), d("deliver-now"), {X}),
    # an attachment the source deleted reaches the recipient: that is access, not a stamp
    (d("deliver", "delete-attachments:matching"), d("deliver"), {B}),
    (d("deliver"), d("deliver", "clean:delete"), {N}),
    (d("deliver", "clean:delete", "insert-stamp:s"), d("deliver"), {B, X}),
    (d("deliver", "delete-attachments:all"), d("deliver", "delete-attachments:matching"),
     {B, N}),
])
def test_differences(source: Decision, target: Decision, found: set[Difference]) -> None:
    assert differences(source, target) == found
    assert classify(source, target) is Fidelity.of(found)


def test_access_levels_cover_every_mail_action() -> None:
    assert set(ACCESS_LEVEL) == {"deliver", "deliver-now", "change-recipient", "handoff",
                                 "quarantine", "delete"}
    assert ACCESS_LEVEL["deliver"] < ACCESS_LEVEL["change-recipient"] < ACCESS_LEVEL[
        "quarantine"] < ACCESS_LEVEL["delete"]


# ------------------------------------------------------------------------------ compare

EXE_RULE = MailRule("exe", 1, route=Route(RouteType.INCOMING),
                    conditions=(AttachmentName("*.exe"),),
                    intercept=Intercept(InterceptAction.QUARANTINE))


def ems_rule(action: InterceptAction, *criteria: SizeCondition | AttachmentName,
             match: CriteriaMatch = CriteriaMatch.ANY) -> EmsRule:
    return EmsRule("exe", RuleKind.CONTENT_FILTERING, Direction.INCOMING, 1, match=match,
                   criteria=criteria, intercept=Intercept(action))


def msg(*names: str, **kw: object) -> MailMessage:
    return MailMessage("x@outside.example", "a@example.co.jp",
                       attachments=tuple(Attachment(n) for n in names), **kw)  # type: ignore


def test_compare_exact_and_witness_in_the_worst_direction() -> None:
    src = MailPolicy(internal_domains=INTERNAL, rules=(EXE_RULE,))
    same = EmsPolicy(managed_domains=INTERNAL, rules=(
        ems_rule(InterceptAction.QUARANTINE, AttachmentName("*.exe")),))
    probes_ = [msg(), msg("a.exe"), msg("a.txt")]
    assert compare(src, same, probes_).fidelity is Fidelity.EXACT
    # deletes exe (narrowed) and lets everything else through: still one direction each
    both = EmsPolicy(managed_domains=INTERNAL, rules=(
        ems_rule(InterceptAction.DELETE, AttachmentName("*.exe")),))
    cmp = compare(src, both, probes_)
    assert cmp.fidelity is Fidelity.NARROWED and cmp.count == 1
    assert cmp.directions == {Difference.NARROWED}
    assert cmp.witness is not None and cmp.witness.probe == msg("a.exe")
    weaker = EmsPolicy(managed_domains=INTERNAL, rules=(
        ems_rule(InterceptAction.QUARANTINE, AttachmentName("*.js")),))
    cmp = compare(src, weaker, [msg("a.js"), msg("a.exe")])
    assert cmp.fidelity is Fidelity.APPROXIMATED
    assert cmp.directions == {Difference.NARROWED, Difference.BROADENED}
    # broadened is reported before narrowed, and each direction keeps its own witness
    assert cmp.witness is not None and cmp.witness.probe == msg("a.exe")
    assert cmp.witness.direction is Difference.BROADENED
    assert {w.direction: w.probe for w in cmp.witnesses} == {
        Difference.BROADENED: msg("a.exe"), Difference.NARROWED: msg("a.js")}


def test_compare_with_a_baseline_ignores_other_objects() -> None:
    src = MailPolicy(internal_domains=INTERNAL, rules=(EXE_RULE,))
    tgt = EmsPolicy(managed_domains=INTERNAL)  # the rule is lost
    probes_ = [msg("a.exe")]
    assert compare(src, tgt, probes_).fidelity is Fidelity.BROADENED
    assert compare(src, tgt, probes_, baseline=(src, tgt)).fidelity is Fidelity.EXACT


def test_witness_json_and_text() -> None:
    src = MailPolicy(internal_domains=INTERNAL, rules=(EXE_RULE,))
    tgt = EmsPolicy(managed_domains=INTERNAL)
    cmp = compare(src, tgt, [msg("a.exe", subject="Invoice", virus=True)])
    wit = witness_json(cmp.witness, cause="test")
    assert wit is not None
    assert wit["source"] == "quarantine" and wit["target"] == "deliver"
    assert wit["cause"] == "test"
    assert wit["direction"] == "broadened" and wit["scope"] == "isolated"
    assert wit["message"] == {
        "sender": "x@outside.example", "recipient": "a@example.co.jp", "subject": "Invoice",
        "virus": True,
        "attachments": [{"name": "a.exe"}]}  # defaults are not written
    assert wit["sourceDecision"]["decidedBy"]["name"] == "exe"
    json.dumps(wit)
    assert witness_text(cmp.witness) == (' (e.g. x@outside.example → a@example.co.jp '
                                         '"Invoice": quarantine → deliver)')


def test_witness_text_shows_modifications_when_actions_agree() -> None:
    rule = MailRule("tag", 1, conditions=(AttachmentName("*.exe"),),
                    actions=(TagSubject("[exe]"),))
    src = MailPolicy(internal_domains=INTERNAL, rules=(rule,))
    cmp = compare(src, EmsPolicy(managed_domains=INTERNAL), [msg("a.exe")])
    assert cmp.fidelity is Fidelity.APPROXIMATED
    assert cmp.directions == {Difference.NON_ACCESS}  # a subject tag withholds nothing
    assert "deliver tag-subject:[exe] → deliver" in witness_text(cmp.witness)


def test_message_json_omits_defaults() -> None:
    m = MailMessage("a@x.example", "b@y.example", sender_groups=("CN=G",), spam_score=7.5)
    assert message_json(m) == {"sender": "a@x.example", "recipient": "b@y.example",
                               "spamScore": 7.5, "senderGroups": ["CN=G"]}


# ------------------------------------------------------------------------------ probes


def test_pattern_addresses_cross_the_boundary() -> None:
    assert probes.pattern_addresses("*@*.example.com") == [
        "probe@sub.example.com", "x@deep.sub.example.com", "probe@example.com"]
    assert probes.pattern_addresses("*@example.com")[-1] == "probe@sub.example.com"
    assert "other.ceo@example.com" in probes.pattern_addresses("ceo@example.com")


@pytest.mark.parametrize("text", [
    "confidential", "社外秘", "取り?扱い?注意", "{D}{D}{D}-{D}{D}{D}{D}", "(foo|bar)baz",
    "[[:digit:]]+x", "a\\sb", "\\bword\\b", "機密区分[:：]",
])
def test_sample_text_matches_its_expression(text: str) -> None:
    expr = KeywordExpression(text, parse_expression(text))
    sample = probes.sample_text(expr.expr)
    assert keywords.keyword_list_matches(KeywordMatch.ANY, None, [expr],
                                         [f"probe {sample} probe"])


def test_keyword_texts_cross_all_and_score_boundaries() -> None:
    exprs = [KeywordExpression(t, parse_expression(t), score=s)
             for t, s in (("alpha", 3), ("beta", 2), ("gamma", -5))]
    texts = probes.keyword_texts(KeywordMatch.ALL, exprs)
    hits = [keywords.keyword_list_matches(KeywordMatch.ALL, None, exprs, [t]) for t in texts]
    assert True in hits and False in hits
    scores = [keywords.keyword_list_matches(KeywordMatch.SCORE, 4, exprs, [t]) for t in texts]
    assert True in scores and False in scores


def test_size_probes_sit_on_the_boundary() -> None:
    cond = SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 10240)
    hits, _ = probes.condition_features(cond, MailPolicy())
    sizes = sorted(f["size"] for f in hits)
    assert {10239, 10240, 10241} <= set(sizes)


def test_rule_probes_cross_all_match() -> None:
    """Both models see a message meeting every criterion and ones missing exactly one."""
    kw = KeywordList("k", expressions=(KeywordExpression("secret", parse_expression("secret")),))
    rule = MailRule("all", 1, route=Route(RouteType.INCOMING), match=Match.ALL, conditions=(
        AttachmentName("*.zip"), KeywordCondition(MessagePart.SUBJECT, "k")),
        intercept=Intercept(InterceptAction.DELETE))
    policy = MailPolicy(internal_domains=INTERNAL, keyword_lists=(kw,), rules=(rule,))
    found = {imsva.decide(policy, m).action for m in probes.rule_probes(
        policy, rule, (), EmsPolicy())}
    assert found == {"delete", "deliver"}
    missing_one = [m for m in probes.rule_probes(policy, rule, (), EmsPolicy())
                   if "secret" in m.subject and not m.attachments]
    assert missing_one


def test_route_identities_hit_and_miss_each_party() -> None:
    policy = MailPolicy(internal_domains=INTERNAL)
    idents = probes.route_identities(
        policy, RouteType.INCOMING, (), (Party(PartyKind.ADDRESS, "ceo@example.co.jp"),
                                         Party(PartyKind.LDAP_GROUP, "CN=Sales")), ())
    recipients = {(i["recipient"], i["recipient_groups"]) for i in idents}
    assert ("ceo@example.co.jp", ()) in recipients
    assert any(g == ("CN=Sales",) for _, g in recipients)
    assert any(r == "staff@example.co.jp" for r, _ in recipients)  # outside the route


def test_policy_pool_is_capped_and_deterministic() -> None:
    rules = tuple(MailRule(f"r{i}", i, conditions=(SpamCondition(),
                                                   AttachmentName(f"*.x{i}")))
                  for i in range(1, 30))
    policy = MailPolicy(internal_domains=INTERNAL, rules=rules)
    pool = probes.policy_pool(policy, EmsPolicy(), limit=100)
    assert len(pool) == 100
    assert pool == probes.policy_pool(policy, EmsPolicy(), limit=100)
    assert all(ems.decide(EmsPolicy(), m).action == "deliver" for m in pool)
