"""merge-keyword-lists: keyword lists the IMSVA model cannot tell apart merge into the first,
repeated expressions of a score list merge into one with the sum of their scores, and no
decision changes (IMSVA, and the EmS translation of the merged policy)."""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import isc
from isc.diagnostics import Severity
from isc.frontends.keywords import parse_expression
from isc.ir.ems import EmsPolicy
from isc.ir.mail import (
    Intercept,
    InterceptAction,
    KeywordCondition,
    KeywordExpression,
    KeywordList,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Match,
    MessagePart,
    Route,
    RouteType,
    RuleType,
    TagSubject,
)
from isc.ir.requests import Attachment, MailMessage
from isc.models import imsva
from isc.models.keywords import keyword_list_matches
from isc.passes import PassContext
from isc.passes.merge_keyword_lists import content_key, merge_keyword_lists
from pass_checks import same_mail_decision
from strategies_mail import mail_messages, optimisable_mail_policies

PASS = merge_keyword_lists


def _run(mail: MailPolicy, ctx: PassContext | None = None) -> MailPolicy:
    return PASS(mail, ctx or PassContext())


def _e(text: str, case: bool = False, score: int = 0, description: str = ""
       ) -> KeywordExpression:
    return KeywordExpression(text, parse_expression(text, None), case, score, description)


def _rule(name: str, *lists: str, part: MessagePart = MessagePart.SUBJECT,
          match: Match = Match.ANY, order: int = 1) -> MailRule:
    return MailRule(name, order, route=Route(RouteType.ALL), match=match,
                    conditions=tuple(KeywordCondition(part, k) for k in lists),
                    intercept=Intercept(InterceptAction.DELETE))


def _names(mail: MailPolicy) -> list[str]:
    return [k.name for k in mail.keyword_lists]


def _used(mail: MailPolicy) -> list[list[str]]:
    return [[c.keyword_list for c in r.conditions if isinstance(c, KeywordCondition)]
            for r in mail.rules]


# ---------------------------------------------------------------- examples

XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<imss-policy product="IMSVA" version="9.1.0.2011">
  <internal-addresses><domain>example.co.jp</domain></internal-addresses>
  <keyword-list name="社外秘" match="any">
    <expression>社外秘</expression>
    <expression case-sensitive="true">CONFIDENTIAL</expression>
  </keyword-list>
  <keyword-list name="機密 (営業部)" match="any" threshold="3">
    <expression case-sensitive="true" description="英語">CONFIDENTIAL</expression>
    <expression score="4">社外秘</expression>
    <expression>社外秘</expression>
  </keyword-list>
  <keyword-list name="点数" match="score" threshold="5">
    <expression score="3">極秘</expression>
    <expression score="3">極秘</expression>
    <expression score="2">secret</expression>
  </keyword-list>
  <keyword-list name="点数 2" match="score" threshold="5">
    <expression score="2">secret</expression>
    <expression score="6">極秘</expression>
  </keyword-list>
  <rule name="送信保留" order="1" type="other">
    <route type="outgoing"/>
    <conditions match="any">
      <subject keyword-list="社外秘"/>
      <subject keyword-list="機密 (営業部)"/>
      <body keyword-list="機密 (営業部)"/>
      <attachment-content keyword-list="点数 2"/>
    </conditions>
    <actions><intercept action="quarantine" area="Default"/></actions>
  </rule>
</imss-policy>
"""


def test_identical_lists_merge_into_the_first() -> None:
    mail = isc.loads(XML, filename="Policy.xml").mail
    assert mail is not None
    ctx = PassContext()
    out = _run(mail, ctx)
    assert _names(out) == ["社外秘", "点数"]
    assert _used(out) == [["社外秘", "社外秘", "点数"]]
    assert [c.part for c in out.rules[0].conditions
            if isinstance(c, KeywordCondition)] == [
        MessagePart.SUBJECT, MessagePart.BODY, MessagePart.ATTACHMENT_CONTENT]
    score = out.keyword_lists[1]
    assert [(e.text, e.score) for e in score.expressions] == [("極秘", 6), ("secret", 2)]
    changes = [(c.action, c.kind, c.name, c.kept_kind, c.kept_name) for c in ctx.changes]
    assert changes == [
        ("merged", "keyword-list.expression", "極秘", "keyword-list.expression", "極秘"),
        ("merged", "keyword-list", "機密 (営業部)", "keyword-list", "社外秘"),
        ("merged", "keyword-list", "点数 2", "keyword-list", "点数"),
        # the condition that became a repeat of the one above it
        ("removed", "mail-rule.condition", "subject keyword-list '機密 (営業部)'",
         "mail-rule.condition", "subject keyword-list '社外秘'"),
    ]
    assert [c.span.line if c.span else None for c in ctx.changes] == [15, 8, 18, 26]
    assert [c.kept_span.line if c.kept_span else None for c in ctx.changes] == [
        14, 4, 13, 25]
    assert len(ctx.diagnostics) == 4
    assert all(d.code == "ISC2015" and d.severity is Severity.NOTE for d in ctx.diagnostics)
    assert "repeats condition" in ctx.diagnostics[-1].message
    for m in (MailMessage("a@example.co.jp", "b@x.example", subject="社外秘"),
              MailMessage("a@example.co.jp", "b@x.example", body="CONFIDENTIAL"),
              MailMessage("a@example.co.jp", "b@x.example", body="confidential"),
              MailMessage("a@example.co.jp", "b@x.example",
                          attachments=(Attachment("a.txt", content="極秘"),)),
              MailMessage("a@example.co.jp", "b@x.example",
                          attachments=(Attachment("a.txt", content="極秘 secret"),))):
        assert imsva.decide(out, m) == imsva.decide(mail, m)


@pytest.mark.parametrize(("a", "b"), [
    (KeywordList("a", KeywordMatch.ANY, None, (_e("x"),)),
     KeywordList("b", KeywordMatch.ANY, None, (_e("x", case=True),))),
    (KeywordList("a", KeywordMatch.ANY, None, (_e("x"),)),
     KeywordList("b", KeywordMatch.ALL, None, (_e("x"),))),
    (KeywordList("a", KeywordMatch.ANY, None, (_e("x"), _e("y"))),
     KeywordList("b", KeywordMatch.ANY, None, (_e("x"),))),
    (KeywordList("a", KeywordMatch.SCORE, 5, (_e("x", score=6),)),
     KeywordList("b", KeywordMatch.SCORE, 5, (_e("x", score=5),))),
    (KeywordList("a", KeywordMatch.SCORE, 5, (_e("x", score=6),)),
     KeywordList("b", KeywordMatch.SCORE, 4, (_e("x", score=6),))),
    # IMSVA reads no threshold as 0, but the EmS back-end raises only a number
    (KeywordList("a", KeywordMatch.SCORE, None, (_e("x", score=0),)),
     KeywordList("b", KeywordMatch.SCORE, 0, (_e("x", score=0),))),
    # a score-0 expression still makes "one is present" true
    (KeywordList("a", KeywordMatch.SCORE, -1, (_e("x", score=0),)),
     KeywordList("b", KeywordMatch.SCORE, -1, ())),
    # an expression written otherwise is another AST, even where it matches alike
    (KeywordList("a", KeywordMatch.ANY, None, (_e("x"),)),
     KeywordList("b", KeywordMatch.ANY, None, (_e("\\x78"),))),
    (KeywordList("a", KeywordMatch.NOT, None, ()),
     KeywordList("b", KeywordMatch.ALL, None, ())),
])
def test_lists_that_differ_in_what_the_model_reads_stay(a: KeywordList, b: KeywordList
                                                        ) -> None:
    mail = MailPolicy(keyword_lists=(a, b), rules=(_rule("r", "a", "b"),))
    assert content_key(a) != content_key(b)
    assert _run(mail) == mail


@pytest.mark.parametrize(("a", "b"), [
    # order, repeats, descriptions, texts, scores and thresholds outside score lists
    (KeywordList("a", KeywordMatch.ANY, None, (_e("x"), _e("y", description="d"))),
     KeywordList("b", KeywordMatch.ANY, 3, (_e("y", score=5), _e("x"), _e("x")))),
    (KeywordList("a", KeywordMatch.ALL, None, (_e("x"), _e("y"))),
     KeywordList("b", KeywordMatch.ALL, 7, (_e("y"), _e("x")))),
    (KeywordList("a", KeywordMatch.NOT, None, ()),
     KeywordList("b", KeywordMatch.NOT, None, ())),
    # score lists: the total score of each expression decides
    (KeywordList("a", KeywordMatch.SCORE, 5, (_e("x", score=10), _e("x", score=2))),
     KeywordList("b", KeywordMatch.SCORE, 5, (_e("x", score=6), _e("x", score=6)))),
    (KeywordList("a", KeywordMatch.SCORE, 5, (_e("x", score=3), _e("y", score=-2))),
     KeywordList("b", KeywordMatch.SCORE, 5, (_e("y", score=-2), _e("x", score=3)))),
])
def test_lists_the_model_cannot_tell_apart_merge(a: KeywordList, b: KeywordList) -> None:
    mail = MailPolicy(keyword_lists=(a, b), rules=(_rule("r", "b"), _rule("s", "a", "b")))
    ctx = PassContext()
    out = _run(mail, ctx)
    assert _names(out) == ["a"]
    assert _used(out) == [["a"], ["a"]]
    assert ("keyword-list", "b", "a") in [(c.kind, c.name, c.kept_name)
                                          for c in ctx.changes]
    # rule "s" named both: its renamed condition repeats the first and goes
    assert ctx.changes[-1].kind == "mail-rule.condition"
    for words in itertools.chain.from_iterable(
            itertools.combinations(["x", "y", "X", "z"], n) for n in range(4)):
        m = MailMessage("s@x.example", "r@y.example", subject=" ".join(words))
        assert imsva.decide(out, m) == imsva.decide(mail, m)


def test_repeated_names_take_no_part() -> None:
    """The model finds a name's first list: a later one of the same name is never read,
    and merging towards or away from a repeated name could change that."""
    x = (_e("x"),)
    mail = MailPolicy(
        keyword_lists=(KeywordList("a", expressions=x), KeywordList("b", expressions=x),
                       KeywordList("a", expressions=(_e("y"),)),
                       KeywordList("c", expressions=x)),
        rules=(_rule("r", "a", "b", "c"),))
    out = _run(mail)
    # "b" is not merged into "a" (repeated), "c" is merged into "b"
    assert _names(out) == ["a", "b", "a"]
    assert _used(out) == [["a", "b"]]


def test_score_repeats_merge_within_the_range() -> None:
    kl = KeywordList("k", KeywordMatch.SCORE, 5, (
        _e("x", score=3, description="first"), _e("y", score=9), _e("x", score=4),
        _e("y", score=9), _e("x", case=True, score=1), _e("z", score=-10), _e("z", score=-1),
        _e("w", score=2), _e("w", score=-2)))
    ctx = PassContext()
    out = _run(MailPolicy(keyword_lists=(kl,)), ctx)
    got = [(e.text, e.case_sensitive, e.score, e.description)
           for e in out.keyword_lists[0].expressions]
    assert got == [("x", False, 7, "first"), ("y", False, 9, ""), ("y", False, 9, ""),
                   ("x", True, 1, ""), ("z", False, -10, ""), ("z", False, -1, ""),
                   ("w", False, 0, "")]
    assert [(c.kind, c.name) for c in ctx.changes] == [
        ("keyword-list.expression", "x"), ("keyword-list.expression", "w")]
    # the same texts match before and after
    for words in itertools.chain.from_iterable(
            itertools.combinations(["x", "y", "X", "z", "w"], n) for n in range(6)):
        text = (" ".join(words),)
        assert keyword_list_matches(kl.match, kl.threshold, kl.expressions, text) == (
            keyword_list_matches(KeywordMatch.SCORE, 5, out.keyword_lists[0].expressions,
                                 text))


def test_repeats_outside_score_lists_are_left_to_the_duplicate_pass() -> None:
    kl = KeywordList("k", KeywordMatch.ANY, None, (_e("x"), _e("x")))
    mail = MailPolicy(keyword_lists=(kl,))
    assert _run(mail) is mail


def test_only_new_repeats_of_conditions_are_dropped() -> None:
    x = (_e("x"),)
    mail = MailPolicy(
        keyword_lists=(KeywordList("a", expressions=x), KeywordList("b", expressions=x)),
        rules=(_rule("r", "a", "a", "b", "b", match=Match.ALL),
               _rule("s", "b", "a", part=MessagePart.BODY, order=2),
               _rule("t", "b", order=3), _rule("u", "missing", order=4)))
    ctx = PassContext()
    out = _run(mail, ctx)
    assert _used(out) == [["a", "a"], ["a"], ["a"], ["missing"]]
    assert [c.kind for c in ctx.changes] == ["keyword-list", *["mail-rule.condition"] * 3]
    assert len(ctx.diagnostics) == 4


def test_nothing_to_merge_returns_the_same_policy() -> None:
    mail = MailPolicy(keyword_lists=(KeywordList("a", expressions=(_e("x"),)),
                                     KeywordList("b", expressions=(_e("y"),))),
                      rules=(_rule("r", "a", "b"),))
    assert _run(mail) is mail


def test_a_wrong_merge_would_be_caught() -> None:
    """The decision check of this module fails on a wrong merge: the case flag decides."""
    a = KeywordList("a", expressions=(_e("x"),))
    b = KeywordList("b", expressions=(_e("x", case=True),))
    mail = MailPolicy(keyword_lists=(a, b), rules=(_rule("r", "b"),))
    wrong = MailPolicy(keyword_lists=(a,), rules=(_rule("r", "a"),))
    m = MailMessage("s@x.example", "r@y.example", subject="X")
    assert imsva.decide(mail, m) != imsva.decide(wrong, m)
    assert _run(mail) == mail


def test_the_ems_translation_decides_alike() -> None:
    """Compiled for Email Security before and after the pass, the merged policy decides
    the same messages alike (the back-end translates equal content equally)."""
    export = isc.loads(XML, filename="Policy.xml")
    merged = attrs.evolve(export, mail=_run(export.mail))
    before, after = isc.compile(export, "ems"), isc.compile(merged, "ems")
    assert isinstance(after.document, EmsPolicy)
    assert len(after.document.keyword_lists) == 2
    for subject, body, content in itertools.product(
            ["", "社外秘", "confidential"], ["", "CONFIDENTIAL"],
            [None, "極秘", "極秘 secret", "secret"]):
        m = MailMessage("a@example.co.jp", "b@x.example", subject=subject, body=body,
                        attachments=() if content is None else (Attachment("a.txt",
                                                                           content=content),))
        want, got = isc.decide_mail(before, m), isc.decide_mail(after, m)
        assert (got.action, got.modifications) == (want.action, want.modifications), m


def test_no_threshold_and_zero_stay_apart_for_the_ems_translation() -> None:
    """IMSVA reads a score list without a threshold as threshold 0, but the back-end
    raises only a number (EmS "reaches"): merged, the two would translate differently."""
    export = isc.loads(XML, filename="Policy.xml")
    kls = (KeywordList("none", KeywordMatch.SCORE, None, (_e("x"),)),
           KeywordList("zero", KeywordMatch.SCORE, 0, (_e("x"),)))
    m = MailMessage("s@y.example", "r@example.co.jp", subject="x", direction="incoming")
    decisions = []
    for kl in kls:
        mail = MailPolicy(keyword_lists=(kl,), rules=(_rule("r", kl.name),))
        assert imsva.decide(mail, m).action == "deliver"
        decisions.append(isc.decide_mail(isc.compile(attrs.evolve(export, mail=mail), "ems"),
                                         m).action)
    assert decisions == ["delete", "deliver"]
    mail = MailPolicy(keyword_lists=kls, rules=(_rule("r", "none", "zero"),))
    assert _run(mail) == mail


# ---------------------------------------------------------------- generated policies

WORDS = ["社外秘", "confidential", "Secret", "極秘", "a.c"]
_EXPRESSIONS = [parse_expression(w, None) for w in WORDS]
_PARTS = [MessagePart.SUBJECT, MessagePart.BODY, MessagePart.HEADER,
          MessagePart.ATTACHMENT_CONTENT]


@st.composite
def _expression(draw: Any) -> KeywordExpression:
    i = draw(st.integers(0, len(WORDS) - 1))
    return KeywordExpression(WORDS[i], _EXPRESSIONS[i], draw(st.booleans()),
                             draw(st.integers(-10, 10)), draw(st.sampled_from(["", "d"])))


@st.composite
def _list(draw: Any, name: str) -> KeywordList:
    match = draw(st.sampled_from(KeywordMatch))
    threshold = draw(st.one_of(st.none(), st.integers(-3, 12)))
    return KeywordList(name, match, threshold, tuple(draw(st.lists(_expression(),
                                                                   max_size=4))))


def _split(draw: Any, e: KeywordExpression) -> list[KeywordExpression]:
    """The expression as two repeats whose scores add up to its own."""
    part = draw(st.integers(-10, 10))
    if e.score - part not in range(-10, 11):
        return [e]
    return [attrs.evolve(e, score=part), attrs.evolve(e, score=e.score - part,
                                                      description="split")]


@st.composite
def twin(draw: Any, kl: KeywordList, name: str) -> KeywordList:
    """A list the model cannot tell from ``kl`` (reordered, repeated, other descriptions;
    in a score list scores split over repeats) or, as often, one that differs in one thing
    it reads."""
    exprs = list(kl.expressions)
    if kl.match is KeywordMatch.SCORE:
        exprs = [x for e in exprs for x in (_split(draw, e) if draw(st.booleans()) else [e])]
    elif exprs and draw(st.booleans()):
        exprs.append(attrs.evolve(draw(st.sampled_from(exprs)), score=draw(st.integers(
            -10, 10))))
    exprs = draw(st.permutations(exprs))
    threshold = kl.threshold if kl.match is KeywordMatch.SCORE else draw(
        st.one_of(st.none(), st.integers(0, 9)))
    out = KeywordList(name, kl.match, threshold, tuple(exprs))
    how = draw(st.sampled_from(["same", "same", "case", "match", "threshold", "score",
                                "extra"]))
    cased = [i for i, e in enumerate(exprs) if e.text.lower() != e.text.upper()]
    if how == "case" and cased:
        i = draw(st.sampled_from(cased))  # a flag that matters for some text
        exprs[i] = attrs.evolve(exprs[i], case_sensitive=not exprs[i].case_sensitive)
        out = attrs.evolve(out, expressions=tuple(exprs))
    elif how == "match":
        out = attrs.evolve(out, match=draw(st.sampled_from(KeywordMatch)))
    elif how == "threshold":
        out = attrs.evolve(out, threshold=draw(st.sampled_from([None, 0, 4, 5, 6])))
    elif how == "score" and exprs:
        i = draw(st.integers(0, len(exprs) - 1))
        exprs[i] = attrs.evolve(exprs[i], score=draw(st.integers(-10, 10)))
        out = attrs.evolve(out, expressions=tuple(exprs))
    elif how == "extra":
        out = attrs.evolve(out, expressions=(*exprs, draw(_expression())))
    return out


@st.composite
def twin_policies(draw: Any) -> MailPolicy:
    """Keyword lists with twins and near twins (at random places), and rules whose keyword
    conditions name them (and a name no list has) in every message part."""
    lists = [draw(_list(f"k{i}")) for i in range(draw(st.integers(1, 3)))]
    for n in range(draw(st.integers(1, 4))):
        base = draw(st.sampled_from(lists))
        lists.insert(draw(st.integers(0, len(lists))), draw(twin(base, f"t{n}")))
    if draw(st.integers(0, 5)) == 0:  # a repeated name
        lists.append(attrs.evolve(draw(st.sampled_from(lists)), name=lists[0].name))
    names = [k.name for k in lists] + ["missing"]
    condition = st.builds(
        KeywordCondition, st.sampled_from(_PARTS), st.sampled_from(names),
        st.sampled_from([(), ("X-K",)]))
    # one rule per name, so that every list decides something of its own
    own = tuple(
        MailRule(f"own {name}", draw(st.integers(0, 5)), route=Route(RouteType.ALL),
                 conditions=(draw(st.builds(KeywordCondition, st.sampled_from(_PARTS),
                                            st.just(name))),),
                 actions=(TagSubject(f"[{name}]"),))
        for name in names)
    rules = own + tuple(
        MailRule(f"r{i}", draw(st.integers(0, 5)),
                 type=RuleType.ANTIVIRUS if draw(st.integers(0, 5)) == 0 else RuleType.OTHER,
                 route=Route(draw(st.sampled_from([RouteType.INCOMING, RouteType.ALL]))),
                 match=draw(st.sampled_from(Match)),
                 conditions=tuple(draw(st.lists(condition, min_size=1, max_size=3))),
                 intercept=draw(st.sampled_from([
                     Intercept(), Intercept(InterceptAction.DELETE),
                     Intercept(InterceptAction.QUARANTINE)])),
                 actions=(TagSubject(f"[r{i}]"),))
        for i in range(draw(st.integers(1, 5))))
    return MailPolicy(internal_domains=("x.example",), keyword_lists=tuple(lists),
                      rules=rules)


_texts = st.lists(st.sampled_from([*WORDS, "SECRET", "CONFIDENTIAL", "abc", "a-c", ""]),
                  max_size=3).map(" ".join)


@st.composite
def keyword_messages(draw: Any) -> MailMessage:
    attachments = tuple(Attachment("a.txt", content=t) for t in draw(st.lists(_texts,
                                                                              max_size=2)))
    return MailMessage("s@y.example", "r@x.example", subject=draw(_texts),
                       body=draw(_texts), headers=(("X-K", draw(_texts)),),
                       attachments=attachments, virus=draw(st.booleans()),
                       direction=draw(st.sampled_from([None, "outgoing"])))


@given(data=st.data())
def test_decisions_are_preserved(data: st.DataObject) -> None:
    mail = data.draw(twin_policies(), label="mail")
    out = _run(mail)
    for message in data.draw(st.lists(keyword_messages(), min_size=8, max_size=24),
                             label="messages"):
        same_mail_decision(mail, out, message)


@given(data=st.data())
def test_decisions_are_preserved_on_any_policy(data: st.DataObject) -> None:
    mail = data.draw(st.one_of(optimisable_mail_policies(),
                               optimisable_mail_policies(compact=True)), label="mail")
    out = _run(mail)
    for message in data.draw(st.lists(mail_messages(mail), min_size=4, max_size=12),
                             label="messages"):
        same_mail_decision(mail, out, message)


@given(mail=st.one_of(twin_policies(), optimisable_mail_policies()))
def test_idempotent_and_never_larger(mail: MailPolicy) -> None:
    ctx = PassContext()
    once = _run(mail, ctx)
    again = PassContext()
    assert _run(once, again) == once
    assert again.changes == [] and again.diagnostics == []
    assert len(once.keyword_lists) <= len(mail.keyword_lists)
    assert sum(len(k.expressions) for k in once.keyword_lists) <= sum(
        len(k.expressions) for k in mail.keyword_lists)
    assert sum(len(r.conditions) for r in once.rules) <= sum(
        len(r.conditions) for r in mail.rules)
    merged = len(mail.keyword_lists) - len(once.keyword_lists)
    assert merged == sum(c.kind == "keyword-list" for c in ctx.changes)
    assert (once != mail) == bool(ctx.changes)
    assert all(c.action == ("removed" if c.kind == "mail-rule.condition" else "merged")
               for c in ctx.changes)
    assert len(ctx.changes) == len(ctx.diagnostics)
    # every condition names a list that is still there, or a name that never had one
    names = {k.name for k in once.keyword_lists}
    before = {k.name for k in mail.keyword_lists}
    for r in once.rules:
        for c in r.conditions:
            if isinstance(c, KeywordCondition):
                assert c.keyword_list in names or c.keyword_list not in before


@given(mail=twin_policies())
def test_every_list_left_differs_from_the_others(mail: MailPolicy) -> None:
    """Maximal: no two lists left (with names defined once) have equal content."""
    out = _run(mail)
    counts: dict[str, int] = {}
    for k in out.keyword_lists:
        counts[k.name] = counts.get(k.name, 0) + 1
    keys = [content_key(k) for k in out.keyword_lists if counts[k.name] == 1]
    assert len(keys) == len(set(keys))


@settings(max_examples=20)
@given(mail=twin_policies())
def test_exhaustive_on_a_small_universe(mail: MailPolicy) -> None:
    """Every combination of the vocabulary's words (each written two ways) in the
    subject, the body, a header and an attachment is decided alike."""
    out = _run(mail)
    texts = [" ".join(c) for n in range(3) for c in itertools.combinations(
        [*WORDS, "SECRET", "CONFIDENTIAL"], n)]
    for text in texts:
        for where in ("subject", "body", "header", "attachment", "none"):
            m = MailMessage(
                "s@y.example", "r@x.example",
                subject=text if where == "subject" else "",
                body=text if where == "body" else "",
                headers=(("X-K", text),) if where == "header" else (),
                attachments=(Attachment("a.txt", content=text),) if where == "attachment"
                else ())
            assert imsva.decide(out, m) == imsva.decide(mail, m), m
