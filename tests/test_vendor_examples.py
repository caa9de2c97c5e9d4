"""The documented examples of formats.md §2 and semantics.md §5, as unit tests."""

from __future__ import annotations

import pytest

import isc
from isc.backends.ztsa_ia import translate_pattern
from isc.backends.ztsa_ia.fidelity import classify, compare
from isc.ir.common import Fidelity
from isc.ir.requests import Url, WebRequest
from isc.ir.web import UrlList, UrlPattern, WebPolicy
from isc.ir.ztsa import InspectionException, ListEntry, MatchMode, ZtsaPolicy
from isc.models import ztsa
from isc.models.urlmatch import domain_matches, glob, iwsva_matches


def matches(stored: str, url: str) -> bool:
    return iwsva_matches(UrlPattern(stored), Url.parse(url))


# ---------------------------------------------------------------- formats.md §2 matching


@pytest.mark.parametrize("url", [
    "http://example.com/folder/index.html",
    "http://www.example.com/folder/index.html",
    "http://testexample.com/index.html",
])
def test_web_site_entry_matches_documented_urls(url: str) -> None:
    assert matches("@example.com*", url)


def test_web_site_entry_with_a_path_is_complete() -> None:
    assert not matches("@example.com/folder", "http://example.com/folder/index.html")
    assert matches("@example.com/folder", "http://example.com/folder")
    assert matches("@example.com/folder*", "http://example.com/folder/index.html")


@pytest.mark.parametrize(("pattern", "text", "hit"), [
    ("?lock", "block", True), ("?lock", "clock", True), ("?lock", "lock", False),
    ("Trend?Micro", "Trend Micro", True), ("Trend?Micro", "Trend-Micro", True),
    ("Trend?Micro", "TrendMicro", False), ("block*", "blocking", True),
    ("www.%2apower.com", "www.*power.com", True), ("www.%2apower.com", "www.xpower.com", False),
])
def test_wildcards(pattern: str, text: str, hit: bool) -> None:
    assert (glob(pattern).fullmatch(text) is not None) is hit


def test_scheme_is_not_part_of_a_web_site_match() -> None:
    assert matches("@example.com*", "https://example.com/a")
    assert matches("@example.com*", "ftp://example.com/a")


def test_string_with_and_without_scheme() -> None:
    assert matches("http://example.com/a.html", "http://example.com/a.html")
    assert not matches("http://example.com/a.html", "https://example.com/a.html")
    assert matches("example.com/a.html", "https://example.com/a.html")
    assert not matches("example.com/a.html", "https://example.com/a.html/b")


def test_keyword_looks_anywhere() -> None:
    assert matches("*partner*", "http://www.playboy.com/partner.htm")
    assert not matches("*partner*", "http://www.example.com/")


def test_hosts_compare_case_insensitively_and_idn_equals_punycode() -> None:
    assert matches("@EXAMPLE.com*", "http://www.Example.COM/")
    export = isc.loads("[https-tunneling]\nweb-site: 例え.jp\n", filename="t.ini")
    assert export.web.tunneling[0] == UrlPattern("@xn--r8jz45g.jp*")
    assert matches("@xn--r8jz45g.jp*", "http://例え.jp/")


# ---------------------------------------------------------------- semantics.md §5


def _blocking(stored: str, target: ListEntry) -> tuple[WebPolicy, ZtsaPolicy]:
    return (WebPolicy(global_blocking=UrlList(True, (UrlPattern(stored),))),
            ZtsaPolicy(url_deny_list=(target,)))


PROBES = [WebRequest(u) for u in (
    "http://example.com/", "http://www.example.com/x", "http://testexample.com/index.html",
    "http://other.example/")]


def test_web_site_to_domain_match_is_broadened_in_a_block_list() -> None:
    src, tgt = _blocking("@example.com*", ListEntry(MatchMode.DOMAIN, "example.com"))
    result = compare(src, tgt, PROBES)
    assert result.fidelity is Fidelity.BROADENED
    assert result.witness is not None and "testexample.com" in result.witness.probe.url


def test_web_site_to_url_match_keeps_a_block_list_exact() -> None:
    assert translate_pattern(UrlPattern("@example.com*"))[:2] == (MatchMode.URL, "*example.com*")
    src, tgt = _blocking("@example.com*", ListEntry(MatchMode.URL, "*example.com*"))
    assert compare(src, tgt, PROBES).fidelity is Fidelity.EXACT


def test_inspection_exception_covers_only_the_apex() -> None:
    assert domain_matches("example.com", "example.com", subdomains=False)
    assert not domain_matches("example.com", "www.example.com", subdomains=False)
    assert not domain_matches("example.com", "xxexample.com", subdomains=False)
    assert domain_matches("*.example.com", "www.example.com", subdomains=False)
    only_apex = ZtsaPolicy(inspection_exceptions=(InspectionException("example.com"),))
    both = ZtsaPolicy(inspection_exceptions=(InspectionException("example.com"),
                                             InspectionException("*.example.com")))
    www = WebRequest("https://www.example.com/")
    assert ztsa.decide(only_apex, www).decrypted is True
    assert ztsa.decide(both, www).decrypted is False


def test_tunneling_is_emitted_as_apex_and_subdomains() -> None:
    out = isc.compile(isc.loads("[https-tunneling]\nweb-site: example.com\n",
                                filename="t.ini"), "ztsa-ia")
    assert [e.domain for e in out.document.inspection_exceptions] == [
        "example.com", "*.example.com"]


@pytest.mark.parametrize(("source", "target", "tag"), [
    ("block-override", "block", Fidelity.NARROWED),
    ("block-override", "warn", Fidelity.BROADENED),
    ("time-limit", "monitor", Fidelity.BROADENED),
    ("warn", "monitor", Fidelity.APPROXIMATED),
    ("block", "block", Fidelity.EXACT),
])
def test_action_fidelity(source: str, target: str, tag: Fidelity) -> None:
    assert classify(source, target) is tag


def _report(text: str, **kw: object) -> dict[tuple[str, str], Fidelity]:
    out = isc.compile(isc.loads(text, filename="p.ini"), "ztsa-ia", **kw)  # type: ignore[arg-type]
    return {(e.source.kind, e.source.name): e.fidelity for e in out.report}


def test_block_override_becomes_block_and_is_narrowed() -> None:
    tags = _report('[url-filtering-policy "P"]\nglobal = yes\n'
                   'category "Gambling" = block-override\n')
    assert tags[("url-filtering-policy", "P")] is Fidelity.NARROWED


def test_match_next_is_expressed_by_leaving_the_category_out() -> None:
    tags = _report('[url-filtering-policy "First"]\npriority = 1\n'
                   'account = ip-subset 10.0.0.0/8\ncategory "Games" = match-next\n'
                   'category "Gambling" = block\n'
                   '[url-filtering-policy "Global"]\nglobal = yes\ncategory "Games" = block\n')
    assert tags[("url-filtering-policy", "First")] is Fidelity.EXACT
    assert tags[("url-filtering-policy", "Global")] is Fidelity.EXACT


def test_tunneling_is_narrowed() -> None:
    tags = _report("[https-tunneling]\nweb-site: bank.example\n")
    assert tags[("https-tunneling", "@bank.example*")] is Fidelity.NARROWED


LDAP = ('[url-filtering-policy "Sales"]\npriority = 1\n'
        'account = ldap-group "CN=Sales,OU=Groups,DC=example"\ncategory "Games" = block\n')


def test_ldap_group_is_approximated_without_a_mapping() -> None:
    assert _report(LDAP)[("url-filtering-policy", "Sales")] is Fidelity.APPROXIMATED


def test_ldap_group_is_exact_with_a_mapping() -> None:
    tags = _report(LDAP, identity_map={"CN=Sales,OU=Groups,DC=example": "sales@example.com"})
    assert tags[("url-filtering-policy", "Sales")] is Fidelity.EXACT


def test_a_category_ztsa_lacks_is_broadened_when_blocked() -> None:
    tags = _report('[url-filtering-policy "G"]\nglobal = yes\ncategory "Hacking" = block\n')
    assert tags[("url-filtering-policy", "G")] is Fidelity.BROADENED


def test_the_91_categories_and_the_ten_ztsa_lacks() -> None:
    from isc.ir import categories

    assert len(categories.CATEGORIES) == 91
    lacking = {c.name for c in categories.CATEGORIES if c.ztsa_name is None}
    assert lacking == {"Unknown", "Illegal or Prohibited Content", "Dynamic DNS", "Cookies",
                       "Dialers", "Hacking", "Joke Program", "Password Cracking",
                       "Remote Access Program", "New Domain"}
    assert categories.lookup("Communication and Searches") is None  # a group, not a category
    assert categories.lookup("Peer-to-Peer").id == 57  # type: ignore[union-attr]
    assert categories.lookup("11").name == "Gambling"  # type: ignore[union-attr]


@pytest.mark.parametrize("group", ["Communications and Search", "Communication and Searches"])
def test_both_group_spellings_name_the_whole_group(group: str) -> None:
    export = isc.loads(f'[url-filtering-policy "G"]\nglobal = yes\ncategory "{group}" = block\n'
                       'category "Email" = allow\n', filename="p.ini")
    actions = {c.category.id: c.action.value for c in export.web.url_filtering[0].categories}
    assert actions[50] == "block" and actions[52] == "allow" and len(actions) == 9


def test_unknown_category_did_you_mean() -> None:
    with pytest.raises(isc.IscError) as info:
        isc.loads('[url-filtering-policy "G"]\nglobal = yes\ncategory "Gamblng" = block\n',
                  filename="p.ini")
    diag = next(d for d in info.value.diagnostics if d.code == "ISC2004")
    assert diag.line == 3 and any("Gambling" in n for n in diag.notes)
