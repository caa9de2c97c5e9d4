"""Lowering the web IR to a ZTSA Internet Access policy, one source object at a time.

Each source object becomes zero or more target objects and a :class:`Pending` report entry:
what it produced and how to compare it. The fidelity stage
(:class:`~isc.backends.comparison.FidelityStage`) then computes every object's directions
after the whole lowering, by running the source and target models on probes around the
object (:mod:`.probes`, :mod:`.fidelity`), never asserted by hand; then the whole-policy
sweep and the witnesses follow.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import attrs

from isc import workers
from isc.backends.comparison import (
    POLICY,
    Comparison,
    Emitted,
    FidelityStage,
    Ledger,
    Pending,
    Shapes,
    Spot,
    Witness,
    by_rule,
    collect,
    each,
    mirror,
)
from isc.diagnostics import Diagnostic, Severity, Span
from isc.ir import categories
from isc.ir.common import Difference, Meta, Origin, sorted_directions
from isc.ir.export import INLINED, ReportEntry, Swept
from isc.ir.requests import Decision, WebRequest
from isc.ir.web import (
    Account,
    AccountKind,
    AppControlPolicy,
    ApprovedList,
    AtpPolicy,
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
from isc.ir.ztsa import (
    CertStatus,
    CloudAppControl,
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
    ThreatProtectionRule,
    TlsCertificate,
    WeeklySchedule,
    ZtsaPolicy,
)
from isc.models import iwsva, ztsa
from isc.models.urlmatch import iwsva_matches

from . import probes
from .fidelity import (
    compare,
    describe_request,
    differences,
    entry_shape,
    request_json,
    witness_json,
)

#: Source action → ZTSA action. The two without a counterpart go to the stricter neighbour
#: (the contract prefers narrowed over broadened).
ACTIONS = {
    WebAction.BLOCK: RuleAction.BLOCK,
    WebAction.BLOCK_OVERRIDE: RuleAction.BLOCK,
    WebAction.WARN: RuleAction.WARN,
    WebAction.TIME_LIMIT: RuleAction.BLOCK,
    WebAction.MONITOR: RuleAction.MONITOR,
    WebAction.ALLOW: RuleAction.ALLOW,
}
#: Whether entries of one shape share their computed directions (switched off by the test
#: that checks the sharing against computing every entry).
REUSE_SHAPES = True
_ORDER = [WebAction.BLOCK, WebAction.BLOCK_OVERRIDE, WebAction.WARN, WebAction.TIME_LIMIT,
          WebAction.MONITOR]


@attrs.frozen
class Options:
    identity_map: dict[str, str] = attrs.field(factory=dict, hash=False)
    #: Told each stage's name as it starts (a terminal's status line; nothing else).
    progress: Callable[[str], None] | None = attrs.field(default=None, eq=False)
    #: Show each report entry's witness in the whole policy, and make the fidelity
    #: diagnostics (:meth:`Ledger.finish`); without, the policy and every tag and direction
    #: are the same (what ``verify`` reads).
    witnesses: bool = True


_ESCAPE = re.compile(r"%2a|%3f", re.IGNORECASE)
_ESCAPED_STAR, _ESCAPED_Q = re.compile(r"%2a", re.IGNORECASE), re.compile(r"%3f", re.IGNORECASE)
_PORT = re.compile(r":\d+$")


def translate_pattern(p: UrlPattern) -> tuple[MatchMode, str, tuple[str, ...]]:
    """One IWSVA entry → one ZTSA entry, exact where ZTSA syntax allows (docs/targets/ztsa-ia.md).

    Web site ``@P`` is IWSVA's ``*P``, so a URL-match ``*P`` keeps it exact; ``*k*`` is a
    keyword; a String is a URL match. ``%2a``/``%3f`` and ``:port`` have no ZTSA syntax.
    """
    notes: list[str] = []
    stored = p.stored
    if "%" in stored and _ESCAPE.search(stored):
        notes.append("ZTSA has no escape for a literal '*' or '?'; it became a wildcard")
        stored = _ESCAPED_Q.sub("?", _ESCAPED_STAR.sub("*", stored))
    if p.kind is UrlMatchType.WEB_SITE:
        body = stored[1:]
        host, sep, rest = body.partition("/")
        if ":" in host and _PORT.search(host):
            notes.append(f"ZTSA has no port syntax; the port of {host!r} was dropped")
            host = _PORT.sub("", host) + ("*" if not sep and not host.endswith("*") else "")
        return MatchMode.URL, "*" + host + sep + rest, tuple(notes)
    if p.kind is UrlMatchType.KEYWORD:
        inner = stored[1:-1]
        if "*" not in inner and "?" not in inner:
            return MatchMode.KEYWORD, inner, tuple(notes)
        return MatchMode.URL, stored, tuple(notes)
    return MatchMode.URL, stored, tuple(notes)


class Lowering:
    def __init__(self, web: WebPolicy, rel: Callable[[str], str], options: Options) -> None:
        self.web = web
        self.rel = rel
        self.options = options
        self.ledger: Ledger[WebRequest] = Ledger(differences)
        self.report = self.ledger.report
        self.stage: FidelityStage[WebRequest] = FidelityStage(self.ledger)
        self.diagnostics: list[Diagnostic] = []
        self.identities: dict[str, tuple[str, bool]] = {}
        self.policy = ZtsaPolicy()
        self.parts = Emitted()  # the target objects, by field, as lowered
        self.coverage: dict[str, int] = {}
        self.swept: Swept | None = None
        self.identity_map: dict[str, str] = {}
        self.custom: dict[str, tuple[str, ...]] = {}  # source custom/approved name → ZTSA names
        self.extra_categories: list[CustomUrlCategory] = []
        #: Directions computed once per (role, entry shape), with the positions of the probes
        #: that showed them (issue 9: entries of one shape share their directions).
        self.shapes: Shapes[WebRequest] = Shapes()
        #: Each custom category's and approved list's blocking comparison, and the entry
        #: that stands for it where a rule names it (see ``_standins``).
        self.match_sets: dict[str, Comparison[WebRequest]] = {}
        self.representatives: dict[str, UrlPattern] = {}
        self.ztsa_categories: dict[str, CustomUrlCategory] = {}
        self.ip_groups: dict[str, IpAddressGroup] = {}

    # ------------------------------------------------------------------ helpers

    def origin(self, kind: str, name: str, span: Span | None) -> Origin:
        return Origin.at(kind, name, span, self.rel)

    def note(self, code: str, severity: Severity, message: str, span: Span | None,
             notes: Iterable[str] = ()) -> None:
        self.diagnostics.append(Diagnostic.at(code, severity, message, span, tuple(notes)))

    def record(self, origin: Origin, fate: str, cmp: Comparison[WebRequest],
               targets: Iterable[str], reasons: Iterable[str], span: Span | None, *,
               dropped: bool = False, no_action: bool = False) -> None:
        """One report entry per source object whose comparison is known by rule (see
        :class:`Ledger`); it is recorded in its turn by the fidelity stage."""
        fixed = tuple(reasons)
        self.stage.add(Pending(origin, fate, tuple(targets), span, lambda: cmp,
                               lambda _: fixed, dropped=dropped, where="local",
                               no_action=no_action))

    def defer(self, origin: Origin, fate: str, targets: Iterable[str], span: Span | None,
              compare: Callable[[], Comparison[WebRequest]],
              reasons: Callable[[Comparison[WebRequest]], Iterable[str]],
              placed: Iterable[tuple[str, int]] = (), *, dropped: bool = False,
              where: str = "", key: tuple[str, str] | None = None) -> None:
        """One report entry per source object, its comparison computed by the fidelity stage
        after the lowering; ``placed`` are the target objects (field, position) that take
        its directions and reasons. ``where`` and ``key``: see :class:`Pending`."""
        self.stage.add(Pending(origin, fate, tuple(targets), span, compare, reasons,
                               self.parts.placer(origin, placed), dropped=dropped,
                               where=where, key=key))

    def emit(self, field: str, objects: Iterable[Any]) -> list[Spot]:
        """Add target objects; their places, for :meth:`defer`."""
        return self.parts.add(field, objects)

    # ------------------------------------------------------------------ driver

    def step(self, stage: str) -> None:
        if self.options.progress is not None:
            self.options.progress(f"compiling ztsa-ia: {stage}")

    def run(self) -> ZtsaPolicy:
        web = self.web
        self.step("lowering")
        self.lower_categories(web.custom_categories, web.approved_lists)
        if web.global_trusted is not None:
            self.lower_global(web.global_trusted, trusted=True)
        if web.global_blocking is not None:
            self.lower_global(web.global_blocking, trusted=False)
        self.lower_tunneling()
        for d in web.https_decryption:
            self.lower_decryption(d)
        self.finish_decryption()
        for atp in web.atp:
            self.lower_atp(atp)
        for app in web.app_control:
            self.lower_app_control(app)
        for policy in web.url_filtering:
            self.lower_url_filtering(policy)
        self.lower_certificates()
        self.lower_rest()
        # the whole-policy sweep decides nothing per-object fidelity changes (a decision
        # reads an object's source, never its directions): it starts now, in a second
        # process where there is one, and the witnesses are decided there too
        draft = ZtsaPolicy(**self.parts.fields())
        identity_map = self._identity_map()
        with workers.Server(functools.partial(Whole, web, draft, identity_map),
                            Whole.serve) as server:
            server.ask(None)
            self.step(f"fidelity of {len(self.stage.pending):,} objects")
            self.stage.run()
            self.policy = ZtsaPolicy(**self.parts.fields())
            self.identity_map = self._identity_map()
            self.step("whole-policy sweep")
            if identity_map == self.identity_map and ztsa.decided_alike(draft, self.policy):
                found = server.answer()
                assert isinstance(found, SweepFound)

                def decide_all(reqs: Sequence[WebRequest]) -> list[tuple[Decision, Decision]]:
                    server.ask(tuple(reqs))
                    answer = server.answer()
                    assert isinstance(answer, list)
                    return answer
            else:  # not expected; the sweep must still be of the policy written
                whole = Whole(web, self.policy, self.identity_map)
                found, decide_all = whole.sweep(), whole.decide_all
            self.sweep(found)
            if self.options.witnesses:
                self.step("witnesses")
                self.finish(decide_all)
        # the whole policies' indexes served the sweep and the witnesses; a compile of an
        # estate should not carry them (and their memos) into writing the documents (the
        # policy written is never decided here: nothing built one for it)
        iwsva.release(self.web)
        ztsa.release(draft)
        return self.policy

    # ------------------------------------------------------------------ whole-policy sweep

    def sweep(self, swept: SweepFound) -> None:
        """Objects were compared one at a time; the whole policies were compared too
        (:meth:`Whole.sweep`). Every object that decides a request differently in context,
        on either side, gains that direction, with the request as its witness."""
        found: dict[tuple[str, str], dict[Difference, Witness[WebRequest]]] = {}
        for req, s, t in swept.differing:
            diffs = differences(s, t)
            for by in (t.decided_by, s.decided_by):
                if by is None:
                    continue
                seen = found.setdefault((by.kind, by.name), {})
                for d in diffs:
                    seen.setdefault(d, Witness(req, s, t, d, POLICY))
        self.coverage = self._coverage(swept.probes, swept.deciding)
        self.swept = Swept(swept.probes, swept.differing)
        if not found:
            return
        context = "decides differently in the context of the whole policy"

        def widen(meta: Meta, kind: str, name: str) -> Meta:
            extra: set[Difference] = set()
            for key in ((kind, name), (meta.source.kind, meta.source.name) if meta.source
                        else None):
                if key is not None:
                    extra |= set(found.get(key, {}))
            if extra <= meta.directions:
                return meta
            return Meta.of(meta.source, meta.directions | extra, meta.review + (context,))

        def widened(objects: tuple[Any, ...], kind: str, name: Callable[[Any], str]
                    ) -> tuple[Any, ...]:
            """The objects, each with its directions widened; one that gains none is kept
            as it is (an estate's lists are mostly such)."""
            out = []
            for obj in objects:
                meta = widen(obj.meta, kind, name(obj))
                out.append(obj if meta is obj.meta else attrs.evolve(obj, meta=meta))
            return tuple(out)

        p = self.policy
        value, rule_name = operator.attrgetter("value"), operator.attrgetter("name")
        self.policy = attrs.evolve(
            p,
            url_allow_list=widened(p.url_allow_list, "url-allow-list", value),
            url_deny_list=widened(p.url_deny_list, "url-deny-list", value),
            internet_access_rules=widened(p.internet_access_rules, "internet-access-rule",
                                          rule_name),
            inspection_exceptions=widened(p.inspection_exceptions, "inspection-exception",
                                          operator.attrgetter("domain")),
        )
        # a report entry gains what its own source object decided and what its target
        # objects decided, with their witnesses
        by_origin: dict[tuple[str, str], dict[Difference, Witness[WebRequest]]] = {}
        named = [("url-allow-list", e.value, e.meta) for e in self.policy.url_allow_list]
        named += [("url-deny-list", e.value, e.meta) for e in self.policy.url_deny_list]
        named += [("internet-access-rule", r.name, r.meta)
                  for r in self.policy.internet_access_rules]
        named += [("inspection-exception", e.domain, e.meta)
                  for e in self.policy.inspection_exceptions]
        for kind, name, meta in named:
            if meta.source is not None:
                seen = by_origin.setdefault((meta.source.kind, meta.source.name), {})
                for d, w in found.get((kind, name), {}).items():
                    seen.setdefault(d, w)
        for i, e in enumerate(self.report):
            key = (e.source.kind, e.source.name)
            gained = {**by_origin.get(key, {}), **found.get(key, {})}
            self.ledger.gain(i, gained.values(), context)

    def _coverage(self, probes_run: int, deciding: AbstractSet[tuple[str, str]]
                  ) -> dict[str, int]:
        """What the sweep rests on: the probes it decided, the report objects a request can
        exercise, and how many of them some probe exercised (decided it on either side,
        decided its decryption, or matched its URL)."""
        origins = set(deciding)
        p = self.policy
        for kind, objects in (("url-allow-list", p.url_allow_list),
                              ("url-deny-list", p.url_deny_list)):
            for e in objects:
                if (kind, e.value) in deciding and e.meta.source is not None:
                    origins.add((e.meta.source.kind, e.meta.source.name))
        for r in p.internet_access_rules:
            if ("internet-access-rule", r.name) in deciding and r.meta.source is not None:
                origins.add((r.meta.source.kind, r.meta.source.name))
        for h in p.https_inspection_rules:
            if ("https-inspection-rule", h.name) in deciding and h.meta.source is not None:
                origins.add((h.meta.source.kind, h.meta.source.name))
        for x in p.inspection_exceptions:
            if ("inspection-exception", x.domain) in deciding and x.meta.source is not None:
                origins.add((x.meta.source.kind, x.meta.source.name))
        can = [e for e in self.report if e.source.kind in _PROBED]
        exercised = sum(1 for e in can if (e.source.kind, e.source.name) in origins)
        return {"probes": probes_run, "objects": len(can), "exercised": exercised}

    def finish(self, decide_all: Callable[[Sequence[WebRequest]],
                                          list[tuple[Decision, Decision]]]) -> None:
        """Each report entry's witness, shown in the whole policy where it can be (so that
        ``isc explain`` reproduces it), and its diagnostic."""
        self.diagnostics += self.ledger.finish(
            decide_all, witness_json,
            lambda w: f"{describe_request(request_json(w.probe))}: "
                      f"{w.source.action} → {w.target.action}",
            "request")

    def add(self, **fields: tuple[object, ...]) -> None:
        for k, v in fields.items():
            self.parts.add(k, v)

    # ------------------------------------------------------------------ categories

    def _category_objects(self, name: str, entries: tuple[UrlPattern, ...], origin: Origin
                          ) -> tuple[list[CustomUrlCategory], list[str]]:
        by_mode: dict[MatchMode, dict[str, None]] = {}
        notes: list[str] = []
        for p in entries:
            mode, value, n = translate_pattern(p)
            by_mode.setdefault(mode, {})[value] = None
            notes.extend(f"{p.stored}: {x}" for x in n)
        cats = []
        for mode in sorted(by_mode, key=lambda m: m.value):
            cname = name if len(by_mode) == 1 else f"{name} [{mode.value}]"
            cats.append(CustomUrlCategory(cname, mode, tuple(by_mode[mode]), "", Meta(origin)))
        if not cats:  # an empty category still exists so references resolve
            cats.append(CustomUrlCategory(name, MatchMode.URL, (), "", Meta(origin)))
        return cats, notes

    def lower_categories(self, customs: Iterable[CustomCategory],
                         approved: Iterable[ApprovedList]) -> None:
        items: list[tuple[str, str, str, tuple[UrlPattern, ...], Span | None]] = []
        items += [("custom-category", c.name, c.name, c.entries, c.span) for c in customs]
        items += [("approved-list", a.name, f"approved: {a.name}", a.entries, a.span)
                  for a in approved]
        uses = self._category_uses()
        for kind, src_name, name, entries, span in items:
            origin = self.origin(kind, src_name, span)
            cats, notes = self._category_objects(name, entries, origin)
            placed = self.emit("custom_url_categories", cats)
            for c in cats:
                self.ztsa_categories.setdefault(c.name, c)
            self.custom[f"{kind}:{src_name}"] = tuple(c.name for c in cats)
            default = "block" if kind == "custom-category" else "allow"
            why: dict[str, str | None] = {}

            def compare(entries: tuple[UrlPattern, ...] = entries, kind: str = kind,
                        src_name: str = src_name, default: str = default,
                        why: dict[str, str | None] = why) -> Comparison[WebRequest]:
                blocking = self._category_fidelity(entries)
                key = f"{kind}:{src_name}"
                self.match_sets.setdefault(key, blocking)
                if entries and key not in self.representatives:
                    self.representatives[key] = next(
                        (p for p in entries if not self.shapes.known.get(
                            ("category", entry_shape(p.stored)), (True,))[0]),
                        entries[0])
                cmp, why["why"] = _by_use(blocking, uses.get((kind, src_name), {default}))
                return cmp

            def reasons(_: Comparison[WebRequest], notes: list[str] = notes,
                        why: dict[str, str | None] = why) -> list[str]:
                found = why.get("why")
                return notes + ([found] if found else [])

            self.defer(origin, "translated", [c.name for c in cats], span, compare, reasons,
                       placed, where="first")

    def _category_uses(self) -> dict[tuple[str, str], set[str]]:
        """How each custom category and approved list is used: ``block`` (a restrictive
        action), ``allow`` (an exception or an allowing action), ``both`` (decryption,
        match-next: either direction follows from matching differently), ``non-access``."""
        uses: dict[tuple[str, str], set[str]] = {}

        def use(kind: str, name: str, how: str) -> None:
            uses.setdefault((kind, name), set()).add(how)

        for uf in self.web.url_filtering:
            for name in uf.exceptions:
                use("approved-list", name, "allow")
            for ca in uf.categories:
                if ca.category.custom is not None:
                    use("custom-category", ca.category.custom, _ACTION_USE[ca.action])
        for d in self.web.https_decryption:
            for name in d.exceptions:
                use("approved-list", name, "both")
            for dc in d.categories:
                if dc.category.custom is not None:
                    use("custom-category", dc.category.custom, "both")
        for atp in self.web.atp:
            for name in atp.exceptions:
                use("approved-list", name, "allow")
        return uses

    def _category_fidelity(self, entries: tuple[UrlPattern, ...]) -> Comparison[WebRequest]:
        """Compare match sets entry by entry: a rule blocking the source entry against one
        blocking its translation. The directions are those of a blocking use. Entries of a
        shape already compared in this category add nothing."""
        found: Comparison[WebRequest] = Comparison()
        seen: set[str] = set()
        for p in entries:
            shape = entry_shape(p.stored)
            if shape in seen:
                continue
            seen.add(shape)
            cmp = self._shaped("category", p,
                               functools.partial(self._url_probes, [p], decrypted=True),
                               functools.partial(self._compare_entry, p))
            for w in cmp.witnesses:
                found = found.with_witness(w)
            if found.directions >= {Difference.NARROWED, Difference.BROADENED}:
                break  # nothing more to learn
        return found

    def _compare_entry(self, p: UrlPattern, reqs: list[WebRequest]) -> Comparison[WebRequest]:
        mode, value, _ = translate_pattern(p)
        src = WebPolicy(custom_categories=(CustomCategory("c", (p,)),), url_filtering=(
            UrlFilteringPolicy("p", 1, categories=(_cat_action("c", WebAction.BLOCK),)),))
        tgt = ZtsaPolicy(
            custom_url_categories=(CustomUrlCategory("c", mode, (value,)),),
            internet_access_rules=(InternetAccessRule(
                "p", RuleAction.BLOCK, custom_url_categories=("c",)),))
        return compare(src, tgt, reqs)

    def _shaped(self, role: str, p: UrlPattern, make: Callable[[], list[WebRequest]],
                compare_on: Callable[[list[WebRequest]], Comparison[WebRequest]]
                ) -> Comparison[WebRequest]:
        """``compare_on(reqs)`` for entry ``p``, computed in full once per (role, shape)
        (:class:`Shapes`)."""
        return self.shapes.compare((role, entry_shape(p.stored)), make, compare_on,
                                   reuse=REUSE_SHAPES)

    def _https_probes(self, p: UrlPattern) -> list[WebRequest]:
        return [r for r in self._url_probes([p]) if r.url.startswith("https://")]

    def _url_probes(self, entries: Iterable[UrlPattern], *, decrypted: bool | None = None,
                    cats: tuple[tuple[str | int, ...], ...] = ((),)) -> list[WebRequest]:
        out: list[WebRequest] = []
        for p in entries:
            for url in probes.pattern_urls(p):
                for c in cats:
                    out.append(WebRequest(url, categories=c, decrypted=decrypted))
        return out

    # ------------------------------------------------------------------ global lists

    def lower_global(self, lst: UrlList, *, trusted: bool) -> None:
        kind = "global-trusted-urls" if trusted else "global-url-blocking"
        if not lst.enabled:
            self.record(self.origin(kind, kind, lst.span), "disabled in the source; not emitted",
                        Comparison(), [], ["the list is disabled"], lst.span)
            return
        entries: list[ListEntry] = []
        field = "url_allow_list" if trusted else "url_deny_list"
        target = "URL Allow List" if trusted else "URL Deny List"
        for p in lst.entries:
            mode, value, notes = translate_pattern(p)
            origin = self.origin(f"{kind}.entry", p.stored, p.span)
            entry = ListEntry(mode, value, Meta(origin))
            entries.append(entry)

            def on(reqs: list[WebRequest], p: UrlPattern = p, entry: ListEntry = entry
                   ) -> Comparison[WebRequest]:
                return compare(*self._list_context(trusted, (p,), (), (entry,)), reqs)

            def shaped(p: UrlPattern = p, on: Callable[[list[WebRequest]],
                                                       Comparison[WebRequest]] = on
                       ) -> Comparison[WebRequest]:
                return self._shaped(kind, p, functools.partial(self._url_probes, [p],
                                                               decrypted=True), on)

            def reasons(cmp: Comparison[WebRequest], notes: tuple[str, ...] = notes,
                        mode: MatchMode = mode, value: str = value, p: UrlPattern = p
                        ) -> list[str]:
                if not cmp.directions:
                    return list(notes)
                return [*notes, f"the ZTSA {mode.value} entry {value!r} matches other URLs "
                                f"than the IWSVA entry {p.stored!r}"]

            self.defer(origin, f"{target} entry", [value], p.span, shaped, reasons,
                       self.emit(field, [entry]), key=(kind, entry_shape(p.stored)))
        near = _Near(lst.entries, tuple(entries)) if lst.exceptions else None
        # every exception in one context: the whole list with all its exceptions; a probe
        # another exception catches is decided in the exception's own context (see
        # ``_exception_decisions``)
        shared = self._list_context(trusted, tuple(lst.entries), tuple(lst.exceptions),
                                    tuple(entries))
        reason = ("ZTSA allow/deny lists have no exceptions; add a matching rule by hand "
                  "or narrow the list entries")
        for n, p in enumerate(lst.exceptions):
            assert near is not None

            def exception(p: UrlPattern = p, near: _Near = near) -> Comparison[WebRequest]:
                reqs = self._url_probes([p], decrypted=True)
                return collect(self._exception_decisions(p, reqs, shared, near, trusted),
                               differences)

            # the first builds the shared context's indexes here, before the others are
            # split between processes: each would build them again
            self.defer(self.origin(f"{kind}.exception", p.stored, p.span), "dropped", [],
                       p.span, exception, lambda _: [reason], dropped=True,
                       where="first" if n == 0 else "")

    def _exception_decisions(self, p: UrlPattern, reqs: list[WebRequest],
                             shared: tuple[WebPolicy, ZtsaPolicy], near: _Near, trusted: bool
                             ) -> Iterator[tuple[WebRequest, Decision, Decision]]:
        """Each probe of exception ``p`` decided as in a context of the list and ``p``
        alone (decision 154). In the shared context of the list with all its exceptions a
        probe ``p`` matches is decided the same way: ``p`` lets it through in both. One
        ``p`` does not match is decided the same way unless another exception matches it;
        only those are decided in ``p``'s own context, with the entries they reach. A probe
        no entry matches on either side is decided by the sentinel on both, the same way: it
        is left out (it shows no difference)."""
        src, tgt = shared
        source = iwsva.WebIndex.of(src)
        exceptions, entry = source.exception_of(trusted), source.entry_of(trusted)
        target = ztsa.ZtsaIndex.of(tgt).list_hit(trusted)
        for req in reqs:
            url = req.parsed
            if entry(url) is None and not target(url):
                continue
            if not iwsva_matches(p, url) and exceptions(url) is not None:
                src_entries, tgt_entries = near.around([req])
                own = self._list_context(trusted, src_entries, (p,), tgt_entries)
                yield req, iwsva.decide(own[0], req), ztsa.decide(own[1], req)
            else:
                yield req, iwsva.decide(src, req), ztsa.decide(tgt, req)

    def _list_context(self, trusted: bool, entries: tuple[UrlPattern, ...],
                      exceptions: tuple[UrlPattern, ...], target: tuple[ListEntry, ...]
                      ) -> tuple[WebPolicy, ZtsaPolicy]:
        """A list in front of a sentinel policy that does the opposite to everything else."""
        lst = UrlList(True, entries, exceptions)
        sentinel = WebAction.BLOCK if trusted else WebAction.ALLOW
        src = WebPolicy(global_trusted=lst if trusted else None,
                        global_blocking=None if trusted else lst,
                        url_filtering=(UrlFilteringPolicy("sentinel", 1, categories=(
                            _cat_action_id(90, sentinel),)),))
        tgt = ZtsaPolicy(
            url_allow_list=target if trusted else (),
            url_deny_list=() if trusted else target,
            internet_access_rules=(InternetAccessRule(
                "sentinel", RuleAction.BLOCK if trusted else RuleAction.ALLOW),),
        )
        return src, tgt

    # ------------------------------------------------------------------ HTTPS

    def lower_tunneling(self) -> None:
        reason = ("a ZTSA inspection exception only skips decryption; URL filtering still "
                  "applies to the host, where IWSVA tunneling bypassed it")
        for p in self.web.tunneling:
            origin = self.origin("https-tunneling", p.stored, p.span)
            domains = _tunnel_domains(p)
            excs = [InspectionException(d, Meta(origin)) for d in domains]

            def on(reqs: list[WebRequest], p: UrlPattern = p,
                   excs: list[InspectionException] = excs) -> Comparison[WebRequest]:
                src = WebPolicy(tunneling=(p,), url_filtering=(
                    UrlFilteringPolicy("sentinel", 1, categories=(
                        _cat_action_id(90, WebAction.BLOCK),)),))
                tgt = ZtsaPolicy(inspection_exceptions=tuple(excs), internet_access_rules=(
                    InternetAccessRule("sentinel", RuleAction.BLOCK),))
                return compare(src, tgt, reqs)

            self.defer(origin, "inspection exceptions", domains, p.span, functools.partial(
                self._shaped, "https-tunneling", p, functools.partial(self._https_probes, p),
                on), lambda _: [reason], self.emit("inspection_exceptions", excs),
                key=("https-tunneling", entry_shape(p.stored)))

    def lower_decryption(self, d: HttpsDecryptionPolicy) -> None:
        origin = self.origin("https-decryption-policy", d.name, d.span)
        sources, src_notes = self.sources(d.name, d.accounts, for_inspection=True,
                                            kind="https-decryption-policy")
        rules: list[HttpsInspectionRule] = []
        meta = Meta(origin)
        if d.exceptions:
            names = self._refs("approved-list", d.exceptions)
            rules.append(HttpsInspectionRule(f"{d.name}: exceptions", InspectAction.DO_NOT_INSPECT,
                                             d.enabled, sources, (), names, meta))
        if d.decrypt_all:
            rules.append(HttpsInspectionRule(f"{d.name}: decrypt", InspectAction.INSPECT,
                                             d.enabled, sources, (), (), meta))
        else:
            ztsa_cats, custom, missing = self._categories(
                [c.category for c in d.categories if c.decrypt])
            if ztsa_cats or custom:
                rules.append(HttpsInspectionRule(f"{d.name}: decrypt", InspectAction.INSPECT,
                                                 d.enabled, sources, ztsa_cats, custom, meta))
            rules.append(HttpsInspectionRule(f"{d.name}: do not decrypt",
                                             InspectAction.DO_NOT_INSPECT, d.enabled, sources,
                                             (), (), meta))
            src_notes += [f"category {m!r} has no ZTSA counterpart" for m in missing]
        def reasons(cmp: Comparison[WebRequest]) -> list[str]:
            if not cmp.directions:
                return src_notes
            return [*src_notes, "ZTSA decrypts other requests than this policy did: where "
                                "less is decrypted, rules on paths and keywords see only the "
                                "host"]

        self.defer(origin, "HTTPS inspection rules", [r.name for r in rules], d.span,
                   functools.partial(self._decryption_fidelity, d, rules), reasons,
                   self.emit("https_inspection_rules", rules))

    def _context(self, custom: Iterable[str], approved: Iterable[str]
                  ) -> tuple[tuple[CustomCategory, ...], tuple[ApprovedList, ...],
                             tuple[CustomUrlCategory, ...], list[str]]:
        """Stand-ins for the categories and lists an object refers to, on both sides: each
        holds one representative entry (an exactly translated one where there is one) and
        its translation, and probe URLs of that entry are returned. The object is compared
        on its own translation (actions, accounts, schedule, category mapping); what the
        match sets themselves change is theirs, and reaches the object by
        :meth:`_inherited`. So a comparison costs the object, not the lists it names."""
        src_c: list[CustomCategory] = []
        src_a: list[ApprovedList] = []
        tgt: list[CustomUrlCategory] = []
        urls: list[str] = []
        for kind, names in (("custom-category", custom), ("approved-list", approved)):
            for name in dict.fromkeys(names):
                rep = self.representatives.get(f"{kind}:{name}")
                entries = (rep,) if rep is not None else ()
                if kind == "custom-category":
                    src_c.append(CustomCategory(name, entries))
                else:
                    src_a.append(ApprovedList(name, entries))
                mode, value = (translate_pattern(rep)[:2] if rep is not None
                               else (None, ""))
                for zname in self._refs(kind, [name]):
                    zcat = self.ztsa_categories[zname]
                    tgt.append(attrs.evolve(zcat, entries=(value,) if zcat.mode is mode
                                            else ()))
                if rep is not None:
                    urls += probes.pattern_urls(rep)[:2]
        return tuple(src_c), tuple(src_a), tuple(tgt), urls

    def _inherited(self, refs: Iterable[tuple[str, str, str]]
                   ) -> tuple[frozenset[Difference], list[str]]:
        """The directions an object takes from the match sets it names, each ``(kind, name,
        use)`` as :func:`_by_use` reads a use, with a reason for each set."""
        found: set[Difference] = set()
        reasons: list[str] = []
        for kind, name, use in dict.fromkeys(refs):
            blocking = self.match_sets.get(f"{kind}:{name}")
            if blocking is None or not blocking.directions:
                continue
            cmp, _ = _by_use(blocking, {use})
            if not cmp.directions:
                continue
            found |= cmp.directions
            what = "custom category" if kind == "custom-category" else "approved list"
            effect = ", ".join(d.value for d in sorted_directions(cmp.directions))
            reasons.append(f"the {what} {name!r} it names matches other URLs in ZTSA than in "
                           f"IWSVA ({effect} here"
                           + ("; it may let through what the source stopped)"
                              if Difference.BROADENED in cmp.directions else ")"))
        return frozenset(found), reasons

    def _decryption_fidelity(self, d: HttpsDecryptionPolicy, rules: list[HttpsInspectionRule]
                             ) -> Comparison[WebRequest]:
        """Decryption decides visibility: compare with a path-only sentinel rule."""
        sentinel_pattern = UrlPattern("*/private/*")
        custom = [c.category.custom for c in d.categories if c.category.custom]
        src_c, src_a, tgt_c, urls = self._context(custom, d.exceptions)
        src = WebPolicy(
            https_decryption=(attrs.evolve(d, priority=1),),
            approved_lists=src_a,
            custom_categories=src_c + (CustomCategory("sentinel", (sentinel_pattern,)),),
            url_filtering=(UrlFilteringPolicy("sentinel", 1, categories=(
                _cat_action("sentinel", WebAction.BLOCK),)),),
        )
        tgt = ZtsaPolicy(
            https_inspection_rules=tuple(rules) + (HttpsInspectionRule(
                "none", InspectAction.DO_NOT_INSPECT),),
            ip_address_groups=self._groups_of(r.sources for r in rules),
            internet_access_rules=(InternetAccessRule(
                "sentinel", RuleAction.BLOCK, custom_url_categories=("sentinel",)),),
            custom_url_categories=tgt_c + (
                CustomUrlCategory("sentinel", MatchMode.URL, ("*/private/*",)),))
        hosts = ["https://www.example.com/private/x"] + [
            u.replace("http://", "https://", 1).rstrip("/") + "/private/x"
            for u in urls if u.startswith("http://")]
        cats: list[tuple[str | int, ...]] = [
            (c.category.id,) for c in d.categories if c.category.id is not None]
        cats.append((90,))
        reqs = list(probes.combine(hosts, probes.account_identities(d.accounts), cats, [None]))
        cmp = compare(src, tgt, reqs, self.options.identity_map)
        inherited, _ = self._inherited(
            [("custom-category", n, "both") for n in custom]
            + [("approved-list", n, "both") for n in d.exceptions])
        return cmp.assume(*(inherited - cmp.directions))

    def finish_decryption(self) -> None:
        """IWSVA decrypts nothing that no policy selects; ZTSA's default rule decrypts all."""
        if any(d.enabled and d.is_global for d in self.web.https_decryption):
            return
        origin = Origin("", 0, "default", "no HTTPS decryption policy applies")
        rule = HttpsInspectionRule("isc: default do not decrypt", InspectAction.DO_NOT_INSPECT,
                                   meta=Meta.of(origin, (), (
                                       "IWSVA does not decrypt when no HTTPS decryption policy "
                                       "applies; this keeps ZTSA's decrypt-all default from "
                                       "changing that",)))
        self.add(https_inspection_rules=(rule,))

    # ------------------------------------------------------------------ sources

    def sources(self, policy: str, accounts: tuple[Account, ...], *, for_inspection: bool = False,
                kind: str = "url-filtering-policy") -> tuple[Sources, list[str]]:
        if not accounts:
            return Sources(), []
        notes: list[str] = []
        addresses = [a.value for a in accounts if a.kind in (
            AccountKind.IP, AccountKind.IP_RANGE, AccountKind.IP_SUBSET)]
        users: list[str] = []
        groups: list[str] = []
        for a in accounts:
            if a.kind in (AccountKind.LDAP_USER, AccountKind.LDAP_GROUP):
                if for_inspection:
                    notes.append(f"ZTSA HTTPS inspection rules cannot be scoped to {a.value!r}")
                    continue
                name, confirmed = self.identity(a.value)
                (users if a.kind is AccountKind.LDAP_USER else groups).append(name)
                if not confirmed:
                    notes.append(f"LDAP {a.kind.value} {a.value!r} was mapped to SSO name "
                                 f"{name!r} by guess; confirm it with --identity-map (until "
                                 "then the rule may apply to more or fewer people: it may let "
                                 "through what the source stopped, or stop more)")
            elif a.kind is AccountKind.HOST:
                notes.append(f"host account {a.value!r} has no ZTSA source")
        ip_groups: tuple[str, ...] = ()
        if addresses:
            # policies of different kinds may share a name; their groups must not
            gname = (f"{policy}: clients" if kind == "url-filtering-policy"
                     else f"{policy} [{kind}]: clients")
            if gname not in self.ip_groups:
                group = IpAddressGroup(gname, tuple(addresses), meta=Meta.of(None, (), (
                    "private addresses need the Secure Access Module or X-Forwarded-For",)))
                self.ip_groups[gname] = group
                self.add(ip_address_groups=(group,))
            ip_groups = (gname,)
        return Sources(tuple(users), tuple(groups), ip_groups), notes

    def identity(self, dn: str) -> tuple[str, bool]:
        """The SSO name of an LDAP DN: from the identity map (matched as the IWSVA model
        matches LDAP names: case and blanks around commas aside), else guessed."""
        mapped = self.options.identity_map.get(dn)
        if mapped is None:
            for k, v in self.options.identity_map.items():
                if iwsva.ldap_name(k) == iwsva.ldap_name(dn):
                    mapped = v
        if mapped is not None:
            self.identities[dn] = (mapped, True)
            return mapped, True
        m = re.match(r"\s*CN=([^,]+)", dn, re.IGNORECASE)
        guess = m.group(1).strip() if m else dn
        self.identities.setdefault(dn, (guess, False))
        return guess, False

    # ------------------------------------------------------------------ URL filtering

    def _refs(self, kind: str, names: Iterable[str]) -> tuple[str, ...]:
        out: list[str] = []
        for n in names:
            out.extend(self.custom.get(f"{kind}:{n}", ()))
        return tuple(out)

    def _categories(self, refs: Iterable[CategoryRef]
                    ) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
        ztsa_names: list[str] = []
        custom: list[str] = []
        missing: list[str] = []
        for ref in sorted(set(refs), key=CategoryRef.sort_key):
            if ref.custom is not None:
                custom.extend(self._refs("custom-category", [ref.custom]))
                continue
            assert ref.id is not None
            cat = categories.BY_ID[ref.id]
            if cat.ztsa_name is None:
                missing.append(cat.name)
            elif cat.ztsa_name not in ztsa_names:
                ztsa_names.append(cat.ztsa_name)
        return tuple(ztsa_names), tuple(custom), missing

    def lower_url_filtering(self, p: UrlFilteringPolicy) -> None:
        origin = self.origin("url-filtering-policy", p.name, p.span)
        sources, notes = self.sources(p.name, p.accounts)
        schedule = self.schedule(p.schedule)
        meta = Meta(origin)
        rules: list[InternetAccessRule] = []

        def rule(suffix: str, action: RuleAction, cats: tuple[str, ...] = (),
                 custom: tuple[str, ...] = ()) -> InternetAccessRule:
            return InternetAccessRule(
                f"{p.name}: {suffix}", action, p.enabled, p.notes, sources, Sources(), schedule,
                cats, custom, (), (), meta)

        if p.exceptions:
            rules.append(rule("exceptions", RuleAction.ALLOW,
                              custom=self._refs("approved-list", p.exceptions)))
        by_action: dict[WebAction, list[CategoryRef]] = {}
        for ca in p.categories:
            by_action.setdefault(ca.action, []).append(ca.category)
        for action in _ORDER:
            refs = by_action.get(action)
            if not refs:
                continue
            cats, custom, missing = self._categories(refs)
            for m in missing:
                notes.append(f"{action.value} on {m!r}: ZTSA has no such category; dropped")
            if action in (WebAction.BLOCK_OVERRIDE, WebAction.TIME_LIMIT):
                notes.append(f"{action.value} has no ZTSA counterpart; became block")
            if cats or custom:
                rules.append(rule(action.value, ACTIONS[action], cats, custom))
        match_next = by_action.get(WebAction.MATCH_NEXT, [])
        if not match_next:
            rules.append(rule("allow", RuleAction.ALLOW))
        else:
            skip_ids = {r.id for r in match_next if r.id is not None}
            skip_custom = {r.custom for r in match_next if r.custom is not None}
            keep = [CategoryRef(id=c.id) for c in categories.CATEGORIES if c.id not in skip_ids]
            keep += [CategoryRef(custom=c.name) for c in self.web.custom_categories
                     if c.name not in skip_custom]
            cats, custom, _ = self._categories(keep)
            zskip = {categories.BY_ID[i].ztsa_name for i in skip_ids}
            extra = tuple(n for n in categories.ZTSA_ONLY if n not in zskip)
            rules.append(rule("allow", RuleAction.ALLOW, cats + extra, custom))
        if p.has_override_password:
            notes.append("the override password is not emitted")
        inherited: list[str] = []

        def fidelity() -> Comparison[WebRequest]:
            cmp, found = self._policy_fidelity(p, rules)
            inherited.extend(found)
            return self._with_identity(cmp, p.accounts)

        def reasons(cmp: Comparison[WebRequest]) -> list[str]:
            return notes + _witness_reason(cmp, notes) + inherited

        self.defer(origin, "Internet Access rules", [r.name for r in rules], p.span, fidelity,
                   reasons, self.emit("internet_access_rules", rules))

    def _policy_fidelity(self, p: UrlFilteringPolicy, rules: list[InternetAccessRule]
                         ) -> tuple[Comparison[WebRequest], list[str]]:
        """Compare the policy alone (plus a block-all fallback) with its rules alone, on
        probes built from its own categories, accounts and schedule; then add what the
        match sets it names change (:meth:`_inherited`), with the reasons."""
        web = self.web
        custom = [ca.category.custom for ca in p.categories if ca.category.custom]
        src_c, src_a, tgt_c, urls = self._context(custom, p.exceptions)
        src = WebPolicy(
            schedules=tuple(s for s in web.schedules if s.name == p.schedule),
            custom_categories=src_c, approved_lists=src_a,
            url_filtering=(attrs.evolve(p, priority=1, enabled=True),
                           UrlFilteringPolicy("fallback", 2, is_global=True, categories=tuple(
                               _cat_action_id(c.id, WebAction.BLOCK)
                               for c in categories.CATEGORIES) + tuple(
                               _cat_action(c.name, WebAction.BLOCK) for c in src_c))),
        )
        tgt = ZtsaPolicy(
            custom_url_categories=tgt_c,
            ip_address_groups=self._groups_of(r.sources for r in rules),
            internet_access_rules=tuple(attrs.evolve(r, enabled=True) for r in rules) + (
                InternetAccessRule("fallback", RuleAction.BLOCK),))
        urls = ["http://www.example.com/", *urls]
        cats: list[tuple[str | int, ...]] = [(90,), ()]
        listed = [ca.category.id for ca in p.categories if ca.category.id is not None]
        cats += [(i,) for i in listed]
        cats += [(listed[i], listed[i + 1]) for i in range(len(listed) - 1)]
        unlisted = next((c.id for c in categories.CATEGORIES if c.id not in listed
                         and c.ztsa_name), None)
        if unlisted is not None:
            cats.append((unlisted,))
        times = probes.schedule_times(web, [p.schedule])
        reqs = probes.policy_probes(list(dict.fromkeys(urls)),
                                    probes.account_identities(p.accounts), cats, times)
        cmp = compare(src, tgt, reqs, self._identity_map())
        inherited, reasons = self._inherited(
            [("custom-category", ca.category.custom, _ACTION_USE[ca.action])
             for ca in p.categories if ca.category.custom]
            + [("approved-list", n, "allow") for n in p.exceptions])
        return cmp.assume(*(inherited - cmp.directions)), reasons

    def _groups_of(self, sources: Iterable[Sources]) -> tuple[IpAddressGroup, ...]:
        names = dict.fromkeys(n for src in sources for n in src.ip_address_groups)
        return tuple(self.ip_groups[n] for n in names if n in self.ip_groups)

    def _with_identity(self, cmp: Comparison[WebRequest], accounts: Iterable[Account]
                       ) -> Comparison[WebRequest]:
        """An LDAP name mapped to an SSO name by guess may stand for more or fewer people in
        the target directory: both access directions are possible (semantics.md §5), until a
        mapping file confirms the name. No probe can show this: the directions are assumed,
        and the review note of the guess is the reason."""
        guessed = any(a.kind in (AccountKind.LDAP_USER, AccountKind.LDAP_GROUP)
                      and not self.identities.get(a.value, ("", True))[1] for a in accounts)
        if not guessed:
            return cmp
        return cmp.assume(Difference.NARROWED, Difference.BROADENED)

    def _identity_map(self) -> dict[str, str]:
        return {dn: name for dn, (name, _) in self.identities.items()}

    def schedule(self, name: str | None) -> WeeklySchedule | None:
        if name is None:
            return None
        s = self.web.schedule(name)
        if s is None:
            return None
        return WeeklySchedule(tuple(sorted(s.days)), s.intervals)

    # ------------------------------------------------------------------ ATP, apps

    def lower_atp(self, a: AtpPolicy) -> None:
        origin = self.origin("atp-policy", a.name, a.span)
        head: list[str] = []  # the reasons the file profile and rule carry too
        tail: list[str] = []  # the report's only
        targets: list[str] = []
        assumed: set[Difference] = set()
        placed: list[tuple[str, int]] = []
        base: list[Comparison[WebRequest]] = [Comparison()]
        if a.block_file_types:
            sources, head = self.sources(a.name, a.accounts, kind="atp-policy")
            profile = FileProfile(f"{a.name}: blocked file types", tuple(a.block_file_types),
                                  meta=Meta(origin))
            rule = InternetAccessRule(f"{a.name}: block file types", RuleAction.BLOCK, a.enabled,
                                      a.notes, sources, file_profiles=(profile.name,),
                                      meta=Meta(origin))
            if a.exceptions:
                head.append("ATP URL exceptions do not migrate: ZTSA rules cannot exempt URLs")
            head.append("check that ZTSA true-file-type names match the IWSVA ones")
            placed = (self.emit("file_profiles", [profile])
                      + self.emit("internet_access_rules", [rule]))
            targets += [profile.name, rule.name]
        settings = dict(a.settings)
        if a.is_global:
            level = settings.get("wrs.sensitivity", "medium").lower()
            layers = settings.get("compressed.max-layers")
            skip = settings.get("large-file.skip-mb")
            tp = ThreatProtectionRule(
                f"{a.name}: threat protection",
                web_reputation=settings.get("wrs", "yes").lower() in ("yes", "on", "true", "1"),
                security_level=level if level in ("low", "medium", "high") else "medium",
                do_not_scan_larger_than_mb=int(skip) if skip and skip.isdigit() else None,
                max_compression_layers=min(int(layers), 20) if layers and layers.isdigit()
                else None,
                meta=Meta.of(origin, {Difference.NON_ACCESS}, (
                    "web reputation and scanning are outside isc's decision models: the same "
                    "settings run on another engine; review the security level and scan "
                    "limits",)))
            self.add(threat_protection_rules=(tp,))
            targets.append(tp.name)
        elif any(k.startswith(("wrs", "compressed.", "large-file.")) for k in settings):
            assumed |= {Difference.NARROWED, Difference.BROADENED}
            tail.append("the web reputation and scanning settings of a policy other than the "
                        "Global Policy do not migrate: ZTSA has one threat protection rule, "
                        "whose settings may protect these accounts more or less (it may let "
                        "through what the source stopped)")
        for key in ("compressed.max-files", "compressed.max-size-mb"):
            if key in settings:
                assumed.add(Difference.BROADENED)
                tail.append(f"{key} = {settings[key]} has no ZTSA counterpart: archives "
                            "beyond it that IWSVA stopped are scanned and let through")
        if a.scan != "all" or a.scan_extensions or a.mime_skip:
            assumed.add(Difference.NARROWED)
            tail.append("scan mode, scanned extensions and skipped MIME types were not "
                        "migrated: ZTSA scans what IWSVA skipped; set 'do not scan' file "
                        "profiles in the threat protection rule")
        for key in ("wrs.anti-phishing", "wrs.anti-pharming", "wrs.cc-callback"):
            if key in settings:
                tail.append(f"{key} = {settings[key]}: ZTSA web reputation covers these at its "
                            "security level; check it")

        def fidelity() -> Comparison[WebRequest]:
            if a.block_file_types:
                base[0] = self._with_identity(self._atp_fidelity(a, profile, rule), a.accounts)
            return base[0].assume(*assumed) if assumed else base[0]

        def reasons(_: Comparison[WebRequest]) -> list[str]:
            found = head + _witness_reason(base[0], []) + tail
            return found or ["nothing in this ATP policy has a ZTSA counterpart"]

        def place(_: Comparison[WebRequest], __: tuple[str, ...]) -> None:
            # the file profile and rule carry what their comparison found, not the settings
            self.parts.set_meta(placed, Meta.of(origin, base[0].directions,
                                                head + _witness_reason(base[0], [])))

        self.stage.add(Pending(origin, "file profile and rules" if targets else "dropped",
                               tuple(targets), a.span, fidelity, reasons,
                               place if placed else None, dropped=not targets,
                               where="local"))

    def _atp_fidelity(self, a: AtpPolicy, profile: FileProfile, rule: InternetAccessRule
                      ) -> Comparison[WebRequest]:
        _, src_a, _, urls = self._context((), a.exceptions)
        src = WebPolicy(approved_lists=src_a, atp=(attrs.evolve(a, priority=1, enabled=True),))
        tgt = ZtsaPolicy(file_profiles=(profile,),
                         ip_address_groups=self._groups_of([rule.sources]),
                         internet_access_rules=(attrs.evolve(rule, enabled=True),))
        urls = ["http://www.example.com/file", *urls]
        types: list[str | None] = [None, "other/none", *a.block_file_types]
        reqs = probes.combine(urls, probes.account_identities(a.accounts), [()], [None], types)
        cmp = compare(src, tgt, reqs, self._identity_map())
        inherited, _ = self._inherited([("approved-list", n, "allow") for n in a.exceptions])
        return cmp.assume(*(inherited - cmp.directions))

    def lower_app_control(self, a: AppControlPolicy) -> None:
        origin = self.origin("application-control-policy", a.name, a.span)
        granular = [r for r in a.apps if r.action not in ("allow", "block", "match-next")]
        if not granular:
            blocks = [r.app for r in a.apps if r.action == "block"]
            reasons = ["only granular application actions have a ZTSA counterpart (cloud-app "
                       "actions); protocol-level allow/block must be re-created by hand"]
            if blocks:
                reasons.append("applications it blocked are let through: "
                               + ", ".join(blocks))
            self.record(origin, "dropped", by_rule(*(Difference.BROADENED,) * bool(blocks)),
                        [], reasons, a.span, dropped=True)
            return
        sources, notes = self.sources(a.name, a.accounts,
                                      kind="application-control-policy")
        review = (
            "application names must be matched to ZTSA cloud apps by hand; emitted disabled, "
            "so until it is enabled what it restricts is let through",
            *notes,
            *[f"app {r.app!r} = {r.action} was not migrated" for r in a.apps
              if r not in granular],
        )
        cmp = by_rule(Difference.BROADENED)
        rule = InternetAccessRule(
            f"{a.name}: application control", RuleAction.BLOCK, False, a.notes, sources,
            schedule=self.schedule(a.schedule),
            cloud_apps=tuple(CloudAppControl(r.app, r.action) for r in granular),
            meta=Meta.of(origin, cmp.directions, review))
        self.add(internet_access_rules=(rule,))
        self.record(origin, "Internet Access rule (disabled)", cmp, [rule.name], review, a.span)

    # ------------------------------------------------------------------ the rest

    def lower_certificates(self) -> None:
        status = {"trusted": CertStatus.TRUSTED, "untrusted": CertStatus.UNTRUSTED,
                  "inactive": CertStatus.UNKNOWN}
        out = []
        for c in self.web.certificates:
            origin = self.origin("digital-certificate", c.name, c.span)
            cmp: Comparison[WebRequest] = Comparison()
            review: tuple[str, ...] = ()
            if c.pem is None:
                review = ("the certificate file was not in the export; upload it by hand",)
            if c.status.value == "inactive":
                cmp = by_rule(Difference.NON_ACCESS)
                review += ("ZTSA has no 'inactive' status; emitted as unknown",)
            out.append(TlsCertificate(c.name, status[c.status.value], c.pem,
                                      Meta.of(origin, cmp.directions, review)))
            self.record(origin, "TLS/SSL certificate", cmp, [c.name], review, c.span)
        self.add(certificates=tuple(out))

    def lower_rest(self) -> None:
        web = self.web
        for s in web.schedules:
            origin = self.origin("schedule", s.name, s.span)
            self.record(origin, INLINED, Comparison(), [], [
                "ZTSA evaluates schedules in the gateway location's time zone (UTC+0 for "
                "public/home networks)"], None)
            self.note("ISC3009", Severity.NOTE, f"schedule \"{s.name}\" runs in the location's "
                      "time zone in ZTSA", s.span)
        for f in web.approved_file_lists:
            self.record(self.origin("approved-file-list", f.name, f.span), "dropped",
                        by_rule(Difference.NARROWED), [], [
                            "ZTSA rules cannot exempt file names; ATP file-name exceptions do "
                            "not migrate, so files they let through may be blocked"], f.span,
                        dropped=True)
        for o in web.others:
            reason, directions = _OTHER_KINDS.get(o.kind, _UNKNOWN_KIND)
            self.record(self.origin(o.kind, o.name or o.kind, o.span), "dropped",
                        by_rule(*directions), [], [reason], o.span, dropped=True,
                        no_action=o.kind in _NO_ACTION_KINDS)
        meaningless = sum(1 for s in web.settings if s.meaning is None)
        if web.settings:
            self.note("ISC2010", Severity.NOTE,
                      f"{len(web.settings)} configuration key(s) read, {meaningless} with no "
                      "policy meaning", web.settings[0].span)


_B = (Difference.BROADENED,)

#: The kinds of report object a request can exercise (the others decide no request in the
#: models: schedules are exercised through the policies that use them).
_PROBED = frozenset({
    "url-filtering-policy", "https-decryption-policy", "atp-policy", "custom-category",
    "approved-list", "https-tunneling", "global-url-blocking.entry",
    "global-url-blocking.exception", "global-trusted-urls.entry",
    "global-trusted-urls.exception"})

#: Kinds with no ZTSA counterpart: what to do, and what dropping them changes. Each
#: restricting kind is ``broadened``: what it stopped is let through (fail closed: isc does
#: not model them, so it cannot say that nothing was stopped).
_OTHER_KINDS: dict[str, tuple[str, tuple[Difference, ...]]] = {
    "http-inspection-policy": (
        "recreate as Secure Access Resources → HTTP/HTTPS traffic filters; until then the "
        "methods and uploads it blocked are let through", _B),
    "http-inspection-filter": (
        "recreate as Secure Access Resources → HTTP/HTTPS traffic filters; until then what it "
        "matched is let through", _B),
    "dlp-policy": ("recreate in Secure Access Resources → Data Loss Prevention; until then "
                   "what it blocked is let through", _B),
    "access-quota-policy": ("ZTSA has no access quotas: traffic beyond the quota is let "
                            "through", _B),
    "bandwidth-control-policy": ("ZTSA bandwidth control exists only on on-premises gateways; "
                                 "it shaped traffic without blocking it",
                                 (Difference.NON_ACCESS,)),
    "applet-activex-policy": ("ZTSA has no applet/ActiveX filtering: what it blocked is let "
                              "through", _B),
    "access-control-settings": ("client IP, server IP and port ACLs have no ZTSA counterpart: "
                                "what they denied is let through", _B),
    "x-forwarded-for": ("relevant only while IWSVA stays in a proxy chain; it decides no "
                        "request", ()),
    "pac-file": ("use the ZTSA PAC file or copy this one with the gateway address; it decides "
                 "no request", ()),
    "user-identification": ("configure IAM/SSO in Trend Vision One; the rules' LDAP names are "
                            "reported with the rules that use them", ()),
}
#: Dropped kinds that decide no request and ask nothing of anyone.
_NO_ACTION_KINDS = frozenset({"x-forwarded-for", "pac-file"})
_UNKNOWN_KIND = ("no ZTSA counterpart; isc does not model this kind, so what it restricted is "
                 "counted as let through", _B)


#: How a custom category's action uses its match set (see ``Lowering._category_uses``).
_ACTION_USE = {
    WebAction.BLOCK: "block",
    WebAction.BLOCK_OVERRIDE: "block",
    WebAction.TIME_LIMIT: "block",
    WebAction.WARN: "non-access",
    WebAction.MONITOR: "non-access",
    WebAction.ALLOW: "allow",
    WebAction.MATCH_NEXT: "both",
}


def _by_use(blocking: Comparison[WebRequest], uses: set[str]
            ) -> tuple[Comparison[WebRequest], str | None]:
    """A match set's directions from those of a blocking use, for the ways it is used, and
    the reason to give. The rules that use it carry their own computed directions."""
    found = blocking.directions
    if not found:
        return blocking, None
    directions: set[Difference] = set()
    if "block" in uses:
        directions |= found
    if "allow" in uses:
        directions |= mirror(found)
    if "both" in uses:
        directions |= found | mirror(found)
    if "non-access" in uses:
        directions.add(Difference.NON_ACCESS)
    kept = tuple(w for w in blocking.witnesses if w.direction in directions)
    cmp = attrs.evolve(blocking, witnesses=kept).assume(
        *(directions - {w.direction for w in kept}))
    how = " and ".join(sorted(uses))
    shown = ", ".join(d.value for d in sorted_directions(found))
    effect = ", ".join(d.value for d in sorted_directions(directions))
    if Difference.BROADENED in directions:
        effect += ": it may let through what the source stopped"
    return cmp, (f"its translated entries match other URLs than the source entries ({shown} "
                 f"in a rule that blocks them); used as {how}, that is {effect}")


def _witness_reason(cmp: Comparison[WebRequest], reasons: Iterable[str]) -> list[str]:
    """A reason for a computed difference when the translation gave none: the witness."""
    w = cmp.witness
    if w is None or list(reasons):
        return []
    return [f"{describe_request(request_json(w.probe))} is {w.source.action} in IWSVA and "
            f"{w.target.action} in ZTSA"]


def _cat_action(custom: str, action: WebAction) -> CategoryAction:
    return CategoryAction(CategoryRef(custom=custom), action)


def _cat_action_id(cid: int, action: WebAction) -> CategoryAction:
    return CategoryAction(CategoryRef(id=cid), action)


def _tunnel_domains(p: UrlPattern) -> list[str]:
    """An IWSVA tunneled host covers its subdomains: ZTSA needs ``d`` and ``*.d``."""
    value = p.stored.lstrip("@")
    host = value.split("/", 1)[0].rstrip("*")
    host = re.sub(r":\d+$", "", host).strip(".")
    if p.kind is UrlMatchType.WEB_SITE or p.kind is UrlMatchType.KEYWORD:
        host = host.lstrip("*").lstrip(".")
        return [host, f"*.{host}"]
    if "*" in host:
        return [host]
    return [host]


@attrs.frozen
class SweepFound:
    """What the whole-policy sweep found: how many probes it decided, the objects they
    exercised (``(kind, name)`` on either side), and the probes decided differently, in
    pool order, with both decisions."""

    probes: int
    deciding: frozenset[tuple[str, str]]
    differing: tuple[tuple[WebRequest, Decision, Decision], ...]


class Whole:
    """Both whole policies, decided over their indexes: the sweep and the witnesses. It
    reads only the policies, so it may run in a second process (:class:`workers.Server`)
    while the parent computes per-object fidelity."""

    def __init__(self, web: WebPolicy, policy: ZtsaPolicy, identity_map: dict[str, str]
                 ) -> None:
        self.web = web
        self.policy = policy
        self.identity_map = identity_map

    def decide(self, req: WebRequest) -> tuple[Decision, Decision]:
        return (iwsva.decide(self.web, req),
                ztsa.decide(self.policy, req, self.identity_map))

    def decide_all(self, reqs: Sequence[WebRequest]) -> list[tuple[Decision, Decision]]:
        return each(self.decide)(reqs)

    def serve(self, request: tuple[WebRequest, ...] | None
              ) -> SweepFound | list[tuple[Decision, Decision]]:
        """None: the sweep; requests: their decisions."""
        return self.sweep() if request is None else self.decide_all(request)

    def sweep(self) -> SweepFound:
        pool = probes.policy_pool(self.web)
        index = iwsva.WebIndex.of(self.web)
        ztsa.ZtsaIndex.of(self.policy)  # built before a split, so that both halves share it

        def run(part: Sequence[int]) -> tuple[
                set[tuple[str, str]], list[tuple[int, Decision, Decision]]]:
            """What the probes exercised, and the decisions of those decided differently
            (by position in the pool)."""
            keys: set[tuple[str, str]] = set()
            differing: list[tuple[int, Decision, Decision]] = []
            for i in part:
                req = pool[i]
                s, t = self.decide(req)
                keys.update((by.kind, by.name) for by in (t.decided_by, s.decided_by)
                            if by is not None)
                url = req.parsed
                keys.update(index.matched_objects(url, not s.decrypted))
                if url.scheme == "https":
                    decrypted_by = index.decrypted(req, url)[1]
                    if decrypted_by is not None:
                        keys.add((decrypted_by.kind, decrypted_by.name))
                if differences(s, t):
                    differing.append((i, s, t))
            return keys, differing

        deciding: set[tuple[str, str]] = set()
        differing: list[tuple[int, Decision, Decision]] = []
        positions = list(range(len(pool)))
        # alternate probes to each process (the pool comes in runs of one kind), then take
        # the differences in pool order, as one process would
        for _, (part_keys, part_differing) in workers.split(
                run, positions[0::2] + positions[1::2]):
            deciding |= part_keys
            differing += part_differing
        return SweepFound(len(pool), frozenset(deciding), tuple(
            (pool[i], s, t) for i, s, t in sorted(differing, key=lambda found: found[0])))


class _Near:
    """The entries of a list (source and translated) that probes reach, found through the
    models' indexes: an exception is compared with those, not with the whole list."""

    def __init__(self, entries: tuple[UrlPattern, ...], translated: tuple[ListEntry, ...]
                 ) -> None:
        self.entries = entries
        self.translated = translated
        self._indexes: tuple[iwsva.WebIndex, ztsa.ZtsaIndex] | None = None

    def around(self, reqs: Iterable[WebRequest]
               ) -> tuple[tuple[UrlPattern, ...], tuple[ListEntry, ...]]:
        if self._indexes is None:  # built when first needed: most lists never need it
            self._indexes = (
                iwsva.WebIndex(WebPolicy(custom_categories=tuple(
                    CustomCategory(str(i), (p,)) for i, p in enumerate(self.entries)))),
                ztsa.ZtsaIndex(ZtsaPolicy(custom_url_categories=tuple(
                    CustomUrlCategory(str(i), e.mode, (e.value,))
                    for i, e in enumerate(self.translated)))))
        source, target = self._indexes
        found: set[int] = set()
        for req in reqs:  # decrypted probes: the whole URL is seen
            url = req.parsed
            host_only = req.decrypted is False
            found.update(source.matches(url, host_only))
            found.update(int(n) for n in target.matching_categories(url, host_only))
        keep = sorted(found)
        return (tuple(self.entries[i] for i in keep if i < len(self.entries)),
                tuple(self.translated[i] for i in keep if i < len(self.translated)))


def lower(web: WebPolicy, rel: Callable[[str], str], options: Options
          ) -> tuple[ZtsaPolicy, list[ReportEntry], list[Diagnostic],
                     dict[str, tuple[str, bool]], dict[str, int], Swept | None]:
    low = Lowering(web, rel, options)
    policy = low.run()
    return policy, low.report, low.diagnostics, low.identities, low.coverage, low.swept
