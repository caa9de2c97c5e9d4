"""The documented IMSVA / Email Security examples, row by row, as unit tests.

Every test names its source so that a reviewer can tick the rows off:

- research/imsva.md §1.2 (route wildcards), §2.1 (keyword expressions and lists), §3.1 (sender
  lists, Sender Filtering), §5.3 (what migrates and how), §5.4 (what does not migrate), with
  the research's ``[Sn]`` source tags;
- spec semantics.md §3 (IMSVA model), §4 (EmS model), §5 (the mail fidelity examples);
- spec formats.md §4-5 (the XML rule set, addresses and keyword expressions).

Policies go through the public API: ``isc.loads`` of a minimal ``<imss-policy>`` document,
``isc.compile(export, "ems")`` and ``isc.decide_mail`` on the export (IMSVA model) and on the
output (EmS model). Syntax-level rows use the front-end parsers and the keyword evaluator.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

import isc
from isc.cli import main
from isc.diagnostics import Diagnostic, Severity, Span
from isc.errors import IscError
from isc.frontends.keywords import parse_expression
from isc.frontends.mail_addresses import parse_address
from isc.ir.common import Difference, Fidelity
from isc.ir.ems import CriteriaMatch, EmsPolicy, EmsRule, RuleKind
from isc.ir.export import Export, Output, ReportEntry
from isc.ir.mail import (
    Archive,
    Direction,
    InterceptAction,
    MailPolicy,
    Party,
    PartyKind,
    Postpone,
    TrueFileType,
)
from isc.ir.requests import Attachment, MailMessage
from isc.models.keywords import compile_expression

INTERNAL = "example.co.jp"
OUTSIDER = "outsider@external.example"
STAFF = "staff@example.co.jp"
FILENAME = "Policy.xml"

# ---------------------------------------------------------------------- helpers


def policy_xml(*objects: str) -> str:
    """The smallest rule set around ``objects``: one internal domain, nothing else."""
    body = "".join(f"  {o}\n" for o in objects)
    return ('<imss-policy product="IMSVA" version="9.1.0.2011">\n'
            f"  <internal-addresses><domain>{INTERNAL}</domain></internal-addresses>\n"
            f"{body}</imss-policy>\n")


def rule_xml(name: str, *, order: int = 1, conditions: str = "", match: str = "any",
             actions: str = '<intercept action="delete"/>',
             route: str = '<route type="incoming"/>', kind: str = "other",
             enabled: bool = True) -> str:
    conds = f'<conditions match="{match}">{conditions}</conditions>' if conditions else ""
    flag = "true" if enabled else "false"
    return (f'<rule name="{name}" order="{order}" enabled="{flag}" type="{kind}">'
            f"{route}{conds}<actions>{actions}</actions></rule>")


@functools.cache
def load(xml: str) -> Export:
    export = isc.loads(xml, filename=FILENAME)
    assert isinstance(export, Export)
    return export


@functools.cache
def compiled(xml: str) -> Output:
    return isc.compile(load(xml), "ems")


def mail(xml: str) -> MailPolicy:
    policy = load(xml).mail
    assert policy is not None
    return policy


def ems(out: Output) -> EmsPolicy:
    assert isinstance(out.document, EmsPolicy)
    return out.document


def decisions(xml: str, message: MailMessage) -> tuple[str, str]:
    """(IMSVA action, EmS action) for ``message``."""
    return (isc.decide_mail(load(xml), message).action,
            isc.decide_mail(compiled(xml), message).action)


def entry(out: Output, kind: str, name: str) -> ReportEntry:
    found = [e for e in out.report if e.source.kind == kind and e.source.name == name]
    assert len(found) == 1, [(e.source.kind, e.source.name) for e in out.report]
    return found[0]


def rules_from(out: Output, name: str) -> list[EmsRule]:
    return [r for r in ems(out).rules if r.meta.source and r.meta.source.name == name]


def diagnostics(out: Output, code: str) -> list[Diagnostic]:
    return [d for d in out.diagnostics if d.code == code]


def weakens_access(e: ReportEntry) -> bool:
    """What ``--never-broaden`` refuses (semantics.md §5): a broadened direction, whatever
    the tag."""
    return Difference.BROADENED in e.directions


def load_error(xml: str) -> Diagnostic:
    """The one error ``isc.loads`` reports for ``xml``."""
    with pytest.raises(IscError) as caught:
        isc.loads(xml, filename=FILENAME)
    errors = [d for d in caught.value.diagnostics if d.severity is Severity.ERROR]
    assert len(errors) == 1, errors
    return errors[0]


def position(xml: str, text: str, index: int) -> tuple[int, int]:
    """(line, column), 1-based, of character ``index`` of the element text ``text``."""
    for number, line in enumerate(xml.splitlines(), 1):
        at = line.find(f">{text}<")
        if at >= 0:
            return number, at + 2 + index
    raise AssertionError(f"{text!r} not in the document")


def matches(expression: str, text: str, *, case_sensitive: bool = False) -> bool:
    return compile_expression(parse_expression(expression), case_sensitive)(text)


def message(recipient: str = STAFF, sender: str = OUTSIDER, **fields: Any) -> MailMessage:
    return MailMessage(sender=sender, recipient=recipient, **fields)


def exe(name: str = "invoice.exe") -> tuple[Attachment, ...]:
    return (Attachment(name),)


# ====================================================================== research imsva.md §1.2

#: [S7][S9][S6] valid route wildcards, with addresses each one documentedly covers or not.
VALID_WILDCARDS: list[tuple[str, list[str], list[str]]] = [
    ("*@*", ["a@example.com", "someone@sub.domain.tld", STAFF], []),
    ("name@*", ["name@domain.tld", "name@a.b.example"], ["other@domain.tld",
                                                         "names@domain.tld"]),
    ("*@domain.tld", ["a@domain.tld", "name@domain.tld"], ["a@domain.org",
                                                           "a@otherdomain.tld"]),
    ("name@*.tld", ["name@domain.tld", "name@sub.domain.tld"], ["name@domain.com",
                                                                "other@domain.tld"]),
    ("*@*.tld", ["a@domain.tld", "b@x.y.tld"], ["a@domain.com", "a@domain.tldx"]),
    # "any subdomain"
    ("*@*.company.com", ["a@sales.company.com", "a@x.sales.company.com"],
     ["a@company.org", "a@notcompany.com", "a@sales.company.com.evil.example"]),
]


@pytest.mark.parametrize(("pattern", "hits", "misses"), VALID_WILDCARDS,
                         ids=[w[0] for w in VALID_WILDCARDS])
def test_s1_2_valid_route_wildcards_parse_and_match(pattern: str, hits: list[str],
                                                    misses: list[str]) -> None:
    """research imsva.md §1.2 [S7][S9][S6]: valid `*@*`, `name@*`, `*@domain.tld`,
    `name@*.tld`, `*@*.tld`, `*@*.company.com` (any subdomain); formats.md §5."""
    assert parse_address(pattern) == pattern
    xml = policy_xml(rule_xml("Wildcard recipients", route=(
        f'<route type="all"><recipients><address>{pattern}</address></recipients></route>')))
    rule = mail(xml).rules[0]
    assert rule.route.recipients == (Party(PartyKind.ADDRESS, pattern),)
    for rcpt in hits:
        assert decisions(xml, message(rcpt)) == ("delete", "delete"), rcpt
    for rcpt in misses:
        assert decisions(xml, message(rcpt)) == ("deliver", "deliver"), rcpt


#: [S7] invalid wildcards: (entry, index of the offending `*`, what the message says).
INVALID_WILDCARDS = [
    ("name@domain.*.tld", 12, "leftmost labels"),   # subdomain
    ("name@domain.*", 12, "top-level domain"),      # TLD
    ("*name@domain.tld", 0, "must appear alone"),   # wildcard combined with letters
]


@pytest.mark.parametrize(("entry_text", "star", "words"), INVALID_WILDCARDS,
                         ids=[w[0] for w in INVALID_WILDCARDS])
def test_s1_2_invalid_route_wildcards_are_isc1011_at_the_wildcard(
        entry_text: str, star: int, words: str) -> None:
    """research imsva.md §1.2 [S7]: invalid `name@domain.*.tld`, `name@domain.*`,
    `*name@domain.tld` ("Wildcards ... must appear alone"); formats.md §5: an error at its
    line and column."""
    with pytest.raises(IscError) as caught:
        parse_address(entry_text, Span("t", 7, 5))
    assert caught.value.code == "ISC1011"
    assert caught.value.span is not None
    assert (caught.value.span.line, caught.value.span.column) == (7, 5 + star)
    assert words in caught.value.message
    xml = policy_xml(rule_xml("Bad route", route=(
        f'<route type="incoming"><recipients><address>{entry_text}</address>'
        "</recipients></route>")))
    error = load_error(xml)
    assert error.code == "ISC1011"
    assert error.file == FILENAME
    assert (error.line, error.column) == position(xml, entry_text, star)


# ====================================================================== research imsva.md §3.1

SENDER_LIST_ACCEPTED = ["user@example.com", "*@example.com", "user@*.com",
                        "user@*.example.com", "user@*", "*@*.example.com"]
#: (entry, index of the column reported)
SENDER_LIST_REJECTED = [("*", 0), ("*@*", 0), ("user@example.*", 13),
                        ("*user@example.com", 0)]


@pytest.mark.parametrize("address", SENDER_LIST_ACCEPTED)
@pytest.mark.parametrize("element", ["approved-senders", "blocked-senders"])
def test_s3_1_sender_list_formats_accepted(address: str, element: str) -> None:
    """research imsva.md §3.1 [S17]: accepted `user@example.com`, `*@example.com`,
    `user@*.com`, `user@*.example.com`, `user@*`, `*@*.example.com`."""
    assert parse_address(address, sender_list=True) == address
    policy = mail(policy_xml(f"<{element}><address>{address}</address></{element}>"))
    listed = (policy.approved_senders if element == "approved-senders"
              else policy.blocked_senders)
    assert listed == (Party(PartyKind.ADDRESS, address),)


@pytest.mark.parametrize(("address", "index"), SENDER_LIST_REJECTED,
                         ids=[a for a, _ in SENDER_LIST_REJECTED])
@pytest.mark.parametrize("element", ["approved-senders", "blocked-senders"])
def test_s3_1_sender_list_formats_rejected(address: str, index: int, element: str) -> None:
    """research imsva.md §3.1 [S17]: rejected `*`, `*@*`, `user@example.*`,
    `*user@example.com` (formats.md §5: sender lists additionally reject `*` and `*@*`)."""
    with pytest.raises(IscError) as caught:
        parse_address(address, sender_list=True)
    assert caught.value.code == "ISC1011"
    xml = policy_xml(f"<{element}><address>{address}</address></{element}>")
    error = load_error(xml)
    assert error.code == "ISC1011"
    assert (error.line, error.column) == position(xml, address, index)


@pytest.mark.parametrize("address", ["*", "*@*"])
def test_s3_1_everyone_is_refused_only_in_sender_lists(address: str) -> None:
    """research imsva.md §1.2 [S7] allows `*@*` in routes; §3.1 [S17] refuses `*` and `*@*`
    in sender lists (formats.md §5)."""
    xml = policy_xml(rule_xml("Everyone", route=(
        f'<route type="incoming"><senders><address>{address}</address></senders></route>')))
    assert mail(xml).rules[0].route.senders == (Party(PartyKind.ADDRESS, "*@*"),)
    with pytest.raises(IscError):
        parse_address(address, sender_list=True)


# ====================================================================== research imsva.md §2.1

#: [S25] eManager shorthand: (expression, texts it matches, texts it does not).
SHORTHAND: list[tuple[str, list[str], list[str]]] = [
    ("a{D}b", ["a5b", "xa0by"], ["axb", "ab"]),                          # [0-9]
    ("1{L}2", ["1x2", "1Z2"], ["112", "1_2"]),                           # [A-Za-z]
    ("a{SP}b", ["a(b", "a)b", "a,b", "a;b", "a.b", "a\\b", "a<b", "a>b", "a@b", "a[b",
                "a]b", "a:b"], ["a-b", "a b", "ab"]),                   # [(),;\.\\<>@\[\]:]
    ("id{NUMBER}x", ["id1x", "id123x"], ["idx", "id1ax"]),               # [0-9]+
    ("1{WORD}2", ["1a2", "1abc2"], ["12", "1a3c2"]),                     # [A-Za-z]+
    ("a{CR}b", ["a\rb"], ["a\nb", "ab"]),                                # \r
    ("a{LF}b", ["a\nb"], ["a\rb", "ab"]),                                # \n
    ("a{LWSP}b", ["a b", "a\tb"], ["a  b", "a\fb", "ab"]),               # [ \t]
    ("a{CRLF}b", ["a\r\nb"], ["a\nb", "a\rb"]),                          # (\r\n)
    ("a{WSP}b", ["a b", "a \t\f b"], ["ab", "a\nb"]),                    # [ \t\f]+
    ("a{ALLC}b", ["axb", "a b"], ["ab"]),                                # .
]


@pytest.mark.parametrize(("expression", "hits", "misses"), SHORTHAND,
                         ids=[s[0] for s in SHORTHAND])
def test_s2_1_shorthand_expansions(expression: str, hits: list[str],
                                   misses: list[str]) -> None:
    """research imsva.md §2.1 [S25]: `{D}`=[0-9], `{L}`=[A-Za-z], `{SP}`=[(),;\\.\\\\<>@\\[\\]:],
    `{NUMBER}`=[0-9]+, `{WORD}`=[A-Za-z]+, `{CR}`, `{LF}`, `{LWSP}`=[ \\t], `{CRLF}`=(\\r\\n),
    `{WSP}`=[ \\t\\f]+, `{ALLC}`=. (formats.md §5)."""
    for text in hits:
        assert matches(expression, text, case_sensitive=True), text
    for text in misses:
        assert not matches(expression, text, case_sensitive=True), text


@pytest.mark.parametrize(("expression", "hits", "misses"), [
    ("[{D}]", ["{", "D", "}"], ["5"]),
    ("[x{WORD}]", ["W", "{"], ["a", "q"]),
    ('"{D}"', ["{D}", "a {D} b"], ["5", "D"]),
    ('"a{WSP}b"', ["a{WSP}b"], ["a b"]),
])
def test_s2_1_shorthand_is_not_expanded_inside_brackets_or_quotes(
        expression: str, hits: list[str], misses: list[str]) -> None:
    """research imsva.md §2.1 [S25]: shorthand is "not translated inside `[]` or double
    quotes" (formats.md §5)."""
    for text in hits:
        assert matches(expression, text, case_sensitive=True), text
    for text in misses:
        assert not matches(expression, text, case_sensitive=True), text


@pytest.mark.parametrize(("expression", "hits", "misses"), [
    ("[\\d]", ["5"], ["a"]), ("[\\D]", ["a"], ["5"]), ("[\\s]", [" ", "\t"], ["a"]),
    ("[\\S]", ["a"], [" "]), ("[\\w]", ["a", "_", "5"], ["-"]), ("[\\W]", ["-"], ["a"]),
])
def test_s2_1_meta_symbols_inside_brackets(expression: str, hits: list[str],
                                           misses: list[str]) -> None:
    """research imsva.md §2.1 [S25]: "meta-symbols usable inside brackets: \\s \\S \\d \\D \\w
    \\W"."""
    for text in hits:
        assert matches(expression, text), text
    for text in misses:
        assert not matches(expression, text), text


def test_s2_1_bare_keyword_is_a_substring_match() -> None:
    """research imsva.md §2.1 [S22][S23]: "a bare keyword is a substring match (keyword
    matches keywords, akeyword)"."""
    for text in ("keyword", "keywords", "akeyword"):
        assert matches("keyword", text), text
    assert not matches("keyword", "key word")


def test_s2_1_exact_word_with_s() -> None:
    """research imsva.md §2.1 [S22] (8.2 SP2): wrap with `\\s` (`\\skeyword\\s`)."""
    assert matches(r"\skeyword\s", "a keyword here")
    assert matches(r"\skeyword\s", "a\tkeyword\nhere")
    for text in ("keywords here", "a keywords here", "akeyword here", "a keyword"):
        assert not matches(r"\skeyword\s", text), text


def test_s2_1_exact_word_with_b() -> None:
    """research imsva.md §2.1 [S23] (IMSS 9.1 P1): `\\bkeyword\\b`; [S24]: `\\b` is a word
    boundary at the start and end."""
    for text in ("keyword", "a keyword.", "(keyword)", "keyword here"):
        assert matches(r"\bkeyword\b", text), text
    for text in ("keywords", "akeyword", "a_keyword"):
        assert not matches(r"\bkeyword\b", text), text


def test_s2_1_b_in_the_middle_is_a_syntax_error() -> None:
    """research imsva.md §2.1 [S24]: `\\b` is "a syntax error in the middle"."""
    with pytest.raises(IscError) as caught:
        parse_expression(r"key\bword")
    assert caught.value.code == "ISC1012"


@pytest.mark.parametrize(("expression", "hits", "misses"), [
    ("x[[:digit:]]y", ["x5y"], ["xay", "xy"]),
    ("x[[:alpha:]]y", ["xay", "xZy"], ["x5y"]),
    ("[[:upper:]][[:lower:]]", ["Ab"], ["ab", "AB"]),
])
def test_s2_1_posix_classes(expression: str, hits: list[str], misses: list[str]) -> None:
    """research imsva.md §2.1 [S24]: bracket expressions `[[:alpha:]]` and POSIX classes."""
    for text in hits:
        assert matches(expression, text, case_sensitive=True), text
    for text in misses:
        assert not matches(expression, text, case_sensitive=True), text


def test_s2_1_case_sensitive_check_box() -> None:
    """research imsva.md §2.1 [S23]: per expression, a `Case sensitive` check box."""
    assert matches("Secret", "TOP SECRET")
    assert matches("Secret", "Secret plan", case_sensitive=True)
    assert not matches("Secret", "TOP SECRET", case_sensitive=True)
    assert not matches("Secret", "secret", case_sensitive=True)


def test_s2_1_case_sensitive_through_the_rule_set() -> None:
    """research imsva.md §2.1 [S23] through formats.md §4 (`case-sensitive`), in both models
    (§5.3 [S60]: keyword match settings migrate with no difference)."""
    xml = policy_xml(
        '<keyword-list name="CS"><expression case-sensitive="true">Secret</expression>'
        "</keyword-list>",
        '<keyword-list name="CI"><expression case-sensitive="false">Secret</expression>'
        "</keyword-list>",
        rule_xml("Case", order=1, conditions='<subject keyword-list="CS"/>'),
        rule_xml("No case", order=2, conditions='<subject keyword-list="CI"/>',
                 actions='<intercept action="quarantine"/>'))
    assert decisions(xml, message(subject="Secret plan")) == ("delete", "delete")
    assert decisions(xml, message(subject="secret plan")) == ("quarantine", "quarantine")
    assert decisions(xml, message(subject="public plan")) == ("deliver", "deliver")


#: [S22][S23] list match modes; expression scores alpha=2, beta=3, gamma=1.
KEYWORD_MODES = [
    ("any", "", {"alpha": True, "beta": True, "alpha beta": True, "delta": False}),
    ("all", "", {"alpha": False, "alpha beta": False, "alpha beta gamma": True,
                 "delta": False}),
    ("not", "", {"alpha": False, "gamma": False, "delta": True, "": True}),
    # "Only when combined score exceeds threshold": 5 is not enough, 6 is
    ("score", "5", {"beta": False, "alpha beta": False, "alpha beta gamma": True,
                    "delta": False}),
]


@pytest.mark.parametrize(("mode", "threshold", "subjects"), KEYWORD_MODES,
                         ids=[m[0] for m in KEYWORD_MODES])
def test_s2_1_keyword_list_match_modes(mode: str, threshold: str,
                                       subjects: dict[str, bool]) -> None:
    """research imsva.md §2.1 [S22][S23]: *Match* = Any specified | All specified | Not the
    specified | Only when combined score exceeds threshold; [S10] scores −10..10. Both
    models agree (§5.3 [S60]: "Feature differences: None")."""
    xml = policy_xml(
        f'<keyword-list name="K" match="{mode}" threshold="{threshold}">'
        '<expression score="2">alpha</expression><expression score="3">beta</expression>'
        '<expression score="1">gamma</expression></keyword-list>',
        rule_xml("Keywords", conditions='<subject keyword-list="K"/>'))
    for subject, hit in subjects.items():
        want = "delete" if hit else "deliver"
        assert decisions(xml, message(subject=subject)) == (want, want), subject


# ====================================================================== research imsva.md §5.3


LDAP_GROUP = "CN=Sales,OU=Groups,DC=example,DC=co,DC=jp"
LDAP_USER_DN = "CN=Boss,OU=Users,DC=example,DC=co,DC=jp"


def _ldap_rule(*members: str) -> str:
    return policy_xml(rule_xml("LDAP route", conditions="<attachment-name>*.exe</attachment-name>",
                               route=('<route type="incoming"><recipients>' + "".join(members)
                                      + "</recipients></route>")))


def test_s5_3_ldap_user_becomes_a_static_address() -> None:
    """research imsva.md §5.3 [S60]: "LDAP users → static email addresses"."""
    xml = _ldap_rule(f"<ldap-user>ceo@{INTERNAL}</ldap-user>")
    out = compiled(xml)
    (target,) = rules_from(out, "LDAP route")
    assert target.recipients == (Party(PartyKind.ADDRESS, f"ceo@{INTERNAL}"),)
    hit = message(f"ceo@{INTERNAL}", attachments=exe())
    assert decisions(xml, hit) == ("delete", "delete")
    assert decisions(xml, message(f"cfo@{INTERNAL}", attachments=exe())) == ("deliver",
                                                                            "deliver")


def test_s5_3_ldap_user_written_as_an_address_is_exact() -> None:
    """research imsva.md §5.3 [S60] with docs/targets/ems.md §2 ("`<ldap-user>` written as an
    address → `address` party: exact")."""
    out = compiled(_ldap_rule(f"<ldap-user>ceo@{INTERNAL}</ldap-user>"))
    assert entry(out, "mail-rule", "LDAP route").fidelity is Fidelity.EXACT


def test_s5_3_ldap_user_dn_must_be_replaced_by_an_address() -> None:
    """research imsva.md §5.3 [S60]: EmS names static addresses, not LDAP users; §5.1 [S62]:
    LDAP needs the Directory Synchronization Tool (ISC3014)."""
    out = compiled(_ldap_rule(f"<ldap-user>{LDAP_USER_DN}</ldap-user>"))
    e = entry(out, "mail-rule", "LDAP route")
    assert e.fidelity is Fidelity.APPROXIMATED
    assert any("must be replaced by the user's email address" in r for r in e.reasons)
    (note,) = diagnostics(out, "ISC3014")
    assert LDAP_USER_DN in note.message


def test_s5_3_ldap_group_needs_directory_synchronisation() -> None:
    """research imsva.md §5.1 [S62] (LDAP → Directory Synchronization Tool) and §5.3 [S60]:
    the group is kept, with an ISC3014 note."""
    xml = _ldap_rule(f"<ldap-group>{LDAP_GROUP}</ldap-group>")
    out = compiled(xml)
    (target,) = rules_from(out, "LDAP route")
    assert target.recipients == (Party(PartyKind.LDAP_GROUP, LDAP_GROUP),)
    (note,) = diagnostics(out, "ISC3014")
    assert note.severity is Severity.NOTE
    assert LDAP_GROUP in note.message
    assert "Directory Synchronization Tool" in note.message
    assert any("directory synchronisation" in r
               for r in entry(out, "mail-rule", "LDAP route").reasons)
    member = message(f"someone@{INTERNAL}", attachments=exe(), recipient_groups=[LDAP_GROUP])
    assert decisions(xml, member) == ("delete", "delete")
    assert decisions(xml, message(f"someone@{INTERNAL}", attachments=exe())) == ("deliver",
                                                                                "deliver")


def test_s5_3_all_match_is_only_in_content_filtering() -> None:
    """research imsva.md §5.3 [S60]: "only content filtering supports all-matched (AND)";
    §6: spam AND attachment cannot be expressed. Emitted disabled, tag not exact
    (docs/targets/ems.md §2.3)."""
    xml = policy_xml(rule_xml("Spam with exe", match="all",
                              conditions="<spam/><attachment-name>*.exe</attachment-name>"))
    out = compiled(xml)
    targets = rules_from(out, "Spam with exe")
    assert {r.kind for r in targets} == {RuleKind.SPAM_FILTERING, RuleKind.CONTENT_FILTERING}
    assert all(not r.enabled for r in targets)
    e = entry(out, "mail-rule", "Spam with exe")
    assert e.fate == "EmS rules (emitted disabled)"
    assert e.fidelity is not Fidelity.EXACT
    assert any("All Match" in r for r in e.reasons)
    both = message(spam_score=9.5, attachments=exe())
    assert decisions(xml, both) == ("delete", "deliver")
    assert decisions(xml, message(spam_score=9.5)) == ("deliver", "deliver")


def test_s5_3_all_match_inside_content_filtering_is_kept() -> None:
    """research imsva.md §5.3 [S60]: Condition match AND → Content Filtering → Advanced."""
    xml = policy_xml(rule_xml("Zip named exe", match="all", conditions=(
        "<mime-type>application/zip</mime-type><attachment-name>*.exe</attachment-name>")))
    out = compiled(xml)
    (target,) = rules_from(out, "Zip named exe")
    assert (target.kind, target.match, target.enabled) == (RuleKind.CONTENT_FILTERING,
                                                           CriteriaMatch.ALL, True)
    assert entry(out, "mail-rule", "Zip named exe").fidelity is Fidelity.EXACT
    zipped = (Attachment("a.exe", mime_type="application/zip"),)
    assert decisions(xml, message(attachments=zipped)) == ("delete", "delete")
    assert decisions(xml, message(attachments=exe())) == ("deliver", "deliver")


#: [S60] unsupported true file types: (as written in the rule set, the attachment's type).
UNSUPPORTED_TYPES = [("MSI", "MSI"), ("PNG", "PNG"), ("7-Zip", "7Z"),
                     ("Windows shortcut", "LNK")]


@pytest.mark.parametrize(("written", "actual"), UNSUPPORTED_TYPES,
                         ids=[t[0] for t in UNSUPPORTED_TYPES])
def test_s5_3_unsupported_true_file_types_are_dropped(written: str, actual: str) -> None:
    """research imsva.md §5.3 [S60]: "MSI, PNG, 7-Zip, Windows shortcuts unsupported";
    semantics.md §5: `dropped` (a block on them is access-weakening)."""
    name = f"Block {written}"
    xml = policy_xml(rule_xml(name, conditions=f"<true-file-type>{written}</true-file-type>"))
    out = compiled(xml)
    assert rules_from(out, name) == []
    e = entry(out, "mail-rule", name)
    assert e.fate == "dropped"
    assert e.fidelity is Fidelity.DROPPED
    assert weakens_access(e)
    assert any(f"true file type {written}" in r for r in e.reasons)
    blocked = message(attachments=(Attachment("file.bin", file_type=actual),))
    assert decisions(xml, blocked) == ("delete", "deliver")


def test_s5_3_unsupported_type_beside_a_supported_one_broadens_the_rule() -> None:
    """research imsva.md §5.3 [S60]: only the unsupported type is lost; the EXE block stays."""
    xml = policy_xml(rule_xml("Installers", conditions=(
        "<true-file-type>MSI</true-file-type><true-file-type>EXE</true-file-type>")))
    out = compiled(xml)
    (target,) = rules_from(out, "Installers")
    assert target.criteria == (TrueFileType("EXE"),)
    e = entry(out, "mail-rule", "Installers")
    assert e.fidelity is Fidelity.BROADENED
    assert weakens_access(e)
    msi = message(attachments=(Attachment("setup.msi", file_type="MSI"),))
    win = message(attachments=(Attachment("setup.exe", file_type="EXE"),))
    assert decisions(xml, msi) == ("delete", "deliver")
    assert decisions(xml, win) == ("delete", "delete")


@pytest.mark.parametrize(("written", "actual"), UNSUPPORTED_TYPES,
                         ids=[t[0] for t in UNSUPPORTED_TYPES])
def test_s5_3_never_broaden_refuses_an_unsupported_file_type_block(
        written: str, actual: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """semantics.md §5: `--never-broaden` turns an access-weakening `dropped` into an error
    (exit 1); research imsva.md §5.3 [S60] unsupported true file types."""
    del actual
    name = f"Block {written}"
    src = tmp_path / FILENAME
    src.write_text(policy_xml(rule_xml(name, conditions=(
        f"<true-file-type>{written}</true-file-type>"))), encoding="utf-8")
    assert main(["compile", str(src), "-o", str(tmp_path / "out"), "--never-broaden"]) == 1
    err = capsys.readouterr().err
    assert "ISC3007" in err
    assert name in err
    assert main(["compile", str(src), "-o", str(tmp_path / "out")]) == 0


def test_s5_3_dkim_enforcement_becomes_dkim_verification_narrowed() -> None:
    """research imsva.md §5.3 [S60]: Global DKIM Enforcement → DKIM Verification, Default
    (for unspecified domains); "TMEMS matches header **and** envelope sender (IMSVA: header
    only)" → narrowed; §2.2 [S39]."""
    xml = policy_xml('<dkim-enforcement action="quarantine"><domain>bank.example</domain>'
                     "</dkim-enforcement>")
    out = compiled(xml)
    dkim = ems(out).dkim_verification
    assert dkim is not None
    assert (dkim.enforced_domains, dkim.action) == (("bank.example",), "quarantine")
    e = entry(out, "dkim-enforcement", "Global DKIM Enforcement rule")
    assert e.fate == "DKIM verification (Default for unspecified domains)"
    assert e.fidelity is Fidelity.NARROWED
    assert e.witness is not None
    assert (e.witness["source"], e.witness["target"]) == ("deliver", "quarantine")
    # the envelope sender is on the list, the header From is not: only EmS checks it
    envelope_only = message(sender="alerts@bank.example",
                            headers=[("From", "news@other.example")])
    assert decisions(xml, envelope_only) == ("deliver", "quarantine")
    header = message(sender="bounce@mailer.example", headers=[("From", "alerts@bank.example")])
    assert decisions(xml, header) == ("quarantine", "quarantine")
    signed = message(sender="alerts@bank.example", headers=[("From", "alerts@bank.example")],
                     dkim_pass=True)
    assert decisions(xml, signed) == ("deliver", "deliver")


@pytest.mark.parametrize(("address", "hybrid"), [
    ("*@*.example.com", True), ("name@*", True), ("*@example.com", False),
    ("user@example.com", False),
])
def test_s5_3_address_groups_with_wildcard_domains_are_hybrid(address: str,
                                                              hybrid: bool) -> None:
    """research imsva.md §5.3 [S60] and §2.2 [S42][S43]: "wildcard domains only in hybrid
    groups"."""
    out = compiled(policy_xml(f'<address-group name="Partners"><address>{address}</address>'
                              "</address-group>"))
    group = ems(out).address_group("Partners")
    assert group is not None
    assert group.addresses == (Party(PartyKind.ADDRESS, address),)
    assert group.hybrid is hybrid
    e = entry(out, "address-group", "Partners")
    assert e.fate == ("address group (hybrid)" if hybrid else "address group")
    assert e.fidelity is Fidelity.EXACT


def test_s5_3_keyword_lists_migrate_with_no_difference() -> None:
    """research imsva.md §5.3 [S60]: Keywords & Expressions → Keywords and Expressions,
    "match settings ... none" (difference); §2.1 [I]: the same eManager dialect, so plain
    expressions are emitted verbatim (a `\\b` boundary is respelled, docs/targets/ems.md §2,
    and must still decide the same)."""
    verbatim = ["社外秘", "confidential{WSP}report", "[[:digit:]]+-[[:digit:]]+"]
    expressions = [*verbatim, r"\bconfidential\b"]
    body = "".join(f"<expression>{x}</expression>" for x in expressions)
    xml = policy_xml(f'<keyword-list name="Secrets" match="any">{body}</keyword-list>',
                     rule_xml("Secrets", conditions='<body keyword-list="Secrets"/>'))
    out = compiled(xml)
    lst = ems(out).keyword_list("Secrets")
    assert lst is not None
    assert lst.match.value == "any"
    assert [x.text for x in lst.expressions][:3] == verbatim
    e = entry(out, "keyword-list", "Secrets")
    assert (e.fate, e.fidelity, e.reasons) == ("keyword list", Fidelity.EXACT, ())
    assert diagnostics(out, "ISC3013") == []
    for body_text, hit in [("社外秘です", True), ("a confidential report", True),
                           ("call 03-1234", True), ("(confidential)", True),
                           ("confidentiality", False), ("public", False)]:
        want = "delete" if hit else "deliver"
        assert decisions(xml, message(body=body_text)) == (want, want), body_text


def test_s5_3_score_threshold_exceeds_becomes_reaches() -> None:
    """research imsva.md §2.1 [S22][S23] ("exceeds threshold") against TMEMS [S77] ("reaches
    threshold"): the same decisions, so still no difference (§5.3 [S60])."""
    xml = policy_xml('<keyword-list name="Score" match="score" threshold="5">'
                     '<expression score="2">alpha</expression>'
                     '<expression score="3">beta</expression></keyword-list>')
    out = compiled(xml)
    lst = ems(out).keyword_list("Score")
    assert lst is not None and lst.threshold == 6
    assert entry(out, "keyword-list", "Score").fidelity is Fidelity.EXACT


#: [S60] (research imsva.md §2.2): the notification variables TMEMS lacks.
UNSUPPORTED_VARIABLES = ["%RULETYPE%", "%ENTITY%", "%QUARANTINE_PATH%", "%QUARANTINE_AREA%",
                         "%PROTOCOL%", "%HOSTNAME%", "%MAILCHARSET%", "%SUSPICIOUS_URL%"]


@pytest.mark.parametrize("variable", UNSUPPORTED_VARIABLES)
def test_s5_3_notification_with_an_unsupported_variable_is_isc3012(variable: str) -> None:
    """research imsva.md §5.3 [S60] ("8 unsupported variables") and §2.2 [S60]."""
    body = f"Rule %RULENAME% caught mail from %SENDER% ({variable})"
    out = compiled(policy_xml(f'<notification name="Alert" to="admin@{INTERNAL}" '
                              f'subject="%RULENAME%">{body}</notification>'))
    (warning,) = diagnostics(out, "ISC3012")
    assert warning.severity is Severity.WARNING
    assert variable in warning.message and '"Alert"' in warning.message
    e = entry(out, "notification", "Alert")
    assert e.fidelity is Fidelity.APPROXIMATED
    assert any(variable in r for r in e.reasons)
    (notification,) = ems(out).notifications
    assert notification.body == body  # left in the text for the administrator


def test_s5_3_notification_with_supported_variables_only_is_exact() -> None:
    """research imsva.md §2.2 [S76]: `%SENDER%`, `%RULENAME%` exist in TMEMS."""
    out = compiled(policy_xml(f'<notification name="Alert" to="admin@{INTERNAL}" '
                              'subject="%RULENAME%">from %SENDER% %RCPTS%</notification>'))
    assert diagnostics(out, "ISC3012") == []
    assert entry(out, "notification", "Alert").fidelity is Fidelity.EXACT


def test_s5_3_approved_ips_migrate_except_private_ones() -> None:
    """research imsva.md §5.3 / §3.1 [S60]: Approved List IPs → Approved IP Addresses; "not
    supported: ... private IPs"."""
    public, private = ["203.0.113.0/24", "198.51.100.25"], ["10.0.0.0/8", "192.168.1.1",
                                                            "172.16.0.0/12"]
    out = compiled(policy_xml("<sender-filtering>" + "".join(
        f"<approved-ip>{ip}</approved-ip>" for ip in public + private)
        + "</sender-filtering>"))
    assert [e.value for e in ems(out).approved_ips] == public
    for ip in public:
        assert entry(out, "sender-filtering.approved-ip", ip).fidelity is Fidelity.EXACT
    for ip in private:
        e = entry(out, "sender-filtering.approved-ip", ip)
        assert e.fate == "dropped"
        assert any("private" in r for r in e.reasons)
        assert not weakens_access(e)  # a lost approval only means more scanning


def test_s5_3_blocked_ips_migrate_only_when_blocked_permanently() -> None:
    """research imsva.md §5.3 / §3.1 [S60]: Blocked List → Blocked IP Addresses "only for
    Block Permanently entries"; a temporary block is lost (broadened)."""
    xml = policy_xml('<sender-filtering><blocked-ip action="block-permanently">198.51.100.7'
                     '</blocked-ip><blocked-ip action="block-temporarily">198.51.100.8'
                     "</blocked-ip></sender-filtering>")
    out = compiled(xml)
    assert [e.value for e in ems(out).blocked_ips] == ["198.51.100.7"]
    kept = entry(out, "sender-filtering.blocked-ip", "198.51.100.7")
    assert (kept.fate, kept.fidelity) == ("IP reputation blocked IP", Fidelity.EXACT)
    lost = entry(out, "sender-filtering.blocked-ip", "198.51.100.8")
    assert (lost.fate, lost.fidelity) == ("dropped", Fidelity.DROPPED)
    assert lost.directions == {Difference.BROADENED}
    assert any("permanently" in r for r in lost.reasons)
    assert weakens_access(lost)
    assert decisions(xml, message(client_ip="198.51.100.7")) == ("delete", "delete")
    assert decisions(xml, message(client_ip="198.51.100.8")) == ("delete", "deliver")


# ====================================================================== research imsva.md §5.4

#: [S61] Policy List conditions that do not migrate: (element, name in the reason, a message
#: field that makes the condition true).
NOT_MIGRATED_CONDITIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("<cc-email/>", "C&C email", {"cc_email": True}),
    ('<received-time from="00:00" to="06:00"/>', "Received time range", {"when": 120}),
    ("<unable-to-decrypt/>", "Unable to decrypt messages", {"undecryptable": True}),
    ("<spoofed-internal/>", "Spoofed internal messages", {"spoofed_internal": True}),
]


@pytest.mark.parametrize(("element", "words", "verdict"), NOT_MIGRATED_CONDITIONS,
                         ids=[c[1] for c in NOT_MIGRATED_CONDITIONS])
def test_s5_4_condition_not_migrated_any_match(element: str, words: str,
                                               verdict: dict[str, Any]) -> None:
    """research imsva.md §5.4 [S61]: `C&C email settings`, `Received time range`, `Unable to
    decrypt messages`, `Spoofed internal messages` do not migrate. Alone in a deleting rule:
    no EmS rule, and the lost block is computed as broadened."""
    xml = policy_xml(rule_xml("Not migrated", conditions=element))
    out = compiled(xml)
    assert rules_from(out, "Not migrated") == []
    e = entry(out, "mail-rule", "Not migrated")
    assert e.fate == "dropped"
    assert any(words in r and "does not migrate" in r for r in e.reasons)
    assert e.fidelity is Fidelity.DROPPED and e.directions == {Difference.BROADENED}
    assert e.witness is not None
    assert (e.witness["source"], e.witness["target"]) == ("delete", "deliver")
    assert decisions(xml, message(**verdict)) == ("delete", "deliver")


@pytest.mark.parametrize(("element", "words", "verdict"), NOT_MIGRATED_CONDITIONS,
                         ids=[c[1] for c in NOT_MIGRATED_CONDITIONS])
def test_s5_4_condition_not_migrated_all_match(element: str, words: str,
                                               verdict: dict[str, Any]) -> None:
    """research imsva.md §5.4 [S61], the same conditions in an All Match rule: the rule keeps
    its other condition and now stops more mail (narrowed)."""
    xml = policy_xml(rule_xml("Not migrated", match="all",
                              conditions=f"<attachment-name>*.exe</attachment-name>{element}"))
    out = compiled(xml)
    (target,) = rules_from(out, "Not migrated")
    assert len(target.criteria) == 1 and target.enabled
    e = entry(out, "mail-rule", "Not migrated")
    assert any(words in r for r in e.reasons)
    assert e.fidelity is Fidelity.NARROWED
    off: dict[str, Any] = {k: (False if v is True else 720) for k, v in verdict.items()}
    assert decisions(xml, message(attachments=exe(), **verdict)) == ("delete", "delete")
    assert decisions(xml, message(attachments=exe(), **off)) == ("deliver", "delete")


def test_s5_4_pop3_route_is_dropped() -> None:
    """research imsva.md §5.4 [S61]: the `POP3` route type does not migrate; semantics.md §5:
    `dropped` with the reason; §1.2 [S3][S4]: POP3 rules apply to POP3 routes only."""
    xml = policy_xml(rule_xml("POP3 exe", route='<route type="pop3"/>',
                              conditions="<attachment-name>*.exe</attachment-name>"))
    out = compiled(xml)
    assert rules_from(out, "POP3 exe") == []
    e = entry(out, "mail-rule", "POP3 exe")
    assert (e.fate, e.fidelity) == ("dropped", Fidelity.DROPPED)
    assert any("POP3" in r for r in e.reasons)
    assert weakens_access(e)  # what it deleted in POP3 mail is delivered (by rule)
    assert any(d.code == "ISC3002" and "POP3" in d.message for d in out.diagnostics)
    # SMTP mail never met a POP3 rule: the decisions agree, which is why the tag is dropped
    assert decisions(xml, message(attachments=exe())) == ("deliver", "deliver")


@pytest.mark.parametrize(("element", "kind", "words", "modification"), [
    ('<postpone until="22:00"/>', Postpone, "postpone delivery", "postpone:22:00"),
    ('<archive area="Legal hold"/>', Archive, "archive to 'Legal hold'", "archive:Legal hold"),
])
def test_s5_4_postpone_and_archive_are_dropped(element: str, kind: type, words: str,
                                               modification: str) -> None:
    """research imsva.md §5.4 [S61]: `Postpone delivery to`, `Archive modified to` do not
    migrate; semantics.md §5: dropped with the reason; the rule's tag is computed (a
    modification is lost: approximated)."""
    xml = policy_xml(rule_xml("Hold exe", conditions="<attachment-name>*.exe</attachment-name>",
                              actions=f'<intercept action="none"/>{element}'
                                      "<tag-subject>[exe]</tag-subject>"))
    out = compiled(xml)
    (target,) = rules_from(out, "Hold exe")
    assert not any(isinstance(a, kind) for a in target.actions)
    assert [type(a).__name__ for a in target.actions] == ["TagSubject"]
    e = entry(out, "mail-rule", "Hold exe")
    assert any(words in r and "dropped" in r for r in e.reasons)
    assert e.fidelity is Fidelity.APPROXIMATED
    m = message(attachments=exe())
    source = isc.decide_mail(load(xml), m)
    target_decision = isc.decide_mail(out, m)
    assert modification in source.modifications
    assert modification not in target_decision.modifications
    assert "tag-subject:[exe]" in target_decision.modifications


# ====================================================================== semantics.md §5 (mail)


def test_semantics_5_handoff_has_no_counterpart() -> None:
    """semantics.md §5: "IMSVA handoff ... with the reason"; research imsva.md §1.4
    [S31][S32][S34] (handoff intercept) and §6 (no TMEMS equivalent confirmed). isc keeps
    the message from the recipient (quarantine: narrowed, docs/targets/ems.md §2.6)."""
    xml = policy_xml(rule_xml("Hand off exe",
                              conditions="<attachment-name>*.exe</attachment-name>",
                              actions='<intercept action="handoff" host="mx.archive.example" '
                                      'port="2525"/>'))
    out = compiled(xml)
    targets = rules_from(out, "Hand off exe")
    assert targets
    assert all(r.intercept.action is not InterceptAction.HANDOFF for r in targets)
    e = entry(out, "mail-rule", "Hand off exe")
    assert any("handoff" in r and "mx.archive.example:2525" in r for r in e.reasons)
    assert e.fidelity is not Fidelity.EXACT
    assert not weakens_access(e)
    assert decisions(xml, message(attachments=exe())) == ("handoff", "quarantine")


# ====================================================================== semantics.md §3


def test_semantics_3_rules_run_in_order_number_order() -> None:
    """semantics.md §3 "Rules in Order Number order"; research imsva.md §1.5 [S37][S38]."""
    xml = policy_xml(
        rule_xml("Later", order=20, conditions="<attachment-name>*.exe</attachment-name>"),
        rule_xml("Earlier", order=10, conditions="<attachment-name>*.exe</attachment-name>",
                 actions='<intercept action="quarantine"/>'))
    m = message(attachments=exe())
    for policy in (load(xml), compiled(xml)):
        d = isc.decide_mail(policy, m)
        assert d.action == "quarantine"
        assert d.decided_by is not None and d.decided_by.name == "Earlier"
    content = ems(compiled(xml)).rules_of(Direction.INCOMING, RuleKind.CONTENT_FILTERING)
    assert [(r.name, r.order) for r in content] == [("Earlier", 1), ("Later", 2)]


def test_semantics_3_disabled_rules_do_not_apply() -> None:
    """semantics.md §3: "enabled only"; research imsva.md §1.5 [S36]."""
    xml = policy_xml(rule_xml("Off", enabled=False,
                              conditions="<attachment-name>*.exe</attachment-name>"))
    assert decisions(xml, message(attachments=exe())) == ("deliver", "deliver")


def test_semantics_3_do_not_intercept_falls_through() -> None:
    """semantics.md §3: intercept `none` goes on to the next rule; research imsva.md §1.4
    [S31] ("if there are other rules, IMSVA will process the message"), §1.5 [S38]."""
    xml = policy_xml(
        rule_xml("Tag", order=1, conditions="<attachment-name>*.exe</attachment-name>",
                 actions='<intercept action="none"/><tag-subject>[exe]</tag-subject>'),
        rule_xml("Delete large", order=2,
                 conditions='<message-size op="gt" unit="KB">1</message-size>'))
    for policy in (load(xml), compiled(xml)):
        both = isc.decide_mail(policy, message(attachments=exe(), size=5000))
        assert both.action == "delete"
        assert "tag-subject:[exe]" in both.modifications
        tag_only = isc.decide_mail(policy, message(attachments=exe(), size=10))
        assert (tag_only.action, tag_only.modifications) == ("deliver", ("tag-subject:[exe]",))


@pytest.mark.parametrize("intercept", [
    '<intercept action="delete"/>', '<intercept action="quarantine"/>',
    f'<intercept action="change-recipient" to="review@{INTERNAL}"/>',
    '<intercept action="handoff" host="mx.archive.example"/>',
], ids=["delete", "quarantine", "change-recipient", "handoff"])
def test_semantics_3_terminal_intercepts_stop(intercept: str) -> None:
    """semantics.md §3: delete / quarantine / change-recipient / handoff stop; research
    imsva.md §1.5 [S38] ("IMSVA executes the action and stops")."""
    xml = policy_xml(
        rule_xml("Stop", order=1, conditions="<attachment-name>*.exe</attachment-name>",
                 actions=intercept),
        rule_xml("Tag afterwards", order=2, actions='<tag-subject>[seen]</tag-subject>'))
    export = load(xml)
    stopped = isc.decide_mail(export, message(attachments=exe()))
    action = intercept.split('"')[1]
    assert stopped.action == action
    assert stopped.decided_by is not None and stopped.decided_by.name == "Stop"
    assert "tag-subject:[seen]" not in stopped.modifications
    passed = isc.decide_mail(export, message())
    assert (passed.action, passed.modifications) == ("deliver", ("tag-subject:[seen]",))


# ====================================================================== semantics.md §4


def test_semantics_4_per_type_order_is_isc3011_with_a_witness() -> None:
    """semantics.md §4: IMSVA's single order becomes a per-type order, virus scan first;
    research imsva.md §0.7 / §5.3 [S64][S60] (rules categorised by family, "reorder rules per
    domain"). The change is ISC3011 with a witness message in the report entry."""
    xml = policy_xml(
        rule_xml("Quarantine exe", order=1,
                 conditions="<attachment-name>*.exe</attachment-name>",
                 actions='<intercept action="quarantine"/>'),
        rule_xml("Global antivirus", order=2, kind="antivirus", conditions="<virus/>"))
    out = compiled(xml)
    (warning,) = diagnostics(out, "ISC3011")
    assert warning.severity is Severity.WARNING
    assert "Quarantine exe" in warning.message and "Global antivirus" in warning.message
    for name in ("Quarantine exe", "Global antivirus"):
        witness = entry(out, "mail-rule", name).witness
        assert witness is not None
        assert witness["cause"] == "per-type reorder"
        assert (witness["source"], witness["target"]) == ("quarantine", "delete")
        assert witness["message"]["virus"] is True
    infected = message(virus=True, attachments=exe())
    assert decisions(xml, infected) == ("quarantine", "delete")
    # without the overlap both orders agree
    assert decisions(xml, message(attachments=exe())) == ("quarantine", "quarantine")
    assert decisions(xml, message(virus=True)) == ("delete", "delete")


#: The spam-type criteria (semantics.md §4): element, the verdict that trips it.
SPAM_TYPE_CRITERIA: list[tuple[str, dict[str, Any]]] = [
    ("<spam/>", {"spam_score": 9.5}),
    ('<web-reputation level="medium"/>', {"wrs_level": "high"}),
    ("<graymail/>", {"graymail": True}),
    ("<social-engineering/>", {"sea": True}),
]


@pytest.mark.parametrize(("element", "verdict"), SPAM_TYPE_CRITERIA,
                         ids=["spam", "web-reputation", "graymail", "social-engineering"])
def test_semantics_4_approved_senders_skip_spam_type_criteria(
        element: str, verdict: dict[str, Any]) -> None:
    """semantics.md §4: "Approved senders skip the spam-type criteria (spam, BEC, phishing,
    graymail, WRS, SEA)" in EmS; research imsva.md §3.1 [S16]: IMSVA's lists live inside the
    spam detection settings (the spam criterion only)."""
    xml = policy_xml(rule_xml("Spam type", conditions=element),
                     "<approved-senders><address>*@partner.example</address>"
                     "</approved-senders>")
    out = compiled(xml)
    assert [s.address for s in ems(out).approved_senders] == ["*@partner.example"]
    approved = message(sender="news@partner.example", **verdict)
    other = message(sender="news@other.example", **verdict)
    assert isc.decide_mail(out, approved).action == "deliver"
    assert isc.decide_mail(out, other).action == "delete"
    source = isc.decide_mail(load(xml), approved).action
    assert source == ("deliver" if element == "<spam/>" else "delete")
    tag = entry(out, "approved-senders.entry", "*@partner.example").fidelity
    assert (tag is Fidelity.EXACT) is (element == "<spam/>")


@pytest.mark.parametrize(("rule", "verdict"), [
    (rule_xml("Content", conditions="<attachment-name>*.exe</attachment-name>"),
     {"attachments": exe()}),
    (rule_xml("Virus", kind="antivirus", conditions="<virus/>"), {"virus": True}),
], ids=["content", "virus"])
def test_semantics_4_approved_senders_do_not_skip_content_or_virus_rules(
        rule: str, verdict: dict[str, Any]) -> None:
    """semantics.md §4: approved senders skip spam-type criteria, "not virus or content
    rules"."""
    xml = policy_xml(rule, "<approved-senders><address>*@partner.example</address>"
                           "</approved-senders>")
    approved = message(sender="news@partner.example", **verdict)
    assert decisions(xml, approved) == ("delete", "delete")
    assert entry(compiled(xml), "approved-senders.entry",
                 "*@partner.example").fidelity is Fidelity.EXACT
