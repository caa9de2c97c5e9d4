"""merge-decryption-policies: adjacent HTTPS decryption policies that decide alike merge,
policies never reached go (a warning), repeated exceptions and identical approved lists named
only as decryption exceptions become one; and no decision of the IWSVA model changes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import isc
from isc.diagnostics import Severity, Span
from isc.frontends.accounts import parse_account
from isc.ir import categories
from isc.ir.requests import WebRequest
from isc.ir.web import (
    Account,
    AccountKind,
    ApprovedList,
    AtpPolicy,
    CategoryAction,
    CategoryRef,
    CustomCategory,
    DecryptCategory,
    HttpsDecryptionPolicy,
    OtherObject,
    UrlFilteringPolicy,
    UrlList,
    UrlPattern,
    WebAction,
    WebPolicy,
)
from isc.models import iwsva
from isc.models.iwsva import _ip_bounds
from isc.passes import PassContext
from isc.passes.merge_decryption_policies import decides, merge_decryption_policies
from pass_checks import web_decisions
from strategies import web_policies as front_end_policies
from strategies import web_requests

SPAN = Span("policy.ini", 1, 1)
KIND = "https-decryption-policy"
V4 = int(ipaddress.IPv4Address("10.0.0.0"))
# IPv6 addresses with the same integers as the IPv4 ones (::a00:0...): only the family tells
# them apart
V6 = V4
IP_KINDS = (AccountKind.IP, AccountKind.IP_RANGE, AccountKind.IP_SUBSET)


def _id(name: str) -> CategoryRef:
    found = categories.lookup(name)
    assert found is not None
    return CategoryRef(id=found.id)


EMAIL, GAMES = _id("Email"), _id("Games")


def acc(text: str) -> Account:
    return parse_account(text, SPAN)


def accs(*texts: str) -> tuple[Account, ...]:
    return tuple(acc(t) for t in texts)


def run(web: WebPolicy) -> tuple[WebPolicy, PassContext]:
    ctx = PassContext()
    ctx.current = "merge-decryption-policies"
    return merge_decryption_policies(web, ctx), ctx


def names(web: WebPolicy) -> list[str]:
    return [p.name for p in web.https_decryption]


def pol(name: str, *accounts: str, decrypt_all: bool = False, cats: Sequence[tuple[CategoryRef,
        bool]] = (), exceptions: tuple[str, ...] = (), enabled: bool = True,
        is_global: bool = False) -> HttpsDecryptionPolicy:
    return HttpsDecryptionPolicy(name, 0 if is_global else 1, enabled=enabled,
                                 is_global=is_global, accounts=accs(*accounts),
                                 decrypt_all=decrypt_all, exceptions=exceptions,
                                 categories=tuple(DecryptCategory(c, d) for c, d in cats))


BANKS = ApprovedList("Banks", (UrlPattern("@bank.example.jp*"), UrlPattern("@netbank.example*")))
BANKS_COPY = ApprovedList("Banks copy", (UrlPattern("@netbank.example*"),
                                         UrlPattern("@bank.example.jp*")))
HEALTH = ApprovedList("Health", (UrlPattern("@clinic.example.jp*"),))
EMPTY = ApprovedList("Empty", ())
LISTS = (BANKS, BANKS_COPY, HEALTH, EMPTY)


def same_decisions(before: WebPolicy, after: WebPolicy, reqs: Iterable[WebRequest]) -> None:
    for r in reqs:
        a, b = iwsva.decide(before, r), iwsva.decide(after, r)
        assert (b.action, b.decrypted) == (a.action, a.decrypted), r


def _probe(client: str | None = None, user: str | None = None, groups: tuple[str, ...] = (),
           ) -> list[WebRequest]:
    return [WebRequest(url, client=client, user=user, groups=groups, categories=cats)
            for url in ("https://bank.example.jp/", "https://clinic.example.jp/",
                        "https://www.example.com/", "http://www.example.com/")
            for cats in (("Email",), ("Games",), ())]


# ---------------------------------------------------------------- merging


def test_adjacent_policies_that_decide_alike_merge_into_the_first() -> None:
    web = WebPolicy(approved_lists=LISTS, https_decryption=(
        pol("A", "ip 10.0.0.1", cats=[(EMAIL, True)], exceptions=("Banks",)),
        pol("B", "ip 10.0.0.2", "ip 10.0.0.1", cats=[(EMAIL, True), (GAMES, False)],
            exceptions=("Banks", "Banks")),
        pol("Global", is_global=True, decrypt_all=True)))
    out, ctx = run(web)
    assert names(out) == ["A", "Global"]
    assert out.https_decryption[0].accounts == accs("ip 10.0.0.1", "ip 10.0.0.2")
    merged = [c for c in ctx.changes if c.kind == KIND]
    assert [(c.action, c.name, c.kept_kind, c.kept_name) for c in merged] == [
        ("merged", "B", KIND, "A")]
    assert "(position 2)" in merged[0].reason and "(position 1)" in merged[0].reason
    for client in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        same_decisions(web, out, _probe(client))


def test_a_policy_for_everyone_merged_in_makes_the_first_for_everyone() -> None:
    web = WebPolicy(https_decryption=(pol("A", "ip 10.0.0.1", decrypt_all=True),
                                      pol("B", decrypt_all=True)))
    out, _ = run(web)
    assert names(out) == ["A"] and out.https_decryption[0].accounts == ()
    same_decisions(web, out, _probe("10.0.0.9") + _probe(None))


def test_a_disabled_policy_does_not_separate_two_and_stays() -> None:
    web = WebPolicy(https_decryption=(
        pol("A", "ip 10.0.0.1", decrypt_all=True),
        pol("Off", "ip 10.0.0.2", enabled=False),
        pol("B", "ip 10.0.0.2", decrypt_all=True)))
    out, _ = run(web)
    assert names(out) == ["A", "Off"]
    assert out.https_decryption[0].accounts == accs("ip 10.0.0.1", "ip 10.0.0.2")
    same_decisions(web, out, _probe("10.0.0.2"))


def test_an_enabled_policy_between_separates_two() -> None:
    web = WebPolicy(https_decryption=(
        pol("A", "ip 10.0.0.1", decrypt_all=True),
        pol("Between", "ip 10.0.0.2"),
        pol("B", "ip 10.0.0.2", "ip 10.0.0.3", decrypt_all=True)))
    out, _ = run(web)
    assert out == web


@pytest.mark.parametrize("second", [
    pol("B", "ip 10.0.0.2", decrypt_all=True, exceptions=("Banks",)),   # other exceptions
    pol("B", "ip 10.0.0.2", cats=[(EMAIL, True)]),                      # categories
    pol("B", "ip 10.0.0.2", decrypt_all=True, is_global=True),          # the global policy
])
def test_policies_that_decide_differently_or_the_global_one_stay(
        second: HttpsDecryptionPolicy) -> None:
    web = WebPolicy(approved_lists=LISTS, https_decryption=(
        pol("A", "ip 10.0.0.1", decrypt_all=True), second))
    out, ctx = run(web)
    assert out == web and ctx.changes == []


def test_categories_are_compared_as_the_model_reads_them() -> None:
    # the model decrypts a category any line marks yes: "Email = yes" then "Email = no" is
    # "Email = yes"; the front-end keeps only the last line, a hand-built IR may hold both
    web = WebPolicy(https_decryption=(
        pol("A", "ip 10.0.0.1", cats=[(EMAIL, True), (EMAIL, False)]),
        pol("B", "ip 10.0.0.2", cats=[(GAMES, False), (EMAIL, True)]),
        pol("C", "ip 10.0.0.3", cats=[(EMAIL, False)]),
        pol("D", "ip 10.0.0.4")))
    out, _ = run(web)
    assert names(out) == ["A", "C"]
    assert out.https_decryption[1].accounts == accs("ip 10.0.0.3", "ip 10.0.0.4")
    for client in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
        same_decisions(web, out, _probe(client))


def test_policies_that_never_decrypt_decide_alike_whatever_their_exceptions() -> None:
    web = WebPolicy(approved_lists=LISTS, custom_categories=(
        CustomCategory("Shop", (UrlPattern("@shop.example*"),)),), https_decryption=(
        pol("A", "ip 10.0.0.1", exceptions=("Banks",)),
        # a custom category that does not exist never matches
        pol("B", "ip 10.0.0.2", cats=[(CategoryRef(custom="Gone"), True), (GAMES, False)]),
        pol("C", "ip 10.0.0.3", cats=[(CategoryRef(custom="Shop"), True)])))
    out, _ = run(web)
    assert names(out) == ["A", "C"]
    same_decisions(web, out, [*_probe("10.0.0.2"), WebRequest("https://shop.example/",
                                                              client="10.0.0.3")])


def test_exceptions_that_can_never_match_do_not_count() -> None:
    web = WebPolicy(approved_lists=LISTS, https_decryption=(
        pol("A", "ip 10.0.0.1", decrypt_all=True, exceptions=("Banks",)),
        pol("B", "ip 10.0.0.2", decrypt_all=True, exceptions=("Empty", "Banks", "Missing"))))
    out, _ = run(web)
    assert names(out) == ["A"]
    same_decisions(web, out, _probe("10.0.0.2"))


def test_decides_is_what_the_policy_does() -> None:
    web = WebPolicy(approved_lists=LISTS)
    assert decides(pol("A", decrypt_all=True, cats=[(EMAIL, True)]), web) == decides(
        pol("B", decrypt_all=True), web)
    assert decides(pol("A", exceptions=("Banks",)), web) == decides(pol("B"), web)
    assert decides(pol("A", cats=[(EMAIL, True)]), web) != decides(
        pol("B", cats=[(EMAIL, True)], exceptions=("Health",)), web)


# ---------------------------------------------------------------- never reached


def test_a_policy_covered_by_the_union_of_earlier_intervals_is_removed_with_a_warning() -> None:
    web = WebPolicy(https_decryption=(
        pol("Low", "ip-range 10.0.0.0-10.0.0.127", decrypt_all=True),
        pol("Off", "ip-subset 10.0.0.0/24", enabled=False),
        pol("High", "ip-range 10.0.0.128-10.0.0.255", 'ldap-user "CN=Taro,DC=corp"'),
        pol("Whole", "ip-subset 10.0.0.0/24", 'ldap-user "cn=taro, dc=corp"',
            cats=[(EMAIL, True)]),
        pol("Wider", "ip-subset 10.0.0.0/23", cats=[(EMAIL, True)])))
    out, ctx = run(web)
    assert names(out) == ["Low", "Off", "High", "Wider"]
    [change] = ctx.changes
    assert (change.action, change.kind, change.name, change.kept_name) == (
        "removed", KIND, "Whole", "Low")
    assert '"Whole" (position 4)' in change.reason
    assert '"Low" (position 1) and "High" (position 3)' in change.reason
    [diag] = ctx.diagnostics
    assert diag.code == "ISC2015" and diag.severity is Severity.WARNING
    for client in ("10.0.0.0", "10.0.0.127", "10.0.0.128", "10.0.0.255", "10.0.1.0"):
        same_decisions(web, out, _probe(client) + _probe(client, user="CN=TARO,DC=CORP"))


def test_a_partly_covered_policy_stays() -> None:
    web = WebPolicy(https_decryption=(
        pol("Low", "ip-range 10.0.0.0-10.0.0.127", decrypt_all=True),
        pol("Gap", "ip-range 10.0.0.129-10.0.0.255"),
        pol("Whole", "ip-subset 10.0.0.0/24", cats=[(EMAIL, True)])))
    out, _ = run(web)
    assert out == web


def test_families_are_apart_and_names_need_an_identical_account() -> None:
    web = WebPolicy(https_decryption=(
        pol("V6", "ip-subset ::/0", 'ldap-group "CN=Eng,DC=corp"', "host pc1.example.jp",
            decrypt_all=True),
        pol("V4", "ip 10.0.0.1"),
        pol("User", 'ldap-user "CN=Eng,DC=corp"', cats=[(EMAIL, True)]),
        pol("Host", "host PC1.EXAMPLE.JP", cats=[(EMAIL, True)]),
        pol("Group", 'ldap-group "cn=eng ,dc=corp"', "ip 2001:db8::1", cats=[(GAMES, True)])))
    out, ctx = run(web)
    assert names(out) == ["V6", "V4", "User"]
    assert [c.name for c in ctx.changes] == ["Host", "Group"]
    same_decisions(web, out, _probe("10.0.0.1") + _probe("pc1.example.jp")
                   + _probe(None, user="cn=eng,dc=corp") + _probe(None, groups=("CN=Eng,DC=corp",)))


def test_a_policy_for_everyone_is_covered_only_by_an_earlier_one_for_everyone() -> None:
    web = WebPolicy(https_decryption=(
        pol("All addresses", "ip-subset 0.0.0.0/0", "ip-subset ::/0", decrypt_all=True),
        pol("Global", is_global=True, cats=[(EMAIL, True)])))
    out, _ = run(web)
    assert out == web  # a request from a host name or with no client reaches the global one
    web = WebPolicy(https_decryption=(
        pol("Everyone", cats=[(GAMES, True)]), pol("Lab", "ip 10.0.0.1", decrypt_all=True),
        pol("Global", is_global=True, decrypt_all=True)))
    out, ctx = run(web)
    assert names(out) == ["Everyone"]
    assert [c.name for c in ctx.changes] == ["Lab", "Global"]
    assert all(d.severity is Severity.WARNING for d in ctx.diagnostics)
    same_decisions(web, out, _probe("10.0.0.1") + _probe(None))


def test_a_disabled_policy_that_would_be_covered_stays() -> None:
    web = WebPolicy(https_decryption=(pol("Everyone", cats=[(GAMES, True)]),
                                      pol("Off", "ip 10.0.0.1", enabled=False)))
    out, _ = run(web)
    assert out == web


def test_removing_a_policy_lets_its_neighbours_merge() -> None:
    web = WebPolicy(https_decryption=(
        pol("A", "ip 10.0.0.1", decrypt_all=True),
        pol("Dead", "ip 10.0.0.1"),
        pol("B", "ip 10.0.0.2", decrypt_all=True)))
    out, ctx = run(web)
    assert names(out) == ["A"]
    assert [(c.action, c.name) for c in ctx.changes] == [("removed", "Dead"), ("merged", "B")]
    again, ctx2 = run(out)
    assert again == out and ctx2.changes == []


# ---------------------------------------------------------------- exceptions and lists


def test_repeated_exceptions_go() -> None:
    web = WebPolicy(approved_lists=LISTS, https_decryption=(
        pol("G", decrypt_all=True, exceptions=("Banks", "Health", "Banks", "Banks")),))
    out, ctx = run(web)
    assert out.https_decryption[0].exceptions == ("Banks", "Health")
    assert [(c.action, c.kind, c.name) for c in ctx.changes] == [
        ("removed", f"{KIND}.exception", "Banks")] * 2


def test_identical_lists_named_only_by_decryption_become_the_first() -> None:
    web = WebPolicy(approved_lists=LISTS, https_decryption=(
        pol("A", "ip 10.0.0.1", decrypt_all=True, exceptions=("Banks",)),
        pol("B", "ip 10.0.0.2", decrypt_all=True, exceptions=("Banks copy", "Health")),
        pol("C", "ip 10.0.0.3", decrypt_all=True, exceptions=("Banks", "Health"))))
    out, ctx = run(web)
    assert [a.name for a in out.approved_lists] == ["Banks", "Health", "Empty"]
    assert [p.exceptions for p in out.https_decryption] == [("Banks",), ("Banks", "Health")]
    listed = [c for c in ctx.changes if c.kind == "approved-list"]
    assert [(c.action, c.name, c.kept_name) for c in listed] == [
        ("merged", "Banks copy", "Banks")]
    for client in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        same_decisions(web, out, _probe(client))


@pytest.mark.parametrize("elsewhere", ["url-filtering", "atp", "other", "same name"])
def test_an_identical_list_something_else_names_stays(elsewhere: str) -> None:
    web = WebPolicy(approved_lists=LISTS, https_decryption=(
        pol("B", "ip 10.0.0.2", decrypt_all=True, exceptions=("Banks copy",)),))
    if elsewhere == "url-filtering":
        web = WebPolicy(approved_lists=LISTS, https_decryption=web.https_decryption,
                        url_filtering=(UrlFilteringPolicy("U", 1, exceptions=("Banks copy",)),))
    elif elsewhere == "atp":
        web = WebPolicy(approved_lists=LISTS, https_decryption=web.https_decryption,
                        atp=(AtpPolicy("A", 1, exceptions=("Banks copy",)),))
    elif elsewhere == "other":
        web = WebPolicy(approved_lists=LISTS, https_decryption=web.https_decryption,
                        others=(OtherObject("dlp-policy", "D", (("approved", "Banks copy"),)),))
    else:
        # a second list of that name: dropping the first would let the model read this one
        web = WebPolicy(approved_lists=(*LISTS, ApprovedList("Banks copy", (
            UrlPattern("@other.example*"),))), https_decryption=web.https_decryption)
    out, _ = run(web)
    assert out.approved_lists == web.approved_lists
    assert out.https_decryption[0].exceptions == ("Banks",)  # decryption names the first
    reqs = [WebRequest(u, client="10.0.0.2", categories=("Email",)) for u in (
        "https://bank.example.jp/", "http://netbank.example/", "https://other.example/")]
    same_decisions(web, out, reqs)


def test_the_fixture_example_round_trips() -> None:
    text = """\
[product]

[approved-list "Banks"]
@bank.example.co.jp*

[https-decryption-policy "Factory"]
priority = 1
account = ip-subset 10.20.0.0/16
decrypt = all
exceptions = Banks

[https-decryption-policy "Guests"]
priority = 2
account = ip-subset 172.16.200.0/24
decrypt = all
exceptions = Banks
exceptions = Banks
"""
    web = isc.loads(text, filename="policy.ini").web
    assert web is not None
    out, _ = run(web)
    assert names(out) == ["Factory"]
    assert out.https_decryption[0].exceptions == ("Banks",)
    assert out.https_decryption[0].accounts == accs("ip-subset 10.20.0.0/16",
                                                    "ip-subset 172.16.200.0/24")


# ---------------------------------------------------------------- strategies
#
# A few decryption policies over a small window of addresses and two users and groups;
# twins of the policy before (same decision, written differently, other accounts), policies
# covered by earlier ones, disabled ones in between, repeated exceptions, identical approved
# lists under two names, one of them maybe named by URL filtering or ATP too.

_USERS = ("CN=Taro,OU=Eng,DC=corp,DC=example", "CN=Sales,OU=Groups,DC=corp,DC=example")
_GROUPS = ("CN=Sales,OU=Groups,DC=corp,DC=example", "CN=Eng,OU=Groups,DC=corp,DC=example")
_HOSTS = ("pc1.example.jp", "PC1.example.JP")


def _spelling(name: str, i: int) -> str:
    return [name, name.lower(), name.upper(), name.replace(",", " , ")][i % 4]


def _address(version: int, offset: int) -> str:
    if version == 4:
        return ipaddress.IPv4Address(V4 + offset).compressed
    return ipaddress.IPv6Address(V6 + offset).compressed


def interval_account(version: int, lo: int, hi: int) -> Account:
    """The front-end's account for exactly ``[lo, hi]``."""
    net = list(ipaddress.summarize_address_range(ipaddress.ip_address(_address(version, lo)),
                                                 ipaddress.ip_address(_address(version, hi))))
    if lo == hi:
        return Account(AccountKind.IP, _address(version, lo))
    if len(net) == 1:
        return Account(AccountKind.IP_SUBSET, net[0].compressed)
    return Account(AccountKind.IP_RANGE, f"{_address(version, lo)}-{_address(version, hi)}")


@st.composite
def ip_accounts(draw: st.DrawFn, v4: int, v6: int) -> Account:
    version = draw(st.sampled_from([4, 4, 6]))
    size = v4 if version == 4 else v6
    lo = draw(st.integers(0, size - 1))
    hi = draw(st.integers(lo, min(size - 1, lo + draw(st.sampled_from([0, 1, 3, 7])))))
    return interval_account(version, lo, hi)


@st.composite
def name_accounts(draw: st.DrawFn) -> Account:
    kind = draw(st.sampled_from([AccountKind.LDAP_USER, AccountKind.LDAP_GROUP,
                                 AccountKind.HOST]))
    if kind is AccountKind.HOST:
        return Account(kind, draw(st.sampled_from(_HOSTS)))
    name = draw(st.sampled_from(_USERS if kind is AccountKind.LDAP_USER else _GROUPS))
    return Account(kind, _spelling(name, draw(st.integers(0, 3))))


def account_lists(v4: int, v6: int) -> st.SearchStrategy[tuple[Account, ...]]:
    one = st.one_of(ip_accounts(v4, v6), ip_accounts(v4, v6), name_accounts())
    return st.one_of(st.lists(one, min_size=1, max_size=3).map(tuple),
                     st.lists(one, min_size=1, max_size=3).map(tuple), st.just(()))


_MISSES = st.sampled_from(["below", "above", "family", "kind"])


@st.composite
def covered_by(draw: st.DrawFn, earlier: list[tuple[Account, ...]], nearly: bool = False
               ) -> tuple[Account, ...]:
    """Accounts within those of earlier policies: a sub-interval of an address account, a
    name in another spelling; everyone when an earlier policy is for everyone. ``nearly``:
    one of them just misses (an address below or above, the other IP family, a user for a
    group or a group for a user), so the policy is still reached."""
    if any(not a for a in earlier):
        return draw(st.sampled_from([(), (acc("ip 10.0.0.1"),)]))
    pool = [a for accounts in earlier for a in accounts]
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2))
    missing = draw(st.integers(0, len(chosen) - 1)) if nearly else -1
    out = []
    for n, a in enumerate(chosen):
        miss = draw(_MISSES) if n == missing else ""
        bounds = _ip_bounds(a.kind, a.value) if a.kind in IP_KINDS else None
        if bounds is not None:
            version, lo, hi = bounds
            base = V4 if version == 4 else V6
            first = draw(st.integers(lo, hi))
            last = draw(st.integers(first, hi))
            if miss == "below":
                first = lo - 1
            elif miss == "above":
                last = hi + 1
            elif miss:
                version = 10 - version  # the same integers in the other family
            out.append(interval_account(version, first - base, last - base))
        elif a.kind is AccountKind.HOST:
            out.append(Account(a.kind, "pc2.example.jp" if miss else a.value.upper()))
        else:
            kind = a.kind
            if miss:
                kind = (AccountKind.LDAP_USER if kind is AccountKind.LDAP_GROUP
                        else AccountKind.LDAP_GROUP)
            out.append(Account(kind, _spelling(a.value, draw(st.integers(0, 3)))))
    return tuple(out)


_CATS = st.lists(st.tuples(st.sampled_from([EMAIL, GAMES, CategoryRef(custom="Shop")]),
                           st.booleans()), max_size=3)
_SYNONYM = {"Banks": "Banks copy", "Banks copy": "Banks"}


@st.composite
def _exceptions(draw: st.DrawFn) -> tuple[str, ...]:
    return tuple(draw(st.lists(st.sampled_from(["Banks", "Banks copy", "Health", "Empty"]),
                               max_size=3)))


@st.composite
def web_policies(draw: st.DrawFn, v4: int = 12, v6: int = 4) -> WebPolicy:
    policies: list[HttpsDecryptionPolicy] = []
    for i in range(draw(st.integers(1, 6))):
        shape = draw(st.sampled_from(["new", "twin", "twin", "covered", "nearly", "off",
                                      "cousin"])) if policies else "new"
        enabled = [p.accounts for p in policies if p.enabled]
        if shape == "cousin" and len(policies) >= 2:
            # the decision of the policy two above, for some of the people of the one between:
            # the two must not merge across it when it is enabled
            prev, between = policies[-2], policies[-1]
            policy = attrs.evolve(prev, name=f"P{i}", priority=i, enabled=True, accounts=tuple(
                draw(st.lists(st.sampled_from(between.accounts), max_size=2))) if (
                    between.accounts) else ())
        elif shape == "twin":
            # the policy before's decision, written another way, for other people
            prev = policies[-1]
            policy = HttpsDecryptionPolicy(
                f"P{i}", i, accounts=draw(account_lists(v4, v6)), decrypt_all=prev.decrypt_all,
                categories=tuple(draw(st.permutations(prev.categories))),
                exceptions=tuple(_SYNONYM.get(n, n) if draw(st.booleans()) else n
                                 for n in prev.exceptions) + draw(st.sampled_from(
                                     [(), prev.exceptions[:1]])))
        elif shape in ("covered", "nearly") and enabled:
            policy = HttpsDecryptionPolicy(
                f"P{i}", i, accounts=draw(covered_by(enabled, shape == "nearly")),
                decrypt_all=draw(st.booleans()),
                categories=tuple(DecryptCategory(c, d) for c, d in draw(_CATS)),
                exceptions=draw(_exceptions()))
        else:
            policy = HttpsDecryptionPolicy(
                f"P{i}", i, enabled=shape != "off", accounts=draw(account_lists(v4, v6)),
                decrypt_all=draw(st.booleans()),
                categories=tuple(DecryptCategory(c, d) for c, d in draw(_CATS)),
                exceptions=draw(_exceptions()))
        policies.append(policy)
    if draw(st.booleans()):
        policies.append(HttpsDecryptionPolicy(
            "Global", 0, is_global=True, accounts=draw(st.sampled_from(
                [(), (), (acc("ip-subset 10.0.0.0/28"),)])), decrypt_all=draw(st.booleans()),
            categories=tuple(DecryptCategory(c, d) for c, d in draw(_CATS)),
            exceptions=draw(_exceptions())))
    elsewhere = draw(st.sampled_from(["", "url-filtering", "atp"]))
    return WebPolicy(
        custom_categories=(CustomCategory("Shop", (UrlPattern("@shop.example*"),)),),
        approved_lists=LISTS,
        # a path only a decrypted request shows: decryption changes the action too
        global_blocking=UrlList(entries=(UrlPattern("@www.example.com/secret*"),)),
        url_filtering=(UrlFilteringPolicy(
            "U", 1, exceptions=("Banks copy",) if elsewhere == "url-filtering" else (),
            categories=(CategoryAction(GAMES, WebAction.WARN),)),),
        https_decryption=tuple(policies),
        atp=(AtpPolicy("A", 1, exceptions=("Banks copy",)),) if elsewhere == "atp" else (),
    )


@st.composite
def shadow_cases(draw: st.DrawFn) -> tuple[WebPolicy, bool]:
    """Enabled policies that never decrypt, then one that always does, whose accounts the
    earlier ones cover, or nearly (one account just misses): removing it wrongly shows."""
    earlier = [HttpsDecryptionPolicy(f"E{i}", i, accounts=draw(
        st.lists(st.one_of(ip_accounts(12, 4), name_accounts()), min_size=1, max_size=3
                 ).map(tuple))) for i in range(1, draw(st.integers(1, 3)) + 1)]
    nearly = draw(st.booleans())
    last = HttpsDecryptionPolicy("Last", 9, decrypt_all=True, accounts=draw(covered_by(
        [p.accounts for p in earlier], nearly)))
    return WebPolicy(https_decryption=(*earlier, last)), nearly


_URLS = ("https://bank.example.jp/", "https://netbank.example/", "https://clinic.example.jp/",
         "https://shop.example/", "https://www.example.com/secret/x", "http://www.example.com/")
_CATEGORY_SETS: tuple[tuple[str, ...], ...] = (("Email",), ("Games",), ("Email", "Games"), ())


def _clients(web: WebPolicy) -> list[str | None]:
    found: set[tuple[int, int]] = set()
    for p in web.https_decryption:
        for a in p.accounts:
            bounds = _ip_bounds(a.kind, a.value) if a.kind in IP_KINDS else None
            if bounds is not None:
                v, lo, hi = bounds
                found.update((v, n) for n in (lo - 1, lo, hi, hi + 1))
    out: list[str | None] = [None, *_HOSTS, "pc2.example.jp"]
    for v, n in sorted(found):
        if 0 <= n < 2 ** (32 if v == 4 else 128):
            out.append(str(ipaddress.IPv4Address(n) if v == 4 else ipaddress.IPv6Address(n)))
    return out


def _identities(web: WebPolicy | None = None) -> list[tuple[str | None, tuple[str, ...]]]:
    """No user, or each LDAP name as the user (in another spelling); no group, each name
    as the only group, or all of them."""
    found = {iwsva.ldap_name(n): n for n in (*_USERS, *_GROUPS)}
    for p in web.https_decryption if web is not None else ():
        found.update((iwsva.ldap_name(a.value), a.value) for a in p.accounts
                     if a.kind in (AccountKind.LDAP_USER, AccountKind.LDAP_GROUP))
    ldap = [found[k] for k in sorted(found)]
    return [(u, g) for u in (None, *(_spelling(n, 2) for n in ldap))
            for g in ((), *((_spelling(n, 3),) for n in ldap), tuple(ldap))]


def requests(web: WebPolicy) -> list[WebRequest]:
    return [WebRequest(url, client=c, user=u, groups=g, categories=cats)
            for c in _clients(web) for u, g in _identities(web) for url in _URLS
            for cats in _CATEGORY_SETS[:2]]


# ---------------------------------------------------------------- properties


@given(web_policies())
def test_decisions_are_preserved(web: WebPolicy) -> None:
    out, _ = run(web)
    reqs = requests(web)
    assert web_decisions(out, reqs) == web_decisions(web, reqs)


@given(web_policies())
def test_idempotent(web: WebPolicy) -> None:
    once, _ = run(web)
    twice, ctx = run(once)
    assert twice == once
    assert ctx.changes == []


def _meaning(p: HttpsDecryptionPolicy, web: WebPolicy) -> tuple[object, ...]:
    """What the policy does, its exceptions by their entries rather than their names."""
    found = decides(p, web)
    if found[0] == "never":
        return found
    live = found[-1]
    assert isinstance(live, frozenset)
    return (*found[:-1], frozenset(frozenset(e.stored for e in lst.entries) for n in live
                                   if (lst := web.approved_list(n)) is not None))


@given(web_policies())
def test_never_larger_and_every_change_is_reported(web: WebPolicy) -> None:
    out, ctx = run(web)
    assert len(out.https_decryption) <= len(web.https_decryption)
    assert len(out.approved_lists) <= len(web.approved_lists)
    before = {p.name: p for p in web.https_decryption}
    for p in out.https_decryption:
        assert len(p.exceptions) <= len(before[p.name].exceptions)
        assert len(set(p.exceptions)) == len(p.exceptions)
        # accounts only grow by merging, and never from someone to everyone unless merged
        if p.accounts != before[p.name].accounts:
            assert any(c.action == "merged" and c.kept_name == p.name for c in ctx.changes)
    gone = {p.name for p in web.https_decryption} - {p.name for p in out.https_decryption}
    assert {c.name for c in ctx.changes if c.kind == KIND} == gone
    lists_gone = ({a.name for a in web.approved_lists} - {a.name for a in out.approved_lists})
    assert {c.name for c in ctx.changes if c.kind == "approved-list"} == lists_gone
    for c, d in zip(ctx.changes, ctx.diagnostics, strict=True):
        assert d.code == "ISC2015" and c.action in ("removed", "merged")
        assert (d.severity is Severity.WARNING) == (c.kind == KIND and c.action == "removed")
        assert c.kept_name is not None and c.name in c.reason and c.kept_name in c.reason
    # disabled policies all stay, for the same people, deciding the same (should they be
    # switched on); only their repeated exceptions go
    off = [p for p in web.https_decryption if not p.enabled]
    assert [(p.name, p.accounts, _meaning(p, web)) for p in off] == [
        (p.name, p.accounts, _meaning(p, out)) for p in out.https_decryption if not p.enabled]


@given(web_policies())
def test_every_removed_policy_was_never_reached(web: WebPolicy) -> None:
    """A removed policy decides no request of the input (it is never the deciding one)."""
    _, ctx = run(web)
    removed = {c.name for c in ctx.changes if c.kind == KIND and c.action == "removed"}
    for r in requests(web):
        _, by = iwsva.decrypted(web, r, r.parsed)
        assert by is None or by.name not in removed


@given(shadow_cases())
def test_a_policy_is_removed_exactly_when_earlier_ones_cover_it(case: tuple[WebPolicy, bool]
                                                                 ) -> None:
    web, nearly = case
    out, _ = run(web)
    reqs = [WebRequest("https://www.example.com/", client=c, user=u, groups=g)
            for c in _clients(web) for u, g in _identities(web)]
    # the probes hold the first address of every stretch a policy's accounts leave
    # uncovered, and every user and group alone: "Last" is reached iff one of them reaches it
    reached = any(by is not None and by.name == "Last"
                  for r in reqs for _, by in [iwsva.decrypted(web, r, r.parsed)])
    assert ("Last" in names(out)) == reached
    if not nearly:
        assert not reached
    assert web_decisions(out, reqs) == web_decisions(web, reqs)


@given(st.data())
def test_decisions_are_preserved_on_any_front_end_policy(data: st.DataObject) -> None:
    web = data.draw(front_end_policies(), label="web")
    out, _ = run(web)
    assert run(out)[0] == out
    for r in data.draw(st.lists(web_requests(web), min_size=1, max_size=8), label="requests"):
        a, b = iwsva.decide(web, r), iwsva.decide(out, r)
        assert (b.action, b.decrypted) == (a.action, a.decrypted)


# ---------------------------------------------------------------- exhaustive


def _universe() -> list[WebRequest]:
    """Clients in 10.0.0.0/28 and just outside, three IPv6 clients with the same integers,
    a host name, none; no user or one of two; no group, one of two or both; two categories;
    https and http; a URL in an approved list (the exception) or not."""
    clients: list[str | None] = [str(ipaddress.IPv4Address(V4 + i)) for i in range(-1, 17)]
    clients += [str(ipaddress.IPv6Address(V6 + i)) for i in range(3)]  # ::a00:0 to ::a00:2
    clients += ["pc1.example.jp", None]
    users = (None, *(_spelling(u, 2) for u in _USERS))
    groups = ((), *((_spelling(g, 3),) for g in _GROUPS), _GROUPS)
    return [WebRequest(f"{scheme}://{host}/", client=c, user=u, groups=g, categories=(cat,))
            for c in clients for u in users for g in groups
            for cat in ("Email", "Games") for scheme in ("https", "http")
            for host in ("www.example.com", "bank.example.jp")]


UNIVERSE = _universe()


@given(web_policies(v4=16, v6=3))
def test_every_request_of_a_small_universe_is_decided_the_same(web: WebPolicy) -> None:
    out, _ = run(web)
    assert web_decisions(out, UNIVERSE) == web_decisions(web, UNIVERSE)


def test_the_universe_is_what_it_says() -> None:
    assert len(UNIVERSE) == 23 * 3 * 4 * 2 * 2 * 2
    assert len({r.client for r in UNIVERSE}) == 23
