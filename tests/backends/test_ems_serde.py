"""The EmS document ``isc/ems/1``: schema, shape, round trip and bad documents."""

from __future__ import annotations

import copy
import json
import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from isc.errors import DocumentError
from isc.frontends.keywords import parse_expression
from isc.ir.common import Fidelity, Meta, Origin
from isc.ir.ems import (
    CriteriaMatch,
    DkimVerification,
    EmsAddressGroup,
    EmsDmarc,
    EmsKeywordList,
    EmsNotification,
    EmsPolicy,
    EmsRule,
    EmsStamp,
    IpListEntry,
    RuleKind,
    SenderEntry,
)
from isc.ir.export import Output
from isc.ir.keyword_expr import Dialect, Node
from isc.ir.mail import (
    Archive,
    AttachmentName,
    Bcc,
    Clean,
    Compare,
    DeleteAttachments,
    Direction,
    DlpCondition,
    Encrypt,
    Flag,
    FlagCondition,
    InsertStamp,
    InsertXHeader,
    Intercept,
    InterceptAction,
    KeywordCondition,
    KeywordExpression,
    KeywordMatch,
    Measure,
    MessagePart,
    MimeType,
    Notify,
    Party,
    PartyKind,
    ReceivedTime,
    RouteException,
    SizeCondition,
    SpamCondition,
    TagSubject,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)
from isc.ir.serde_ems import dump_ems, load_ems
from isc.schemas import load_schema, validate


def ems_parse(text: str) -> Node:
    return parse_expression(text, dialect=Dialect.EMS)


# ------------------------------------------------------------------------------ strategies

JAPANESE = "社外秘営業部経理役員宛スパム隔離添付ファイル日本語ｶﾅ　"
ASCII = "abcdefghijklmnopqrstuvwxyz0123456789-_.*@/: "
texts = st.one_of(st.text(alphabet=JAPANESE + ASCII, max_size=12), st.text(max_size=6))
names = st.text(alphabet=JAPANESE + ASCII, min_size=1, max_size=12)
strs = st.lists(texts, max_size=3).map(tuple)


def enum_values(cls: Any) -> Any:
    return st.sampled_from(list(cls))


origins = st.builds(Origin, file=texts, line=st.integers(0, 10**6), kind=names, name=texts)
metas = st.builds(Meta, source=st.none() | origins, fidelity=enum_values(Fidelity),
                  review=st.lists(texts, max_size=2).map(tuple))
parties = st.one_of(
    st.builds(Party, st.sampled_from([PartyKind.ANYONE, PartyKind.MY_ORGANIZATION]),
              st.just("")),
    st.builds(Party, st.sampled_from([PartyKind.ADDRESS, PartyKind.ADDRESS_GROUP,
                                      PartyKind.LDAP_GROUP, PartyKind.LDAP_USER]), names))
party_lists = st.lists(parties, max_size=3).map(tuple)
units = st.sampled_from(["", "B", "KB", "MB"])
criteria = st.one_of(
    st.builds(SizeCondition, enum_values(Measure), st.sampled_from([Compare.GT, Compare.LE]),
              st.integers(-1, 2**40), units),
    st.builds(AttachmentName, texts),
    st.builds(TrueFileType, texts),
    st.builds(MimeType, texts),
    st.builds(KeywordCondition, st.sampled_from([MessagePart.SUBJECT, MessagePart.BODY,
                                                 MessagePart.ATTACHMENT_CONTENT]), names),
    st.builds(KeywordCondition, st.just(MessagePart.HEADER), names, strs),
    st.builds(SpamCondition, st.sampled_from(["high", "medium", "low", None]),
              st.none() | st.from_regex(r"\A[0-9]{1,2}(\.[0-9])?\Z")),
    st.builds(WebReputationCondition, st.sampled_from(["high", "medium", "low"]),
              st.sampled_from(["bypass", "apply", "submit"]), st.booleans()),
    st.builds(FlagCondition, st.sampled_from([Flag.GRAYMAIL, Flag.SOCIAL_ENGINEERING,
                                              Flag.PASSWORD_PROTECTED])),
    st.builds(DlpCondition, names),
    st.builds(VirusCondition, st.sampled_from(["all", "intelliscan", "extensions"]), strs),
)
actions = st.one_of(
    st.builds(DeleteAttachments, st.sampled_from(["matching", "all"])),
    st.builds(Clean, st.sampled_from(["matching", "all"])),
    st.builds(InsertStamp, names),
    st.builds(TagSubject, texts),
    st.builds(InsertXHeader, st.from_regex(r"\AX-[A-LN-SU-Za-ln-su-z0-9-]{0,8}\Z"), texts),
    st.builds(Notify, names),
    st.builds(Bcc, strs),
    st.builds(Encrypt),
)
intercepts = st.one_of(
    st.builds(Intercept, st.sampled_from([InterceptAction.NONE, InterceptAction.DELETE,
                                          InterceptAction.QUARANTINE])),
    st.builds(Intercept, st.just(InterceptAction.CHANGE_RECIPIENT), st.none(),
              st.lists(names, min_size=1, max_size=2).map(tuple)),
    st.builds(Intercept, st.just(InterceptAction.DELIVER_NOW), st.none(), st.just(()),
              st.none() | names, st.none() | st.integers(1, 65535)),
)
rules = st.builds(
    EmsRule, name=names, kind=enum_values(RuleKind), direction=enum_values(Direction),
    order=st.integers(1, 500), enabled=st.booleans(), recipients=party_lists,
    senders=party_lists,
    exceptions=st.lists(st.builds(RouteException, parties, parties), max_size=2).map(tuple),
    match=enum_values(CriteriaMatch), criteria=st.lists(criteria, max_size=4).map(tuple),
    intercept=intercepts, actions=st.lists(actions, max_size=3).map(tuple), notes=texts,
    meta=metas)
KEYWORD_CHARS = string.ascii_letters + string.digits + " " + JAPANESE.strip()
expression_texts = st.text(alphabet=KEYWORD_CHARS, min_size=1, max_size=10)
expressions = st.builds(
    lambda text, cs, score, desc: KeywordExpression(text, ems_parse(text), cs, score, desc),
    expression_texts, st.booleans(), st.integers(-10, 10), texts)
policies = st.builds(
    EmsPolicy,
    product=st.none() | texts,
    managed_domains=strs,
    rules=st.lists(rules, max_size=3).map(tuple),
    address_groups=st.lists(st.builds(EmsAddressGroup, names, party_lists, st.booleans(),
                                      metas), max_size=2).map(tuple),
    keyword_lists=st.lists(st.builds(EmsKeywordList, names, enum_values(KeywordMatch),
                                     st.none() | st.integers(-100, 100),
                                     st.lists(expressions, max_size=3).map(tuple), metas),
                           max_size=2).map(tuple),
    stamps=st.lists(st.builds(EmsStamp, names, texts, st.sampled_from(["beginning", "end"]),
                              metas), max_size=2).map(tuple),
    notifications=st.lists(st.builds(EmsNotification, names, texts, texts, texts, metas),
                           max_size=2).map(tuple),
    approved_senders=st.lists(st.builds(SenderEntry, texts, metas), max_size=2).map(tuple),
    blocked_senders=st.lists(st.builds(SenderEntry, texts, metas), max_size=2).map(tuple),
    approved_ips=st.lists(st.builds(IpListEntry, texts, metas), max_size=2).map(tuple),
    blocked_ips=st.lists(st.builds(IpListEntry, texts, metas), max_size=2).map(tuple),
    dkim_verification=st.none() | st.builds(DkimVerification, st.booleans(), strs,
                                            st.sampled_from(["quarantine", "delete", "tag"]),
                                            metas),
    dmarc=st.none() | st.builds(
        EmsDmarc, st.booleans(), st.booleans(), st.booleans(),
        st.lists(st.tuples(st.sampled_from(["none", "quarantine", "reject", "no-record"]),
                           st.sampled_from(["none", "quarantine", "reject", "tag"])),
                 max_size=3).map(tuple), metas),
)
# One product string: the document writes it once (sourceProduct).
outputs = policies.map(lambda p: Output("ems", p, source_product=p.product))


def json_trip(doc: dict[str, Any]) -> Any:
    return json.loads(json.dumps(doc, ensure_ascii=False, sort_keys=True))


# ------------------------------------------------------------------------------ round trip


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema("ems-1")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"] == {"const": "isc/ems/1"}


@given(outputs)
def test_round_trip(output: Output) -> None:
    doc = dump_ems(output)
    validate(doc, "ems-1")
    again = json_trip(doc)
    assert again == doc
    loaded = load_ems(again, filename="ems.json", parse_expression=ems_parse)
    assert loaded == output
    assert loaded.document == output.document
    assert loaded.report == ()
    assert dump_ems(loaded) == doc


def small() -> dict[str, Any]:
    rule = EmsRule(
        "役員宛 隔離", RuleKind.CONTENT_FILTERING, Direction.INCOMING, 2,
        recipients=(Party(PartyKind.ADDRESS_GROUP, "役員"),),
        exceptions=(RouteException(Party(PartyKind.ADDRESS, "*@partner.example")),),
        match=CriteriaMatch.ALL,
        criteria=(AttachmentName("*.exe"),
                  SizeCondition(Measure.MESSAGE_SIZE, Compare.GT, 10485760, "MB"),
                  KeywordCondition(MessagePart.HEADER, "社外秘", ("From", "Reply-To"))),
        intercept=Intercept(InterceptAction.QUARANTINE),
        actions=(TagSubject("[要確認]"), Notify("管理者通知")),
        meta=Meta(Origin("Policy.xml", 40, "mail-rule", "役員宛 隔離"), Fidelity.NARROWED,
                  ("quarantine area 'Default' is not kept: EmS has one quarantine",)))
    kw = EmsKeywordList("社外秘", KeywordMatch.SCORE, 11, (
        KeywordExpression("社外秘", ems_parse("社外秘"), False, 5, "区分"),))
    policy = EmsPolicy("IMSVA 9.1", ("example.co.jp",), rules=(rule,), keyword_lists=(kw,),
                       dmarc=EmsDmarc(True, actions=(("reject", "quarantine"),)))
    return dump_ems(Output("ems", policy, source_product="IMSVA 9.1"))


def test_document_shape() -> None:
    doc = small()
    assert list(doc) == [
        "schema", "sourceProduct", "managedDomains", "rules", "addressGroups", "keywordLists",
        "stamps", "notifications", "approvedSenders", "blockedSenders", "approvedIps",
        "blockedIps", "dkimVerification", "dmarc"]
    assert doc["schema"] == "isc/ems/1" and doc["sourceProduct"] == "IMSVA 9.1"
    assert doc["rules"][0] == {
        "name": "役員宛 隔離", "kind": "content-filtering", "direction": "inbound", "order": 2,
        "enabled": True,
        "recipients": [{"type": "address-group", "value": "役員"}],
        "senders": [],
        "exceptions": [{"sender": {"type": "address", "value": "*@partner.example"},
                        "recipient": {"type": "anyone", "value": ""}}],
        "match": "all",
        "criteria": [
            {"criterion": "attachment-name", "pattern": "*.exe"},
            {"criterion": "message-size", "op": "gt", "value": 10485760, "unit": "MB"},
            {"criterion": "header", "keywordList": "社外秘", "headers": ["From", "Reply-To"]}],
        "intercept": {"action": "quarantine", "recipients": [], "host": None, "port": None},
        "actions": [{"action": "tag-subject", "tag": "[要確認]"},
                    {"action": "notify", "notification": "管理者通知"}],
        "notes": "",
        "source": {"file": "Policy.xml", "line": 40, "kind": "mail-rule", "name": "役員宛 隔離"},
        "fidelity": "narrowed",
        "directions": ["narrowed"],
        "review": ["quarantine area 'Default' is not kept: EmS has one quarantine"],
    }
    assert doc["keywordLists"][0] == {
        "name": "社外秘", "match": "score", "threshold": 11,
        "expressions": [{"expression": "社外秘", "caseSensitive": False, "score": 5,
                         "description": "区分"}],
        "source": None, "fidelity": "exact", "directions": []}
    assert doc["dmarc"]["actions"] == [{"policy": "reject", "action": "quarantine"}]
    assert doc["dkimVerification"] is None


@pytest.mark.parametrize("bad", [
    SizeCondition(Measure.MESSAGE_SIZE, Compare.GE, 1),
    ReceivedTime(0, 60),
    FlagCondition(Flag.CC_EMAIL),
    KeywordCondition(MessagePart.SUBJECT, "k", ("From",)),
])
def test_criteria_ems_cannot_express_are_refused(bad: Any) -> None:
    rule = EmsRule("r", RuleKind.CONTENT_FILTERING, Direction.INCOMING, 1, criteria=(bad,))
    with pytest.raises(TypeError):
        dump_ems(Output("ems", EmsPolicy(rules=(rule,))))


@pytest.mark.parametrize("intercept", [
    Intercept(InterceptAction.HANDOFF, host="gw"),
    Intercept(InterceptAction.QUARANTINE, area="Spam"),
])
def test_intercepts_ems_cannot_express_are_refused(intercept: Intercept) -> None:
    rule = EmsRule("r", RuleKind.CONTENT_FILTERING, Direction.INCOMING, 1, intercept=intercept)
    with pytest.raises(TypeError):
        dump_ems(Output("ems", EmsPolicy(rules=(rule,))))


def test_archive_is_refused() -> None:
    rule = EmsRule("r", RuleKind.CONTENT_FILTERING, Direction.INCOMING, 1,
                   actions=(Archive("a"),))
    with pytest.raises(TypeError):
        dump_ems(Output("ems", EmsPolicy(rules=(rule,))))


def test_source_product_falls_back_to_the_policy() -> None:
    doc = dump_ems(Output("ems", EmsPolicy(product="IMSS 9.1")))
    assert doc["sourceProduct"] == "IMSS 9.1"
    loaded = load_ems(doc, filename="ems.json", parse_expression=ems_parse)
    assert loaded.source_product == "IMSS 9.1"


# ------------------------------------------------------------------------------ bad documents


def mutated(path: list[str | int], value: Any = None, *, delete: bool = False
            ) -> dict[str, Any]:
    doc = copy.deepcopy(small())
    node: Any = doc
    for part in path[:-1]:
        node = node[part]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


BAD = [
    (mutated(["schema"], "isc/ems/2"), "$.schema"),
    (mutated(["bogus"], 1), "$.bogus"),
    (mutated(["rules", 0, "direction"], "incoming"), "$.rules[0].direction"),
    (mutated(["rules", 0, "kind"], "correlated-intelligence"), "$.rules[0].kind"),
    (mutated(["rules", 0, "order"], 0), "$.rules[0].order"),
    (mutated(["rules", 0, "intercept", "action"], "handoff"), "$.rules[0].intercept.action"),
    (mutated(["rules", 0, "intercept", "area"], "Spam"), "$.rules[0].intercept.area"),
    (mutated(["rules", 0, "criteria", 1, "op"], "ge"), "$.rules[0].criteria[1].op"),
    (mutated(["rules", 0, "criteria", 0, "criterion"], "received-time"),
     "$.rules[0].criteria[0].criterion"),
    (mutated(["rules", 0, "criteria", 2, "headers"], delete=True),
     "$.rules[0].criteria[2].headers"),
    (mutated(["rules", 0, "actions", 0, "action"], "postpone"), "$.rules[0].actions[0].action"),
    (mutated(["rules", 0, "recipients", 0, "type"], "group"),
     "$.rules[0].recipients[0].type"),
    (mutated(["rules", 0, "fidelity"], "perfect"), "$.rules[0].fidelity"),
    (mutated(["rules", 0, "source"], delete=True), "$.rules[0].source"),
    (mutated(["keywordLists", 0, "expressions", 0, "score"], 11),
     "$.keywordLists[0].expressions[0].score"),
    (mutated(["dmarc", "actions", 0, "policy"], "fail"), "$.dmarc.actions[0].policy"),
]


@pytest.mark.parametrize(("doc", "path"), BAD, ids=[p for _, p in BAD])
def test_bad_documents(doc: dict[str, Any], path: str) -> None:
    with pytest.raises(DocumentError) as info:
        load_ems(doc, filename="out/ems.json", parse_expression=ems_parse)
    err = info.value
    assert err.code == "ISC1007"
    assert err.message.startswith(path + ":") or err.message.startswith(path + "["), (
        err.message)
    assert err.file == "out/ems.json"


def test_unparsable_expression_names_its_path() -> None:
    doc = mutated(["keywordLists", 0, "expressions", 0, "expression"], "a{2,3}")
    with pytest.raises(DocumentError) as info:
        load_ems(doc, filename="ems.json", parse_expression=ems_parse)
    assert info.value.message.startswith("$.keywordLists[0].expressions[0].expression: ")


def test_expressions_are_stored_as_ems_text_and_reparsed() -> None:
    calls: list[str] = []

    def parse(text: str) -> Node:
        calls.append(text)
        return ems_parse(text)

    loaded = load_ems(small(), filename="ems.json", parse_expression=parse)
    assert calls == ["社外秘"]
    assert isinstance(loaded.document, EmsPolicy)
    assert loaded.document.keyword_lists[0].expressions[0].expr == ems_parse("社外秘")
