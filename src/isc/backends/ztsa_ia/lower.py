"""Lowering the web IR to a ZTSA Internet Access policy, one source object at a time.

Each source object becomes zero or more target objects plus a report entry. The fidelity of
each is computed by running the source and target models on probes around the object
(:mod:`.probes`, :mod:`.fidelity`), never asserted by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import attrs

from isc.diagnostics import Diagnostic, Severity, Span
from isc.ir import categories
from isc.ir.common import Fidelity, Meta, Origin
from isc.ir.export import ReportEntry
from isc.ir.requests import WebRequest
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

from . import probes
from .fidelity import Comparison, compare, witness_json

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
_ORDER = [WebAction.BLOCK, WebAction.BLOCK_OVERRIDE, WebAction.WARN, WebAction.TIME_LIMIT,
          WebAction.MONITOR]


@attrs.frozen
class Options:
    identity_map: dict[str, str] = attrs.field(factory=dict, hash=False)


def translate_pattern(p: UrlPattern) -> tuple[MatchMode, str, tuple[str, ...]]:
    """One IWSVA entry → one ZTSA entry, exact where ZTSA syntax allows (docs/targets/ztsa-ia.md).

    Web site ``@P`` is IWSVA's ``*P``, so a URL-match ``*P`` keeps it exact; ``*k*`` is a
    keyword; a String is a URL match. ``%2a``/``%3f`` and ``:port`` have no ZTSA syntax.
    """
    notes: list[str] = []
    stored = p.stored
    if re.search(r"%2a|%3f", stored, re.IGNORECASE):
        notes.append("ZTSA has no escape for a literal '*' or '?'; it became a wildcard")
        stored = re.sub(r"%2a", "*", stored, flags=re.IGNORECASE)
        stored = re.sub(r"%3f", "?", stored, flags=re.IGNORECASE)
    if p.kind is UrlMatchType.WEB_SITE:
        body = stored[1:]
        host, sep, rest = body.partition("/")
        if re.search(r":\d+$", host):
            notes.append(f"ZTSA has no port syntax; the port of {host!r} was dropped")
            host = re.sub(r":\d+$", "", host) + ("*" if not sep and not host.endswith("*")
                                                  else "")
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
        self.report: list[ReportEntry] = []
        self.diagnostics: list[Diagnostic] = []
        self.identities: dict[str, tuple[str, bool]] = {}
        self.policy = ZtsaPolicy()
        self.custom: dict[str, tuple[str, ...]] = {}  # source custom/approved name → ZTSA names
        self.extra_categories: list[CustomUrlCategory] = []

    # ------------------------------------------------------------------ helpers

    def origin(self, kind: str, name: str, span: Span | None) -> Origin:
        return Origin.at(kind, name, span, self.rel)

    def note(self, code: str, severity: Severity, message: str, span: Span | None,
             notes: Iterable[str] = ()) -> None:
        self.diagnostics.append(Diagnostic.at(code, severity, message, span, tuple(notes)))

    def record(self, origin: Origin, fate: str, cmp: Comparison | Fidelity, targets: Iterable[str],
               reasons: Iterable[str], span: Span | None) -> Fidelity:
        tag = cmp if isinstance(cmp, Fidelity) else cmp.fidelity
        witness = None if isinstance(cmp, Fidelity) else witness_json(cmp)
        reasons = tuple(reasons)
        self.report.append(ReportEntry(origin, fate, tag, tuple(targets), reasons, witness))
        code = {Fidelity.NARROWED: "ISC3001", Fidelity.BROADENED: "ISC3002",
                Fidelity.APPROXIMATED: "ISC3003", Fidelity.DROPPED: "ISC3004"}.get(tag)
        if code is not None:
            sev = Severity.WARNING if tag in (Fidelity.BROADENED, Fidelity.DROPPED) else (
                Severity.NOTE)
            detail = f"; {reasons[0]}" if reasons else ""
            wit = ""
            if witness is not None:
                req = witness["request"]
                assert isinstance(req, dict)
                wit = f" (e.g. {req['url']}: {witness['source']} → {witness['target']})"
            self.note(code, sev, f"{origin.kind} \"{origin.name}\" is {tag.value}{detail}{wit}",
                      span)
        return tag

    # ------------------------------------------------------------------ driver

    def run(self) -> ZtsaPolicy:
        web = self.web
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
        self.sweep()
        return self.policy

    # ------------------------------------------------------------------ whole-policy sweep

    def sweep(self) -> None:
        """Objects were compared one at a time; compare the whole policies too, and widen the
        tag of whichever target object decides a request differently in context."""
        from isc.models import iwsva, ztsa

        from .fidelity import classify, covers

        identities = self._identity_map()
        widened: dict[tuple[str, str], Fidelity] = {}
        for req in probes.policy_pool(self.web):
            s = iwsva.decide(self.web, req)
            t = ztsa.decide(self.policy, req, identities)
            diff = classify(s.action, t.action)
            if diff is Fidelity.EXACT:
                continue
            keys: list[tuple[str, str]] = []
            if t.decided_by is not None:
                keys.append((t.decided_by.kind, t.decided_by.name))
            if s.decided_by is not None:
                keys.append((s.decided_by.kind, s.decided_by.name))
            for key in keys:
                widened[key] = Fidelity.combine([widened.get(key, Fidelity.EXACT), diff])
        if not widened:
            return

        def widen(meta: Meta, kind: str, name: str) -> Meta:
            extra = [widened.get((kind, name))]
            if meta.source is not None:
                extra.append(widened.get((meta.source.kind, meta.source.name)))
            tags = [meta.fidelity] + [e for e in extra if e is not None]
            if all(covers(meta.fidelity, e) for e in extra if e is not None):
                return meta
            return Meta(meta.source, Fidelity.combine(tags), meta.review + (
                "decides differently in the context of the whole policy",))

        p = self.policy
        self.policy = attrs.evolve(
            p,
            url_allow_list=tuple(attrs.evolve(e, meta=widen(e.meta, "url-allow-list", e.value))
                                 for e in p.url_allow_list),
            url_deny_list=tuple(attrs.evolve(e, meta=widen(e.meta, "url-deny-list", e.value))
                                for e in p.url_deny_list),
            internet_access_rules=tuple(
                attrs.evolve(r, meta=widen(r.meta, "internet-access-rule", r.name))
                for r in p.internet_access_rules),
            inspection_exceptions=tuple(
                attrs.evolve(e, meta=widen(e.meta, "inspection-exception", e.domain))
                for e in p.inspection_exceptions),
        )
        by_origin: dict[tuple[str, str], Fidelity] = {}
        metas = [o.meta for o in self.policy.url_allow_list + self.policy.url_deny_list]
        metas += [r.meta for r in self.policy.internet_access_rules]
        metas += [e.meta for e in self.policy.inspection_exceptions]
        for meta in metas:
            if meta.source is not None:
                k = (meta.source.kind, meta.source.name)
                by_origin[k] = Fidelity.combine([by_origin.get(k, Fidelity.EXACT),
                                                 meta.fidelity])
        self.report = [
            attrs.evolve(e, fidelity=Fidelity.combine([e.fidelity, by_origin[k]]))
            if (k := (e.source.kind, e.source.name)) in by_origin
            and e.fidelity is not Fidelity.DROPPED and not covers(e.fidelity, by_origin[k])
            else e
            for e in self.report
        ]

    def add(self, **fields: tuple[object, ...]) -> None:
        changes = {k: getattr(self.policy, k) + v for k, v in fields.items()}
        self.policy = attrs.evolve(self.policy, **changes)

    # ------------------------------------------------------------------ categories

    def _category_objects(self, name: str, entries: tuple[UrlPattern, ...], origin: Origin
                          ) -> tuple[list[CustomUrlCategory], list[str]]:
        by_mode: dict[MatchMode, list[str]] = {}
        notes: list[str] = []
        for p in entries:
            mode, value, n = translate_pattern(p)
            by_mode.setdefault(mode, [])
            if value not in by_mode[mode]:
                by_mode[mode].append(value)
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
        out: list[CustomUrlCategory] = []
        for kind, src_name, name, entries, span in items:
            origin = self.origin(kind, src_name, span)
            cats, notes = self._category_objects(name, entries, origin)
            cmp = self._category_fidelity(entries, cats)
            review = tuple(notes)
            cats = [attrs.evolve(c, meta=Meta(origin, cmp.fidelity, review)) for c in cats]
            out.extend(cats)
            self.custom[f"{kind}:{src_name}"] = tuple(c.name for c in cats)
            self.record(origin, "translated", cmp, [c.name for c in cats], review, span)
        self.add(custom_url_categories=tuple(out))

    def _category_fidelity(self, entries: tuple[UrlPattern, ...],
                           cats: list[CustomUrlCategory]) -> Comparison:
        """Compare match sets entry by entry (a rule blocking the source entry vs one blocking
        its translation). A differing set is 'approximated' for the category object itself;
        the rules that use it carry the access direction."""
        worst = Comparison(Fidelity.EXACT)
        for p in entries:
            mode, value, _ = translate_pattern(p)
            src = WebPolicy(custom_categories=(CustomCategory("c", (p,)),), url_filtering=(
                UrlFilteringPolicy("p", 1, categories=(_cat_action("c", WebAction.BLOCK),)),))
            tgt = ZtsaPolicy(
                custom_url_categories=(CustomUrlCategory("c", mode, (value,)),),
                internet_access_rules=(InternetAccessRule(
                    "p", RuleAction.BLOCK, custom_url_categories=("c",)),))
            cmp = compare(src, tgt, self._url_probes([p], decrypted=True))
            if cmp.fidelity is not Fidelity.EXACT:
                return attrs.evolve(cmp, fidelity=Fidelity.APPROXIMATED)
        return worst

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
                        Fidelity.EXACT, [], ["the list is disabled"], lst.span)
            return
        entries: list[ListEntry] = []
        for p in lst.entries:
            mode, value, notes = translate_pattern(p)
            origin = self.origin(f"{kind}.entry", p.stored, p.span)
            entry = ListEntry(mode, value, Meta(origin))
            src, tgt = self._list_context(trusted, (p,), (), (entry,))
            cmp = compare(src, tgt, self._url_probes([p], decrypted=True))
            entry = attrs.evolve(entry, meta=Meta(origin, cmp.fidelity, notes))
            entries.append(entry)
            target = "URL Allow List" if trusted else "URL Deny List"
            self.record(origin, f"{target} entry", cmp, [value], notes, p.span)
        for p in lst.exceptions:
            origin = self.origin(f"{kind}.exception", p.stored, p.span)
            src, tgt = self._list_context(trusted, tuple(lst.entries), (p,), tuple(entries))
            cmp = compare(src, tgt, self._url_probes([p], decrypted=True))
            tag = cmp.fidelity if cmp.fidelity is not Fidelity.EXACT else Fidelity.DROPPED
            reason = ("ZTSA allow/deny lists have no exceptions; add a matching rule by hand "
                      "or narrow the list entries")
            self.record(origin, "dropped", attrs.evolve(cmp, fidelity=tag), [], [reason],
                        p.span)
        if trusted:
            self.add(url_allow_list=tuple(entries))
        else:
            self.add(url_deny_list=tuple(entries))

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
        out: list[InspectionException] = []
        for p in self.web.tunneling:
            origin = self.origin("https-tunneling", p.stored, p.span)
            domains = _tunnel_domains(p)
            excs = [InspectionException(d, Meta(origin)) for d in domains]
            src = WebPolicy(tunneling=(p,), url_filtering=(
                UrlFilteringPolicy("sentinel", 1, categories=(
                    _cat_action_id(90, WebAction.BLOCK),)),))
            tgt = ZtsaPolicy(inspection_exceptions=tuple(excs), internet_access_rules=(
                InternetAccessRule("sentinel", RuleAction.BLOCK),))
            reqs = [r for r in self._url_probes([p]) if r.url.startswith("https://")]
            cmp = compare(src, tgt, reqs)
            reason = ("a ZTSA inspection exception only skips decryption; URL filtering still "
                      "applies to the host, where IWSVA tunneling bypassed it")
            excs = [attrs.evolve(e, meta=Meta(origin, cmp.fidelity, (reason,))) for e in excs]
            out.extend(excs)
            self.record(origin, "inspection exceptions", cmp, domains, [reason], p.span)
        self.add(inspection_exceptions=tuple(out))

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
        review = tuple(src_notes)
        cmp = self._decryption_fidelity(d, rules)
        rules = [attrs.evolve(r, meta=Meta(origin, cmp.fidelity, review)) for r in rules]
        self.add(https_inspection_rules=tuple(rules))
        self.record(origin, "HTTPS inspection rules", cmp, [r.name for r in rules], review,
                    d.span)

    def _context(self, custom: Iterable[str], approved: Iterable[str]
                  ) -> tuple[tuple[CustomCategory, ...], tuple[ApprovedList, ...],
                             tuple[CustomUrlCategory, ...]]:
        """Only the categories and lists an object refers to, on both sides: comparisons stay
        linear in the size of the export."""
        cset, aset = set(custom), set(approved)
        src_c = tuple(c for c in self.web.custom_categories if c.name in cset)
        src_a = tuple(a for a in self.web.approved_lists if a.name in aset)
        names = set(self._refs("custom-category", cset)) | set(self._refs("approved-list", aset))
        tgt = tuple(c for c in self.policy.custom_url_categories if c.name in names)
        return src_c, src_a, tgt

    def _decryption_fidelity(self, d: HttpsDecryptionPolicy, rules: list[HttpsInspectionRule]
                             ) -> Comparison:
        """Decryption decides visibility: compare with a path-only sentinel rule."""
        entries = [p for n in d.exceptions if (a := self.web.approved_list(n)) for p in a.entries]
        sentinel_pattern = UrlPattern("*/private/*")
        src_c, src_a, tgt_c = self._context(
            [c.category.custom for c in d.categories if c.category.custom], d.exceptions)
        src = WebPolicy(
            https_decryption=(attrs.evolve(d, priority=1),),
            approved_lists=src_a,
            custom_categories=src_c + (CustomCategory("sentinel", (sentinel_pattern,)),),
            url_filtering=(UrlFilteringPolicy("sentinel", 1, categories=(
                _cat_action("sentinel", WebAction.BLOCK),)),),
        )
        tgt = attrs.evolve(
            self.policy, https_inspection_rules=tuple(rules) + (HttpsInspectionRule(
                "none", InspectAction.DO_NOT_INSPECT),),
            inspection_exceptions=(), url_allow_list=(), url_deny_list=(),
            custom_url_categories=tgt_c + (
                CustomUrlCategory("sentinel", MatchMode.URL, ("*/private/*",)),),
            internet_access_rules=(InternetAccessRule(
                "sentinel", RuleAction.BLOCK, custom_url_categories=("sentinel",)),))
        hosts = ["https://www.example.com/private/x"] + [
            u.replace("http://", "https://", 1).rstrip("/") + "/private/x"
            for p in entries for u in probes.pattern_urls(p) if u.startswith("http://")]
        cats: list[tuple[str | int, ...]] = [
            (c.category.id,) for c in d.categories if c.category.id is not None]
        cats.append((90,))
        reqs = list(probes.combine(hosts, probes.account_identities(d.accounts), cats, [None]))
        return compare(src, tgt, reqs, self.options.identity_map)

    def finish_decryption(self) -> None:
        """IWSVA decrypts nothing that no policy selects; ZTSA's default rule decrypts all."""
        if any(d.enabled and d.is_global for d in self.web.https_decryption):
            return
        origin = Origin("", 0, "default", "no HTTPS decryption policy applies")
        rule = HttpsInspectionRule("isc: default do not decrypt", InspectAction.DO_NOT_INSPECT,
                                   meta=Meta(origin, Fidelity.EXACT, (
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
                                 f"{name!r} by guess; confirm it with --identity-map")
            elif a.kind is AccountKind.HOST:
                notes.append(f"host account {a.value!r} has no ZTSA source")
        ip_groups: tuple[str, ...] = ()
        if addresses:
            # policies of different kinds may share a name; their groups must not
            gname = (f"{policy}: clients" if kind == "url-filtering-policy"
                     else f"{policy} [{kind}]: clients")
            existing = self.policy.ip_group(gname)
            if existing is None:
                self.add(ip_address_groups=(IpAddressGroup(
                    gname, tuple(addresses), meta=Meta(None, Fidelity.EXACT, (
                        "private addresses need the Secure Access Module or X-Forwarded-For",
                    ))),))
            ip_groups = (gname,)
        return Sources(tuple(users), tuple(groups), ip_groups), notes

    def identity(self, dn: str) -> tuple[str, bool]:
        mapped = self.options.identity_map.get(dn)
        if mapped is None:
            for k, v in self.options.identity_map.items():
                if k.lower() == dn.lower():
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
        cmp = self._with_identity(self._policy_fidelity(p, rules), p.accounts)
        review = tuple(dict.fromkeys(notes))
        rules = [attrs.evolve(r, meta=Meta(origin, cmp.fidelity, review)) for r in rules]
        self.add(internet_access_rules=tuple(rules))
        self.record(origin, "Internet Access rules", cmp, [r.name for r in rules], review, p.span)

    def _policy_fidelity(self, p: UrlFilteringPolicy, rules: list[InternetAccessRule]
                         ) -> Comparison:
        """Compare the policy alone (plus a block-all fallback) with its rules alone."""
        web = self.web
        src_c, src_a, tgt_c = self._context(
            [ca.category.custom for ca in p.categories if ca.category.custom], p.exceptions)
        src = WebPolicy(
            schedules=web.schedules, custom_categories=src_c, approved_lists=src_a,
            url_filtering=(attrs.evolve(p, priority=1, enabled=True),
                           UrlFilteringPolicy("fallback", 2, is_global=True, categories=tuple(
                               _cat_action_id(c.id, WebAction.BLOCK)
                               for c in categories.CATEGORIES) + tuple(
                               _cat_action(c.name, WebAction.BLOCK) for c in src_c))),
        )
        tgt = attrs.evolve(
            self.policy, url_allow_list=(), url_deny_list=(), inspection_exceptions=(),
            https_inspection_rules=(), custom_url_categories=tgt_c,
            internet_access_rules=tuple(attrs.evolve(r, enabled=True) for r in rules) + (
                InternetAccessRule("fallback", RuleAction.BLOCK),))
        urls = ["http://www.example.com/"]
        for name in p.exceptions:
            lst = web.approved_list(name)
            if lst:
                urls += [u for e in lst.entries for u in probes.pattern_urls(e)]
        for ca in p.categories:
            if ca.category.custom:
                cc = web.custom_category(ca.category.custom)
                if cc:
                    urls += [u for e in cc.entries for u in probes.pattern_urls(e)][:12]
        cats: list[tuple[str | int, ...]] = [(90,), ()]
        listed = [ca.category.id for ca in p.categories if ca.category.id is not None]
        cats += [(i,) for i in listed]
        cats += [(listed[i], listed[i + 1]) for i in range(len(listed) - 1)]
        unlisted = next((c.id for c in categories.CATEGORIES if c.id not in listed
                         and c.ztsa_name), None)
        if unlisted is not None:
            cats.append((unlisted,))
        times = probes.schedule_times(web, [p.schedule])
        reqs = probes.combine(list(dict.fromkeys(urls)), probes.account_identities(p.accounts),
                              cats, times)
        return compare(src, tgt, reqs, self._identity_map())

    def _with_identity(self, cmp: Comparison, accounts: Iterable[Account]) -> Comparison:
        """An LDAP name mapped to an SSO name by guess may stand for more or fewer people in
        the target directory: both directions are possible, so the rule is approximated
        (semantics.md §5) until a mapping file confirms the name."""
        guessed = any(a.kind in (AccountKind.LDAP_USER, AccountKind.LDAP_GROUP)
                      and not self.identities.get(a.value, ("", True))[1] for a in accounts)
        if not guessed:
            return cmp
        return attrs.evolve(cmp, fidelity=Fidelity.combine([cmp.fidelity,
                                                            Fidelity.APPROXIMATED]))

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
        notes: list[str] = []
        targets: list[str] = []
        if a.block_file_types:
            sources, notes = self.sources(a.name, a.accounts, kind="atp-policy")
            profile = FileProfile(f"{a.name}: blocked file types", tuple(a.block_file_types),
                                  meta=Meta(origin))
            rule = InternetAccessRule(f"{a.name}: block file types", RuleAction.BLOCK, a.enabled,
                                      a.notes, sources, file_profiles=(profile.name,),
                                      meta=Meta(origin))
            if a.exceptions:
                notes.append("ATP URL exceptions do not migrate: ZTSA rules cannot exempt URLs")
            notes.append("check that ZTSA true-file-type names match the IWSVA ones")
            cmp = self._with_identity(self._atp_fidelity(a, profile, rule), a.accounts)
            review = tuple(notes)
            self.add(file_profiles=(attrs.evolve(profile, meta=Meta(origin, cmp.fidelity,
                                                                    review)),),
                     internet_access_rules=(attrs.evolve(rule, meta=Meta(origin, cmp.fidelity,
                                                                         review)),))
            targets += [profile.name, rule.name]
        else:
            cmp = Comparison(Fidelity.EXACT)
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
                meta=Meta(origin, Fidelity.APPROXIMATED, (
                    "web reputation and scanning are outside isc's decision models; review the "
                    "security level and scan limits",)))
            self.add(threat_protection_rules=(tp,))
            targets.append(tp.name)
        for key in ("compressed.max-files", "compressed.max-size-mb"):
            if key in settings:
                notes.append(f"{key} has no ZTSA counterpart")
        if a.scan != "all" or a.scan_extensions or a.mime_skip:
            notes.append("scan mode, scanned extensions and skipped MIME types were not "
                         "migrated: set 'do not scan' file profiles in the threat protection rule")
        for key in ("wrs.anti-phishing", "wrs.anti-pharming", "wrs.cc-callback"):
            if key in settings:
                notes.append(f"{key} = {settings[key]}: ZTSA web reputation covers these at its "
                             "security level; check it")
        tag = cmp if targets else Fidelity.DROPPED
        if targets and any(k in settings for k in ("compressed.max-files",
                                                   "compressed.max-size-mb")):
            tag = attrs.evolve(cmp, fidelity=Fidelity.combine([cmp.fidelity,
                                                               Fidelity.APPROXIMATED]))
        self.record(origin, "file profile and rules" if targets else "dropped", tag, targets,
                    notes or ["nothing in this ATP policy has a ZTSA counterpart"], a.span)

    def _atp_fidelity(self, a: AtpPolicy, profile: FileProfile, rule: InternetAccessRule
                      ) -> Comparison:
        src = WebPolicy(approved_lists=self.web.approved_lists, atp=(attrs.evolve(a, priority=1,
                                                                                 enabled=True),))
        tgt = attrs.evolve(self.policy, url_allow_list=(), url_deny_list=(),
                           file_profiles=self.policy.file_profiles + (profile,),
                           internet_access_rules=(attrs.evolve(rule, enabled=True),),
                           https_inspection_rules=(), inspection_exceptions=())
        urls = ["http://www.example.com/file"]
        for name in a.exceptions:
            lst = self.web.approved_list(name)
            if lst:
                urls += [u for e in lst.entries for u in probes.pattern_urls(e)][:20]
        types: list[str | None] = [None, "other/none", *a.block_file_types]
        reqs = probes.combine(urls, probes.account_identities(a.accounts), [()], [None], types)
        return compare(src, tgt, reqs, self._identity_map())

    def lower_app_control(self, a: AppControlPolicy) -> None:
        origin = self.origin("application-control-policy", a.name, a.span)
        granular = [r for r in a.apps if r.action not in ("allow", "block", "match-next")]
        if not granular:
            self.record(origin, "dropped", Fidelity.DROPPED, [], [
                "only granular application actions have a ZTSA counterpart (cloud-app "
                "actions); protocol-level allow/block must be re-created by hand"], a.span)
            return
        sources, notes = self.sources(a.name, a.accounts,
                                      kind="application-control-policy")
        review = (
            "application names must be matched to ZTSA cloud apps by hand; emitted disabled",
            *notes,
            *[f"app {r.app!r} = {r.action} was not migrated" for r in a.apps
              if r not in granular],
        )
        rule = InternetAccessRule(
            f"{a.name}: application control", RuleAction.BLOCK, False, a.notes, sources,
            schedule=self.schedule(a.schedule),
            cloud_apps=tuple(CloudAppControl(r.app, r.action) for r in granular),
            meta=Meta(origin, Fidelity.APPROXIMATED, review))
        self.add(internet_access_rules=(rule,))
        self.record(origin, "Internet Access rule (disabled)", Fidelity.APPROXIMATED,
                    [rule.name], review, a.span)

    # ------------------------------------------------------------------ the rest

    def lower_certificates(self) -> None:
        status = {"trusted": CertStatus.TRUSTED, "untrusted": CertStatus.UNTRUSTED,
                  "inactive": CertStatus.UNKNOWN}
        out = []
        for c in self.web.certificates:
            origin = self.origin("digital-certificate", c.name, c.span)
            tag = Fidelity.EXACT if c.status.value != "inactive" else Fidelity.APPROXIMATED
            review: tuple[str, ...] = ()
            if c.pem is None:
                review = ("the certificate file was not in the export; upload it by hand",)
            if c.status.value == "inactive":
                review += ("ZTSA has no 'inactive' status; emitted as unknown",)
            out.append(TlsCertificate(c.name, status[c.status.value], c.pem,
                                      Meta(origin, tag, review)))
            self.record(origin, "TLS/SSL certificate", tag, [c.name], review, c.span)
        self.add(certificates=tuple(out))

    def lower_rest(self) -> None:
        web = self.web
        for s in web.schedules:
            origin = self.origin("schedule", s.name, s.span)
            self.record(origin, "inlined into the rules that use it", Fidelity.EXACT, [], [
                "ZTSA evaluates schedules in the gateway location's time zone (UTC+0 for "
                "public/home networks)"], None)
            self.note("ISC3009", Severity.NOTE, f"schedule \"{s.name}\" runs in the location's "
                      "time zone in ZTSA", s.span)
        for f in web.approved_file_lists:
            self.record(self.origin("approved-file-list", f.name, f.span), "dropped",
                        Fidelity.DROPPED, [], ["ZTSA rules cannot exempt file names; "
                                               "ATP file-name exceptions do not migrate"], f.span)
        for o in web.others:
            self.record(self.origin(o.kind, o.name or o.kind, o.span), "dropped",
                        Fidelity.DROPPED, [], [_OTHER_REASONS.get(o.kind, "no ZTSA counterpart")],
                        o.span)
        meaningless = sum(1 for s in web.settings if s.meaning is None)
        if web.settings:
            self.note("ISC2010", Severity.NOTE,
                      f"{len(web.settings)} configuration key(s) read, {meaningless} with no "
                      "policy meaning", web.settings[0].span)


_OTHER_REASONS = {
    "http-inspection-policy": "recreate as Secure Access Resources → HTTP/HTTPS traffic filters",
    "http-inspection-filter": "recreate as Secure Access Resources → HTTP/HTTPS traffic filters",
    "dlp-policy": "recreate in Secure Access Resources → Data Loss Prevention",
    "access-quota-policy": "ZTSA has no access quotas",
    "bandwidth-control-policy": "ZTSA bandwidth control exists only on on-premises gateways",
    "applet-activex-policy": "ZTSA has no applet/ActiveX filtering",
    "access-control-settings": "client IP, server IP and port ACLs have no ZTSA counterpart",
    "x-forwarded-for": "relevant only while IWSVA stays in a proxy chain",
    "pac-file": "use the ZTSA PAC file or copy this one with the gateway address",
    "user-identification": "configure IAM/SSO in Trend Vision One",
}


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


def lower(web: WebPolicy, rel: Callable[[str], str], options: Options
          ) -> tuple[ZtsaPolicy, list[ReportEntry], list[Diagnostic], dict[str, tuple[str, bool]]]:
    low = Lowering(web, rel, options)
    policy = low.run()
    return policy, low.report, low.diagnostics, low.identities
