"""``isc replay``: logged requests and messages decided by the source and the target model.

Each event lands in exactly one bucket (:data:`BUCKETS`), and every log line in the bucket
of the event it belongs to, so the line counts add up to the lines read:

- ``same``: both models decide alike;
- ``narrowed`` / ``broadened`` / ``approximated``: they differ, by the access levels of the
  fidelity tags (``approximated``: both ways, or only in non-access ways);
- ``undetermined``: the decision may read what the log lacks (the user's groups, a time, a
  category, a message body...): never guessed, counted apart with the reason;
- ``not-a-request``: a line of a log type that carries none;
- ``unreadable``: a line isc cannot read, with file:line and why.

What may be read is worked out once per policy (:class:`Reads`), so deciding an event
costs two model decisions (memoised: logs repeat themselves) whatever the log's length.
Where the log records what the appliance did, the source model's decision is compared with
it: the calibration of isc's model against the real appliance.

The engine streams: counts, the top objects and users, and a few examples each are all it
keeps, so memory does not grow with the number of lines. ``sample`` keeps a reservoir of
that many events (seeded, so the same logs give the same sample) and decides only those.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from isc.ir.common import Difference, Fidelity
from isc.ir.ems import EmsPolicy, EmsRule, RuleKind
from isc.ir.events import Event, MailEvent, NotARequest, Unreadable, WebEvent, Where
from isc.ir.mail import (
    AttachmentName,
    Direction,
    DlpCondition,
    FlagCondition,
    KeywordCondition,
    MailPolicy,
    MailRule,
    Measure,
    MessagePart,
    MimeType,
    ReceivedTime,
    RouteType,
    RuleType,
    SizeCondition,
    SpamCondition,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)
from isc.ir.requests import Decision, MailMessage
from isc.ir.web import AccountKind, WebPolicy
from isc.ir.ztsa import ZtsaPolicy
from isc.models.ems import KIND_ORDER
from isc.models.imsva import route_applies
from isc.models.index import Memo
from isc.models.mailindex import MailIndex
from isc.models.mailmatch import direction_of, users_of

SCHEMA = "isc/replay/1"
BUCKETS = ("same", "narrowed", "broadened", "approximated", "undetermined", "not-a-request",
           "unreadable")
#: Examples kept per object, reason or disagreement; rows kept in each top list.
EXAMPLES = 3
TOP = 10
#: Unreadable lines listed one by one (all are counted).
UNREADABLE_LISTED = 100
_MEMO = 1 << 16

Decide = Callable[[Any], tuple[Decision, Decision]]
Differ = Callable[[Decision, Decision], frozenset[Difference]]


@attrs.frozen
class Side:
    """How one product's events are decided: ``decide`` gives (source, target) decisions;
    ``differences`` their directions; ``reads`` what the two policies may read in deciding
    an event (names of :data:`~isc.ir.events.WEB_UNKNOWNS` or ``MAIL_UNKNOWNS``)."""

    decide: Decide
    differences: Differ
    reads: Callable[[Any], frozenset[str]]
    #: What the source policy alone may read: an event undetermined for the pair may still
    #: be decided by the source model, and so calibrated against the appliance.
    source_reads: Callable[[Any], frozenset[str]] | None = None


def web_reads(source: WebPolicy, target: ZtsaPolicy | None) -> frozenset[str]:
    """What the two web policies (``target`` None: the source alone) may read of a request
    beyond its URL, failing closed: a field is read if any enabled-or-not object of either
    policy could look at it."""
    out: set[str] = set()
    kinds = {a.kind for group in (source.url_filtering, source.https_decryption, source.atp,
                                  source.app_control) for p in group
             for a in getattr(p, "accounts", ())}
    if kinds & {AccountKind.LDAP_GROUP, AccountKind.LDAP_USER}:
        out |= {"user", "groups"}
    if kinds & {AccountKind.IP, AccountKind.IP_RANGE, AccountKind.IP_SUBSET, AccountKind.HOST}:
        out.add("client")
    if any(p.schedule for p in source.url_filtering) or source.schedules:
        out.add("when")
    if any(p.categories for p in source.url_filtering) or any(
            p.categories or p.decrypt_all for p in source.https_decryption):
        out.add("categories")
    if any(p.block_file_types for p in source.atp) or source.approved_file_lists:
        out.add("file-type")
    if target is None:
        return frozenset(out)
    sources = [s for r in target.internet_access_rules for s in (r.sources, r.excludes)]
    sources += [r.sources for r in target.https_inspection_rules]
    for s in sources:
        if s.users or s.groups:
            out |= {"user", "groups"}
        if s.ip_address_groups:
            out.add("client")
    if any(r.url_categories for r in target.internet_access_rules) or any(
            r.url_categories for r in target.https_inspection_rules):
        out.add("categories")
    for rule in target.internet_access_rules:
        if rule.schedule is not None:
            out.add("when")
        if rule.file_profiles:
            out.add("file-type")
    return frozenset(out)


def mail_reads(source: MailPolicy, target: EmsPolicy | None
               ) -> Callable[[MailMessage], frozenset[str]]:
    """What the two mail policies (``target`` None: the source alone) may read in deciding
    a message, failing closed: the
    conditions of every rule of either policy whose route the message takes (its sender,
    recipient and direction are in the logs; whether a rule's criteria match is not
    needed), and the connection and authentication checks of its direction. What each
    rule reads is worked out once per rule."""
    src = MailIndex.of(source)
    tgt = MailIndex.of(target) if target is not None else None
    known: dict[int, frozenset[str]] = {}

    def rule_reads(rule: MailRule | EmsRule) -> frozenset[str]:
        found = known.get(id(rule))
        if found is None:
            found = known[id(rule)] = _condition_reads(rule)
        return found

    seen: Memo[tuple[object, ...], frozenset[str]] = Memo(_MEMO)

    def reads(m: MailMessage) -> frozenset[str]:
        # what is read depends on the parties and the direction alone, which logs repeat
        key = (m.sender, m.recipient, m.direction, m.sender_groups, m.recipient_groups)
        found = seen.get(key)
        return found if found is not None else seen.put(key, _reads(m))

    def _reads(m: MailMessage) -> frozenset[str]:
        out: set[str] = set()
        d_src = direction_of(m, source.internal_domains)
        if d_src is Direction.INCOMING:
            if source.sender_filtering is not None:
                out.add("client")
            if source.dkim_enforcement is not None or source.dmarc is not None:
                out |= {"headers", "verdicts", "client"}
        parties = src.matcher
        for rule in src.mail_rules(m):
            route = rule.route
            if not rule.enabled or not route_applies(route.type, d_src):
                continue
            taken = (parties.users_match(users_of(route), route.exceptions, m)
                     if route.type is RouteType.BOTH else
                     parties.route_matches(route.senders, route.recipients, route.exceptions,
                                           m))
            if taken:
                out |= rule_reads(rule)
        if target is None or tgt is None:
            return frozenset(out)
        d_tgt = direction_of(m, target.managed_domains)
        if d_tgt is Direction.INCOMING:
            if target.approved_ips or target.blocked_ips:
                out.add("client")
            if target.dkim_verification is not None or target.dmarc is not None:
                out |= {"headers", "verdicts"}
        parties = tgt.matcher
        for kind in KIND_ORDER:
            for er in tgt.ems_rules(d_tgt, kind, m):
                if er.enabled and parties.route_matches(er.senders, er.recipients,
                                                        er.exceptions, m):
                    out |= rule_reads(er)
        return frozenset(out)

    return reads


def _condition_reads(rule: Any) -> frozenset[str]:
    """What a rule's conditions read that logs may lack."""
    out: set[str] = set()
    for cond in _conditions(rule):
        if isinstance(cond, KeywordCondition):
            if cond.part is not MessagePart.SUBJECT:  # the logs hold the subject
                out.add(_PART_READS.get(cond.part, "body"))
        elif isinstance(cond, AttachmentName | TrueFileType | MimeType):
            out.add("attachments")
        elif isinstance(cond, SizeCondition):
            if cond.measure in (Measure.ATTACHMENT_SIZE, Measure.ATTACHMENT_COUNT):
                out.add("attachments")
        elif isinstance(cond, ReceivedTime):
            out.add("when")
        elif isinstance(cond, DlpCondition):
            out |= {"body", "attachment-content", "verdicts"}
        elif isinstance(cond, SpamCondition | WebReputationCondition | VirusCondition
                        | FlagCondition):
            out.add("verdicts")
    if getattr(rule, "type", None) is RuleType.ANTIVIRUS or getattr(
            rule, "kind", None) is RuleKind.VIRUS_SCAN:
        out |= {"verdicts", "attachments"}  # an antivirus rule reads the scanner's verdict
    return frozenset(out)


_PART_READS = {MessagePart.BODY: "body",
               MessagePart.HEADER: "headers",
               MessagePart.ATTACHMENT_CONTENT: "attachment-content"}
_CONDITIONS = (KeywordCondition, AttachmentName, TrueFileType, MimeType, SizeCondition,
               ReceivedTime, DlpCondition, SpamCondition, WebReputationCondition,
               VirusCondition, FlagCondition)


def _conditions(value: Any) -> Iterator[Any]:
    """Every condition object inside ``value`` (rules, their criteria, nested groups)."""
    stack = [value]
    while stack:
        x = stack.pop()
        if isinstance(x, _CONDITIONS):
            yield x
        elif isinstance(x, tuple | list):
            stack.extend(x)
        elif attrs.has(type(x)):
            stack.extend(getattr(x, f.name) for f in attrs.fields(type(x)))


class _Top:
    """Counts per key, and the first few examples of each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def add(self, key: str, example: str) -> None:
        self.counts[key] += 1
        found = self.examples.setdefault(key, [])
        if len(found) < EXAMPLES:
            found.append(example)

    def json(self, name: str, top: int = TOP) -> list[dict[str, Any]]:
        ranked = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        return [{name: k, "events": n, "examples": self.examples.get(k, [])}
                for k, n in ranked]


class Replay:
    """The running result of a replay: :meth:`add` each event, then :meth:`json`."""

    def __init__(self, web: Side | None = None, mail: Side | None = None, *,
                 sample: int | None = None, seed: int = 0) -> None:
        self.web, self.mail = web, mail
        self.events: Counter[str] = Counter()
        self.lines: Counter[str] = Counter()
        self.directions: Counter[str] = Counter()
        self.by_log: Counter[str] = Counter()
        self.target_objects, self.source_objects = _Top(), _Top()
        self.affected = _Top()
        self.hosts = _Top()
        self.undetermined = _Top()
        self.not_requests = _Top()
        self.unreadable: list[dict[str, Any]] = []
        self.calibration: Counter[str] = Counter()
        self.disagreements = _Top()
        self.sample = sample
        self.seen = 0
        self._reservoir: list[Event] = []
        self._rng = random.Random(seed)
        self._memo: Memo[Any, tuple[Decision, Decision]] = Memo(_MEMO)

    # ------------------------------------------------------------------ feeding

    def add(self, event: Event) -> None:
        if self.sample is None or isinstance(event, Unreadable | NotARequest):
            self._decide(event)
            return
        # reservoir sampling (Algorithm R): every request event equally likely kept
        self.seen += 1
        if len(self._reservoir) < self.sample:
            self._reservoir.append(event)
        else:
            j = self._rng.randrange(self.seen)
            if j < self.sample:
                self._reservoir[j] = event

    def add_all(self, events: Iterable[Event]) -> Replay:
        for e in events:
            self.add(e)
        return self

    def finish(self) -> None:
        """Decide the sampled events (nothing to do without ``sample``)."""
        kept, self._reservoir = self._reservoir, []
        for e in sorted(kept, key=_first_where):
            self._decide(e)

    # ------------------------------------------------------------------ deciding

    def _count(self, bucket: str, event: Event) -> None:
        self.events[bucket] += 1
        self.lines[bucket] += len(event.where) if isinstance(event, MailEvent) else 1

    def _decide(self, event: Event) -> None:
        if isinstance(event, Unreadable):
            self._count("unreadable", event)
            if len(self.unreadable) < UNREADABLE_LISTED:
                self.unreadable.append({"file": event.where.file, "line": event.where.line,
                                        "reason": event.reason})
            return
        if isinstance(event, NotARequest):
            self._count("not-a-request", event)
            self.not_requests.add(f"{event.log}: {event.reason}", str(event.where))
            return
        self.by_log[event.log] += 1
        if isinstance(event, WebEvent):
            self._decide_web(event)
        else:
            self._decide_mail(event)

    def _decided(self, side: Side, key: Any, probe: Any) -> tuple[Decision, Decision]:
        found = self._memo.get(key)
        return found if found is not None else self._memo.put(key, side.decide(probe))

    def _decide_web(self, event: WebEvent) -> None:
        where = str(event.where)
        side = self.web
        if side is None:
            self._undetermined(event, "the input has no web policy to decide it", where)
            return
        r = event.request
        missing = sorted(event.unknown & side.reads(r))
        if missing:
            self._undetermined(event, "the log does not give " + ", ".join(missing), where,
                               side, r)
            return
        s, t = self._decided(side, ("web", r), r)
        self._calibrate(event, s, where)
        found = side.differences(s, t)
        self._compare(event, found, [(s, t)], where, event.who or r.client or "")
        if found:
            self.hosts.add(r.parsed.host or r.url, where)

    def _decide_mail(self, event: MailEvent) -> None:
        where = str(event.where[0]) if event.where else ""
        side = self.mail
        if side is None:
            self._undetermined(event, "the input has no mail policy to decide it", where)
            return
        m = event.message
        for rcpt in dict.fromkeys(m.recipients or (m.recipient,)):
            # one recipient's decision that reads what the log lacks is enough
            one = attrs.evolve(m, recipient=rcpt) if rcpt != m.recipient else m
            missing = sorted(event.unknown & side.reads(one))
            if missing:
                self._undetermined(event, "the log does not give " + ", ".join(missing),
                                   where, side, m)
                return
        pairs = []
        found: set[Difference] = set()
        for rcpt in dict.fromkeys(m.recipients or (m.recipient,)):
            one = attrs.evolve(m, recipient=rcpt) if rcpt != m.recipient else m
            s, t = self._decided(side, ("mail", one), one)
            pairs.append((s, t))
            found |= side.differences(s, t)
        if pairs:
            self._calibrate(event, pairs[0][0], where)
        self._compare(event, frozenset(found), pairs, where, m.sender)

    def _undetermined(self, event: WebEvent | MailEvent, reason: str, where: str,
                      side: Side | None = None, probe: Any = None) -> None:
        self._count("undetermined", event)
        self.undetermined.add(reason, where)
        if event.recorded is None:
            return
        # the pair is undetermined, but the source model alone may not read what is missing
        if side is not None and side.source_reads is not None and not (
                event.unknown & side.source_reads(probe)):
            key = ("web" if isinstance(event, WebEvent) else "mail", probe)
            self._calibrate(event, self._decided(side, key, probe)[0], where)
            return
        self.calibration["undetermined"] += 1  # counted: no logged action goes missing

    def _compare(self, event: Event, found: frozenset[Difference],
                 pairs: list[tuple[Decision, Decision]], where: str, who: str) -> None:
        if not found:
            self._count("same", event)
            return
        bucket = Fidelity.of(found).value
        self._count(bucket, event)
        for d in found:
            self.directions[d.value] += 1
        for s, t in pairs:
            self.target_objects.add(_named(t), where)
            self.source_objects.add(_named(s), where)
        if who:
            self.affected.add(who, where)

    def _calibrate(self, event: WebEvent | MailEvent, source: Decision, where: str) -> None:
        rec = event.recorded
        if rec is None:
            return
        if not rec.comparable or rec.action is None:
            self.calibration["not-comparable"] += 1
            return
        if rec.action == source.action:
            self.calibration["agree"] += 1
            return
        self.calibration["disagree"] += 1
        self.disagreements.add(f"appliance {rec.action}"
                               + (f" ({rec.by})" if rec.by else "")
                               + f", model {source.action} ({_named(source)})", where)

    # ------------------------------------------------------------------ the result

    def json(self) -> dict[str, Any]:
        read = sum(self.lines.values())
        compared = self.calibration["agree"] + self.calibration["disagree"]
        return {
            "schema": SCHEMA,
            "sampling": ({"events": self.sample, "of": self.seen,
                          "method": "reservoir sample of the request events, seeded; "
                                    "unreadable and not-a-request lines all counted"}
                         if self.sample is not None else None),
            "lines": {"read": read, **{b: self.lines[b] for b in BUCKETS}},
            "events": {b: self.events[b] for b in BUCKETS},
            "logs": dict(sorted(self.by_log.items())),
            "directions": {d.value: self.directions[d.value] for d in
                           (Difference.BROADENED, Difference.NARROWED, Difference.NON_ACCESS)},
            "targetObjects": self.target_objects.json("object"),
            "sourceObjects": self.source_objects.json("object"),
            "mostAffected": self.affected.json("who"),
            "mostAffectedHosts": self.hosts.json("host"),
            "undetermined": self.undetermined.json("reason", top=100),
            "notRequests": self.not_requests.json("reason", top=100),
            "unreadable": self.unreadable,
            "calibration": {
                "compared": compared,
                "agree": self.calibration["agree"],
                "disagree": self.calibration["disagree"],
                "notComparable": self.calibration["not-comparable"],
                "undetermined": self.calibration["undetermined"],
                "agreement": (round(self.calibration["agree"] / compared, 4)
                              if compared else None),
                "disagreements": self.disagreements.json("finding", top=100),
            },
        }


def _named(d: Decision) -> str:
    by = d.decided_by
    return f"{by.kind} \"{by.name}\"" if by is not None else f"(default: {d.action})"


def _first_where(e: Event) -> Where:
    if isinstance(e, MailEvent):
        return e.where[0] if e.where else Where("", 0)
    return e.where


def failing(result: dict[str, Any], fail_on: str | None) -> bool:
    """Whether ``--fail-on`` finds what it gates on: ``broadened`` (an event let through
    what the source stopped, whatever its bucket), ``narrowed``, or ``any`` difference."""
    if fail_on is None:
        return False
    d: dict[str, int] = result["directions"]
    if fail_on == "broadened":
        return d["broadened"] > 0
    if fail_on == "narrowed":
        return d["narrowed"] > 0
    events: dict[str, int] = result["events"]
    return any(events[b] for b in ("narrowed", "broadened", "approximated"))


def summary(result: dict[str, Any]) -> list[str]:
    """The terminal summary: a few lines a person reads first."""
    ev, ln = result["events"], result["lines"]
    out = [f"isc replay: {ln['read']} lines: " + ", ".join(
        f"{ev[b]} {b}" for b in BUCKETS if ev[b])
        + (f" (a sample of {result['sampling']['events']} of {result['sampling']['of']} "
           "request events)" if result["sampling"] else "")]
    d = result["directions"]
    if any(d.values()):
        out.append(f"  decided differently: {d['broadened']} let through what the source "
                   f"stopped, {d['narrowed']} stopped what it let through, "
                   f"{d['non-access']} differ otherwise")
    for row in result["targetObjects"][:5]:
        out.append(f"  {row['events']:>7} events: target {row['object']} "
                   f"(e.g. {row['examples'][0]})")
    for row in result["undetermined"][:3]:
        out.append(f"  {row['events']:>7} undetermined: {row['reason']}")
    cal = result["calibration"]
    if cal["compared"]:
        out.append(f"  calibration: the source model agrees with what the appliance logged "
                   f"for {cal['agree']} of {cal['compared']} events ({cal['agreement']:.1%})"
                   + (f"; {cal['disagree']} disagreements to investigate"
                      if cal["disagree"] else ""))
    if ev["unreadable"]:
        first = result["unreadable"][0]
        out.append(f"  {ev['unreadable']} unreadable lines, the first at "
                   f"{first['file']}:{first['line']}: {first['reason']}")
    return out


__all__ = ["BUCKETS", "SCHEMA", "Replay", "Side", "failing", "mail_reads", "summary",
           "web_reads"]
