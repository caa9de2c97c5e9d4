"""The mail front-end (formats.md §4, docs/formats/mail.md): the XML rule set, hostile XML,
the shipped schema, values, references, encodings, list files, imss.ini, and mail mixed with
web material in one input."""

from __future__ import annotations

import contextlib
import io
import tarfile
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import isc
from isc.diagnostics import Diagnostic, Severity, Span
from isc.errors import IscError, ParseError
from isc.ir.export import Export
from isc.ir.mail import (
    AddressGroup,
    Archive,
    Bcc,
    DeleteAttachments,
    DkimEnforcement,
    Dmarc,
    InsertStamp,
    InsertXHeader,
    Intercept,
    InterceptAction,
    IpEntry,
    KeywordCondition,
    Measure,
    MessagePart,
    Notify,
    Party,
    PartyKind,
    Postpone,
    ReceivedTime,
    RouteException,
    RouteType,
    SenderFiltering,
    SizeCondition,
    SpamCondition,
    TagSubject,
)
from isc.ir.web import ConfigSetting
from strategies_mail import SAMPLE_XML

# ---------------------------------------------------------------- helpers


def load_files(root: Path, files: dict[str, str | bytes]) -> tuple[Export | None,
                                                                    list[Diagnostic]]:
    """Write ``files`` below ``root`` and load the directory: (export, diagnostics), the
    export None when the input has errors."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return _load(str(root))


def _load(*paths: str) -> tuple[Export | None, list[Diagnostic]]:
    try:
        export = isc.load(*paths)
    except ParseError as exc:
        return None, list(exc.diagnostics)
    return export, list(export.diagnostics)


def loads(text: str) -> tuple[Export | None, list[Diagnostic]]:
    try:
        export = isc.loads(text, filename="Policy.xml")
    except ParseError as exc:
        return None, list(exc.diagnostics)
    return export, list(export.diagnostics)


def codes(diags: list[Diagnostic]) -> list[tuple[str, int | None]]:
    return sorted((d.code, d.line) for d in diags)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def policy(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<imss-policy>\n{body}\n</imss-policy>\n'


RULE = """<rule name="{name}" order="{order}">
  <route type="incoming"/>
  <actions><intercept action="delete"/></actions>
</rule>"""


# ---------------------------------------------------------------- the formats.md §4 sample


def test_the_formats_sample_parses_without_any_diagnostic() -> None:
    export, diags = loads(SAMPLE_XML)
    assert diags == []
    assert export is not None and export.web is None
    mail = export.mail
    assert mail is not None
    assert (mail.product, mail.version) == ("IMSVA", "9.1.0.2011")
    assert mail.internal_domains == ("example.co.jp",)
    assert mail.address_groups == (AddressGroup("Executives", (
        Party(PartyKind.ADDRESS, "ceo@example.co.jp"),)),)
    (keywords,) = mail.keyword_lists
    assert keywords.name == "社外秘" and keywords.threshold is None
    assert [e.text for e in keywords.expressions] == ["社外秘", "confidential{WSP}report"]
    assert mail.stamp("External warning") is not None
    assert mail.notification("Admin alert") is not None
    (rule,) = mail.rules
    assert (rule.name, rule.order, rule.enabled) == ("Block executables", 3, True)
    assert rule.route.type is RouteType.INCOMING
    assert rule.route.senders == (Party(PartyKind.ANYONE),)
    assert rule.route.recipients == (
        Party(PartyKind.ADDRESS, "*@example.co.jp"),
        Party(PartyKind.ADDRESS_GROUP, "Executives"),
        Party(PartyKind.LDAP_GROUP, "CN=Sales,OU=Groups,DC=example,DC=co,DC=jp"))
    assert rule.route.exceptions == (RouteException(
        Party(PartyKind.ADDRESS, "partner@example.com"),
        Party(PartyKind.ADDRESS, "*@example.co.jp")),)
    assert len(rule.conditions) == 19
    assert SizeCondition(Measure.ATTACHMENT_SIZE, _op("gt"), 10 * 1024 * 1024, "MB") in (
        rule.conditions)
    assert KeywordCondition(MessagePart.HEADER, "社外秘", ("From", "Reply-To")) in (
        rule.conditions)
    assert SpamCondition("medium") in rule.conditions
    assert ReceivedTime(0, 360) in rule.conditions
    assert rule.intercept == Intercept(InterceptAction.QUARANTINE, "Default")
    assert rule.actions == (
        DeleteAttachments("matching"), InsertStamp("External warning"), TagSubject("[要確認]"),
        InsertXHeader("X-Isc", "1"), Postpone(22 * 60), Notify("Admin alert"),
        Bcc(("audit@example.co.jp",)), Archive("Archive"))
    assert rule.notes == "free text"
    assert mail.approved_senders == (Party(PartyKind.ADDRESS, "*@partner.example.com"),)
    assert mail.blocked_senders == (Party(PartyKind.ADDRESS, "spam@bad.example"),)
    assert mail.sender_filtering == SenderFiltering(
        True, "standard", (IpEntry("203.0.113.0/24"),),
        (IpEntry("198.51.100.7", "block-permanently"),))
    assert mail.dmarc == Dmarc(True, domains=("example.com",),
                               actions=(("reject", "quarantine"),))
    assert mail.dkim_enforcement == DkimEnforcement(True, ("bank.example",), "quarantine")
    assert [f.kind for f in export.files] == ["mail rule set"]


def _op(name: str) -> Any:
    from isc.ir.mail import Compare

    return Compare(name)


def test_spans_give_the_line_and_column_of_each_start_tag() -> None:
    export, _ = loads(SAMPLE_XML)
    assert export is not None and export.mail is not None
    rule = export.mail.rules[0]
    assert rule.span == Span("Policy.xml", line_of(SAMPLE_XML, "<rule "), 3)
    recipient = rule.route.recipients[0]
    line = line_of(SAMPLE_XML, "<address>*@example.co.jp")
    assert recipient.span == Span("Policy.xml", line, 9)
    assert rule.intercept.span is not None
    assert rule.intercept.span.line == line_of(SAMPLE_XML, "<intercept ")


def _spanned(value: object, path: str = "policy") -> list[tuple[str, object]]:
    """Every attrs node below ``value`` that has a span, with where it is."""
    out: list[tuple[str, object]] = []
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            out.extend(_spanned(item, f"{path}[{i}]"))
    elif attrs.has(type(value)):
        if hasattr(value, "span"):
            out.append((path, value))
        for field in attrs.fields(type(value)):
            if field.name != "span":
                out.extend(_spanned(getattr(value, field.name), f"{path}.{field.name}"))
    return out


def test_every_node_built_from_the_sample_has_a_span() -> None:
    export, _ = loads(SAMPLE_XML)
    assert export is not None
    nodes = _spanned(export.mail)
    assert len(nodes) > 50
    spans = [(p, getattr(n, "span", None)) for p, n in nodes]
    missing = [p for p, span in spans
               if not isinstance(span, Span) or span.line < 1 or span.file != "Policy.xml"]
    assert missing == []


# ---------------------------------------------------------------- hostile XML (ISC4003)

HOSTILE = {
    "billion laughs": """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<imss-policy><stamp name="x">&lol9;</stamp></imss-policy>
""",
    "external entity file": """<?xml version="1.0"?>
<!DOCTYPE imss-policy [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<imss-policy><stamp name="x">&xxe;</stamp></imss-policy>
""",
    "external entity http": """<?xml version="1.0"?>
<!DOCTYPE imss-policy [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>
<imss-policy version="&xxe;"/>
""",
    "parameter entity": """<?xml version="1.0"?>
<!DOCTYPE imss-policy [
 <!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">
 %remote;
]>
<imss-policy/>
""",
    "external DTD": """<?xml version="1.0"?>
<!DOCTYPE imss-policy SYSTEM "http://127.0.0.1:9/imss.dtd">
<imss-policy/>
""",
    "plain DOCTYPE": """<!DOCTYPE imss-policy>
<imss-policy/>
""",
    "undeclared entity": """<imss-policy>
  <stamp name="x">&undeclared;</stamp>
</imss-policy>
""",
    "XInclude": """<imss-policy xmlns:xi="http://www.w3.org/2001/XInclude">
  <xi:include href="file:///etc/passwd" parse="text"/>
</imss-policy>
""",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused(name: str) -> None:
    export, diags = loads(HOSTILE[name])
    assert export is None
    assert any(d.code == "ISC4003" and d.severity is Severity.ERROR for d in diags)
    assert all(d.file == "Policy.xml" and d.line for d in diags)
    text = " ".join(d.message for d in diags)
    assert "root:" not in text and "lollollol" not in text


def test_entities_are_never_expanded_even_in_the_ir() -> None:
    """The rejection is not just a message: nothing of the entity's text reaches the IR."""
    with pytest.raises(ParseError) as info:
        isc.loads(HOSTILE["external entity file"], filename="Policy.xml")
    export = getattr(info.value, "export", None)
    assert export is not None
    assert export.mail is None or export.mail.stamps == ()


def test_a_doctype_in_xml_that_is_not_a_rule_set_is_only_reported() -> None:
    export, diags = loads("<!DOCTYPE html>\n<html><body/></html>\n")
    assert export is not None and export.mail is None
    (diag,) = diags
    assert diag.code == "ISC2008" and diag.severity is Severity.WARNING
    assert "root <html>" in diag.message and diag.notes == ("its DTD was not processed",)


# ---------------------------------------------------------------- well-formedness, schema


def test_not_well_formed_xml_is_an_error_with_its_line_and_column() -> None:
    export, diags = loads("<imss-policy>\n  <stamp name='x'>\n</imss-policy>\n")
    assert export is None
    (diag,) = diags
    assert diag.code == "ISC1013" and "not well-formed XML" in diag.message
    assert (diag.line, diag.column) == (3, 15)


def test_broken_xml_that_is_not_a_rule_set_is_only_reported() -> None:
    export, diags = loads("<notes><unclosed></notes>")
    assert export is not None and export.mail is None
    assert [d.code for d in diags] == ["ISC2008"]


def test_every_schema_violation_is_reported_with_its_line() -> None:
    text = policy("""  <rule name="no order">
    <route/>
    <actions/>
  </rule>
  <bogus/>
  <stamp name="s" colour="red">x</stamp>
  <rule name="swapped" order="1">
    <actions/>
    <route/>
  </rule>
  <internal-addresses>text here<domain>a.example</domain></internal-addresses>""")
    export, diags = loads(text)
    assert export is None
    assert {d.code for d in diags} == {"ISC1013"}
    assert sorted({d.line for d in diags}) == [
        line_of(text, "<rule name=\"no order\""), line_of(text, "<bogus"),
        line_of(text, "<stamp"), line_of(text, "<actions/>\n    <route/>"),
        line_of(text, "<internal-addresses>")]
    bogus = next(d for d in diags if "bogus" in d.message)
    assert bogus.column == 3 and "imss-policy.xsd" in bogus.message
    assert any("colour" in d.message for d in diags)


def test_the_schema_ships_inside_the_package() -> None:
    from importlib import resources

    schema = resources.files("isc.schemas").joinpath("imss-policy.xsd")
    assert schema.is_file()
    assert "imss-policy" in schema.read_text(encoding="utf-8")


# ---------------------------------------------------------------- values (ISC1006, ISC1011)


def test_bad_values_are_reported_at_their_attribute() -> None:
    text = policy("""<rule name="r" order="x" enabled="maybe" type="spam">
  <route type="inbound"><recipients><address>*name@example.com</address></recipients></route>
  <conditions match="some">
    <attachment-size op="gt" unit="GB">1</attachment-size>
    <message-size op="bigger">1</message-size>
    <recipient-count op="gt">-1</recipient-count>
    <received-time from="25:00" to="24:00"/>
    <spam threshold="11"/>
    <spam catch-rate="high" threshold="5"/>
    <web-reputation level="extreme" time-of-click="often"/>
  </conditions>
  <actions>
    <intercept action="handoff" host="mx.example" port="0"/>
    <postpone until="24:00"/>
    <bcc>*@example.com</bcc>
  </actions>
</rule>
<keyword-list name="k"><expression score="11">x</expression></keyword-list>
<sender-filtering><approved-ip>10.0.0.300</approved-ip></sender-filtering>""")
    export, diags = loads(text)
    assert export is None
    found = {(d.code, d.line, d.column) for d in diags}
    rule_line = line_of(text, "<rule ")
    assert ("ISC1006", rule_line, text.splitlines()[rule_line - 1].index("x\"") + 1) in found
    assert ("ISC1006", rule_line,
            text.splitlines()[rule_line - 1].index("maybe") + 1) in found
    assert ("ISC1011", line_of(text, "*name"),
            text.splitlines()[line_of(text, "*name") - 1].index("*name") + 1) in found
    by_line = {(d.code, d.line) for d in diags}
    for needle, code in [("type=\"spam\"", "ISC1006"), ("inbound", "ISC1006"),
                         ("some", "ISC1006"), ("GB", "ISC1006"), ("bigger", "ISC1006"),
                         ("-1", "ISC1006"), ("25:00", "ISC1006"), ("\"11\"/>", "ISC1006"),
                         ("catch-rate=\"high\"", "ISC1006"), ("extreme", "ISC1006"),
                         ("port=\"0\"", "ISC1006"), ("until", "ISC1006"),
                         ("<bcc>", "ISC1011"), ("score", "ISC1006"), ("10.0.0.300", "ISC1006")]:
        assert (code, line_of(text, needle)) in by_line, needle
    assert sum(1 for d in diags if d.line == line_of(text, "often")) == 2


def test_booleans_take_the_documented_spellings_in_any_case() -> None:
    rules = "\n".join(
        f'<rule name="r{i}" order="{i}" enabled="{value}"><route/>'
        '<actions><intercept action="delete"/></actions></rule>'
        for i, value in enumerate(["TRUE", "No", "1", "0", "yes", "false"]))
    export, diags = loads(policy(rules))
    assert export is not None and export.mail is not None and diags == []
    assert [r.enabled for r in export.mail.rules] == [True, False, True, False, True, False]


def test_sender_lists_refuse_what_the_kb_refuses() -> None:
    text = policy("""<approved-senders>
  <address>*@*</address>
  <address>user@*</address>
</approved-senders>""")
    export, diags = loads(text)
    assert export is None
    assert codes(diags) == [("ISC1011", line_of(text, "*@*"))]
    assert "not allowed in a sender list" in diags[0].message


# ---------------------------------------------------------------- references and names


def test_references_to_missing_objects_are_errors_at_their_line() -> None:
    text = policy("""<keyword-list name="Confidential"/>
<rule name="r" order="1">
  <route><senders><address-group ref="Nobody"/></senders>
    <exception sender-group="Ghosts"/></route>
  <conditions><subject keyword-list="Confidentail"/></conditions>
  <actions><insert-stamp ref="Missing stamp"/><notify ref="Missing note"/></actions>
</rule>""")
    export, diags = loads(text)
    assert export is None
    assert codes(diags) == sorted([
        ("ISC2003", line_of(text, "Nobody")), ("ISC2003", line_of(text, "Ghosts")),
        ("ISC2003", line_of(text, "Confidentail")), ("ISC2003", line_of(text, "Missing")),
        ("ISC2003", line_of(text, "Missing note"))])
    typo = next(d for d in diags if "Confidentail" in d.message)
    assert typo.notes == ('did you mean "Confidential"?',)


def test_names_defined_twice_are_errors() -> None:
    text = policy("""<address-group name="G"/>
<address-group name="G"/>
<stamp name="S">a</stamp>
<stamp name="S">b</stamp>
""" + RULE.format(name="R", order=1) + "\n" + RULE.format(name="R", order=2) + """
<sender-filtering/>
<sender-filtering/>""")
    export, diags = loads(text)
    assert export is None
    assert {d.code for d in diags} == {"ISC2005"}
    assert len(diags) == 4
    assert all("is at Policy.xml:" in d.message for d in diags)


def test_two_rules_with_one_order_are_a_warning() -> None:
    text = policy(RULE.format(name="A", order=5) + "\n" + RULE.format(name="B", order=5))
    export, diags = loads(text)
    assert export is not None and export.mail is not None
    assert codes(diags) == [("ISC2011", line_of(text, 'name="B"'))]
    assert diags[0].severity is Severity.WARNING
    assert [r.name for r in export.mail.rules_in_order()] == ["A", "B"]


def test_semantic_oddities_are_warnings() -> None:
    text = policy("""<address-group name="Empty"/>
<rule name="does nothing" order="1"><route/><actions/></rule>
<rule name="odd" order="2">
  <route type="pop3"><recipients><address-group ref="Empty"/></recipients>
    <exception/></route>
  <conditions><virus/><message-size op="lt">0</message-size></conditions>
  <actions><intercept action="delete" area="Quarantine"/><clean/></actions>
</rule>
<rule name="threshold" order="3"><route/><actions><intercept action="delete"/></actions></rule>
<keyword-list name="T" match="any" threshold="3"/>""")
    export, diags = loads(text)
    assert export is not None, diags
    assert all(d.severity is Severity.WARNING for d in diags)
    messages = [(d.code, d.message) for d in diags]
    assert ("ISC2017", 'rule "does nothing" has no intercept, modify or monitor action: it has '
            "no effect") in messages
    odd = [m for c, m in messages if c == "ISC2017" and m.startswith('rule "odd"')]
    assert len(odd) == 6
    assert any("empty address group" in m for m in odd)
    assert any("anyone to anyone" in m for m in odd)
    assert any("POP3" in m for m in odd)
    assert any("<virus>" in m for m in odd)
    assert any("<clean>" in m for m in odd)
    assert any("never matches" in m and "message-size" in m for m in odd)
    assert sum(1 for c, _ in messages if c == "ISC2002") == 2


def test_required_values_for_score_lists_and_intercepts() -> None:
    text = policy("""<keyword-list name="S" match="score"/>
<rule name="r" order="1"><route/>
  <actions><intercept action="change-recipient"/></actions></rule>
<rule name="h" order="2"><route/>
  <actions><intercept action="handoff"/></actions></rule>""")
    export, diags = loads(text)
    assert export is None
    assert codes(diags) == sorted([("ISC2007", line_of(text, "<keyword-list")),
                                   ("ISC2007", line_of(text, "change-recipient")),
                                   ("ISC2007", line_of(text, "handoff"))])


# ---------------------------------------------------------------- encodings

JAPANESE = policy("""<address-group name="役員 ㈱楓①">
  <address>社長@例え.jp</address>
</address-group>""")


@pytest.mark.parametrize(("declared", "codec", "reported"), [
    ("Shift_JIS", "cp932", "cp932"),
    ("shift-jis", "cp932", "cp932"),
    ("Windows-31J", "cp932", "cp932"),
    ("EUC-JP", "euc_jp", "euc_jp"),
    ("UTF-8", "utf-8", "utf-8"),
])
def test_declared_japanese_encodings(tmp_path: Path, declared: str, codec: str,
                                     reported: str) -> None:
    text = JAPANESE.replace('encoding="UTF-8"', f'encoding="{declared}"')
    if codec == "euc_jp":
        text = text.replace("㈱", "").replace("①", "")  # NEC specials are not in EUC-JP
    export, diags = load_files(tmp_path, {"Policy.xml": text.encode(codec)})
    assert diags == [] and export is not None and export.mail is not None
    (group,) = export.mail.address_groups
    assert group.name.startswith("役員 ") and group.addresses[0].value == "社長@例え.jp"
    assert export.files[0].encoding == reported
    assert "役員" in export.texts[str(tmp_path / "Policy.xml")]


def test_utf16_with_a_bom_is_read(tmp_path: Path) -> None:
    text = JAPANESE.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    export, diags = load_files(tmp_path, {"Policy.xml": text.encode("utf-16")})
    assert diags == [] and export is not None and export.mail is not None
    assert export.mail.address_groups[0].addresses[0].value == "社長@例え.jp"


def test_undeclared_non_utf8_is_an_error_unless_an_encoding_is_given(tmp_path: Path) -> None:
    text = JAPANESE.replace(' encoding="UTF-8"', "")
    (tmp_path / "Policy.xml").write_bytes(text.encode("cp932"))
    export, diags = _load(str(tmp_path))
    assert export is None
    assert [d.code for d in diags] == ["ISC1001"]
    assert diags[0].line == line_of(text, "役員")
    given = isc.load(str(tmp_path), encoding="cp932")
    assert given.mail is not None and given.mail.address_groups[0].name.startswith("役員")


def test_an_unknown_declared_encoding_is_an_error() -> None:
    export, diags = loads(JAPANESE.replace("UTF-8", "x-klingon"))
    assert export is None and [d.code for d in diags] == ["ISC1001"]
    assert "x-klingon" in diags[0].message


# ---------------------------------------------------------------- list files via file=

LISTED = policy("""<address-group name="Partners" file="lists/partners.txt">
  <address>first@inline.example</address>
</address-group>
<keyword-list name="Phishing" file="lists/phishing.txt"/>
<approved-senders file="lists/approved.txt"/>
<dkim-enforcement file="lists/dkim.txt"/>""")


def test_list_files_are_read_relative_to_the_xml(tmp_path: Path) -> None:
    export, diags = load_files(tmp_path, {
        "mail/Policy.xml": LISTED,
        "mail/lists/partners.txt": "# partners\n\n*@Partner-A.example.com\r\n  b@b.example  \n",
        "mail/lists/phishing.txt": "パスワード{WSP}再設定\n[abc]\n# a comment\n\\#tag\n\n",
        "mail/lists/approved.txt": "*@*.trusted.example\n",
        "mail/lists/dkim.txt": "Bank.Example\n# comment\n",
    })
    assert diags == [] and export is not None and export.mail is not None
    mail = export.mail
    (group,) = mail.address_groups
    assert [p.value for p in group.addresses] == [
        "first@inline.example", "*@partner-a.example.com", "b@b.example"]
    assert group.addresses[1].span == Span(str(tmp_path / "mail/lists/partners.txt"), 3, 1)
    assert group.addresses[2].span == Span(str(tmp_path / "mail/lists/partners.txt"), 4, 3)
    (keywords,) = mail.keyword_lists
    assert [e.text for e in keywords.expressions] == [
        "パスワード{WSP}再設定", "[abc]", "\\#tag"]
    assert all(not e.case_sensitive and e.score == 0 for e in keywords.expressions)
    assert mail.approved_senders == (Party(PartyKind.ADDRESS, "*@*.trusted.example"),)
    assert mail.dkim_enforcement is not None
    assert mail.dkim_enforcement.domains == ("bank.example",)
    kinds = {f.rel: f.kind for f in export.files}
    assert kinds == {
        "mail/Policy.xml": "mail rule set",
        "mail/lists/partners.txt": "mail list (address group)",
        "mail/lists/phishing.txt": "mail list (keyword list)",
        "mail/lists/approved.txt": "mail list (senders)",
        "mail/lists/dkim.txt": "mail list (DKIM domains)",
    }
    assert export.web is None  # "[abc]" did not make the keyword file a web INI file


def test_errors_in_list_files_point_into_the_list_file(tmp_path: Path) -> None:
    export, diags = load_files(tmp_path, {
        "Policy.xml": LISTED,
        "lists/partners.txt": "ok@example.com\nname@domain.*\n",
        "lists/phishing.txt": "x\n",
        "lists/approved.txt": "\n*@*\n",
        "lists/dkim.txt": "bank.example\n",
    })
    assert export is None
    assert sorted((d.code, d.file, d.line) for d in diags) == [
        ("ISC1011", str(tmp_path / "lists/approved.txt"), 2),
        ("ISC1011", str(tmp_path / "lists/partners.txt"), 2),
    ]


def test_a_missing_or_escaping_list_file_is_an_error(tmp_path: Path) -> None:
    text = policy("""<address-group name="A" file="lists/missing.txt"/>
<address-group name="B" file="../outside.txt"/>
<address-group name="C" file="/etc/passwd"/>""")
    (tmp_path / "outside.txt").write_text("x@example.com\n")
    export, diags = load_files(tmp_path / "export", {"Policy.xml": text})
    assert export is None
    assert codes(diags) == sorted([("ISC2003", line_of(text, "missing.txt")),
                                   ("ISC4002", line_of(text, "outside.txt")),
                                   ("ISC4002", line_of(text, "/etc/passwd"))])


def test_list_files_are_read_from_archives(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "export.tar.gz", {
        "Policy.xml": LISTED,
        "lists/partners.txt": "a@example.com\n",
        "lists/phishing.txt": "secret\n",
        "lists/approved.txt": "*@ok.example\n",
        "lists/dkim.txt": "bank.example\n",
    })
    export, diags = _load(archive)
    assert diags == [] and export is not None and export.mail is not None
    assert [p.value for p in export.mail.address_groups[0].addresses] == [
        "first@inline.example", "a@example.com"]
    assert {f.kind for f in export.files} >= {"mail list (address group)", "mail rule set"}


def _tar(path: Path, files: dict[str, str]) -> str:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            data = content.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


# ---------------------------------------------------------------- imss.ini

IMSS_INI = """[imp_exp]
enable_ems_migrate=1
[policy_server]
recv_timeout_secs = 30
send_timeout_secs=30
"""


def test_imss_ini_keys_become_mail_settings(tmp_path: Path) -> None:
    export, diags = load_files(tmp_path, {"conf/imss.ini": IMSS_INI})
    assert diags == [] and export is not None
    assert export.web is None and export.mail is not None
    settings = export.mail.settings
    assert [(s.section, s.key, s.value) for s in settings] == [
        ("imp_exp", "enable_ems_migrate", "1"), ("policy_server", "recv_timeout_secs", "30"),
        ("policy_server", "send_timeout_secs", "30")]
    assert settings[1].span == Span(str(tmp_path / "conf/imss.ini"), 4, 1)
    assert export.files[0].kind == "imss.ini"


def test_imss_ini_is_recognised_by_its_sections_under_another_name(tmp_path: Path) -> None:
    export, _ = load_files(tmp_path, {"imss-backup.conf": IMSS_INI})
    assert export is not None and export.mail is not None and export.web is None
    assert len(export.mail.settings) == 3


def test_web_ini_files_stay_web(tmp_path: Path) -> None:
    export, _ = load_files(tmp_path, {
        "intscan.ini": "[scan-configuration]\ninfected_url_block_length = 24\n",
        "imss.ini": IMSS_INI,
    })
    assert export is not None and export.web is not None and export.mail is not None
    assert export.web.settings == (ConfigSetting(
        "intscan.ini", "scan-configuration", "infected_url_block_length", "24",
        "hours a URL stays blocked organisation-wide after a virus detection"),)
    assert len(export.mail.settings) == 3


# ---------------------------------------------------------------- web and mail in one input

WEB = """[product]
name = IWSVA
[global-url-blocking]
enabled = yes
[global-url-blocking.block]
web-site: bad.example.com
"""
MIXED = {
    "web/policy.ini": WEB,
    "mail/Policy.xml": LISTED,
    "mail/lists/partners.txt": "a@partner.example\n",
    "mail/lists/phishing.txt": "secret\n",
    "mail/lists/approved.txt": "*@ok.example\n",
    "mail/lists/dkim.txt": "bank.example\n",
    "mail/lists/old-partners.txt": "# nobody refers to this\nold@partner.example\n*.old.example\n",
    "mail/imss.ini": IMSS_INI,
    "notes/help.html": "<html><body>help</body></html>",
    "notes/readme.txt": "Export taken on 2024-05-01 by the admin team.\n",
}


def _summary(export: Export, prefix: str) -> list[tuple[str, str]]:
    return sorted((f.path.removeprefix(prefix), f.kind) for f in export.files)


def test_a_directory_mixing_web_and_mail(tmp_path: Path) -> None:
    export, diags = load_files(tmp_path / "export", MIXED)
    assert export is not None and export.web is not None and export.mail is not None
    assert export.web.global_blocking is not None
    assert len(export.mail.settings) == 3 and export.mail.address_groups
    assert sorted((d.code, (d.file or "").removeprefix(str(tmp_path / "export") + "/"))
                  for d in diags) == [
        ("ISC2008", "notes/help.html"), ("ISC2008", "notes/readme.txt"),
        ("ISC2016", "mail/lists/old-partners.txt")]
    assert dict(_summary(export, str(tmp_path / "export") + "/"))[
        "mail/lists/old-partners.txt"] == "mail list (unreferenced)"


def test_a_tar_gz_mixing_web_and_mail_reads_like_the_directory(tmp_path: Path) -> None:
    from_dir, _ = load_files(tmp_path / "export", MIXED)
    from_tar, diags = _load(_tar(tmp_path / "export.tar.gz", MIXED))
    assert from_dir is not None and from_tar is not None
    assert from_tar.web == from_dir.web and from_tar.mail == from_dir.mail
    assert _summary(from_tar, str(tmp_path / "export.tar.gz") + ":") == _summary(
        from_dir, str(tmp_path / "export") + "/")
    assert sorted(d.code for d in diags) == ["ISC2008", "ISC2008", "ISC2016"]


# ---------------------------------------------------------------- never a traceback


@given(st.integers(0, len(SAMPLE_XML)), st.integers(0, 40),
       st.text(alphabet="<>/=\"'&;!?[]-x \n社", max_size=8))
def test_damaged_rule_sets_raise_only_isc_errors(start: int, length: int,
                                                 insert: str) -> None:
    text = SAMPLE_XML[:start] + insert + SAMPLE_XML[start + length:]
    try:
        isc.loads(text, filename="Policy.xml")
    except IscError as exc:
        assert all(d.code.startswith("ISC") for d in exc.diagnostics)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_after_the_root_tag_raise_only_isc_errors(tail: bytes) -> None:
    text = "<imss-policy>" + tail.decode("latin-1")
    with contextlib.suppress(IscError):
        isc.loads(text, filename="Policy.xml")
