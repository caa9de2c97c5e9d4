"""Entries of one shape share their computed directions (issue 9): the tags and directions
of a compile that reuses them equal those of a compile that compares every entry."""

from __future__ import annotations

import importlib
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isc.backends.comparison import collect
from isc.backends.ztsa_ia.fidelity import differences, entry_shape
from isc.ir.web import CustomCategory, UrlList, UrlPattern, WebPolicy
from strategies import web_policies

#: the module (the package exports a function of the same name)
lowering = importlib.import_module("isc.backends.ztsa_ia.lower")

_ENTRIES = st.lists(st.sampled_from([
    "@www.example.com*", "@shop.example.co.jp*", "@host:8443*", "@other:80*", "@a.b/c",
    "@x.y/path/", "*keyword*", "*other*", "*k?y*", "*a%2ab*", "*b%2Ac*", "a%3fb", "c%3Fd",
    "http://www.example.com/x", "https://a.b/", "example.org/a", "@例え.jp*", "@東京.jp*",
    "@*.example.net*", "@*.other.org*", "@10.0.0.1*", "@192.168.1.10*"]),
    min_size=1, max_size=10, unique=True)


def _tags(web: WebPolicy, reuse: bool) -> list[tuple[str, str, str, frozenset[object]]]:
    with mock.patch.object(lowering, "REUSE_SHAPES", reuse):
        _, report, _, _, _, _ = lowering.lower(web, lambda s: s, lowering.Options())
    return [(e.source.kind, e.source.name, e.fidelity.value, frozenset(e.directions))
            for e in report]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ENTRIES, _ENTRIES, _ENTRIES)
def test_shape_reuse_gives_the_tags_of_comparing_every_entry(
        custom: list[str], blocking: list[str], exceptions: list[str]) -> None:
    web = WebPolicy(
        custom_categories=(CustomCategory("c", tuple(UrlPattern(s) for s in custom)),),
        global_blocking=UrlList(True, tuple(UrlPattern(s) for s in blocking),
                                tuple(UrlPattern(s) for s in exceptions)),
        global_trusted=UrlList(True, tuple(UrlPattern(s) for s in custom)),
        tunneling=tuple(UrlPattern(s) for s in exceptions))
    assert _tags(web, True) == _tags(web, False)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(web_policies())
def test_shape_reuse_on_generated_policies(web: WebPolicy) -> None:
    assert _tags(web, True) == _tags(web, False)


def test_a_shape_keeps_what_the_translation_depends_on() -> None:
    assert entry_shape("@www.example.com*") == entry_shape("@shop.example.org*")
    assert entry_shape("@host:8443*") != entry_shape("@host.a*")
    assert entry_shape("*a%2ab*") != entry_shape("*a2ab*")
    assert entry_shape("*a%2Ab*") == entry_shape("*x%2ay*")
    assert entry_shape("@例え.jp*") != entry_shape("@ab.jp*")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ENTRIES, _ENTRIES, st.booleans())
def test_exceptions_decided_together_decide_as_each_alone(
        entries: list[str], exceptions: list[str], trusted: bool) -> None:
    """Decision 154: an exception's probes in the shared context of the whole list decide
    as in the context of the list and that exception alone."""
    from isc.models import iwsva, ztsa

    web = WebPolicy()
    low = lowering.Lowering(web, lambda s: s, lowering.Options())
    src_entries = tuple(UrlPattern(s) for s in entries)
    excs = tuple(UrlPattern(s) for s in exceptions)
    translated = tuple(lowering.ListEntry(*lowering.translate_pattern(p)[:2])
                       for p in src_entries)
    near = lowering._Near(src_entries, translated)
    shared = low._list_context(trusted, src_entries, excs, translated)
    for p in excs:
        reqs = low._url_probes([p], decrypted=True)
        alone = low._list_context(trusted, src_entries, (p,), translated)
        got = list(low._exception_decisions(p, reqs, shared, near, trusted))
        for req, s, t in got:
            assert (s, t) == (iwsva.decide(alone[0], req), ztsa.decide(alone[1], req)), req
        # the probes left out show no difference: the same comparison as deciding them all
        every = [(r, iwsva.decide(alone[0], r), ztsa.decide(alone[1], r)) for r in reqs]
        assert collect(got, differences) == collect(every, differences)
