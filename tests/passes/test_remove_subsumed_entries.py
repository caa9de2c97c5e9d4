"""The remove-subsumed-entries pass (issue 11): an entry of a URL list that another entry of
the same list covers goes, and no request is decided otherwise (action and HTTPS decryption);
the pass is idempotent, never grows a list, reports each removal with both entries, and its
indexed search finds exactly the pairs an all-pairs search finds.
"""

from __future__ import annotations

import importlib
import random
import re
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import isc
from isc import workers
from isc.ir.requests import Url, WebRequest
from isc.ir.web import (
    ApprovedList,
    CategoryAction,
    CategoryRef,
    CustomCategory,
    HttpsDecryptionPolicy,
    UrlFilteringPolicy,
    UrlList,
    UrlMatchType,
    UrlPattern,
    WebAction,
    WebPolicy,
)
from isc.models import iwsva
from isc.models.urlinclusion import entry_subsumes, keepers, subsumers, subsumption_edges
from isc.passes import PassContext
from isc.passes.remove_subsumed_entries import remove_subsumed_entries
from pass_checks import reachable
from strategies import url_patterns, web_policies, web_requests

KINDS = {"custom-category.entry", "approved-list.entry", "global-url-blocking.entry",
         "global-url-blocking.exception", "global-trusted-urls.entry",
         "global-trusted-urls.exception", "https-tunneling.entry"}


def _lists(web: WebPolicy) -> list[tuple[UrlPattern, ...]]:
    return web.url_lists()


# ---------------------------------------------------------------- entries that cover others

_LABELS = st.sampled_from(["www", "cdn", "a", "x1", "shop", "SHOP"])
_PATH_BITS = st.sampled_from(["a", "x/y", "index.html", "?q=1", ""])


@st.composite
def _covered_by(draw: st.DrawFn, p: UrlPattern) -> UrlPattern:
    """An entry that ``p`` covers, or nearly does (so that wrong removals are possible)."""
    s = p.stored
    kind = p.kind
    how = draw(st.integers(0, 5))
    if kind is UrlMatchType.WEB_SITE:
        body = s[1:]
        if how == 0:
            return UrlPattern(f"@{draw(_LABELS)}.{body.lstrip('*.')}")
        if how == 1:
            return UrlPattern(f"http{draw(st.sampled_from(['', 's']))}://"
                              f"{body.rstrip('*')}/{draw(_PATH_BITS)}")
        if how == 2:
            return UrlPattern(f"*{draw(_LABELS)}{body.rstrip('*')}/*")
        if how == 3:
            return UrlPattern(body.rstrip("*") + "/" + draw(_PATH_BITS))
    if kind is UrlMatchType.KEYWORD:
        core = s[1:-1]
        if how <= 2:
            return UrlPattern(f"*{draw(_LABELS)}{core}{draw(_PATH_BITS)}*")
        if how == 3:
            return UrlPattern(f"@{core}.example*")
    if kind is UrlMatchType.STRING and how <= 2:
        if "://" not in s:
            return UrlPattern(f"{draw(st.sampled_from(['http', 'https']))}://{s}")
        return UrlPattern(s.rstrip("*") + draw(_PATH_BITS))
    if how == 4:
        return UrlPattern(s.upper() if kind is not UrlMatchType.WEB_SITE else s)
    return draw(url_patterns)


@st.composite
def _edge_cases(draw: st.DrawFn, p: UrlPattern) -> list[UrlPattern]:
    """Entries around web-site entry ``p`` where a careless inclusion test removes one
    wrongly: a keyword ending in '/' beside a web-site entry ending in '/' (undecrypted, the
    keyword sees no final '/'), a keyword without '/' under a web-site entry (a scheme may
    hold the keyword), an ``s`` that RE2 also matches as ``ſ`` but the pre-filter does not."""
    body = p.stored[1:].rstrip("*").lstrip("*.") or "x.example"
    return draw(st.sampled_from([
        [UrlPattern(f"*{body}/*"), UrlPattern(f"@{body}/")],
        [UrlPattern(f"*www.{body}*")],
        [UrlPattern(f"{body}/*/ss"), UrlPattern("*ss*")],
    ]))


@st.composite
def _with_covered(draw: st.DrawFn, entries: tuple[UrlPattern, ...]) -> tuple[UrlPattern, ...]:
    out = list(entries)
    for p in entries:
        extra = [draw(_covered_by(p)) for _ in range(draw(st.integers(0, 2)))]
        if p.kind is UrlMatchType.WEB_SITE and draw(st.booleans()):
            extra += draw(_edge_cases(p))
        for q in extra:
            out.insert(draw(st.integers(0, len(out))), q)
    if out and draw(st.integers(0, 3)) == 0:  # something that covers a lot
        out.insert(draw(st.integers(0, len(out))),
                   UrlPattern(draw(st.sampled_from(["**", "@*", "*/*", "@*.example*", "*a*"]))))
    return tuple(out)


@st.composite
def url_lists(draw: st.DrawFn, max_size: int = 6) -> tuple[UrlPattern, ...]:
    return draw(_with_covered(tuple(draw(st.lists(url_patterns, max_size=max_size)))))


@st.composite
def policies(draw: st.DrawFn) -> WebPolicy:
    """A generated policy whose lists hold entries that others of the list cover."""
    web = draw(web_policies())

    def lst(x: UrlList | None) -> UrlList | None:
        if x is None:
            return None
        return attrs.evolve(x, entries=draw(_with_covered(x.entries)),
                            exceptions=draw(_with_covered(x.exceptions)))

    return attrs.evolve(
        web,
        custom_categories=tuple(attrs.evolve(c, entries=draw(_with_covered(c.entries)))
                                for c in web.custom_categories),
        approved_lists=tuple(attrs.evolve(a, entries=draw(_with_covered(a.entries)))
                             for a in web.approved_lists),
        global_blocking=lst(web.global_blocking),
        global_trusted=lst(web.global_trusted),
        tunneling=draw(_with_covered(web.tunneling)),
    )


# ---------------------------------------------------------------- requests at the edges

#: What a wildcard becomes in an odd URL: characters RE2 folds oddly (``ſ`` is an ``s``),
#: separators, a scheme's ``://``.
_ODD_FILLS = st.sampled_from(["", "a", "/", ".", ":", "ſ", "İ", "K", "x/y", "://", "?q", "日"])
_ODD_SCHEMES = st.sampled_from(["http", "https", "ftp"])


@st.composite
def _odd_url(draw: st.DrawFn, p: UrlPattern) -> str:
    """A URL around entry ``p``: its glob with the wildcards filled oddly, as a host, a path,
    a bare root, or even a scheme (``www.a.example://h/`` is a URL whose scheme holds a
    keyword)."""
    glob = "*" + p.stored[1:] if p.kind is UrlMatchType.WEB_SITE else p.stored
    text = []
    for tok in re.split(r"(%2a|%3f|\*|\?)", glob, flags=re.IGNORECASE):
        low = tok.lower()
        if low in ("*", "?"):
            text.append(draw(_ODD_FILLS) if low == "*" else draw(_ODD_FILLS.filter(bool)))
        elif low in ("%2a", "%3f"):
            text.append("*" if low == "%2a" else "?")
        else:
            text.append(draw(st.sampled_from([tok, tok.upper(), tok.replace("s", "ſ")])))
    t = "".join(text).strip("*") or "a"
    scheme = draw(_ODD_SCHEMES)
    return draw(st.sampled_from([t if "://" in t else f"{scheme}://{t}", f"{scheme}://{t}/",
                                 f"{scheme}://h/{t}", f"{t.split('/')[0]}://h/"]))


@st.composite
def requests(draw: st.DrawFn, web: WebPolicy) -> WebRequest:
    """A request aimed at ``web`` (``web_requests``), half of them at an odd URL around one
    of its entries."""
    request = draw(web_requests(web))
    entries = [p for lst in _lists(web) for p in lst]
    if entries and draw(st.booleans()):
        url = draw(_odd_url(draw(st.sampled_from(entries))))
        try:
            Url.parse(url)
        except ValueError:
            return request
        return attrs.evolve(request, url=url)
    return request


# ---------------------------------------------------------------- properties


@given(data=st.data())
def test_decisions_are_preserved(data: st.DataObject) -> None:
    web = data.draw(policies(), label="web")
    out = remove_subsumed_entries(web, PassContext())
    for request in data.draw(st.lists(requests(web), min_size=1, max_size=8),
                             label="requests"):
        before, after = iwsva.decide(web, request), iwsva.decide(out, request)
        assert (after.action, after.decrypted) == (before.action, before.decrypted)


_ALL = CategoryRef(id=iwsva.UNTESTED)


def _one_list(where: int, entries: tuple[UrlPattern, ...]) -> WebPolicy:
    """A policy whose decision is whether some entry of ``entries`` matches, through one of
    the list kinds."""
    block = UrlFilteringPolicy("Block", 1, categories=(
        CategoryAction(CategoryRef(custom="C"), WebAction.BLOCK),))
    if where == 0:
        return WebPolicy(custom_categories=(CustomCategory("C", entries),),
                         url_filtering=(block,))
    if where == 1:
        return WebPolicy(approved_lists=(ApprovedList("OK", entries),), url_filtering=(
            UrlFilteringPolicy("Block", 1, exceptions=("OK",),
                               categories=(CategoryAction(_ALL, WebAction.BLOCK),)),))
    if where == 2:
        return WebPolicy(global_blocking=UrlList(True, entries, ()))
    if where == 3:
        return WebPolicy(global_blocking=UrlList(True, (UrlPattern("**"),), entries))
    if where == 4:
        return WebPolicy(global_trusted=UrlList(True, entries, ()),
                         global_blocking=UrlList(True, (UrlPattern("**"),), ()))
    if where == 5:
        return WebPolicy(global_trusted=UrlList(True, (UrlPattern("**"),), entries),
                         global_blocking=UrlList(True, (UrlPattern("**"),), ()))
    return WebPolicy(tunneling=entries, https_decryption=(
        HttpsDecryptionPolicy("All", 1, decrypt_all=True),), url_filtering=(
        UrlFilteringPolicy("Block", 1, categories=(CategoryAction(_ALL, WebAction.BLOCK),)),))


@given(data=st.data())
def test_decisions_on_each_list_kind(data: st.DataObject) -> None:
    """One list decides the request, which is aimed at its entries' edges: a wrong removal
    shows."""
    entries = data.draw(url_lists(), label="entries")
    web = _one_list(data.draw(st.integers(0, 6), label="list"), entries)
    out = remove_subsumed_entries(web, PassContext())
    if not entries:
        return
    for _ in range(8):
        url = data.draw(_odd_url(data.draw(st.sampled_from(entries))), label="url")
        try:
            Url.parse(url)
        except ValueError:
            continue
        request = WebRequest(url, decrypted=data.draw(st.sampled_from([None, True, False])))
        before, after = iwsva.decide(web, request), iwsva.decide(out, request)
        assert (after.action, after.decrypted) == (before.action, before.decrypted), url


#: (b, a, url, decrypted): a careless test removes ``a`` beside ``b``; ``url`` shows that
#: ``a`` matches where ``b`` does not.
EDGES = [
    ("*a.example/*", "@a.example/", "https://a.example/", None),  # undecrypted: no final '/'
    ("@a.example*", "*www.a.example*", "www.a.example://h/", None),  # a scheme holds it
    ("*ss*", "a.example/*/ss", "http://a.example/x/ſs", None),  # 'ſ' is 's' but not to `in`
    ("@a?c*", "@ac*", "http://ac/", None),
    ("@a%2ac*", "@a*c*", "http://abc/", None),
    ("https://a.example/*", "@a.example*", "http://a.example/", None),
    ("a.example", "@a.example*", "https://a.example/x", True),
]


@pytest.mark.parametrize("where", range(7))
@pytest.mark.parametrize(("b", "a", "url", "decrypted"), EDGES)
def test_edge_cases_keep_their_decisions(where: int, b: str, a: str, url: str,
                                         decrypted: bool | None) -> None:
    web = _one_list(where, (UrlPattern(b), UrlPattern(a)))
    out = remove_subsumed_entries(web, PassContext())
    assert UrlPattern(a) in [p for lst in _lists(out) for p in lst]
    if where == 6 and not (url.startswith("https:") and decrypted is None):
        return  # the tunneling list is asked only about HTTPS requests it may decrypt
    request = WebRequest(url, decrypted=decrypted)
    before, after = iwsva.decide(web, request), iwsva.decide(out, request)
    assert (after.action, after.decrypted) == (before.action, before.decrypted)
    # the URL tells them apart: without a, the decision would differ
    without_a = iwsva.decide(_one_list(where, (UrlPattern(b),)), request)
    assert (without_a.action, without_a.decrypted) != (before.action, before.decrypted)


@given(web=policies())
def test_idempotent_and_never_larger(web: WebPolicy) -> None:
    ctx = PassContext()
    once = remove_subsumed_entries(web, ctx)
    again = PassContext()
    assert remove_subsumed_entries(once, again) == once
    assert not again.changes
    before, after = _lists(web), _lists(once)
    assert all(len(b) >= len(a) for b, a in zip(before, after, strict=True))
    assert sum(map(len, before)) - sum(map(len, after)) == len(ctx.changes)
    # what stays, in its order, is what subsumers keeps; each dropped entry is covered by
    # a kept one through a chain of proved inclusions
    for b, a in zip(before, after, strict=True):
        kept = subsumers(b)
        assert list(a) == [p for p, k in zip(b, kept, strict=True) if k is None]
        edges = subsumption_edges(b)
        for j, k in enumerate(kept):
            assert k is None or (kept[k] is None and k in reachable(edges, j))
    stays = {p.stored for lst in after for p in lst}
    for c in ctx.changes:
        assert c.action == "removed" and c.kind in KINDS and c.kept_kind == c.kind
        assert c.kept_name in stays


def test_every_list_kind_is_pruned() -> None:
    # a policy with a covered entry in every list: the pass does its work everywhere
    cover = (UrlPattern("@a.example*"), UrlPattern("@www.a.example*"))
    web = WebPolicy(custom_categories=(CustomCategory("C", cover),),
                    approved_lists=(ApprovedList("L", cover),),
                    global_blocking=UrlList(True, cover, cover),
                    global_trusted=UrlList(True, cover, cover), tunneling=cover)
    ctx = PassContext()
    out = remove_subsumed_entries(web, ctx)
    assert all(lst == cover[:1] for lst in _lists(out))
    assert sorted(c.kind for c in ctx.changes) == sorted(KINDS)


# ---------------------------------------------------------------- the index finds all pairs


def _brute_edges(entries: tuple[UrlPattern, ...]) -> list[list[int]]:
    n = len(entries)
    return [[i for i in range(n) if i != j and entry_subsumes(entries[i], entries[j])]
            for j in range(n)]


@given(entries=url_lists(max_size=14))
def test_indexed_search_finds_every_pair(entries: tuple[UrlPattern, ...]) -> None:
    edges = subsumption_edges(entries)
    assert edges == _brute_edges(entries)
    folded = subsumers(entries)
    for j, k in enumerate(folded):
        assert k is None or (folded[k] is None and k in reachable(edges, j))
    # without repeats the folding changes nothing
    if len({p.stored for p in entries}) == len(entries):
        assert folded == keepers(edges)


def _estate(n: int, seed: int) -> tuple[UrlPattern, ...]:
    rng = random.Random(seed)
    words = ["shop", "mail", "cdn", "api", "news", "bank", "video", "portal"]

    def host() -> str:
        return f"{rng.choice(words)}{rng.randrange(40)}.{rng.choice(['example', 'test'])}.jp"

    forms = [lambda h: f"@{h}*", lambda h: f"@www.{h}*", lambda h: f"*{h.split('.')[0]}*",
             lambda h: f"{h}/{rng.choice(words)}/*", lambda h: f"http://{h}/{rng.choice(words)}",
             lambda h: f"@{h.replace('.', '?', 1)}*", lambda h: f"*{rng.choice(words)}*",
             lambda h: f"*www.{h}/*", lambda h: f"@{h}/%2a*"]
    return tuple(UrlPattern(rng.choice(forms)(host())) for _ in range(n))


def test_indexed_search_on_a_larger_list() -> None:
    """Past the index's small-list mode (16 entries) the candidates come from grams."""
    entries = _estate(400, 7)
    edges = subsumption_edges(entries)
    assert edges == _brute_edges(entries)
    assert sum(map(len, edges)) > 100  # the list has work for the pass


# ---------------------------------------------------------------- reports

TEXT = """\
[product]

[custom-category "取引先"]
@www.partner.example.co.jp*
*partner*
@partner.example.co.jp*

[https-tunneling]
bank.example.co.jp
@bank.example.co.jp*
"""


def test_changes_name_both_entries_with_their_spans() -> None:
    web = isc.loads(TEXT, filename="policy.ini").web
    assert web is not None
    ctx = PassContext()
    out = remove_subsumed_entries(web, ctx)
    assert [p.stored for p in out.custom_categories[0].entries] == ["*partner*"]
    assert [p.stored for p in out.tunneling] == ["@bank.example.co.jp*"]
    got = [(c.kind, c.name, c.span and c.span.line, c.kept_name, c.kept_span and c.kept_span.line)
           for c in ctx.changes]
    assert got == [
        ("custom-category.entry", "@www.partner.example.co.jp*", 4, "*partner*", 5),
        ("custom-category.entry", "@partner.example.co.jp*", 6, "*partner*", 5),
        ("https-tunneling.entry", "bank.example.co.jp", 9, "@bank.example.co.jp*", 10),
    ]
    assert ctx.changes[0].reason == (
        "custom-category \"取引先\" entry '@www.partner.example.co.jp*' is matched only where "
        "'*partner*' (line 5) matches; removed")
    assert [d.code for d in ctx.diagnostics] == ["ISC2015"] * 3
    assert all(d.notes for d in ctx.diagnostics)  # each names the entry that stays


def test_two_cores_give_what_one_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    """An estate's lists are worked out on both cores (``isc.workers``): the policy, the
    changes and their order are those of one process."""
    import generate

    from isc import api
    module = importlib.import_module("isc.passes.remove_subsumed_entries")

    generate.main([str(tmp_path), "--policies", "8", "--entries", "4000", "--seed", "3"])
    export = isc.load(str(tmp_path))
    monkeypatch.setenv("ISC_JOBS", "1")
    one = api.optimize(export, ["remove-subsumed-entries"])
    monkeypatch.setenv("ISC_JOBS", "2")
    monkeypatch.setattr(module, "_MIN_SPLIT", 10)
    monkeypatch.setattr(workers, "_can_fork", lambda: True)
    two = api.optimize(export, ["remove-subsumed-entries"])
    assert one.changes and two.web == one.web and two.changes == one.changes
    assert [(c.kind, c.name, c.reason) for c in two.changes] == [
        (c.kind, c.name, c.reason) for c in one.changes]
