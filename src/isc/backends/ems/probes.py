"""Probe messages: the finite sample on which the IMSVA and EmS models are compared.

Probes come from the objects themselves: addresses that hit and just miss each route party,
address group and exception; for each condition (source and translated) a message feature
that satisfies it and one that just misses it (sizes at n-1, n, n+1, a matching and a
non-matching attachment name, keyword text generated from the expression's AST, spam scores
around the threshold, each scanner verdict on and off ...); and their combinations, so that
Any/All boundaries are crossed too.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from isc.ir import keyword_expr as kx
from isc.ir.ems import EmsPolicy, EmsRule
from isc.ir.mail import (
    AddressGroup,
    AttachmentName,
    Condition,
    DlpCondition,
    Flag,
    FlagCondition,
    KeywordCondition,
    KeywordExpression,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Measure,
    MessagePart,
    MimeType,
    Party,
    PartyKind,
    ReceivedTime,
    RouteType,
    RuleType,
    SizeCondition,
    SpamCondition,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)
from isc.ir.requests import Attachment, MailMessage
from isc.models.imsva import spam_threshold

#: A message feature: keyword arguments of :class:`MailMessage` to merge into a probe.
Feature = dict[str, Any]

EXTERNAL = "outsider@external.example"
EXTERNAL_2 = "partner@other.example"

# ---------------------------------------------------------------------- addresses


def _fill(pattern: str, local_fill: str = "probe", domain_fill: str = "sub") -> str:
    local, at, domain = pattern.strip().rpartition("@")
    if not at:
        return f"probe@{pattern.strip().replace('*', domain_fill)}"
    return local.replace("*", local_fill) + "@" + domain.replace("*", domain_fill)


def pattern_addresses(pattern: str) -> list[str]:
    """Addresses on both sides of an address pattern's boundary."""
    pat = pattern.strip().lower()
    if pat in ("*", "*@*"):
        return ["anyone@anywhere.example"]
    out = [_fill(pat), _fill(pat, "x", "deep.sub")]
    local, at, domain = pat.rpartition("@")
    if at:
        bare = domain.lstrip("*").lstrip(".")
        if bare and bare != domain:
            out.append(f"{local.replace('*', 'probe')}@{bare}")   # the apex of *.d
        elif bare:
            out.append(f"{local.replace('*', 'probe')}@sub.{bare}")  # a subdomain of d
        if "*" not in local:
            out.append(f"other.{local}@{domain.replace('*', 'sub')}")
    return list(dict.fromkeys(out))


def internal_address(domains: Sequence[str]) -> str | None:
    for d in domains:
        if "@" in d:
            return _fill(d)
        return "staff@" + d.replace("*", "sub").lstrip(".")
    return None


class Sides:
    """Sender and recipient samples (address, LDAP groups) for parties."""

    def __init__(self, policy: MailPolicy) -> None:
        self.policy = policy

    def party(self, p: Party, _seen: frozenset[str] = frozenset()
              ) -> list[tuple[str, tuple[str, ...]]]:
        if p.kind is PartyKind.ADDRESS:
            return [(a, ()) for a in pattern_addresses(p.value)]
        if p.kind is PartyKind.MY_ORGANIZATION:
            own = internal_address(self.policy.internal_domains)
            return [(own, ())] if own else []
        if p.kind in (PartyKind.LDAP_GROUP, PartyKind.LDAP_USER):
            return [("ldap.member@" + (self.policy.internal_domains or ("corp.example",))[0]
                     .replace("*", "sub").lstrip("."), (p.value,))]
        if p.kind is PartyKind.ADDRESS_GROUP and p.value not in _seen:
            group = self.policy.address_group(p.value)
            if group is None:
                return []
            return [s for m in group.addresses[:8] for s in self.party(m, _seen | {p.value})]
        return []

    def parties(self, ps: Iterable[Party]) -> list[tuple[str, tuple[str, ...]]]:
        return list(dict.fromkeys(s for p in ps for s in self.party(p)))[:16]


def route_identities(policy: MailPolicy, route_type: RouteType, senders: Sequence[Party],
                     recipients: Sequence[Party], exceptions: Iterable[tuple[Party, Party]]
                     ) -> list[Feature]:
    """Sender/recipient pairs: inside the route, at each party, at each exception, outside."""
    sides = Sides(policy)
    inside = internal_address(policy.internal_domains)
    orientations: list[tuple[str, str, str | None]] = []
    if route_type in (RouteType.INCOMING, RouteType.BOTH, RouteType.ALL, RouteType.POP3):
        orientations.append((EXTERNAL, inside or "staff@corp.example",
                             None if inside else "incoming"))
    if route_type in (RouteType.OUTGOING, RouteType.BOTH, RouteType.ALL):
        orientations.append((inside or "staff@corp.example", EXTERNAL,
                             None if inside else "outgoing"))
    out: list[Feature] = []

    def add(sender: tuple[str, tuple[str, ...]], recipient: tuple[str, tuple[str, ...]],
            direction: str | None) -> None:
        out.append({"sender": sender[0], "sender_groups": sender[1],
                    "recipient": recipient[0], "recipient_groups": recipient[1],
                    "direction": direction})

    s_samples = sides.parties(senders)
    r_samples = sides.parties(recipients)
    for snd, rcp, direction in orientations:
        s_first = s_samples[0] if s_samples else (snd, ())
        r_first = r_samples[0] if r_samples else (rcp, ())
        add(s_first, r_first, direction)
        for s in s_samples[1:]:
            add(s, r_first, direction)
        for r in r_samples[1:]:
            add(s_first, r, direction)
        add((EXTERNAL_2, ()), r_first, direction)
        add(s_first, ("nobody@unlisted.example", ()), direction)
        add((snd, ()), (rcp, ()), direction)
        for es, er in exceptions:
            for s in (sides.party(es) or [s_first])[:2]:
                for r in (sides.party(er) or [r_first])[:2]:
                    add(s, r, direction)
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for f in out:
        key = tuple(sorted(f.items()))
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


# ---------------------------------------------------------------------- keyword text

_META_SAMPLE = {"s": " ", "S": "a", "d": "0", "D": "a", "w": "a", "W": " "}
_SHORTHAND_SAMPLE = {"D": "0", "L": "a", "SP": "(", "NUMBER": "0", "WORD": "a", "CR": "\r",
                     "LF": "\n", "LWSP": " ", "CRLF": "\r\n", "WSP": " ", "ALLC": "a"}
_POSIX_SAMPLE = {"alpha": "a", "digit": "0", "alnum": "a", "upper": "A", "lower": "a",
                 "space": " ", "blank": " ", "punct": "!", "xdigit": "0", "cntrl": "\x01",
                 "print": "a", "graph": "a"}


def sample_text(node: kx.Node) -> str:
    """A text the expression is likely to match (a probe, not a proof)."""
    if isinstance(node, kx.Char):
        return node.char
    if isinstance(node, kx.AnyChar):
        return "a"
    if isinstance(node, kx.MetaClass):
        return _META_SAMPLE[node.meta.value]
    if isinstance(node, kx.ShorthandRef):
        return _SHORTHAND_SAMPLE[node.name.value]
    if isinstance(node, kx.Bracket):
        if node.negated:
            return "\u00a7"
        for item in node.items:
            if isinstance(item, kx.Char):
                return item.char
            if isinstance(item, kx.Range):
                return item.first.char
            if isinstance(item, kx.PosixClass):
                return _POSIX_SAMPLE.get(item.name, "a")
            return _META_SAMPLE[item.meta.value]
        return "a"
    if isinstance(node, kx.AnchorNode | kx.Empty | kx.Not):
        return ""
    if isinstance(node, kx.Quoted):
        return node.text
    if isinstance(node, kx.Repeat):
        return sample_text(node.node) * max(node.min, 1)
    if isinstance(node, kx.Group | kx.Reg):
        return sample_text(node.node)
    if isinstance(node, kx.Concat):
        return "".join(sample_text(i) for i in node.items)
    if isinstance(node, kx.Alternation):
        return sample_text(node.options[0]) if node.options else ""
    if isinstance(node, kx.And):
        return " ".join(sample_text(o) for o in node.operands)
    if isinstance(node, kx.Or):
        return sample_text(node.operands[0]) if node.operands else ""
    return node.pattern.replace("*", "x").replace("?", "a")


def keyword_texts(match: KeywordMatch, expressions: Sequence[KeywordExpression]) -> list[str]:
    """Texts around a keyword list's boundary: each expression alone, all together, the
    positive-score ones together, and none."""
    samples = [sample_text(e.expr) for e in expressions[:12]]
    out = [f"probe {s} probe" for s in samples]
    out.append("probe " + " ".join(samples) + " probe")
    positive = [sample_text(e.expr) for e in expressions if e.score > 0]
    out.append("probe " + " ".join(positive) + " probe")
    out.append("nothing to see here")
    del match
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------- conditions


def _size_values(value: int) -> list[int]:
    vals = {value - 1, value, value + 1, value - 1024, value + 1024,
            (value // 1024) * 1024, -(-value // 1024) * 1024}
    return sorted(v for v in vals if v >= 0)


def _attachment(**kw: Any) -> Attachment:
    kw.setdefault("name", "probe.bin")
    return Attachment(**kw)


def condition_features(cond: Condition, policy: MailPolicy | EmsPolicy
                       ) -> tuple[list[Feature], list[Feature]]:
    """Features that satisfy ``cond`` and features that just miss it."""
    if isinstance(cond, SizeCondition):
        feats = [_size_feature(cond.measure, v) for v in _size_values(cond.value)]
        return feats, []
    if isinstance(cond, AttachmentName):
        pat = cond.pattern.strip()
        name = pat.replace("*", "probe").replace("?", "a")
        if not any(c in pat for c in "*?."):
            name = f"probe.{pat}"
        return ([{"attachments": (_attachment(name=name),)}],
                [{"attachments": (_attachment(name="probe.zzq"),)}])
    if isinstance(cond, TrueFileType):
        return ([{"attachments": (_attachment(name="probe.dat", file_type=cond.file_type),)}],
                [{"attachments": (_attachment(name="probe.dat", file_type="ZZQ"),)}])
    if isinstance(cond, MimeType):
        mime = cond.mime_type.replace("*", "probe")
        return ([{"attachments": (_attachment(mime_type=mime),)}],
                [{"attachments": (_attachment(mime_type="text/x-probe"),)}])
    if isinstance(cond, KeywordCondition):
        return _keyword_features(cond, policy)
    if isinstance(cond, SpamCondition):
        t = spam_threshold(cond)
        return ([{"spam_score": t}, {"spam_score": t + 0.5}, {"spam_score": 10.0}],
                [{"spam_score": t - 0.5}, {"spam_score": 3.0}])
    if isinstance(cond, WebReputationCondition):
        return ([{"wrs_level": lv} for lv in ("high", "medium", "low", "untested")], [])
    if isinstance(cond, FlagCondition):
        return [_flag_feature(cond.flag)], []
    if isinstance(cond, DlpCondition):
        return ([{"dlp_templates": (cond.template,)}],
                [{"dlp_templates": ("isc probe template",)}])
    if isinstance(cond, ReceivedTime):
        return ([{"when": cond.start}, {"when": (cond.end - 1) % 1440}],
                [{"when": (cond.start - 1) % 1440}, {"when": cond.end % 1440}])
    if isinstance(cond, VirusCondition):
        hits: list[Feature] = [{"virus": True}]
        for ext in cond.extensions[:4]:
            e = ext.strip().lstrip("*").lstrip(".") or "exe"
            hits.append({"virus": True,
                         "attachments": (_attachment(name=f"probe.{e.replace('*', 'x')}"),)})
        return hits, [{"virus": True, "attachments": (_attachment(name="probe.zzq"),)}]
    return [], []


def _size_feature(measure: Measure, value: int) -> Feature:
    if measure is Measure.ATTACHMENT_SIZE:
        return {"attachments": (_attachment(size=value),)}
    if measure is Measure.ATTACHMENT_COUNT:
        n = min(value, 300)
        return {"attachments": tuple(_attachment(name=f"probe{i}.bin") for i in range(n)),
                "_count": True}
    if measure is Measure.MESSAGE_SIZE:
        return {"size": value}
    n = min(value, 1000)
    return {"recipients": tuple(f"r{i}@many.example" for i in range(max(n - 1, 0))),
            "_count": True}


def _flag_feature(flag: Flag) -> Feature:
    features: dict[Flag, Feature] = {
        Flag.GRAYMAIL: {"graymail": True},
        Flag.SOCIAL_ENGINEERING: {"sea": True},
        Flag.PASSWORD_PROTECTED: {"attachments": (_attachment(name="probe.zip",
                                                              password_protected=True),)},
        Flag.CC_EMAIL: {"cc_email": True},
        Flag.UNABLE_TO_DECRYPT: {"undecryptable": True},
        Flag.SPOOFED_INTERNAL: {"spoofed_internal": True},
    }
    return features[flag]


def _keyword_features(cond: KeywordCondition, policy: MailPolicy | EmsPolicy
                      ) -> tuple[list[Feature], list[Feature]]:
    lst = policy.keyword_list(cond.keyword_list)
    if lst is None:
        return [], []
    texts = keyword_texts(lst.match, lst.expressions)
    feats: list[Feature] = []
    for text in texts:
        if cond.part is MessagePart.SUBJECT:
            feats.append({"subject": text})
        elif cond.part is MessagePart.BODY:
            feats.append({"body": text})
        elif cond.part is MessagePart.HEADER:
            names = cond.headers or ("X-Probe",)
            feats.append({"headers": tuple((h.strip(), text) for h in names[:3])})
        else:
            feats.append({"attachments": (_attachment(name="probe.txt", content=text),)})
    return feats, []


def merge(*features: Feature) -> Feature:
    """Later features win; attachments, headers and texts accumulate (a count feature
    replaces the attachments instead)."""
    out: Feature = {}
    for f in features:
        for key, value in f.items():
            if key == "_count":
                continue
            if key in out and (key == "headers" or (key == "attachments"
                                                    and not f.get("_count"))):
                out[key] = out[key] + value
            elif key in ("subject", "body") and out.get(key):
                out[key] = out[key] + " " + value
            else:
                out[key] = value
    return out


def message(identity: Feature, feature: Feature) -> MailMessage:
    f = merge(identity, feature)
    return MailMessage(**f)


def rule_features(conditions: Sequence[Condition], policy: MailPolicy | EmsPolicy,
                  *, virus: bool = False) -> list[Feature]:
    """Combinations that cross each condition's boundary and the Any/All boundary."""
    hits: list[list[Feature]] = []
    misses: list[Feature] = []
    for c in conditions:
        h, m = condition_features(c, policy)
        if h:
            hits.append(h)
        misses += m
    base: Feature = {"virus": True} if virus else {}
    out: list[Feature] = [{}, base]
    firsts = [h[0] for h in hits]
    for i, h in enumerate(hits):
        others = firsts[:i] + firsts[i + 1:]
        for f in h:
            out += [merge(base, f), merge(base, *others, f)]
    if hits:
        out.append(merge(base, *firsts))
        for i in range(len(firsts)):
            out.append(merge(base, *(firsts[:i] + firsts[i + 1:])))
        out.append(merge(*firsts))
    out += [merge(base, m) for m in misses[:12]]
    out += [merge(base, *firsts, m) for m in misses[:12]]
    return out


# ---------------------------------------------------------------------- probes


def rule_probes(policy: MailPolicy, rule: MailRule, targets: Sequence[EmsRule],
                target: EmsPolicy, seen: set[MailMessage] | None = None
                ) -> list[MailMessage]:
    """Messages around one IMSVA rule and the EmS rules it became (but those in ``seen``,
    which gains them)."""
    feats = rule_features(rule.conditions, policy, virus=rule.type is RuleType.ANTIVIRUS)
    for t in targets:
        feats += rule_features(t.criteria, target)[2:]
    idents = route_identities(policy, rule.route.type, rule.route.senders,
                              rule.route.recipients,
                              [(e.sender, e.recipient) for e in rule.route.exceptions])
    return list(_combine(idents, _unique(feats), seen))


def _unique(feats: list[Feature]) -> list[Feature]:
    seen: set[str] = set()
    out = []
    for f in feats:
        key = repr(sorted(f.items()))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _combine(idents: list[Feature], feats: list[Feature],
             seen: set[MailMessage] | None = None) -> Iterator[MailMessage]:
    """Every feature with the first identity, every identity with a few features; each
    message once (and none of ``seen``, which gains them)."""
    known: set[MailMessage] = set() if seen is None else seen

    def make(i: Feature, f: Feature) -> Iterator[MailMessage]:
        m = message(i, f)
        n = len(known)
        known.add(m)  # one hash: a message's is not cached, and costs as much as making it
        if len(known) > n:
            yield m

    if not idents:
        return
    for f in feats:
        yield from make(idents[0], f)
    for i in idents[1:]:
        for f in feats[:2] + feats[-3:]:
            yield from make(i, f)


def _ip_samples(value: str) -> list[str]:
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return []
    out = [str(net.network_address), str(net[-1])]
    with contextlib.suppress(ValueError):
        out.append(str(net[-1] + 1))
    return out


def sender_probes(policy: MailPolicy, addresses: Iterable[str]) -> list[MailMessage]:
    """Messages from each listed sender (and a near miss), with each spam-type verdict."""
    inside = internal_address(policy.internal_domains) or "staff@corp.example"
    out: list[MailMessage] = []
    for a in addresses:
        for s in sender_addresses(a):
            for v in _SENDER_VERDICTS:
                out.append(MailMessage(**merge({"sender": s, "recipient": inside,
                                                "direction": "incoming"}, v)))
    return list(dict.fromkeys(out))


def sender_probes_at(policy: MailPolicy, pattern: str, positions: Iterable[int]
                     ) -> list[MailMessage]:
    """``sender_probes(policy, [pattern])[i]`` for each position ``i``, without making the
    others: an entry of a known key needs only the messages that showed its directions."""
    inside = internal_address(policy.internal_domains) or "staff@corp.example"
    senders = sender_addresses(pattern)
    n = len(_SENDER_VERDICTS)
    # every (sender, verdict) message differs from the others, so sender_probes keeps them
    # all, in this order
    return [MailMessage(**merge({"sender": senders[i // n], "recipient": inside,
                                 "direction": "incoming"}, _SENDER_VERDICTS[i % n]))
            for i in positions]


def sender_addresses(pattern: str) -> list[str]:
    """The senders of a sender entry's probes (:func:`sender_probes`), in order."""
    return list(dict.fromkeys(pattern_addresses(pattern)[:_SENDER_ADDRESSES]))


def ip_probes(policy: MailPolicy, values: Iterable[str]) -> list[MailMessage]:
    inside = internal_address(policy.internal_domains) or "staff@corp.example"
    out = [MailMessage(EXTERNAL, inside, client_ip=ip, direction="incoming",
                       spam_score=score)
           for v in values for ip in _ip_samples(v) for score in (None, 10.0)]
    return list(dict.fromkeys(out))


def authentication_probes(policy: MailPolicy, domains: Iterable[str], ips: Iterable[str] = ()
                          ) -> list[MailMessage]:
    """DKIM/DMARC: header From and envelope sender in and out of the listed domains, each
    signature state and DMARC result, from listed and other client IPs."""
    inside = internal_address(policy.internal_domains) or "staff@corp.example"
    senders = []
    for d in list(domains)[:6]:
        senders += [_fill(f"*@{d}"), _fill(f"*@*.{d.lstrip('*.')}")]
    senders.append(EXTERNAL)
    clients: list[str | None] = [None, "203.0.113.250"]
    for ip in list(ips)[:4]:
        clients += _ip_samples(ip)[:1]
    out: list[MailMessage] = []
    for env in senders:
        for hdr in (env, EXTERNAL, senders[0]):
            for dkim in (None, False, True):
                out.append(MailMessage(env, inside, headers=(("From", hdr),), dkim_pass=dkim,
                                       direction="incoming"))
            for result in ("none", "quarantine", "reject", "no-record"):
                for client in clients:
                    out.append(MailMessage(env, inside, headers=(("From", hdr),),
                                           dmarc=result, client_ip=client,
                                           direction="incoming"))
    return list(dict.fromkeys(out))


#: Each sender entry's probes (:func:`sender_probes`): up to this many addresses, each with
#: every verdict.
_SENDER_ADDRESSES = 3
_SENDER_VERDICTS: list[Feature] = [{}, {"spam_score": 10.0}, {"wrs_level": "high"},
                                   {"graymail": True}, {"sea": True}, {"virus": True},
                                   {"spam_score": 10.0, "virus": True}]
_PER_SENDER = _SENDER_ADDRESSES * len(_SENDER_VERDICTS)


#: The messages the whole-policy sweep decides (and ``verify`` by default).
POOL_LIMIT = 3000


def policy_pool(policy: MailPolicy, target: EmsPolicy, *, limit: int = POOL_LIMIT, seed: int = 0
                ) -> list[MailMessage]:
    """Messages around every rule and list of a whole policy; at most ``limit`` (a seeded
    sample). ``compile`` sweeps this pool for interactions between rules (the per-type
    reorder among them)."""
    pool: list[MailMessage] = []
    by_source: dict[tuple[str, int], list[EmsRule]] = {}
    for r in target.rules:
        src = r.meta.source
        if src is not None:
            by_source.setdefault((src.name, src.line), []).append(r)
    all_conds: list[Condition] = [c for r in policy.rules for c in r.conditions]
    if any(r.type is RuleType.ANTIVIRUS for r in policy.rules):
        all_conds.insert(0, VirusCondition())  # antivirus rules may have no condition
    mixed = _unique(rule_features(all_conds[:16], policy))
    # every message once, at its first place: what ``dict.fromkeys`` of all of them keeps
    seen: set[MailMessage] = set()
    for rule in policy.rules_in_order():
        key = (rule.name, rule.span.line if rule.span else 0)
        pool += rule_probes(policy, rule, by_source.get(key, []), target, seen)
        idents = route_identities(policy, rule.route.type, rule.route.senders,
                                  rule.route.recipients, [])
        pool += list(_combine(idents[:1], mixed, seen))
    senders = [p.value for p in policy.approved_senders + policy.blocked_senders
               if p.kind is PartyKind.ADDRESS]
    if len(senders) * _PER_SENDER > limit:
        # more sender probes than the whole budget: draw the entries first, rather than
        # writing every probe to keep a few (a seeded sample of a seeded sample)
        senders = random.Random(seed).sample(senders, max(1, limit // _PER_SENDER))
    pool += _new(sender_probes(policy, senders), seen)
    sf = policy.sender_filtering
    if sf is not None:
        pool += _new(ip_probes(policy, [e.value for e in sf.approved_ips + sf.blocked_ips]),
                     seen)
    if policy.dkim_enforcement is not None or policy.dmarc is not None:
        domains = list(policy.dkim_enforcement.domains if policy.dkim_enforcement else ())
        domains += list(policy.dmarc.domains if policy.dmarc else ())
        pool += _new(authentication_probes(policy, domains, policy.dmarc.exception_ips
                                           if policy.dmarc else ()), seen)
    if len(pool) > limit:
        pool = random.Random(seed).sample(pool, limit)
    return pool


def _new(messages: Iterable[MailMessage], seen: set[MailMessage]) -> list[MailMessage]:
    """The messages not in ``seen``, each once, in order; ``seen`` gains them."""
    out = []
    for m in messages:
        n = len(seen)
        seen.add(m)
        if len(seen) > n:
            out.append(m)
    return out


def group_members(group: AddressGroup) -> list[str]:
    return [p.value for p in group.addresses if p.kind is PartyKind.ADDRESS]


def target_rule_probes(policy: MailPolicy, rule: EmsRule, target: EmsPolicy
                       ) -> list[MailMessage]:
    """Messages around one EmS rule (one edited or added by hand, with or without a source
    rule): its criteria crossed with its parties, in its direction."""
    route = RouteType.INCOMING if rule.direction.value == "incoming" else RouteType.OUTGOING
    idents = route_identities(policy, route, rule.senders, rule.recipients,
                              [(e.sender, e.recipient) for e in rule.exceptions])
    return list(_combine(idents, _unique(rule_features(rule.criteria, target))))
