"""Every web optimisation pass, and the default pipeline, on a small universe, exhaustively
(issue 11): policies drawn from a few hosts, paths, clients, users, groups, categories and
times; every request of that universe decided by the IWSVA model before and after must get
the same action and the same HTTPS decryption. The hypothesis properties in
test_pass_properties.py sample far larger spaces; this one leaves nothing of its space out.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isc.ir.requests import WebRequest
from isc.ir.web import (
    Account,
    AccountKind,
    ApprovedList,
    CategoryAction,
    CategoryRef,
    CustomCategory,
    DecryptCategory,
    HttpsDecryptionPolicy,
    Schedule,
    UrlFilteringPolicy,
    UrlList,
    UrlPattern,
    WebAction,
    WebPolicy,
)
from isc.models import iwsva
from isc.passes import DEFAULT_PIPELINE, PASSES, PassContext, run_pipeline
from pass_checks import web_size

HOSTS = ("a.example", "www.a.example", "b.example")
PATHS = ("/", "/x/y")
SCHEMES = ("http", "https")
CLIENTS = (None, "10.0.0.1", "10.0.0.2", "10.0.0.5", "10.0.0.9", "2001:db8::1")
WHO = ((), ("u1",), ("u2",))  # the user, if any
GROUPS = ((), ("g1",), ("g1", "g2"))
CATEGORIES = (("Gambling",), ("Games",), ("Gambling", "Games"))
WHEN = (None, dt.datetime(2026, 12, 7, 10, 0), dt.datetime(2026, 12, 6, 22, 0))

ENTRIES = ("@a.example*", "@www.a.example*", "@b.example*", "*a.ex*", "*www*",
           "a.example/x*", "www.a.example/x/y", "@?.example*", "http://b.example/*",
           "https://www.a.example/*", "*x/y*", "@a.example/x*")
ACCOUNTS = (Account(AccountKind.IP, "10.0.0.1"), Account(AccountKind.IP, "10.0.0.2"),
            Account(AccountKind.IP_RANGE, "10.0.0.1-10.0.0.5"),
            Account(AccountKind.IP_SUBSET, "10.0.0.0/30"),
            Account(AccountKind.IP_SUBSET, "10.0.0.8/29"),
            Account(AccountKind.IP_SUBSET, "2001:db8::/64"),
            Account(AccountKind.LDAP_USER, "u1"), Account(AccountKind.LDAP_USER, "U1"),
            Account(AccountKind.LDAP_GROUP, "g1"), Account(AccountKind.LDAP_GROUP, "g2"))
GAMBLING = CategoryRef(id=iwsva.categories.lookup("Gambling").id)  # type: ignore[union-attr]
GAMES = CategoryRef(id=iwsva.categories.lookup("Games").id)  # type: ignore[union-attr]
CATS = (GAMBLING, GAMES, CategoryRef(custom="C1"), CategoryRef(custom="C2"))
ACTIONS = (WebAction.BLOCK, WebAction.WARN, WebAction.ALLOW, WebAction.MATCH_NEXT,
           WebAction.MONITOR)

entries = st.lists(st.sampled_from(ENTRIES), max_size=4).map(
    lambda xs: tuple(UrlPattern(x) for x in xs))
account_lists = st.one_of(
    st.lists(st.sampled_from(ACCOUNTS), max_size=3, unique=True).map(tuple),
    # often one client or user that a broad policy above covers
    st.sampled_from(ACCOUNTS[:2] + ACCOUNTS[6:9]).map(lambda a: (a,)))


@st.composite
def universes(draw: st.DrawFn) -> WebPolicy:
    """A policy over the universe, built to hold what the passes remove: repeated and
    subsumed entries, twins, covered accounts, shadowed policies."""
    n = draw(st.integers(1, 5))
    filtering: list[UrlFilteringPolicy] = []
    if draw(st.booleans()):  # a broad policy first, deciding everything (or nearly) for many
        filtering.append(UrlFilteringPolicy(
            "Broad", 0, accounts=draw(st.sampled_from(((), (ACCOUNTS[3],), (ACCOUNTS[2],),
                                                       (ACCOUNTS[6], ACCOUNTS[8])))),
            schedule=draw(st.sampled_from((None, "Work"))),
            categories=tuple(CategoryAction(c, draw(st.sampled_from(ACTIONS)))
                             for c in draw(st.lists(st.sampled_from(CATS), max_size=2)))))
    for i in range(n):
        cats = draw(st.lists(st.tuples(st.sampled_from(CATS), st.sampled_from(ACTIONS)),
                             max_size=3))
        filtering.append(UrlFilteringPolicy(
            f"P{i}", i + 1, enabled=draw(st.integers(0, 5)) > 0, accounts=draw(account_lists),
            schedule=draw(st.sampled_from((None, None, "Work"))),
            exceptions=draw(st.sampled_from(((), ("OK",), ("OK", "OK2")))),
            categories=tuple(CategoryAction(c, a) for c, a in cats)))
        if draw(st.booleans()):  # a twin below, with other accounts, or one thing changed
            change = draw(st.sampled_from(("accounts", "schedule", "exceptions", "category",
                                           "enabled")))
            twin = attrs_evolve(filtering[-1], name=f"P{i}b", accounts=draw(account_lists))
            if change == "schedule":
                twin = attrs_evolve(twin, schedule=None if twin.schedule else "Work")
            elif change == "exceptions":
                twin = attrs_evolve(twin, exceptions=() if twin.exceptions else ("OK",))
            elif change == "category":
                twin = attrs_evolve(twin, categories=(
                    *twin.categories, CategoryAction(draw(st.sampled_from(CATS)),
                                                     draw(st.sampled_from(ACTIONS)))))
            elif change == "enabled":
                twin = attrs_evolve(twin, enabled=not twin.enabled)
            filtering.append(twin)
    decryption = [HttpsDecryptionPolicy(
        f"D{i}", i + 1, enabled=draw(st.integers(0, 5)) > 0, accounts=draw(account_lists),
        decrypt_all=draw(st.booleans()),
        categories=tuple(DecryptCategory(c, draw(st.booleans()))
                         for c in draw(st.lists(st.sampled_from(CATS), max_size=2))),
        exceptions=draw(st.sampled_from(((), ("OK",), ("OK2", "OK")))))
        for i in range(draw(st.integers(0, 3)))]
    return WebPolicy(
        schedules=(Schedule("Work", frozenset({0, 1, 2, 3, 4}), ((540, 1080),)),),
        custom_categories=(CustomCategory("C1", draw(entries)),
                           CustomCategory("C2", draw(entries))),
        approved_lists=(ApprovedList("OK", draw(entries)), ApprovedList("OK2", draw(entries))),
        global_blocking=UrlList(True, draw(entries), draw(entries)),
        global_trusted=UrlList(draw(st.booleans()), draw(entries), draw(entries)),
        tunneling=draw(entries),
        url_filtering=tuple(filtering),
        https_decryption=tuple(decryption))


def attrs_evolve(p: UrlFilteringPolicy, **changes: object) -> UrlFilteringPolicy:
    import attrs
    return attrs.evolve(p, **changes)  # type: ignore[arg-type]


def _requests() -> list[WebRequest]:
    out = []
    for scheme, host, path, client, user, groups, cats, when in itertools.product(
            SCHEMES, HOSTS, PATHS, CLIENTS, WHO, GROUPS, CATEGORIES, WHEN):
        out.append(WebRequest(f"{scheme}://{host}{path}", client=client,
                              user=user[0] if user else None, groups=groups,
                              categories=cats, when=when))
    return out


REQUESTS = _requests()
NAMES = [*PASSES, "default pipeline"]


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(web=universes())
def test_every_request_of_the_universe_decides_alike(name: str, web: WebPolicy) -> None:
    ctx = PassContext()
    out = (run_pipeline(web, DEFAULT_PIPELINE, ctx) if name == "default pipeline"
           else PASSES[name](web, ctx))
    assert web_size(out) <= web_size(web)
    for r in REQUESTS:
        before, after = iwsva.decide(web, r), iwsva.decide(out, r)
        assert (after.action, after.decrypted) == (before.action, before.decrypted), r
    # every change is reported, with a position-free but named kept object where merged
    assert all(c.action in ("removed", "merged") and c.reason for c in ctx.changes)
