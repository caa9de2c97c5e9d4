"""The indexed web models decide exactly as the reference models (issue 9).

The reference models (``isc.models.reference``) scan every list, category and policy in
order; the production models decide over indexes built once per policy. On generated
policies and requests aimed at them (every entry form, v4/v6 accounts and address groups,
schedules, predefined and custom categories, identity maps) the two must give the same
decision, the same deciding object and, for IWSVA, the same trace.
"""

from __future__ import annotations

import ipaddress
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isc.ir.requests import Url, WebRequest
from isc.ir.web import CustomCategory, UrlPattern, WebPolicy
from isc.ir.ztsa import (
    CustomUrlCategory,
    FileProfile,
    HttpsInspectionRule,
    InspectAction,
    InspectionException,
    InternetAccessRule,
    IpAddressGroup,
    ListEntry,
    MatchMode,
    RuleAction,
    Sources,
    WeeklySchedule,
    ZtsaPolicy,
)
from isc.models import iwsva, ztsa
from isc.models.index import DomainIndex, IntervalIndex, LiteralIndex, Selector
from isc.models.reference import iwsva as ref_iwsva
from isc.models.reference import ztsa as ref_ztsa
from isc.models.urlmatch import domain_matches, haystack, required_literal
from strategies import web_policies, web_requests

_SLOW = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------- IWSVA


@_SLOW
@given(st.data())
def test_indexed_iwsva_decides_as_the_reference(data: st.DataObject) -> None:
    web = data.draw(web_policies())
    for _ in range(6):
        req = data.draw(web_requests(web))
        expected = ref_iwsva.decide(web, req)
        got = iwsva.decide(web, req)
        assert got == expected, req
        assert got.trace == expected.trace, req
        assert got.decrypted == expected.decrypted


# ---------------------------------------------------------------- ZTSA policies

_LABEL = st.sampled_from(["example", "www", "shop", "a", "bad", "co", "jp", "com", "İstanbul",
                          "ıx", "xn--p1ai", "例え"])
_DOMAINS = st.lists(_LABEL, min_size=1, max_size=3).map(".".join)
_DOMAIN_VALUES = st.one_of(
    _DOMAINS, _DOMAINS.map(lambda d: "*." + d), _DOMAINS.map(lambda d: d.upper() + "."),
    _DOMAINS.map(lambda d: "sh*p." + d), _DOMAINS.map(lambda d: "?" + d), st.just(""),
    st.just("*."))
_PATHS = st.sampled_from(["", "/", "/a", "/a/b.html", "/private/x", "/?q=1", "/*", "/a?c"])
_URL_VALUES = st.one_of(
    st.builds(lambda d, p: "*" + d + p, _DOMAINS, _PATHS),
    st.builds(lambda s, d, p: s + d + p, st.sampled_from(["http://", "https://", ""]),
              _DOMAINS, _PATHS),
    st.sampled_from(["*", "*a*", "shop*", "*%2a*", "*/x?y"]))
_KEYWORD_VALUES = st.one_of(_LABEL, st.sampled_from(["a", "", "b*d", "private", "q=1", "İ"]))


@st.composite
def _entry(draw: st.DrawFn) -> tuple[MatchMode, str]:
    mode = draw(st.sampled_from(MatchMode))
    values = {MatchMode.DOMAIN: _DOMAIN_VALUES, MatchMode.URL: _URL_VALUES,
              MatchMode.KEYWORD: _KEYWORD_VALUES}[mode]
    return mode, draw(values)


_V4 = st.ip_addresses(v=4, network=ipaddress.ip_network("10.0.0.0/29"))
_V6 = st.ip_addresses(v=6, network=ipaddress.ip_network("2001:db8::/125"))
_ADDRESS = st.one_of(_V4, _V6).map(str)
_GROUP_ADDRESSES = st.one_of(
    _ADDRESS,
    st.builds(lambda a, b: f"{a}-{b}", _V4, _V4),
    st.builds(lambda a, b: f"{a} - {b}", _V6, _V6),
    st.builds(lambda a, n: f"{a}/{n}", _V4, st.integers(29, 32)),
    st.builds(lambda a, n: f"{a}/{n}", _V6, st.integers(125, 128)),
    st.sampled_from(["10.0.0.9-2001:db8::1", "not an address", "10.0.0.0/8", "::/0"]))
_USERS = st.sampled_from(["alice", "Bob", "CN=Carol,OU=Sales,DC=example", "dave@example.com"])
_GROUPS = st.sampled_from(["sales", "Dev", "CN=Staff, DC=example", "営業部"])


@st.composite
def ztsa_policies(draw: st.DrawFn) -> ZtsaPolicy:
    cat_names = draw(st.lists(st.sampled_from(["c1", "c2", "c3", "c4"]), max_size=4))
    customs = tuple(CustomUrlCategory(n, mode, tuple(v for _, v in draw(st.lists(
        _entry(), max_size=4))))
        for n in cat_names for mode in [draw(st.sampled_from(MatchMode))])
    group_names = draw(st.lists(st.sampled_from(["g1", "g2", "g3"]), max_size=3))
    groups = tuple(IpAddressGroup(n, tuple(draw(st.lists(_GROUP_ADDRESSES, max_size=3))))
                   for n in group_names)

    def sources() -> Sources:
        return Sources(tuple(draw(st.lists(_USERS, max_size=2))),
                       tuple(draw(st.lists(_GROUPS, max_size=2))),
                       tuple(draw(st.lists(st.sampled_from(["g1", "g2", "g3", "gX"]),
                                           max_size=2))))

    refs = st.lists(st.sampled_from(["c1", "c2", "c3", "c4", "cX"]), max_size=2).map(tuple)
    zcats = st.lists(st.sampled_from(["Gambling", "Shopping", "Search Engines/Portals",
                                      "Untested"]), max_size=2).map(tuple)
    schedule = st.one_of(st.none(), st.builds(
        WeeklySchedule, st.lists(st.integers(0, 6), min_size=1, max_size=3).map(tuple),
        st.just(((540, 1020),))))
    rules = tuple(
        InternetAccessRule(
            f"r{i}", draw(st.sampled_from(RuleAction)), draw(st.booleans()) or i % 3 != 0, "",
            sources() if draw(st.booleans()) else Sources(),
            sources() if draw(st.integers(0, 3)) == 0 else Sources(),
            draw(schedule), draw(zcats), draw(refs),
            ("fp",) if draw(st.integers(0, 4)) == 0 else ())
        for i in range(draw(st.integers(0, 6))))
    inspection = tuple(
        HttpsInspectionRule(f"h{i}", draw(st.sampled_from(InspectAction)), draw(st.booleans()),
                            sources() if draw(st.booleans()) else Sources(), draw(zcats),
                            draw(refs))
        for i in range(draw(st.integers(0, 3))))
    return ZtsaPolicy(
        url_allow_list=tuple(ListEntry(*e) for e in draw(st.lists(_entry(), max_size=3))),
        url_deny_list=tuple(ListEntry(*e) for e in draw(st.lists(_entry(), max_size=3))),
        custom_url_categories=customs,
        ip_address_groups=groups,
        inspection_exceptions=tuple(InspectionException(d) for d in draw(
            st.lists(_DOMAIN_VALUES, max_size=3))),
        https_inspection_rules=inspection,
        internet_access_rules=rules,
        file_profiles=(FileProfile("fp", ("executables",)),),
    )


def _fill(value: str) -> str:
    return value.replace("*", "x").replace("?", "q").replace("%2a", "*")


@st.composite
def ztsa_requests(draw: st.DrawFn, policy: ZtsaPolicy) -> WebRequest:
    values = [e.value for e in (*policy.url_allow_list, *policy.url_deny_list)]
    values += [v for c in policy.custom_url_categories for v in c.entries]
    values += [e.domain for e in policy.inspection_exceptions]
    scheme = draw(st.sampled_from(["http", "https"]))
    choice = draw(st.integers(0, 3))
    if values and choice > 0:
        v = _fill(draw(st.sampled_from(values))).lstrip(".")
        prefix = draw(st.sampled_from(["", "www.", "sub.", "x"]))
        url = v if "://" in v else f"{scheme}://{prefix}{v}"
        if choice == 3:
            url = f"{scheme}://example.com/{v}"
    else:
        url = draw(st.sampled_from(["http://example.com/", "https://bad.example/private/x"]))
    try:
        Url.parse(url)
    except ValueError:
        url = "http://example.com/"
    who: dict[str, object] = {}
    if draw(st.booleans()):
        who["client"] = draw(_ADDRESS)
    if draw(st.booleans()):
        who["user"] = draw(_USERS)
    if draw(st.booleans()):
        who["groups"] = tuple(draw(st.lists(_GROUPS, max_size=2)))
    cats = draw(st.lists(st.sampled_from(["Gambling", "Shopping", 90, 27, "Search Engines"]),
                         max_size=2))
    return WebRequest(url, categories=tuple(cats), decrypted=draw(st.sampled_from(
        [None, None, True, False])), file_type=draw(st.sampled_from([None, "executables/exe"])),
        when=draw(st.one_of(st.none(), st.datetimes())), **who)  # type: ignore[arg-type]


_IDENTITY_MAPS = st.sampled_from([{}, {"CN=Carol,OU=Sales,DC=example": "carol@example.com"},
                                  {"cn=staff,dc=example": "Staff", "sales": "SALES-ALL"}])


@_SLOW
@given(st.data())
def test_indexed_ztsa_decides_as_the_reference(data: st.DataObject) -> None:
    policy = data.draw(ztsa_policies())
    identities = data.draw(_IDENTITY_MAPS)
    for _ in range(8):
        req = data.draw(ztsa_requests(policy))
        expected = ref_ztsa.decide(policy, req, identities)
        got = ztsa.decide(policy, req, identities)
        assert got == expected, req
        assert got.decrypted == expected.decrypted


# ---------------------------------------------------------------- the indexes themselves


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("abc.*/?İı", max_size=8), max_size=12), st.text("abc./İıI", max_size=20))
def test_a_literal_index_keeps_every_item_whose_literal_occurs(literals: list[str],
                                                               text: str) -> None:
    index = LiteralIndex()
    needed = [required_literal(x) for x in literals]
    for i, lit in enumerate(needed):
        index.add(i, lit)
    found = set(index.candidates(text.lower()))
    assert {i for i, lit in enumerate(needed) if lit in text.lower()} <= found


def test_a_literal_index_offers_exactly_the_literals_found() -> None:
    index = LiteralIndex()
    for i in range(200):
        index.add(i, f"{i}xamplex{i}")
    index.add(200, "")
    index.add(201, "amp")
    assert sorted(index.candidates("http://123xamplex123/")) == [123, 200, 201]
    index.add(202, "123x")  # an item added after a look-up is found too
    assert sorted(index.candidates("http://123xamplex123/")) == [123, 200, 201, 202]
    # a text the automaton cannot search (a lone surrogate) offers every item
    assert len(index.candidates("http://\udcff/")) == 203
    index.add(203, "\udcff")  # and a literal it cannot take is offered for every text
    assert 203 in index.candidates("http://nothing/")


def test_a_literal_index_keys_are_short_whatever_the_literals() -> None:
    """``a``, ``aa``, ``aaa``... all occur at every position of ``aaaa…``: with keys of at
    most WINDOW characters, at most WINDOW of them end at any one position."""
    from isc.models.index import WINDOW

    index = LiteralIndex()
    for k in range(1, 300):
        index.add(k, "a" * k)
    index.add(300, "b" * 40)
    assert max(map(len, index._keys)) == WINDOW
    assert sorted(index.candidates("a" * 500)) == list(range(1, 300))
    assert index.candidates("x" + "b" * 40) == [300]
    assert 300 not in index.candidates("b" * 15)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("abé.", max_size=40), min_size=17, max_size=40),
       st.text("abé.", max_size=80))
def test_a_literal_index_offers_every_literal_found(literals: list[str], text: str) -> None:
    """Long literals are keyed by one window: a superset, never a miss."""
    index = LiteralIndex()
    for i, lit in enumerate(literals):
        index.add(i, lit)
    assert {i for i, lit in enumerate(literals) if lit in text} <= set(index.candidates(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("abé日.\x00", max_size=6), min_size=17, max_size=40),
       st.text("abé日.\x00", max_size=30))
def test_a_literal_index_finds_every_literal_and_only_those(literals: list[str],
                                                             text: str) -> None:
    """Past the few items it offers whole, overlapping and repeated literals included."""
    index = LiteralIndex()
    for i, lit in enumerate(literals):
        index.add(i, lit)
    assert sorted(index.candidates(text)) == [i for i, lit in enumerate(literals)
                                              if lit in text]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=20),
       st.integers(-2, 53))
def test_an_interval_index_stabs_exactly(intervals: list[tuple[int, int]], point: int) -> None:
    index = IntervalIndex((i, lo, hi) for i, (lo, hi) in enumerate(intervals))
    assert sorted(index.stab(point)) == [i for i, (lo, hi) in enumerate(intervals)
                                         if lo <= point <= hi]


@settings(max_examples=300, deadline=None)
@given(st.lists(_DOMAIN_VALUES, max_size=8), _DOMAINS.map(str.lower), st.booleans())
def test_a_domain_index_keeps_every_matching_domain(values: list[str], host: str,
                                                    subdomains: bool) -> None:
    from isc.models.ztsa import _domain_key

    index = DomainIndex()
    for i, v in enumerate(values):
        index.add(i, _domain_key(v))
    found = set(index.candidates(host))
    assert {i for i, v in enumerate(values)
            if domain_matches(v, host, subdomains=subdomains)} <= found


def test_a_selector_orders_what_applies() -> None:
    sel: Selector[str] = Selector()
    sel.interval(2, 4, 10, 20)
    sel.key(1, "u:alice")
    sel.everyone(3)
    sel.interval(0, 6, 10, 20)
    assert sel.select(["u:alice"], (4, 15)) == [1, 2, 3]
    assert sel.select([], (6, 15)) == [0, 3]
    assert sel.select(["u:bob"], None) == [3]


def test_a_policy_of_thousands_of_entries_decides_by_the_entries_that_can_match() -> None:
    rnd = random.Random(7)
    entries = tuple(UrlPattern(f"@host{rnd.randrange(10**9)}.example.com*") for _ in range(5000))
    web = WebPolicy(custom_categories=(CustomCategory("big", entries),))
    index = iwsva.WebIndex.of(web)
    url = Url.parse("http://" + entries[1234].stored[1:-1] + "/")
    candidates = index._urls.candidates(haystack(url, False))
    assert len(candidates) < 10  # not the 5,000 entries of the list
    assert index.matches(url, False) == {0: entries[1234]}
    assert iwsva.WebIndex.of(web) is index  # built once per policy


@settings(max_examples=500, deadline=None)
@given(st.text("aAbB*./:", max_size=10), st.text("aAbB./:\n", max_size=14))
def test_the_star_only_fast_match_agrees_with_re2(pattern: str, text: str) -> None:
    from isc.models.urlmatch import fullmatch, glob

    expected = glob(pattern).fullmatch(text) is not None
    assert fullmatch(pattern, text) == expected
    assert fullmatch(pattern, text, escapes=False) == expected


def test_many_short_literals_are_looked_up_by_the_text() -> None:
    index = LiteralIndex()
    words = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
    for i, w in enumerate(words):
        index.add(i, w)
    assert sorted(index.candidates("xabq")) == sorted(words.index(w) for w in ("xa", "ab", "bq"))


def test_an_index_dies_with_its_policy() -> None:
    import gc

    web = WebPolicy(custom_categories=(CustomCategory("c", (UrlPattern("@a.example*"),)),))
    policy = ZtsaPolicy(url_deny_list=(ListEntry(MatchMode.DOMAIN, "a.example"),))
    iwsva.decide(web, WebRequest("http://a.example/"))
    ztsa.decide(policy, WebRequest("http://a.example/"))
    keys = (id(web), id(policy))
    assert keys[0] in iwsva._INDEXES._found and keys[1] in ztsa._INDEXES._found
    del web, policy
    gc.collect()  # (other tests' garbage may die here too: only these two keys are checked)
    assert keys[0] not in iwsva._INDEXES._found and keys[1] not in ztsa._INDEXES._found
