"""Every optimisation pass, and the default pipeline, is idempotent and never changes a
decision of the IWSVA model; and each one does change something when it can."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import isc
from isc.ir.requests import WebRequest
from isc.ir.web import WebPolicy
from isc.models import iwsva
from isc.passes import DEFAULT_PIPELINE, PASSES, PassContext, run_pipeline
from pass_checks import web_size
from strategies import web_policies, web_requests

PIPELINE = "default pipeline"
NAMES = [*PASSES, PIPELINE]


def _run(name: str, web: WebPolicy, ctx: PassContext | None = None) -> WebPolicy:
    ctx = ctx or PassContext()
    if name == PIPELINE:
        return run_pipeline(web, DEFAULT_PIPELINE, ctx)
    return PASSES[name](web, ctx)


def _web(text: str) -> WebPolicy:
    web = isc.loads(text, filename="policy.ini").web
    assert web is not None
    return web


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("name", NAMES)
@given(web=web_policies())
def test_idempotent_and_never_larger(name: str, web: WebPolicy) -> None:
    once = _run(name, web)
    assert _run(name, once) == once
    assert web_size(once) <= web_size(web)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_decisions_are_preserved(name: str, data: st.DataObject) -> None:
    web = data.draw(web_policies(), label="web")
    out = _run(name, web)
    for request in data.draw(st.lists(web_requests(web), min_size=1, max_size=8),
                             label="requests"):
        assert iwsva.decide(out, request).action == iwsva.decide(web, request).action


# ---------------------------------------------------------------- each pass does something

DUPLICATES = """\
[product]
name = IWSVA

[custom-category "取引先"]
@partner.example.co.jp*
*partner*
@partner.example.co.jp*

[approved-list "Banking"]
@bank.example.co.jp*
@bank.example.co.jp*

[global-url-blocking.block]
@bad.example*
@bad.example*

[https-tunneling]
@bank.example.co.jp*
@bank.example.co.jp*
"""


def test_remove_duplicate_entries_drops_repeats() -> None:
    web = _web(DUPLICATES)
    ctx = PassContext()
    out = PASSES["remove-duplicate-entries"](web, ctx)
    assert [p.stored for p in out.custom_categories[0].entries] == [
        "@partner.example.co.jp*", "*partner*"]
    assert [p.stored for p in out.approved_lists[0].entries] == ["@bank.example.co.jp*"]
    assert out.global_blocking is not None
    assert [p.stored for p in out.global_blocking.entries] == ["@bad.example*"]
    assert [p.stored for p in out.tunneling] == ["@bank.example.co.jp*"]
    assert len(ctx.diagnostics) == 4
    request = WebRequest("http://www.bad.example/")
    assert iwsva.decide(out, request).action == iwsva.decide(web, request).action == "block"


TWINS = """\
[product]

[schedule "Work hours"]
days = mon-fri
hours = 09:00-18:00

[url-filtering-policy "Engineering"]
priority = 1
account = ip-subset 192.168.1.0/24
account = ldap-group "CN=Engineering,OU=Groups,DC=corp,DC=example"
schedule = Work hours
category "Gambling" = block
category "Games" = match-next

[url-filtering-policy "Engineering (copy)"]
priority = 2
account = ldap-group "CN=Engineering,OU=Groups,DC=corp,DC=example"
account = ip-subset 192.168.1.0/255.255.255.0
schedule = Work hours
category "Games" = match-next
category 11 = block

[url-filtering-policy "Global Policy"]
global = yes
category "Games" = warn
"""


def test_merge_url_filter_rules_merges_an_identical_twin() -> None:
    web = _web(TWINS)
    out = PASSES["merge-url-filter-rules"](web, PassContext())
    assert [p.name for p in web.url_filtering] == [
        "Engineering", "Engineering (copy)", "Global Policy"]
    assert [p.name for p in out.url_filtering] == ["Engineering", "Global Policy"]
    for request in (WebRequest("http://games.example/", client="192.168.1.5",
                               categories=("Games",)),
                    WebRequest("http://casino.example/", client="192.168.1.5",
                               categories=("Gambling",))):
        assert iwsva.decide(out, request).action == iwsva.decide(web, request).action


SHADOWED = """\
[product]

[url-filtering-policy "Everyone"]
priority = 1
category "Gambling" = block
category "Social Networking" = warn

[url-filtering-policy "Sales"]
priority = 2
account = ip-range 10.0.0.10-10.0.0.20
category "Gambling" = allow

[url-filtering-policy "Global Policy"]
global = yes
category "Gambling" = monitor
"""


def test_remove_shadowed_rules_drops_unreachable_policies() -> None:
    web = _web(SHADOWED)
    out = PASSES["remove-shadowed-rules"](web, PassContext())
    assert [p.name for p in out.url_filtering] == ["Everyone"]
    request = WebRequest("http://casino.example/", client="10.0.0.15", categories=("Gambling",))
    assert iwsva.decide(out, request).action == iwsva.decide(web, request).action == "block"


def test_default_pipeline_runs_every_pass() -> None:
    web = _web(DUPLICATES + TWINS.replace("[product]\n", "") + '\n[url-filtering-policy "Last"]\n'
               'priority = 3\ncategory "Games" = block\n')
    out = _run(PIPELINE, web)
    assert [p.name for p in out.url_filtering] == ["Engineering", "Last"]
    # the repeat goes, and '*partner*' covers '@partner.example.co.jp*'
    assert [p.stored for p in out.custom_categories[0].entries] == ["*partner*"]
