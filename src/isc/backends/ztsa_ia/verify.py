"""``isc verify`` for ZTSA Internet Access (see :mod:`isc.backends.verification`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from isc.backends.verification import Edits, Finding, check, swept_findings
from isc.ir.common import Difference, Meta
from isc.ir.export import Output, ReportEntry
from isc.ir.requests import Decision, WebRequest
from isc.ir.web import WebPolicy
from isc.ir.ztsa import MatchMode, ZtsaPolicy
from isc.models import iwsva, ztsa

from .fidelity import differences


def _document(output: Output) -> ZtsaPolicy:
    doc = output.document
    if not isinstance(doc, ZtsaPolicy):
        raise TypeError("a ztsa-ia output is needed")
    return doc


def target_directions(doc: ZtsaPolicy) -> dict[tuple[str, str], frozenset[Difference]]:
    """The directions each deciding object declares, by the kind and name the ZTSA model
    gives in ``decided_by``."""
    named: list[tuple[str, str, Meta]] = [
        ("url-allow-list", e.value, e.meta) for e in doc.url_allow_list]
    named += [("url-deny-list", e.value, e.meta) for e in doc.url_deny_list]
    named += [("internet-access-rule", r.name, r.meta) for r in doc.internet_access_rules]
    named += [("inspection-exception", e.domain, e.meta) for e in doc.inspection_exceptions]
    named += [("https-inspection-rule", r.name, r.meta) for r in doc.https_inspection_rules]
    out: dict[tuple[str, str], frozenset[Difference]] = {}
    for kind, name, meta in named:
        out[(kind, name)] = out.get((kind, name), frozenset()) | meta.directions
    return out


def source_directions(report: Iterable[ReportEntry]
                      ) -> dict[tuple[str, str], frozenset[Difference]]:
    out: dict[tuple[str, str], frozenset[Difference]] = {}
    for e in report:
        key = (e.source.kind, e.source.name)
        out[key] = out.get(key, frozenset()) | e.directions
    return out


def _identities(output: Output) -> Mapping[str, str]:
    return {dn: name for dn, name, _ in output.identities}


def _declared(compiled: Output) -> Callable[[WebRequest, Decision, Decision],
                                            frozenset[Difference]]:
    """What the compiled output declares of a probe, from the objects that decided it."""
    by_target = target_directions(_document(compiled))
    by_source = source_directions(compiled.report)

    def declared(_: WebRequest, s: Decision, o: Decision) -> frozenset[Difference]:
        out: frozenset[Difference] = frozenset()
        if o.decided_by is not None:
            out |= by_target.get((o.decided_by.kind, o.decided_by.name), frozenset())
        if s.decided_by is not None:
            out |= by_source.get((s.decided_by.kind, s.decided_by.name), frozenset())
        return out

    return declared


def verify(web: WebPolicy, given: Output, compiled: Output, edits: Edits,
           requests: Iterable[WebRequest]) -> list[Finding[WebRequest]]:
    """Every request the source and the given output decide differently, with what the
    compiled output declares of it."""
    given_doc, compiled_doc = _document(given), _document(compiled)
    given_ids, compiled_ids = _identities(given), _identities(compiled)
    return check(requests, lambda r: iwsva.decide(web, r),
                 lambda r: ztsa.decide(given_doc, r, given_ids),
                 lambda r: ztsa.decide(compiled_doc, r, compiled_ids),
                 differences, _declared(compiled), edits)


def verify_swept(web: WebPolicy, given: Output, compiled: Output, edits: Edits,
                 requests: Iterable[WebRequest]) -> tuple[int, list[Finding[WebRequest]]] | None:
    """:func:`verify` of compile's own probe pool followed by ``requests``, without deciding
    the pool again, where that is exact: the caller has found the given document equal to
    the compiled one (so it decides every request as the compiled one did), and the compile
    kept what its sweep decided. The pool's findings are then the probes the sweep found
    differing. None where it is not exact (the caller decides everything). Returns how
    many probes the findings rest on, and the findings in probe order."""
    swept = compiled.swept
    if swept is None or edits or given.identities != compiled.identities:
        return None
    found = swept_findings(swept, _declared(compiled), differences)
    extra = list(requests)
    return swept.probes + len(extra), found + verify(web, given, compiled, edits, extra)


def edit_probes(given: Output, compiled: Output, edits: Edits) -> list[WebRequest]:
    """Requests around the values of edited objects (both versions): a hand-added entry is
    tried even when no source object is near it."""
    edited = {k.split(" #", 1)[0] for k in edits.keys}
    out: list[WebRequest] = []
    for doc in (_document(given), _document(compiled)):
        for e in doc.url_allow_list:
            if f"url-allow-list:{e.value}" in edited:
                out += [WebRequest(u) for u in target_urls(e.mode, e.value)]
        for e in doc.url_deny_list:
            if f"url-deny-list:{e.value}" in edited:
                out += [WebRequest(u) for u in target_urls(e.mode, e.value)]
        for c in doc.custom_url_categories:
            if f"custom-url-category:{c.name}" in edited:
                out += [WebRequest(u) for v in c.entries for u in target_urls(c.mode, v)]
        for x in doc.inspection_exceptions:
            if f"inspection-exception:{x.domain}" in edited:
                out += [WebRequest(u) for u in target_urls(MatchMode.DOMAIN, x.domain)
                        if u.startswith("https://")]
        for g in doc.ip_address_groups:
            if f"ip-address-group:{g.name}" in edited:
                for a in g.addresses:
                    first = a.split("-", 1)[0].split("/", 1)[0].strip()
                    out.append(WebRequest("http://www.example.com/", client=first))
    return list(dict.fromkeys(out))


def target_urls(mode: MatchMode, value: str) -> list[str]:
    """URLs on both sides of a ZTSA entry's boundary."""
    if mode is MatchMode.KEYWORD:
        return [f"http://www.{value}.example/", f"http://example.org/a/{value}/b.html"]
    if mode is MatchMode.DOMAIN:
        host = value.lstrip("*.")
        return [f"{scheme}://{prefix}{host}/" for scheme in ("http", "https")
                for prefix in ("", "www.", "test")]
    out = []
    for fill in ("", "x"):
        text = value.replace("*", fill).replace("?", "a")
        url = text if "://" in text else f"http://{text.lstrip('/')}"
        out += [url, url.replace("http://", "https://", 1)]
    return out
