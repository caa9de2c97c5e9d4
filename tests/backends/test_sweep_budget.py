"""What the whole-policy sweep decides, and what report.json says it rests on (issue 9
step 3, issue 10 step 2; docs/semantics.md decision 155 and §7.10): a pool that holds a
probe of every web list entry and grows linearly with the policy, a mail pool within its
cap, and counts in the report that are those of the pool the sweep decided."""

from __future__ import annotations

import importlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings

import isc
from isc.backends.ems import probes as mail_probes
from isc.backends.ztsa_ia.probes import (
    _PER_LIST,
    POOL_BASE,
    account_identities,
    first_url,
    policy_pool,
)
from isc.ir.mail import MailPolicy
from isc.ir.requests import WebRequest
from isc.ir.web import UrlList, UrlPattern, WebPolicy
from isc.models import iwsva
from strategies import web_policies
from strategies_mail import mail_policies

#: the modules (each package exports a function of the same name)
web_lowering = importlib.import_module("isc.backends.ztsa_ia.lower")
mail_lowering = importlib.import_module("isc.backends.ems.lower")

ROOT = Path(__file__).resolve().parents[2]
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _entries(web: WebPolicy) -> list[tuple[str, UrlPattern]]:
    """Every global-list entry and exception and tunneling entry, by report kind."""
    out = [("https-tunneling", p) for p in web.tunneling]
    for kind, lst in (("global-trusted-urls", web.global_trusted),
                      ("global-url-blocking", web.global_blocking)):
        if lst is not None:
            out += [(f"{kind}.entry", p) for p in lst.entries]
            out += [(f"{kind}.exception", p) for p in lst.exceptions]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=_SLOW)
@given(web_policies())
def test_web_pool_probes_every_entry_and_grows_linearly(web: WebPolicy) -> None:
    pool = policy_pool(web)
    urls = {r.url for r in pool}
    entries = _entries(web)
    # every entry, exception and tunneling entry: a URL it matches, as it is (no identity,
    # no category), so the sweep exercises each of them
    assert {WebRequest(first_url(p)) for _, p in entries} <= set(pool)
    # each custom category and approved list: some of its entries
    lists = [c.entries for c in web.custom_categories] + [a.entries for a in web.approved_lists]
    for listed in lists:
        if listed:
            assert urls & {first_url(p) for p in listed}
    # the budget: the covering sample, one per entry, a few per list, and per URL filtering
    # policy its identities with one category of each action at three schedule instants
    per_policy = sum(len(account_identities(uf.accounts))
                     * max(1, len({c.action for c in uf.categories})) * 3
                     for uf in web.url_filtering)
    assert len(pool) <= POOL_BASE + len(entries) + _PER_LIST * len(lists) + per_policy
    assert len(set(pool)) == len(pool)


def test_web_pool_probes_every_entry_beyond_the_covering_sample() -> None:
    # far more entries than the covering sample's 200 patterns: each entry is probed by
    # its own request, not by the luck of the sample
    def pats(prefix: str, n: int) -> tuple[UrlPattern, ...]:
        return tuple(UrlPattern(f"@{prefix}{i}.example.com*") for i in range(n))

    web = WebPolicy(global_blocking=UrlList(True, pats("b", 3000), pats("x", 1000)),
                    global_trusted=UrlList(True, pats("t", 1000)),
                    tunneling=pats("tun", 500))
    pool = policy_pool(web)
    assert {WebRequest(first_url(p)) for _, p in _entries(web)} <= set(pool)
    assert len(pool) <= POOL_BASE + len(_entries(web))


@settings(max_examples=30, deadline=None, suppress_health_check=_SLOW)
@given(web_policies())
def test_web_report_counts_the_pool_and_what_it_exercised(web: WebPolicy) -> None:
    _, report, _, _, coverage, _ = web_lowering.lower(web, lambda s: s,
                                                      web_lowering.Options())
    assert coverage["probes"] == len(policy_pool(web))
    probed = [e for e in report if e.source.kind in web_lowering._PROBED]
    assert coverage["objects"] == len(probed)
    # an entry that decides its own URL in the whole source policy was exercised, at least
    reported = {(e.source.kind, e.source.name) for e in probed}
    deciding = set()
    for kind, p in _entries(web):
        by = iwsva.decide(web, WebRequest(first_url(p))).decided_by
        if by is not None and (by.kind, by.name) == (kind, p.stored) \
                and (kind, p.stored) in reported:
            deciding.add((kind, p.stored))
    assert len(deciding) <= coverage["exercised"] <= coverage["objects"]


@settings(max_examples=25, deadline=None, suppress_health_check=_SLOW)
@given(mail_policies())
def test_mail_pool_stays_within_its_cap_and_the_report_counts_it(mail: MailPolicy) -> None:
    target, report, _, coverage, _ = mail_lowering.lower(mail, lambda s: s,
                                                         mail_lowering.Options())
    assert coverage["probes"] <= mail_probes.POOL_LIMIT
    probed = [e for e in report if e.source.kind in mail_lowering._PROBED]
    assert coverage["objects"] == len(probed)
    assert 0 <= coverage["exercised"] <= coverage["objects"]
    # at most the cap; all of them when the policy's messages are fewer
    everything = mail_probes.policy_pool(mail, target, limit=10 ** 9)
    assert coverage["probes"] == min(len(everything), mail_probes.POOL_LIMIT)


def test_small_limits_sample_the_same_pool() -> None:
    export = isc.optimize(isc.load(str(ROOT / "examples" / "iwsva-sakura" / "export.tar.gz")))
    web = export.web
    assert web is not None
    # a sample of the pool of the same seed (the seed also draws each list's entries)
    whole = policy_pool(web, seed=3)
    part = policy_pool(web, limit=200, seed=3)
    assert len(whole) > 200
    assert len(part) == 200 and set(part) <= set(whole)
    assert part == policy_pool(web, limit=200, seed=3)


def test_report_json_records_each_targets_sweep() -> None:
    for example, target in (("iwsva-sakura", "ztsa-ia"), ("imsva-kaede", "ems")):
        export = isc.optimize(isc.load(str(ROOT / "examples" / example / "export.tar.gz")))
        output = isc.compile(export, target)
        sweep = isc.api.report_json(output)["sweep"]
        assert sweep == [{"target": target, **dict(output.sweep)}]
        assert 0 < sweep[0]["exercised"] <= sweep[0]["objects"]
        assert sweep[0]["probes"] > 0
