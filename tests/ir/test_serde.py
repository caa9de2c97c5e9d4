"""The ZTSA-IA document and the report (spec interface.md "Output documents")."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from isc.diagnostics import Diagnostic, Severity
from isc.errors import DocumentError
from isc.ir.common import Fidelity, Origin
from isc.ir.export import Output, ReportEntry
from isc.ir.serde import (
    dump_report,
    dump_ztsa,
    format_minute,
    load_ztsa,
    parse_minute,
    portable_paths,
)
from isc.ir.ztsa import (
    CertStatus,
    CloudAppControl,
    CustomUrlCategory,
    FileProfile,
    HttpsInspectionRule,
    InspectAction,
    InspectionException,
    InternetAccessRule,
    IpAddressGroup,
    ListEntry,
    MatchMode,
    Meta,
    RuleAction,
    Sources,
    ThreatProtectionRule,
    TlsCertificate,
    WeeklySchedule,
    ZtsaPolicy,
)
from isc.schemas import load_schema, validate

# ------------------------------------------------------------------------------ strategies

JAPANESE = "社員向けウェブ閲覧規則許可遮断営業部経理ブロックルールのテスト日本語ｶﾅ　"
ASCII = "abcdefghijklmnopqrstuvwxyz0123456789-_.*/: "

texts = st.one_of(
    st.text(alphabet=JAPANESE + ASCII, max_size=16),
    st.text(max_size=8),  # anything JSON can carry (hypothesis draws no lone surrogates)
)
names = st.text(alphabet=JAPANESE + ASCII, min_size=1, max_size=16)
strs = st.lists(texts, max_size=3).map(tuple)


def enum_values(cls: Any) -> Any:
    return st.sampled_from(list(cls))


origins = st.builds(
    Origin,
    file=st.text(alphabet=JAPANESE + ASCII, max_size=20),
    line=st.integers(0, 10**6),
    kind=names,
    name=texts,
)
metas = st.builds(
    Meta,
    source=st.none() | origins,
    fidelity=enum_values(Fidelity),
    review=st.lists(texts, max_size=2).map(tuple),
)
minutes = st.integers(0, 1440)
schedules = st.builds(
    WeeklySchedule,
    days=st.lists(st.integers(0, 6), max_size=7, unique=True).map(tuple),
    intervals=st.lists(st.tuples(minutes, minutes), max_size=3).map(tuple),
)
sources = st.builds(Sources, users=strs, groups=strs, ip_address_groups=strs)
list_entries = st.builds(ListEntry, mode=enum_values(MatchMode), value=texts, meta=metas)
ia_rules = st.builds(
    InternetAccessRule,
    name=names,
    action=enum_values(RuleAction),
    enabled=st.booleans(),
    description=texts,
    sources=sources,
    excludes=sources,
    schedule=st.none() | schedules,
    url_categories=strs,
    custom_url_categories=strs,
    file_profiles=strs,
    cloud_apps=st.lists(st.builds(CloudAppControl, app=names, action=names), max_size=2).map(
        tuple),
    meta=metas,
)
policies = st.builds(
    ZtsaPolicy,
    url_allow_list=st.lists(list_entries, max_size=3).map(tuple),
    url_deny_list=st.lists(list_entries, max_size=3).map(tuple),
    custom_url_categories=st.lists(
        st.builds(CustomUrlCategory, name=names, mode=enum_values(MatchMode), entries=strs,
                  description=texts, meta=metas), max_size=2).map(tuple),
    ip_address_groups=st.lists(
        st.builds(IpAddressGroup, name=names, addresses=strs, description=texts, meta=metas),
        max_size=2).map(tuple),
    file_profiles=st.lists(
        st.builds(FileProfile, name=names, true_file_types=strs, file_names=strs,
                  media_types=strs, meta=metas), max_size=2).map(tuple),
    internet_access_rules=st.lists(ia_rules, max_size=4).map(tuple),
    https_inspection_rules=st.lists(
        st.builds(HttpsInspectionRule, name=names, action=enum_values(InspectAction),
                  enabled=st.booleans(), sources=sources, url_categories=strs,
                  custom_url_categories=strs, meta=metas), max_size=2).map(tuple),
    inspection_exceptions=st.lists(
        st.builds(InspectionException, domain=texts, meta=metas), max_size=3).map(tuple),
    certificates=st.lists(
        st.builds(TlsCertificate, name=names, status=enum_values(CertStatus),
                  pem=st.none() | texts, meta=metas), max_size=2).map(tuple),
    threat_protection_rules=st.lists(
        st.builds(ThreatProtectionRule, name=names, web_reputation=st.booleans(),
                  security_level=st.sampled_from(["low", "medium", "high"]),
                  block_untested=st.booleans(),
                  do_not_scan_larger_than_mb=st.none() | st.integers(0, 2048),
                  max_compression_layers=st.none() | st.integers(0, 20), meta=metas),
        max_size=2).map(tuple),
)
outputs = st.builds(
    Output,
    target=st.just("ztsa-ia"),
    document=policies,
    source_product=st.none() | texts,
    identities=st.lists(st.tuples(texts, texts, st.booleans()), max_size=3).map(tuple),
)


def json_trip(doc: dict[str, Any]) -> Any:
    return json.loads(json.dumps(doc, ensure_ascii=False, sort_keys=True))


# ------------------------------------------------------------------------------ round trip


def test_schemas_are_valid_draft_2020_12() -> None:
    for name in ("ztsa-ia-1", "report-1"):
        schema = load_schema(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@settings(max_examples=200, deadline=None)
@given(outputs)
def test_round_trip(output: Output) -> None:
    doc = dump_ztsa(output)
    validate(doc, "ztsa-ia-1")
    again = json_trip(doc)
    assert again == doc
    loaded = load_ztsa(again, filename="ztsa-ia.json")
    assert loaded == output
    assert loaded.document == output.document
    assert loaded.source_product == output.source_product
    assert loaded.report == ()
    assert dump_ztsa(loaded) == doc


def rule_doc() -> dict[str, Any]:
    """A small document with two Internet Access rules, the second with a schedule."""
    policy = ZtsaPolicy(
        url_deny_list=(ListEntry(
            MatchMode.DOMAIN, "example.com",
            Meta(Origin("urls.ini", 4, "url-list", "遮断リスト"), Fidelity.BROADENED,
                 ("testexample.com no longer matches",))),),
        internet_access_rules=(
            InternetAccessRule("許可ルール", RuleAction.ALLOW),
            InternetAccessRule(
                "営業部", RuleAction.BLOCK,
                sources=Sources(groups=("営業部",)),
                schedule=WeeklySchedule((0, 1, 2, 3, 4), ((510, 720), (780, 1440))),
                url_categories=("Gambling",),
                meta=Meta(Origin("IWSSPIUrlFilter.ini", 12, "url-filter-policy", "営業部"),
                          Fidelity.NARROWED),
            ),
        ),
    )
    return dump_ztsa(Output("ztsa-ia", policy, source_product="IWSVA 6.5",
                            identities=(("cn=sales,dc=example", "営業部", False),)))


def test_document_shape() -> None:
    doc = rule_doc()
    assert list(doc) == [
        "schema", "sourceProduct", "urlAllowList", "urlDenyList", "customUrlCategories",
        "ipAddressGroups", "fileProfiles", "internetAccessRules", "httpsInspectionRules",
        "inspectionExceptions", "tlsCertificates", "threatProtectionRules", "identityMapping",
    ]
    assert doc["schema"] == "isc/ztsa-ia/1"
    rule = doc["internetAccessRules"][1]
    assert rule == {
        "name": "営業部",
        "action": "block",
        "enabled": True,
        "description": "",
        "sources": {"users": [], "groups": ["営業部"], "ipAddressGroups": []},
        "excludes": {"users": [], "groups": [], "ipAddressGroups": []},
        "schedule": {
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": [{"from": "08:30", "to": "12:00"}, {"from": "13:00", "to": "24:00"}],
        },
        "urlCategories": ["Gambling"],
        "customUrlCategories": [],
        "fileProfiles": [],
        "cloudApps": [],
        "source": {"file": "IWSSPIUrlFilter.ini", "line": 12, "kind": "url-filter-policy",
                   "name": "営業部"},
        "fidelity": "narrowed",
        "directions": ["narrowed"],
    }
    assert "review" not in rule
    assert doc["internetAccessRules"][0]["source"] is None
    assert doc["urlDenyList"][0]["review"] == ["testexample.com no longer matches"]
    assert doc["identityMapping"] == [
        {"ldapDn": "cn=sales,dc=example", "ssoName": "営業部", "confirmed": False}]


@pytest.mark.parametrize(("minute", "text"), [(0, "00:00"), (510, "08:30"), (1439, "23:59"),
                                              (1440, "24:00")])
def test_minutes(minute: int, text: str) -> None:
    assert format_minute(minute) == text
    assert parse_minute(text) == minute


# ------------------------------------------------------------------------------ bad documents


def mutated(path: list[str | int], value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    doc = copy.deepcopy(rule_doc())
    node: Any = doc
    for part in path[:-1]:
        node = node[part]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


BAD = [
    (mutated(["schema"], "isc/ztsa-ia/2"), "$.schema"),
    (mutated(["schema"], delete=True), "$.schema"),
    (mutated(["bogus"], 1), "$.bogus"),
    (mutated(["internetAccessRules", 1, "priority"], 1), "$.internetAccessRules[1].priority"),
    (mutated(["internetAccessRules", 1, "action"], "deny"), "$.internetAccessRules[1].action"),
    (mutated(["internetAccessRules", 1, "action"], delete=True),
     "$.internetAccessRules[1].action"),
    (mutated(["internetAccessRules", 1, "enabled"], "yes"), "$.internetAccessRules[1].enabled"),
    (mutated(["internetAccessRules", 1, "fidelity"], "perfect"),
     "$.internetAccessRules[1].fidelity"),
    (mutated(["internetAccessRules", 1, "schedule", "days", 0], "monday"),
     "$.internetAccessRules[1].schedule.days[0]"),
    (mutated(["internetAccessRules", 1, "schedule", "hours", 1, "to"], "24:30"),
     "$.internetAccessRules[1].schedule.hours[1].to"),
    (mutated(["internetAccessRules", 1, "source", "line"], "12"),
     "$.internetAccessRules[1].source.line"),
    (mutated(["internetAccessRules", 0, "sources", "groups"], "営業部"),
     "$.internetAccessRules[0].sources.groups"),
    (mutated(["urlDenyList", 0, "mode"], "regex"), "$.urlDenyList[0].mode"),
    (mutated(["urlDenyList", 0, "review"], [1]), "$.urlDenyList[0].review[0]"),
    (mutated(["identityMapping", 0, "confirmed"], 1), "$.identityMapping[0].confirmed"),
    (mutated(["internetAccessRules"], {}), "$.internetAccessRules"),
]


@pytest.mark.parametrize(("doc", "path"), BAD, ids=[p for _, p in BAD])
def test_bad_documents(doc: dict[str, Any], path: str) -> None:
    with pytest.raises(DocumentError) as info:
        load_ztsa(doc, filename="out/ztsa-ia.json")
    err = info.value
    assert err.code == "ISC1007"
    assert err.message.startswith(path + ":"), err.message
    assert err.file == "out/ztsa-ia.json"


def test_not_an_object() -> None:
    with pytest.raises(DocumentError) as info:
        load_ztsa([], filename="x.json")  # type: ignore[arg-type]
    assert info.value.message.startswith("$: ")


def test_validate_names_the_path() -> None:
    with pytest.raises(DocumentError, match=r"\$\.internetAccessRules\[1\]\.action"):
        validate(mutated(["internetAccessRules", 1, "action"], "deny"), "ztsa-ia-1")


# ------------------------------------------------------------------------------ report


def test_report() -> None:
    entries = (
        ReportEntry(Origin("IWSSPIUrlFilter.ini", 12, "url-filter-policy", "営業部"), "translated",
                    Fidelity.NARROWED, ("営業部",), ("block-override becomes block",),
                    {"request": {"url": "http://example.com/"}, "source": "block-override",
                     "target": "block"}),
        ReportEntry(Origin("IWSSPIUrlFilter.ini", 30, "url-filter-policy", "all"), "translated",
                    Fidelity.EXACT, ("all",)),
    )
    diags = (
        Diagnostic("ISC3001", Severity.NOTE, "narrowed", "/abs/dir/export.tar.gz:a.ini", 3, 1),
        Diagnostic("ISC2010", Severity.WARNING, "unused", "b.ini", 1, 1),
        Diagnostic("ISC2008", Severity.WARNING, "not read", "/abs/dir/pac/x.pac"),
    )
    output = Output("ztsa-ia", ZtsaPolicy(), entries, diags)
    doc = dump_report(output)
    validate(doc, "report-1")
    assert json_trip(doc) == doc
    assert doc["schema"] == "isc/report/1"
    assert doc["target"] == "ztsa-ia"
    assert doc["summary"] == {"objects": 2, "exact": 1, "narrowed": 1, "broadened": 0,
                              "approximated": 0, "dropped": 0,
                              "fates": {"translated": 2, "inlined": 0, "dropped": 0,
                                        "no-action": 0}}
    assert doc["objects"][0]["witness"]["target"] == "block"
    assert "witness" not in doc["objects"][1]
    assert doc["objects"][1] == {
        "source": {"file": "IWSSPIUrlFilter.ini", "line": 30, "kind": "url-filter-policy",
                   "name": "all"},
        "fate": "translated", "fateCode": "translated",
        "sentence": "Re-create as \u201call\u201d; it decides as the source did.",
        "fidelity": "exact", "directions": [], "targets": ["all"], "reasons": []}
    files = [d["file"] for d in doc["diagnostics"]]
    assert files == ["b.ini", "export.tar.gz:a.ini", "pac/x.pac"]
    assert not any(f.startswith("/") for f in files)


def test_structuring_errors_name_the_json_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the schema, cattrs errors are reported with the document's keys too."""
    import isc.ir.serde

    monkeypatch.setattr(isc.ir.serde, "validate", lambda *args, **kwargs: None)
    with pytest.raises(DocumentError) as info:
        load_ztsa(mutated(["internetAccessRules", 1, "action"], "deny"), filename="x.json")
    assert info.value.message.startswith("$.internetAccessRules[1].action: ")
    with pytest.raises(DocumentError) as info:
        load_ztsa(mutated(["tlsCertificates"], [{"name": "c", "status": "bad", "pem": None,
                                                 "source": None, "fidelity": "exact"}]),
                  filename="x.json")
    assert info.value.message.startswith("$.tlsCertificates[0].status: ")


def test_portable_paths() -> None:
    assert portable_paths(["policy.ini", ""]) == {}
    assert portable_paths(["/a/b/export.tar.gz:x/policy.ini"]) == {
        "/a/b/export.tar.gz:x/policy.ini": "export.tar.gz:x/policy.ini"}
    assert portable_paths(["/a/b/c.ini", "/a/d/e.ini", "rel.ini"]) == {
        "/a/b/c.ini": "b/c.ini", "/a/d/e.ini": "d/e.ini"}
