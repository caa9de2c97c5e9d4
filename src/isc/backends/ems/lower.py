"""Lowering the mail IR to a Trend Micro Email Security policy, one source object at a time.

Each source object becomes zero or more EmS objects and a :class:`Pending` report entry:
what it produced and how to compare it. The shared fidelity stage
(:class:`~isc.backends.comparison.FidelityStage`) then computes every object's directions
by running the IMSVA and EmS models on probe messages around the object (:mod:`.probes`,
:mod:`.fidelity`), and writes them into the EmS objects. Last the whole policies are
compared, where the split of IMSVA's single rule order into EmS's per-type order is
checked for changed decisions (``ISC3011``). The mapping and every choice made where the
contracts are silent are in docs/targets/ems.md.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
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
    each,
)
from isc.diagnostics import Diagnostic, Severity, Span
from isc.errors import IscError
from isc.ir.common import DIRECTION_ORDER, Difference, Meta, Origin, sorted_directions
from isc.ir.ems import (
    CriteriaMatch,
    DkimVerification,
    EmsAddressGroup,
    EmsDmarc,
    EmsKeywordList,
    EmsNotification,
    EmsPolicy,
    EmsRule,
    EmsStamp,
    IpListEntry,
    RuleKind,
    SenderEntry,
    ems_sender_ok,
)
from isc.ir.export import ReportEntry, Swept
from isc.ir.keyword_expr import Node
from isc.ir.mail import (
    Action,
    Archive,
    Clean,
    Compare,
    Condition,
    DeleteAttachments,
    Direction,
    DlpCondition,
    Flag,
    FlagCondition,
    InsertXHeader,
    Intercept,
    InterceptAction,
    IpEntry,
    KeywordCondition,
    KeywordExpression,
    KeywordList,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Match,
    Measure,
    MessagePart,
    Party,
    PartyKind,
    Postpone,
    ReceivedTime,
    Route,
    RouteException,
    RouteType,
    RuleType,
    SenderFiltering,
    SizeCondition,
    SpamCondition,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)
from isc.ir.requests import DecidedBy, Decision, MailMessage
from isc.models import ems as ems_model
from isc.models import imsva as imsva_model
from isc.models import mailindex
from isc.models.index import Memo

from . import probes
from .fidelity import compare, differences, witness_json, witness_text
from .shapes import SenderSlots, WholeDecisions, sender_key

#: Whether sender entries that compare alike share one comparison (decision 161); tests
#: turn it off to compare every entry in full.
REUSE_SHAPES = True

#: The report kind of each list object a decision names (``DecidedBy.kind``).
#: Report kinds of the objects a probe message can exercise (report.json ``sweep``).
_PROBED = frozenset({"mail-rule", "approved-senders.entry", "blocked-senders.entry",
                     "sender-filtering.approved-ip", "sender-filtering.blocked-ip",
                     "dkim-enforcement", "dmarc"})

_LIST_KINDS = {"blocked-ip": "sender-filtering.blocked-ip",
               "blocked-sender": "blocked-senders.entry",
               "dkim-enforcement": "dkim-enforcement",
               "dkim-verification": "dkim-enforcement", "dmarc": "dmarc"}

#: Sweep messages worth deciding on a second process.
_MIN_SWEEP_SPLIT = 1000
#: Sender entries worth keying on a second process (decision 161).
_MIN_KEY_SPLIT = 2000
#: Distinct keyword expressions worth translating on a second process.
_MIN_TRANSLATE_SPLIT = 1000

#: The EmS policy objects every comparison holds (:meth:`Lowering.objects_only`).
_OBJECTS = frozenset({"address_groups", "keyword_lists", "stamps", "notifications"})

#: EmS runs its rule types in this order (semantics.md §4).
KIND_ORDER = (RuleKind.VIRUS_SCAN, RuleKind.SPAM_FILTERING, RuleKind.CONTENT_FILTERING,
              RuleKind.DLP)
KIND_WORDS = {RuleKind.VIRUS_SCAN: "virus scan", RuleKind.SPAM_FILTERING: "spam filtering",
              RuleKind.CONTENT_FILTERING: "content filtering", RuleKind.DLP: "DLP"}
DIRECTION_WORDS = {Direction.INCOMING: "inbound", Direction.OUTGOING: "outbound"}

#: True file types IMSVA has and EmS does not (research imsva.md §5.3).
UNSUPPORTED_FILE_TYPES = frozenset({"MSI", "PNG", "7Z", "LNK"})

#: Notification variables IMSVA has and EmS does not (research imsva.md §2.2).
UNSUPPORTED_VARIABLES = ("%RULETYPE%", "%ENTITY%", "%QUARANTINE_PATH%", "%QUARANTINE_AREA%",
                         "%PROTOCOL%", "%HOSTNAME%", "%MAILCHARSET%", "%SUSPICIOUS_URL%")

_NOT_MIGRATED = {
    Flag.CC_EMAIL: "C&C email",
    Flag.UNABLE_TO_DECRYPT: "Unable to decrypt messages",
    Flag.SPOOFED_INTERNAL: "Spoofed internal messages",
}


@attrs.frozen
class Options:
    """``parse_expression`` parses EmS-dialect keyword text (the API passes the front-end's
    parser); with it, translated expressions are re-parsed so the models see what EmS would.
    ``pool_limit`` caps the whole-policy sweep."""

    parse_expression: Callable[[str], Node] | None = attrs.field(default=None, eq=False)
    pool_limit: int = probes.POOL_LIMIT
    #: Told each stage's name as it starts (a terminal's status line; nothing else).
    progress: Callable[[str], None] | None = attrs.field(default=None, eq=False)
    #: Show each report entry's witness in the whole policy, and make the fidelity
    #: diagnostics (:meth:`Ledger.finish`); without, the policy and every tag and direction
    #: are the same (what ``verify`` reads).
    witnesses: bool = True


@attrs.frozen
class Piece:
    """A part of an IMSVA rule that lands in one EmS rule type: its rank in EmS order and
    its *source* conditions, to replay the source in EmS order (the reorder check)."""

    rank: int
    conditions: tuple[Condition, ...]
    match: Match


@attrs.frozen
class Plan:
    rule: MailRule
    origin: Origin
    pieces: tuple[Piece, ...]


def family(c: Condition) -> RuleKind | None:
    """The EmS rule type a condition belongs to; None: not migrated."""
    if isinstance(c, VirusCondition):
        return RuleKind.VIRUS_SCAN
    if isinstance(c, SpamCondition | WebReputationCondition):
        return RuleKind.SPAM_FILTERING
    if isinstance(c, FlagCondition):
        if c.flag in (Flag.GRAYMAIL, Flag.SOCIAL_ENGINEERING):
            return RuleKind.SPAM_FILTERING
        if c.flag is Flag.PASSWORD_PROTECTED:
            return RuleKind.CONTENT_FILTERING
        return None
    if isinstance(c, DlpCondition):
        return RuleKind.DLP
    if isinstance(c, ReceivedTime):
        return None
    return RuleKind.CONTENT_FILTERING


def any_match_only(c: Condition) -> bool:
    """EmS shows these criteria only under Any Match (research imsva.md §6)."""
    return (isinstance(c, FlagCondition) and c.flag is Flag.PASSWORD_PROTECTED) or (
        isinstance(c, SizeCondition) and c.measure is Measure.RECIPIENT_COUNT)


def file_type_supported(file_type: str) -> bool:
    name = file_type.strip().upper()
    return imsva_model.FILE_TYPE_ALIASES.get(name, name) not in UNSUPPORTED_FILE_TYPES


#: Addresses no mail server on the Internet connects from (RFC 1918, RFC 4193, loopback,
#: link-local). Documentation ranges (192.0.2.0/24 ...) count as public: examples use them.
_PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "fc00::/7", "::1/128", "fe80::/10"))


def public_ip(value: str) -> bool | None:
    """True for a public address or network, False for a private one, None for no IP."""
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    return not any(net.version == p.version and net.subnet_of(p)  # type: ignore[arg-type]
                   for p in _PRIVATE)


def wildcard_domain(address: str) -> bool:
    return "*" in address.rpartition("@")[2]


_UNIT = {"MB": 1024 * 1024, "KB": 1024, "B": 1}


def _unit(measure: Measure, value: int, written: str) -> str:
    if measure in (Measure.ATTACHMENT_COUNT, Measure.RECIPIENT_COUNT):
        return ""
    units = ("MB", "KB") if measure is Measure.MESSAGE_SIZE else ("MB", "KB", "B")
    if written in units and value % _UNIT[written] == 0:
        return written
    return next((u for u in units if value % _UNIT[u] == 0), "B")


class Lowering:
    def __init__(self, mail: MailPolicy, rel: Callable[[str], str], options: Options) -> None:
        self.mail = mail
        self.rel = rel
        self.options = options
        self.ledger: Ledger[MailMessage] = Ledger(differences)
        self.report = self.ledger.report
        self.stage: FidelityStage[MailMessage] = FidelityStage(self.ledger)
        self.diagnostics: list[Diagnostic] = []
        product = " ".join(x for x in (mail.product, mail.version) if x) or None
        #: the policy's own settings; its objects are in :attr:`parts` until :meth:`built`
        self.base = EmsPolicy(product=product, managed_domains=tuple(
            dict.fromkeys(mail.internal_domains)))
        self.policy = self.base
        #: The EmS objects, by field, as lowered; fidelity writes their meta in place.
        self.parts = Emitted()
        #: the rules in EmS order, with the tuple they were sorted from
        self._rules: tuple[tuple[EmsRule, ...], tuple[EmsRule, ...]] = ((), ())
        self._objects: tuple[MailPolicy, EmsPolicy] | None = None
        self.keyword_names: set[str] = set()
        self.plans: list[Plan] = []
        self.names: dict[tuple[Direction, RuleKind], set[str]] = {}
        self.counters: dict[tuple[Direction, RuleKind], int] = {}
        #: Sender entries that compare alike share one comparison (decision 161).
        self.sender_shapes: Shapes[MailMessage] = Shapes(exact=True)
        #: sender entries lowered whose comparison waits for :meth:`key_senders`: the
        #: pending entry, the source entry, the EmS one (None: dropped), approved or not
        self._unkeyed: list[tuple[Pending[MailMessage], Party, SenderEntry | None, bool]] = []
        #: the sender slots of both rule sets (:meth:`key_senders`): the whole policies
        #: hold the same rules, in the same order, and the same groups
        self.sender_slots: tuple[SenderSlots, SenderSlots] | None = None
        self._list_keys: dict[tuple[str, str | None], tuple[str, str, int]] | None = None
        self._rule_keys: tuple[EmsPolicy, dict[tuple[str, int], tuple[str, str, int]]] | None \
            = None
        #: What the whole-policy sweep rests on (report.json ``sweep``), and what it found.
        self.coverage: dict[str, int] = {}
        self.swept: Swept | None = None
        #: each keyword AST's EmS form (or why it has none), each EmS text read back (or
        #: why it does not parse): both depend on the AST or text alone
        self._ems_forms: Memo[Node, tuple[str, tuple[str, ...]] | str] = Memo()
        self._ems_reads: Memo[str, Node | str] = Memo()
        #: The policy as lowered, before fidelity wrote its objects' directions and notes:
        #: what the sweep's process decides (:meth:`run`).
        self.draft: EmsPolicy | None = None

    # ------------------------------------------------------------------ helpers

    def origin(self, kind: str, name: str, span: Span | None) -> Origin:
        return Origin.at(kind, name, span, self.rel)

    def note(self, code: str, severity: Severity, message: str, span: Span | None,
             notes: Iterable[str] = ()) -> None:
        self.diagnostics.append(Diagnostic.at(code, severity, message, span, tuple(notes)))

    def record(self, origin: Origin, fate: str, cmp: Comparison[MailMessage],
               targets: Iterable[str], reasons: Iterable[str], span: Span | None,
               *, quiet: bool = False, dropped: bool = False,
               no_action: bool = False) -> None:
        """One report entry per source object whose comparison is known by rule (see
        :class:`Ledger`); it is recorded in its turn by the fidelity stage."""
        fixed = tuple(reasons)
        self.stage.add(Pending(origin, fate, tuple(targets), span, lambda: cmp,
                               lambda _: fixed, dropped=dropped, where="local",
                               no_action=no_action, quiet=quiet))

    def defer(self, origin: Origin, fate: str, targets: Iterable[str], span: Span | None,
              compare: Callable[[], Comparison[MailMessage]],
              reasons: Callable[[Comparison[MailMessage]], Iterable[str]],
              placed: Iterable[tuple[str, int]] = (), *, dropped: bool = False,
              no_action: bool = False, key: Hashable | None = None
              ) -> Pending[MailMessage]:
        """One report entry per source object, its comparison computed by the fidelity stage
        after the lowering; ``placed`` are the EmS objects (field, position) that take its
        directions and reasons. ``key``: see :class:`Pending`."""
        pending = Pending(origin, fate, tuple(targets), span, compare, reasons,
                          self.parts.placer(origin, placed), dropped=dropped, key=key,
                          no_action=no_action)
        self.stage.add(pending)
        return pending

    def emit(self, field: str, objects: Iterable[Any]) -> list[Spot]:
        """Add EmS objects; their places, for :meth:`defer`."""
        if field in _OBJECTS:
            self._objects = None
        return self.parts.add(field, objects)

    def field(self, name: str) -> tuple[Any, ...]:
        """The EmS objects of one field lowered so far (rules in EmS order)."""
        found = self.parts.get(name)
        if name != "rules":
            return found
        if self._rules[0] is not found:
            rank = {k: i for i, k in enumerate(KIND_ORDER)}
            self._rules = (found, tuple(sorted(found, key=lambda r: (
                r.direction is Direction.OUTGOING, rank[r.kind], r.order))))
        return self._rules[1]

    def built(self) -> EmsPolicy:
        """The EmS policy of the objects lowered so far."""
        fields: dict[str, Any] = self.parts.fields()
        for one in ("dkim_verification", "dmarc"):
            if one in fields:
                fields[one] = fields[one][0]
        fields["rules"] = self.field("rules")
        return attrs.evolve(self.base, **fields)

    def finish(self) -> None:
        """Each report entry's witness, shown in the whole policy where it can be (so that
        ``isc explain`` reproduces it), and its diagnostic. Most witnesses are sender
        entries' messages, which share their decisions (:class:`WholeDecisions`). They
        are decided here, not by the sweep's process: here they took 2.1-2.3 s on the
        large preset, there 2.7-2.8 s (their decisions pickled twice)."""
        whole = WholeDecisions(self.mail, self.policy, self.sender_slots)
        # both whole policies' indexes built here once, not in each process
        mailindex.MailIndex.of(self.mail)
        mailindex.MailIndex.of(self.policy)
        self.diagnostics += self.ledger.finish(
            each(whole.decide),
            lambda w: witness_json(w, rel=self.rel),
            lambda w: witness_text(w).removeprefix(" (e.g. ").removesuffix(")"), "message")

    def objects_only(self) -> tuple[MailPolicy, EmsPolicy]:
        """Both policies with their policy objects but no rules, lists or authentication:
        the same two for every comparison while no policy object is added (so the models
        index them once)."""
        if self._objects is None:
            m = self.mail
            src = MailPolicy(internal_domains=m.internal_domains,
                             address_groups=m.address_groups, keyword_lists=m.keyword_lists,
                             stamps=m.stamps, notifications=m.notifications)
            tgt = EmsPolicy(managed_domains=self.base.managed_domains,
                            address_groups=self.field("address_groups"),
                            keyword_lists=self.field("keyword_lists"),
                            stamps=self.field("stamps"),
                            notifications=self.field("notifications"))
            self._objects = (src, tgt)
        return self._objects

    # ------------------------------------------------------------------ driver

    def step(self, stage: str) -> None:
        if self.options.progress is not None:
            self.options.progress(f"compiling ems: {stage}")

    def run(self) -> EmsPolicy:
        self.step("lowering")
        self.lower_all()
        # the whole-policy sweep decides nothing per-object fidelity changes (a decision
        # reads an object's source, never its directions): where a second process can run
        # it, it starts now on the policy as lowered, and the comparisons run here meanwhile
        self.draft = draft = self.built()
        split, reordered, pieces = self.reordered_sources()
        server = self.sweep_server(draft, split, reordered) if workers.can_serve() else None
        try:
            self.step(f"fidelity of {len(self.stage.pending):,} objects")
            self.key_senders()
            self.stage.run()
            self.policy = self.built()
            self.step("whole-policy sweep")
            if server is not None and ems_model.decided_alike(draft, self.policy):
                swept = server.answer()
            else:  # no second process, or (not expected) a policy that decides otherwise
                swept = MailWhole(self.mail, self.policy, split, reordered,
                                  self.options.pool_limit).sweep()
        finally:
            if server is not None:
                server.close()
        self.sweep(swept, pieces)
        if self.options.witnesses:
            self.step("witnesses")
            self.finish()
        # the whole policies' indexes served fidelity, the sweep and the witnesses
        mailindex.release(self.mail)
        mailindex.release(self.policy)
        return self.policy

    def lower_all(self) -> None:
        """Every object lowered, its comparison left to the fidelity stage, in turn."""
        self.lower_internal_domains()
        self.lower_address_groups()
        self.lower_keyword_lists()
        self.lower_stamps()
        self.lower_notifications()
        self.lower_rules()
        self.lower_senders(approved=True)
        self.lower_senders(approved=False)
        self.lower_sender_filtering()
        self.lower_dkim()
        self.lower_dmarc()
        self.lower_settings()

    def sweep_server(self, draft: EmsPolicy, split: MailPolicy, reordered: MailPolicy
                     ) -> Served:
        """The whole-policy sweep of the policy as lowered, started in a second process."""
        server: Served = workers.Server(
            functools.partial(MailWhole, self.mail, draft, split, reordered,
                              self.options.pool_limit), MailWhole.serve)
        server.ask(None)
        return server

    # ------------------------------------------------------------------ objects

    def lower_internal_domains(self) -> None:
        spans = dict(zip(self.mail.internal_domains, self.mail.internal_spans, strict=False))
        for d in dict.fromkeys(self.mail.internal_domains):
            self.record(self.origin("internal-addresses.domain", d, spans.get(d)),
                        "managed domain",
                        Comparison(), [d], [
                            "add and verify the domain in EmS (Domains); EmS decides inbound "
                            "and outbound by its managed domains as IMSVA did by its Internal "
                            "Addresses"], None)

    def party(self, p: Party, where: str, notes: list[str], ldap: list[str]) -> tuple[Party,
                                                                                    bool]:
        """A party as EmS can hold it, and whether it is approximated (an LDAP user that is
        not an address)."""
        if p.kind is PartyKind.LDAP_USER:
            value = p.value.strip()
            if "@" in value and "=" not in value:
                return Party(PartyKind.ADDRESS, value, span=p.span), False
            notes.append(f"{where}: LDAP user {p.value!r} must be replaced by the user's "
                         "email address (EmS rules name LDAP groups, not users)")
            ldap.append(f"LDAP user {p.value}")
            return p, True
        if p.kind is PartyKind.LDAP_GROUP:
            ldap.append(f"LDAP group {p.value}")
        if p.kind is PartyKind.ADDRESS and wildcard_domain(p.value) and where != "group":
            notes.append(f"{where}: EmS accepts {p.value!r} only in a hybrid address group; "
                         "put it in one")
        return p, False

    def ldap_note(self, what: str, ldap: list[str], span: Span | None) -> None:
        found = list(dict.fromkeys(ldap))
        if found:
            self.note("ISC3014", Severity.NOTE, f"{what}: " + ", ".join(found)
                      + " must be synchronised with the Directory Synchronization Tool", span)

    def lower_address_groups(self) -> None:
        out = []
        for g in self.mail.address_groups:
            origin = self.origin("address-group", g.name, g.span)
            notes: list[str] = []
            ldap: list[str] = []
            members = []
            approx = False
            for p in g.addresses:
                q, a = self.party(p, "group", notes, ldap)
                members.append(q)
                approx = approx or a
            hybrid = any(p.kind is PartyKind.ADDRESS and wildcard_domain(p.value)
                         for p in members)
            if hybrid:
                notes.append("wildcard domains need a hybrid address group in EmS")
            if ldap:
                notes.append("LDAP entries need directory synchronisation in EmS")
            self.ldap_note(f"address group \"{g.name}\"", ldap, g.span)
            cmp: Comparison[MailMessage] = Comparison()
            if approx:
                cmp = by_rule(Difference.NARROWED, Difference.BROADENED)
                notes.append("until each LDAP user is replaced by an address, the group may "
                             "hold more or fewer people: rules using it may let through what "
                             "the source stopped, or stop more")
            review = tuple(dict.fromkeys(notes))
            out.append(EmsAddressGroup(g.name, tuple(members), hybrid,
                                       Meta.of(origin, cmp.directions, review)))
            self.record(origin, "address group (hybrid)" if hybrid else "address group", cmp,
                        [g.name], review, g.span)
        self.emit("address_groups", out)

    def lower_keyword_lists(self) -> None:
        """Every keyword list translated in turn (the distinct expressions first, on both
        cores); each is compared alone (decision 162)."""
        todo = list(dict.fromkeys((e.expr, e.text) for kl in self.mail.keyword_lists
                                  for e in kl.expressions))
        if len(todo) >= _MIN_TRANSLATE_SPLIT:
            for (expr, source), (form, read) in zip(todo, workers.map_items(
                    self._translate, todo, min_split=_MIN_TRANSLATE_SPLIT), strict=True):
                self._ems_forms.put(expr, form)
                if read is not None:
                    self._ems_reads.put(source if isinstance(form, str) else form[0], read)
        for kl in self.mail.keyword_lists:
            self._keyword_list(kl)

    def _translate(self, expression: tuple[Node, str]
                   ) -> tuple[tuple[str, tuple[str, ...]] | str, Node | str | None]:
        """An expression's EmS form (its text and problems, or why it has none), and that
        text read back as EmS will read it (None: not read again). ``expression``: the AST
        and the source text it was parsed from."""
        from isc.ir.keyword_expr import ems_form

        expr, source = expression
        form = self._ems_forms.get(expr)
        if form is None:  # lists repeat expressions: each AST is spelt once
            try:
                form = ems_form(expr)
            except ValueError as exc:  # an AST no text can spell
                form = f"no EmS text: {exc}"
            self._ems_forms.put(expr, form)
        text = source if isinstance(form, str) else form[0]
        # not read again when it is the text the source was parsed from: one grammar reads
        # both dialects (the EmS one only allows longer texts), so that parse is ``expr``
        # (KeywordExpression: the parsed ``expr`` of ``text``)
        if self.options.parse_expression is None or text == source:
            return form, None
        read = self._ems_reads.get(text)
        if read is None:  # lists repeat expressions: each text is read once
            try:
                read = self.options.parse_expression(text)
            except IscError as exc:
                read = f"the EmS text does not parse: {exc.message}"
            self._ems_reads.put(text, read)
        return form, read

    def _keyword_list(self, kl: KeywordList) -> None:
        """A keyword list's EmS form, its ``ISC3013`` warnings, and its comparison."""
        origin = self.origin("keyword-list", kl.name, kl.span)
        notes: list[str] = []
        exprs = []
        problem = False
        for i, e in enumerate(kl.expressions, 1):
            form, read = self._translate((e.expr, e.text))
            text, problems = (e.text, (form,)) if isinstance(form, str) else form
            node = e.expr
            if isinstance(read, str):
                problems = (*problems, read)
            elif read is not None:
                node = read
            for p in problems:
                problem = True
                notes.append(f"expression {i} ({e.text!r}): {p}")
                self.note("ISC3013", Severity.WARNING,
                          f"keyword list \"{kl.name}\", expression {i}: {p}", e.span or kl.span)
            exprs.append(KeywordExpression(text, node, e.case_sensitive, e.score,
                                           e.description))
        threshold = kl.threshold
        if kl.match is KeywordMatch.SCORE and threshold is not None:
            # IMSVA acts when the score exceeds the threshold, EmS when it reaches it.
            threshold += 1
            notes.append(f"threshold {kl.threshold} became {threshold}: EmS acts when the "
                         "score reaches it, IMSVA when the score exceeds it")
        lst = EmsKeywordList(kl.name, kl.match, threshold, tuple(exprs), Meta(origin))
        self.keyword_names.add(kl.name)

        def compare() -> Comparison[MailMessage]:
            cmp = self._keyword_fidelity(kl, lst)
            return cmp.assume(Difference.NARROWED, Difference.BROADENED) if problem else cmp

        def reasons(cmp: Comparison[MailMessage]) -> list[str]:
            if problem:
                return [*notes, "an expression without an EmS form may match more or less: "
                        "the rules using the list may let through what the source stopped, "
                        "or stop more"]
            if cmp.directions:
                return [*notes, "the EmS expressions match other texts than the IMSVA ones ("
                        + ", ".join(d.value for d in sorted_directions(cmp.directions))
                        + " in a rule that deletes what they match)"]
            return notes

        self.defer(origin, "keyword list", [kl.name], kl.span, compare, reasons,
                   self.emit("keyword_lists", [lst]))

    def _keyword_fidelity(self, kl: KeywordList, lst: EmsKeywordList
                          ) -> Comparison[MailMessage]:
        """A rule deleting mail whose subject matches the list, on both sides."""
        cond = KeywordCondition(MessagePart.SUBJECT, kl.name)
        src = MailPolicy(keyword_lists=(kl,), rules=(MailRule(
            "k", 1, route=Route(RouteType.ALL),
            conditions=(cond,), intercept=Intercept(InterceptAction.DELETE)),))
        tgt_rules = tuple(EmsRule("k", RuleKind.CONTENT_FILTERING, d, 1, criteria=(cond,),
                                  intercept=Intercept(InterceptAction.DELETE))
                          for d in Direction)
        tgt = EmsPolicy(keyword_lists=(lst,), rules=tgt_rules)
        texts = probes.keyword_texts(kl.match, kl.expressions)
        texts += probes.keyword_texts(lst.match, lst.expressions)
        msgs = [MailMessage(probes.EXTERNAL, "a@b.example", subject=t, direction="incoming")
                for t in dict.fromkeys(texts)]
        return compare(src, tgt, msgs)

    def lower_stamps(self) -> None:
        out = []
        for s in self.mail.stamps:
            origin = self.origin("stamp", s.name, s.span)
            out.append(EmsStamp(s.name, s.text, s.position, Meta(origin)))
            self.record(origin, "stamp", Comparison(), [s.name], [], s.span)
        self.emit("stamps", out)

    def lower_notifications(self) -> None:
        out = []
        for n in self.mail.notifications:
            origin = self.origin("notification", n.name, n.span)
            text = f"{n.to}\n{n.subject}\n{n.body}".upper()
            found = [v for v in UNSUPPORTED_VARIABLES if v in text]
            review: tuple[str, ...] = ()
            cmp: Comparison[MailMessage] = Comparison()
            if found:
                listed = ", ".join(found)
                review = (f"EmS does not support {listed}; it is left in the text: edit the "
                          "notification",)
                cmp = by_rule(Difference.NON_ACCESS)
                self.note("ISC3012", Severity.WARNING, f"notification \"{n.name}\" uses "
                          f"{listed}, which EmS does not support; it is left in the text",
                          n.span)
            out.append(EmsNotification(n.name, n.to, n.subject, n.body,
                                       Meta.of(origin, cmp.directions, review)))
            self.record(origin, "notification", cmp, [n.name], review, n.span, quiet=True)
        self.emit("notifications", out)

    # ------------------------------------------------------------------ rules

    def unique_name(self, direction: Direction, kind: RuleKind, rule: MailRule) -> str:
        taken = self.names.setdefault((direction, kind), set())
        name = rule.name
        if name in taken:
            name = f"{rule.name} [order {rule.order}]"
        k = 2
        base = name
        while name in taken:
            name = f"{base} ({k})"
            k += 1
        taken.add(name)
        return name

    def next_order(self, direction: Direction, kind: RuleKind) -> int:
        n = self.counters.get((direction, kind), 0) + 1
        self.counters[(direction, kind)] = n
        return n

    def translate_size(self, c: SizeCondition, mode: str, notes: list[str]
                       ) -> list[Condition]:
        """EmS compares with ``>`` and ``<=`` only (integers: exact), message sizes in KB."""
        v = c.value
        pairs: list[tuple[Compare, int]]
        if c.op in (Compare.GT, Compare.LE):
            pairs = [(c.op, v)]
        elif c.op is Compare.GE:
            pairs = [(Compare.GT, v - 1)]
        elif c.op is Compare.LT:
            pairs = [(Compare.LE, v - 1)]
        elif mode == "all":
            pairs = [(Compare.GT, v - 1), (Compare.LE, v)]
        else:
            pairs = [(Compare.GT, v - 1)]
            notes.append(f"{c.measure.value} = {v}: EmS has no '=' and the rule cannot AND "
                         f"two sizes; it became '> {v - 1}'")
        out: list[Condition] = []
        for op, value in pairs:
            if c.measure is Measure.MESSAGE_SIZE and value % 1024:
                kb = value // 1024 if op is Compare.GT else -(-value // 1024)
                notes.append(f"message size {value} bytes is not whole KB (EmS counts message "
                             f"size in KB); it became {kb} KB")
                value = kb * 1024
            out.append(SizeCondition(c.measure, op, value, _unit(c.measure, value, c.unit),
                                     span=c.span))
        return out

    def translate(self, c: Condition, mode: str, notes: list[str]) -> list[Condition]:
        if isinstance(c, SizeCondition):
            return self.translate_size(c, mode, notes)
        if isinstance(c, VirusCondition) and c.scan != "all":
            notes.append(f"EmS scans every file; the IMSVA scan mode {c.scan!r} is kept for "
                         "reference only")
        if isinstance(c, DlpCondition):
            notes.append(f"DLP template {c.template!r}: predefined IMSVA templates do not "
                         "migrate; make sure EmS has a compliance template of that name")
        if isinstance(c, KeywordCondition):
            if c.keyword_list not in self.keyword_names:
                notes.append(f"keyword list {c.keyword_list!r} does not exist")
            if c.part is not MessagePart.HEADER and c.headers:
                return [attrs.evolve(c, headers=())]  # header names only mean something there
        return [c]

    def plan_criteria(self, r: MailRule, notes: list[str]
                      ) -> tuple[list[tuple[RuleKind, CriteriaMatch, tuple[Condition, ...]]],
                                 bool, tuple[Piece, ...]]:
        """The EmS rule types an IMSVA rule lands in, each with its match and criteria;
        whether they must be emitted disabled; the source pieces for the reorder check."""
        rank = {k: i for i, k in enumerate(KIND_ORDER)}
        conds = r.conditions
        if r.type is RuleType.ANTIVIRUS:
            virus = [c for c in conds if isinstance(c, VirusCondition)] or [VirusCondition()]
            for c in conds:
                if not isinstance(c, VirusCondition):
                    notes.append(f"{_describe(c)} was dropped: an EmS virus policy has no "
                                 "other criteria")
            crit = [x for c in virus for x in self.translate(c, "any", notes)]
            return ([(RuleKind.VIRUS_SCAN, CriteriaMatch.ANY, tuple(crit))], False,
                    (Piece(0, conds, r.match),))
        content = rank[RuleKind.CONTENT_FILTERING]
        if not conds:
            return ([(RuleKind.CONTENT_FILTERING, CriteriaMatch.NONE, ())], False,
                    (Piece(content, (), r.match),))
        by_family: dict[RuleKind, list[Condition]] = {}
        dropped: list[Condition] = []
        for c in conds:
            fam = family(c)
            if isinstance(c, TrueFileType) and not file_type_supported(c.file_type):
                notes.append(f"true file type {c.file_type} was dropped: EmS does not support "
                             "MSI, PNG, 7-Zip or Windows shortcut files")
                fam = None
            elif fam is None:
                notes.append(f"{_describe(c)} was dropped: it does not migrate to EmS "
                             "(docs/targets/ems.md §2.7)")
            if fam is None:
                dropped.append(c)
            else:
                by_family.setdefault(fam, []).append(c)
        all_src = r.match is Match.ALL
        if not by_family:
            if not all_src:
                return [], False, (Piece(content, conds, r.match),)
            notes.append("no criterion is left, so the rule would apply to every message: "
                         "emitted disabled")
            return ([(RuleKind.CONTENT_FILTERING, CriteriaMatch.NONE, ())], True,
                    (Piece(content, conds, r.match),))
        fams = [k for k in KIND_ORDER if k in by_family]
        groups: list[tuple[RuleKind, CriteriaMatch, tuple[Condition, ...]]] = []
        inexpressible = all_src and len(fams) > 1
        for fam in fams:
            cs = by_family[fam]
            single = len(cs) == 1
            # One source condition, or All Match: an '=' may become '>' AND '<='.
            mode = "all" if all_src or single else "any"
            crit = [x for c in cs for x in self.translate(c, mode, notes)]
            if mode == "all" and len(crit) > 1 and any(map(any_match_only, crit)):
                if single:  # recipients '=': Recipient number has no All Match
                    crit = self.translate(cs[0], "any", notes)
                else:
                    inexpressible = True
            if all_src and len(cs) > 1 and fam is not RuleKind.CONTENT_FILTERING:
                inexpressible = True
            match = CriteriaMatch.ALL if (len(crit) > 1 and mode == "all" and not any(
                map(any_match_only, crit))) else CriteriaMatch.ANY
            groups.append((fam, match, tuple(crit)))
        if inexpressible:
            notes.append("IMSVA requires every criterion (All Match) across "
                         + ", ".join(KIND_WORDS[f] for f in fams)
                         + "; EmS combines criteria with All Match only inside one content "
                         "filtering rule, without Recipient number or password-protected: "
                         "emitted disabled, re-create the rule by hand")
            groups = [(f, CriteriaMatch.ANY if len(c) < 2 or m is CriteriaMatch.ANY
                       else m, c) for f, m, c in groups]
            return groups, True, (Piece(rank[fams[0]], conds, r.match),)
        pieces: list[Piece] = []
        for i, fam in enumerate(fams):
            extra = tuple(dropped) if i == 0 else ()
            piece_match = r.match if len(fams) == 1 else Match.ANY
            pieces.append(Piece(rank[fam], tuple(by_family[fam]) + extra, piece_match))
        return groups, False, tuple(pieces)

    def plan_actions(self, r: MailRule, notes: list[str]) -> tuple[Intercept,
                                                                  tuple[Action, ...]]:
        i = r.intercept
        if i.action is InterceptAction.HANDOFF:
            where = f"{i.host}:{i.port}" if i.port else f"{i.host}"
            notes.append(f"handoff to {where} has no EmS counterpart: the message is "
                         "quarantined instead (EmS 'Deliver now' to a specific mail server is "
                         "the closest manual alternative)")
            intercept = Intercept(InterceptAction.QUARANTINE, span=i.span)
        else:
            if i.action is InterceptAction.QUARANTINE and i.area:
                notes.append(f"quarantine area {i.area!r} is not kept: EmS has one quarantine")
            recipients = i.recipients if i.action is InterceptAction.CHANGE_RECIPIENT else ()
            intercept = Intercept(i.action, None, recipients, span=i.span)
        actions: list[Action] = []
        for a in r.actions:
            if isinstance(a, Postpone):
                notes.append("postpone delivery was dropped: it does not migrate to EmS")
            elif isinstance(a, Archive):
                notes.append(f"archive to {a.area!r} was dropped: it does not migrate to EmS")
            elif isinstance(a, InsertXHeader) and re.match(r"(?i)x-(tm|mt)", a.name):
                notes.append(f"X-header {a.name!r} was dropped: EmS reserves names starting "
                             "with X-TM and X-MT")
            else:
                actions.append(a)
        return intercept, tuple(actions)

    def plan_parties(self, r: MailRule, notes: list[str]
                     ) -> tuple[tuple[Party, ...], tuple[Party, ...],
                                tuple[RouteException, ...], bool]:
        ldap: list[str] = []
        approx = False

        def conv(ps: Sequence[Party], where: str) -> tuple[Party, ...]:
            nonlocal approx
            out = []
            for p in ps:
                q, a = self.party(p, where, notes, ldap)
                out.append(q)
                approx = approx or a
            return tuple(out)

        route = r.route
        recipients = conv(route.recipients, "recipients")
        senders = conv(route.senders, "senders")
        exceptions = tuple(
            RouteException(conv((e.sender,), "exception")[0],
                           conv((e.recipient,), "exception")[0], span=e.span)
            for e in route.exceptions)
        if ldap:
            notes.append("LDAP entries need directory synchronisation in EmS before the rule "
                         "is enabled")
        self.ldap_note(f"rule \"{r.name}\"", ldap, route.span or r.span)
        return recipients, senders, exceptions, approx

    def lower_rule(self, r: MailRule) -> None:
        """A rule's EmS rules, planned and emitted (names and orders in turn); the rule is
        compared alone with its translation, independent of the others (decision 162)."""
        origin = self.origin("mail-rule", r.name, r.span)
        if r.route.type is RouteType.POP3:
            # The models decide SMTP mail only, so no probe shows what this rule stopped.
            withholds = _withholds(r)
            reasons = ["POP3 routes do not migrate to EmS (docs/targets/ems.md §2.7); "
                       "protect POP3 mailboxes at the mail server"]
            if withholds:
                reasons.append("what it stopped in POP3 mail is let through")

            def pop3() -> Comparison[MailMessage]:
                cmp = self.rule_fidelity(r, (), False)
                return cmp.assume(Difference.BROADENED) if withholds else cmp

            self.defer(origin, "dropped", [], r.span, pop3, lambda _: reasons, dropped=True)
            self.plans.append(Plan(r, origin, ()))
            return
        notes: list[str] = []
        groups, disabled, pieces = self.plan_criteria(r, notes)
        intercept, actions = self.plan_actions(r, notes)
        recipients, senders, exceptions, approx = self.plan_parties(r, notes)
        self.plans.append(Plan(r, origin, pieces))
        if not groups:
            self.record_dropped_actions(r)
            self.defer(origin, "dropped", [], r.span,
                       functools.partial(self.rule_fidelity, r, (), False),
                       lambda cmp: [*notes, "no criterion has an EmS counterpart",
                                    *_witness_reason(cmp, [])], dropped=True)
            return
        directions = {RouteType.INCOMING: (Direction.INCOMING,),
                      RouteType.OUTGOING: (Direction.OUTGOING,)}.get(
            r.route.type, (Direction.INCOMING, Direction.OUTGOING))
        targets: list[EmsRule] = []
        for direction in directions:
            rcpts, sndrs = recipients, senders
            if r.route.type is RouteType.BOTH:
                # one "Users" list (sender or recipient): EmS keys inbound rules on
                # recipients and outbound rules on senders
                users = tuple(dict.fromkeys(
                    p for p in recipients + senders if p.kind is not PartyKind.ANYONE))
                rcpts, sndrs = ((users, ()) if direction is Direction.INCOMING
                                else ((), users))
            for kind, match, criteria in groups:
                targets.append(EmsRule(
                    self.unique_name(direction, kind, r), kind, direction,
                    self.next_order(direction, kind), r.enabled and not disabled,
                    rcpts, sndrs, exceptions, match, criteria, intercept, actions,
                    r.notes, Meta(origin)))
        if approx:
            notes.append("until each LDAP user written as a DN is replaced by an address, "
                         "the rule may apply to more or fewer people: it may let through "
                         "what the source stopped, or stop more")
        emitted = tuple(targets)

        def compare() -> Comparison[MailMessage]:
            cmp = self.rule_fidelity(r, emitted, disabled)
            return cmp.assume(Difference.NARROWED, Difference.BROADENED) if approx else cmp

        self.record_dropped_actions(r)
        fate = "EmS rules" + (" (emitted disabled)" if disabled else "")
        self.defer(origin, fate, [_target_name(t) for t in targets], r.span, compare,
                   lambda cmp: [*notes, *_witness_reason(cmp, notes)],
                   self.emit("rules", targets))

    def lower_rules(self) -> None:
        """Every rule in IMSVA order."""
        for rule in self.mail.rules_in_order():
            self.lower_rule(rule)

    def record_dropped_actions(self, r: MailRule) -> None:
        """semantics.md §5: handoff, postpone and archive are ``dropped`` with the reason.
        Each gets a report entry of its own (kind ``mail-rule.action``); the rule keeps the
        tag computed for what was emitted (handoff becomes quarantine)."""
        dropped: list[tuple[str, Span | None, str, Difference]] = []
        if r.intercept.action is InterceptAction.HANDOFF:
            # handoff (level 1) becomes quarantine (level 2)
            dropped.append(("handoff", r.intercept.span,
                            "EmS has no handoff; the rule quarantines instead "
                            "(docs/targets/ems.md §2.6)", Difference.NARROWED))
        for a in r.actions:
            if isinstance(a, Postpone):
                dropped.append(("postpone", a.span, "Postpone delivery does not migrate to "
                                "EmS (docs/targets/ems.md §2.7); the message is delivered now",
                                Difference.NON_ACCESS))
            elif isinstance(a, Archive):
                dropped.append(("archive", a.span, "Archive modified to does not migrate to "
                                "EmS (docs/targets/ems.md §2.7); keep a copy with BCC or EmS "
                                "log retention", Difference.NON_ACCESS))
        for what, span, reason, direction in dropped:
            self.record(self.origin("mail-rule.action", f"{r.name}: {what}", span or r.span),
                        "dropped", by_rule(direction), [], [reason], span or r.span,
                        quiet=True, dropped=True)

    def rule_fidelity(self, r: MailRule, targets: tuple[EmsRule, ...], disabled: bool
                      ) -> Comparison[MailMessage]:
        """The rule alone on both sides (enabled, unless isc disabled its translation)."""
        src, tgt = self.objects_only()
        src = attrs.evolve(src, rules=(attrs.evolve(r, enabled=True),))
        tgt = attrs.evolve(tgt, rules=tuple(attrs.evolve(t, enabled=not disabled)
                                            for t in targets))
        return compare(src, tgt, probes.rule_probes(self.mail, r, targets, tgt))

    # ------------------------------------------------------------------ sender lists

    def lower_senders(self, *, approved: bool) -> None:
        """Every entry of a sender list emitted, in turn; how each one compares is settled
        by :meth:`key_senders`, after the lowering."""
        kind = "approved-senders.entry" if approved else "blocked-senders.entry"
        entries = self.mail.approved_senders if approved else self.mail.blocked_senders
        field = "approved_senders" if approved else "blocked_senders"
        if approved:
            common = ("EmS approved senders skip spam, phishing, web reputation, graymail and "
                      "SEA criteria (IMSVA: the spam criterion only)")
        else:
            common = ("EmS deletes mail from blocked senders without scanning (IMSVA: the spam "
                      "criterion matches)")
        what = "approved sender" if approved else "blocked sender"
        for p in entries:
            origin = self.origin(kind, p.value, p.span)
            notes: list[str] = []
            entry: SenderEntry | None = None
            if p.kind is not PartyKind.ADDRESS:
                notes.append("EmS sender lists hold addresses only")
            elif not ems_sender_ok(p.value):
                notes.append(f"EmS sender lists accept user@domain, *@domain and *@*.domain, "
                             f"not {p.value!r}")
            else:
                entry = SenderEntry(p.value, Meta(origin))
            notes.append(common)
            review = functools.partial(_fixed, tuple(notes))
            if entry is None:
                pending = self.defer(origin, "dropped", [], p.span, _unkeyed, review,
                                     dropped=True)
            else:
                pending = self.defer(origin, what, [p.value], p.span, _unkeyed, review,
                                     self.emit(field, [entry]))
            self._unkeyed.append((pending, p, entry, approved))

    def key_senders(self) -> None:
        """Each sender entry's key and comparison, in the context of every rule (decision
        161): the keys on both cores, or beside the sweep's process where it runs (the
        draft it sweeps needs none of this)."""
        if not self._unkeyed:
            return
        src0, tgt0 = self.objects_only()
        src0 = attrs.evolve(src0, rules=self.mail.rules)
        tgt0 = attrs.evolve(tgt0, rules=self.field("rules"))
        # entries whose probe senders reach the same rules compare alike
        self.sender_slots = slots = (SenderSlots(src0), SenderSlots(tgt0))
        unkeyed, self._unkeyed = self._unkeyed, []
        keys = workers.map_items(functools.partial(_sender_key, slots),
                                 [p for _, p, _, _ in unkeyed], min_split=_MIN_KEY_SPLIT)
        for (pending, p, entry, approved), key in zip(unkeyed, keys, strict=True):
            kept = (entry,) if entry else ()
            if approved:
                src1 = attrs.evolve(src0, approved_senders=(p,))
                tgt1 = attrs.evolve(tgt0, approved_senders=kept)
            else:
                src1 = attrs.evolve(src0, blocked_senders=(p,))
                tgt1 = attrs.evolve(tgt0, blocked_senders=kept)
            # the key settles the baseline too: the probes that showed the key's directions
            # are kept for every entry of the key
            pending.key = (pending.origin.kind, entry is not None, key)
            pending.compare = functools.partial(
                self.sender_shapes.compare, pending.key,
                functools.partial(probes.sender_probes, self.mail, [p.value]),
                functools.partial(compare, src1, tgt1, baseline=(src0, tgt0)),
                reuse=REUSE_SHAPES,
                pick=functools.partial(probes.sender_probes_at, self.mail, p.value))

    # ------------------------------------------------------------------ sender filtering

    def lower_sender_filtering(self) -> None:
        sf = self.mail.sender_filtering
        if sf is None:
            return
        origin = self.origin("sender-filtering.email-reputation", "Email Reputation", sf.span)
        if sf.email_reputation:
            self.record(origin, "EmS IP reputation", by_rule(Difference.NON_ACCESS), [], [
                f"EmS applies its own IP reputation (IMSVA level {sf.reputation_level!r}); "
                "isc does not model either: check Connection Filtering → IP Reputation"],
                sf.span)
        else:
            self.record(origin, "EmS IP reputation", by_rule(Difference.NARROWED), [], [
                "Email Reputation was off in IMSVA; EmS always applies IP reputation"],
                sf.span)
        approved_ok = [e for e in sf.approved_ips if public_ip(e.value)]
        blocked_ok = [e for e in sf.blocked_ips if public_ip(e.value)
                      and e.action != "block-temporarily"]
        src_base, tgt_base = self.objects_only()

        def targets(entries: Sequence[IpEntry]) -> tuple[IpListEntry, ...]:
            return tuple(IpListEntry(e.value) for e in entries)

        # the whole other list, one tuple for every entry's policies: the models index a
        # list once per tuple (mailindex.IpSet), not once per entry
        t_approved, t_blocked = targets(approved_ok), targets(blocked_ok)

        def policies(app: Sequence[IpEntry], blk: Sequence[IpEntry],
                     t_app: tuple[IpListEntry, ...], t_blk: tuple[IpListEntry, ...]
                     ) -> tuple[MailPolicy, EmsPolicy]:
            return (attrs.evolve(src_base, sender_filtering=SenderFiltering(
                        approved_ips=tuple(app), blocked_ips=tuple(blk))),
                    attrs.evolve(tgt_base, approved_ips=t_app, blocked_ips=t_blk))

        for e in sf.approved_ips:
            keep = e in approved_ok
            base = policies((), sf.blocked_ips, (), t_blocked)
            with_ = policies((e,), sf.blocked_ips, targets((e,) if keep else ()), t_blocked)
            self._ip_entry("sender-filtering.approved-ip", "approved_ips", e, keep, base,
                           with_, "IP reputation approved IP")
        for e in sf.blocked_ips:
            keep = e in blocked_ok
            base = policies(sf.approved_ips, (), t_approved, ())
            with_ = policies(sf.approved_ips, (e,), t_approved, targets((e,) if keep else ()))
            self._ip_entry("sender-filtering.blocked-ip", "blocked_ips", e, keep, base, with_,
                           "IP reputation blocked IP")

    def _ip_entry(self, kind: str, field: str, e: IpEntry, keep: bool,
                  base: tuple[MailPolicy, EmsPolicy], with_: tuple[MailPolicy, EmsPolicy],
                  what: str) -> None:
        origin = self.origin(kind, e.value, e.span)
        notes: list[str] = []
        public = public_ip(e.value)
        if public is None:
            notes.append("EmS IP lists take addresses and CIDR blocks only (IMSVA resolved "
                         "domains)")
        elif not public:
            notes.append("a private address never connects to EmS")
        elif not keep:
            notes.append("EmS blocks permanently only; a temporary block does not migrate")

        def fidelity() -> Comparison[MailMessage]:
            return compare(with_[0], with_[1], probes.ip_probes(self.mail, [e.value]),
                           baseline=base)

        if not keep:
            self.defer(origin, "dropped", [], e.span, fidelity, lambda _: notes, dropped=True,
                       no_action=public is False)
            return
        self.defer(origin, what, [e.value], e.span, fidelity,
                   lambda cmp: [*notes, *_witness_reason(cmp, notes)],
                   self.emit(field, [IpListEntry(e.value, Meta(origin))]))

    # ------------------------------------------------------------------ authentication

    def lower_dkim(self) -> None:
        dk = self.mail.dkim_enforcement
        if dk is None:
            return
        origin = self.origin("dkim-enforcement", "Global DKIM Enforcement rule", dk.span)
        target = DkimVerification(dk.enabled, dk.domains, dk.action, Meta(origin))
        src, tgt = self.objects_only()
        src = attrs.evolve(src, dkim_enforcement=attrs.evolve(dk, enabled=True))
        tgt = attrs.evolve(tgt, dkim_verification=attrs.evolve(target, enabled=True))
        review = ("EmS checks the header From and the envelope sender domain; IMSVA checked "
                  "the header From only",)
        self.defer(origin, "DKIM verification (Default for unspecified domains)",
                   ["DKIM verification"], dk.span, functools.partial(
                       compare, src, tgt, probes.authentication_probes(self.mail, dk.domains)),
                   lambda _: review, self.emit("dkim_verification", [target]))

    def lower_dmarc(self) -> None:
        dm = self.mail.dmarc
        if dm is None:
            return
        origin = self.origin("dmarc", "DMARC", dm.span)
        notes: list[str] = []
        if dm.domains:
            notes.append("EmS verifies DMARC for every sender domain; the IMSVA verification "
                         "list (" + ", ".join(dm.domains) + ") does not migrate")
        if dm.exception_ips:
            notes.append("the DMARC exception IPs (" + ", ".join(dm.exception_ips)
                         + ") do not migrate")
        notes.append("EmS matches the header and the envelope sender")
        target = EmsDmarc(dm.enabled, dm.insert_x_header, dm.daily_reports, dm.actions,
                          Meta(origin))
        src, tgt = self.objects_only()
        src = attrs.evolve(src, dmarc=attrs.evolve(dm, enabled=True))
        tgt = attrs.evolve(tgt, dmarc=attrs.evolve(target, enabled=True))
        self.defer(origin, "DMARC", ["DMARC"], dm.span, functools.partial(
            compare, src, tgt,
            probes.authentication_probes(self.mail, dm.domains, dm.exception_ips)),
                   lambda _: notes, self.emit("dmarc", [target]))

    def lower_settings(self) -> None:
        for s in self.mail.settings:
            self.record(self.origin("imss.ini", f"[{s.section}] {s.key}", s.span), "dropped",
                        Comparison(), [], ["imss.ini settings have no EmS counterpart; they "
                                           "decide no message"], s.span, quiet=True,
                        dropped=True, no_action=True)

    # ------------------------------------------------------------------ whole-policy sweep

    def reordered_sources(self) -> tuple[MailPolicy, MailPolicy, dict[str, tuple[Plan,
                                                                                 Piece]]]:
        """The source policy with each rule split into its per-type pieces, in IMSVA order
        and in EmS order: where these two decide differently, the reorder is the cause.
        Pieces are named ``#i.j`` so that a decision names the piece; the map leads back."""
        pieces: list[tuple[int, int, int, MailRule]] = []
        names: dict[str, tuple[Plan, Piece]] = {}
        for i, plan in enumerate(self.plans):
            for j, piece in enumerate(plan.pieces):
                name = f"#{i}.{j}"
                names[name] = (plan, piece)
                pieces.append((piece.rank, i, j, attrs.evolve(
                    plan.rule, name=name, conditions=piece.conditions, match=piece.match)))

        def policy(ordered: list[tuple[int, int, int, MailRule]]) -> MailPolicy:
            return attrs.evolve(self.mail, rules=tuple(
                attrs.evolve(rule, order=n) for n, (_, _, _, rule) in enumerate(ordered, 1)))

        split = policy(sorted(pieces, key=lambda p: (p[1], p[2])))
        reordered = policy(sorted(pieces, key=lambda p: (p[0], p[1], p[2])))
        return split, reordered, names

    def _source_key(self, by: DecidedBy | None) -> tuple[str, str, int] | None:
        if by is None:
            return None
        if by.kind == "mail-rule":
            return ("mail-rule", by.name, by.line or 0)
        return self._list_key(by)

    def _target_key(self, by: DecidedBy | None) -> tuple[str, str, int] | None:
        if by is None:
            return None
        if by.kind == "ems-rule":
            rules = self._rule_keys
            if rules is None or rules[0] is not self.policy:
                # the first rule of each name and source line: built once per policy, not
                # scanned per message
                table: dict[tuple[str, int], tuple[str, str, int]] = {}
                for r in self.policy.rules:
                    src = r.meta.source
                    if src is not None:
                        table.setdefault((r.name, src.line), (src.kind, src.name, src.line))
                rules = self._rule_keys = (self.policy, table)
            return rules[1].get((by.name, by.line or 0))
        return self._list_key(by)

    def _list_key(self, by: DecidedBy) -> tuple[str, str, int] | None:
        """The first report entry of the list object that decided (by kind and name; DKIM
        and DMARC by kind alone), from a table built on first use."""
        if self._list_keys is None:
            self._list_keys = {}
            wanted = _PROBED - {"mail-rule"}
            for e in self.report:
                kind = e.source.kind
                if kind in wanted:
                    key = (kind, e.source.name, e.source.line)
                    self._list_keys.setdefault((kind, e.source.name), key)
                    self._list_keys.setdefault((kind, None), key)
        found = _LIST_KINDS.get(by.kind)
        if found is None:
            return None
        return self._list_keys.get(
            (found, None if found in ("dkim-enforcement", "dmarc") else by.name))

    def sweep(self, swept: MailSweep, pieces: dict[str, tuple[Plan, Piece]]) -> None:
        """The whole policies were compared (:meth:`MailWhole.sweep`): every object that
        decides a message differently in context, on either side, gains that direction with
        the message as its witness; and each reorder that changes a decision is reported
        (``pieces``: the split source's pieces, :meth:`reordered_sources`)."""
        found: dict[tuple[str, str, int], dict[Difference, Witness[MailMessage]]] = {}
        reorders: dict[tuple[str, ...], tuple[Witness[MailMessage], str, Plan, Plan]] = {}
        if self._list_keys is None:
            self._list_key(DecidedBy("dmarc", ""))  # builds the table
        table = self._list_keys or {}
        exercised = {self._source_key(by) for by in swept.sources}
        exercised |= {self._target_key(by) for by in swept.targets}
        exercised |= {table.get(entry) for entry in swept.listed}
        for m, s, t, a, b in swept.differing:
            diffs = differences(s, t)
            keys = [self._source_key(s.decided_by), self._target_key(t.decided_by)]
            if differences(a, b):
                explained = self._explain_reorder(a, b, pieces)
                if explained is not None:
                    text, first, second = explained
                    for plan in (first, second):
                        o = plan.origin
                        keys.append((o.kind, o.name, o.line))
                    worst = next(d for d in DIRECTION_ORDER if d in diffs)
                    reorders.setdefault((first.origin.name, second.origin.name, text),
                                        (Witness(m, s, t, worst, POLICY), text, first, second))
            for key in keys:
                if key is not None:
                    seen = found.setdefault(key, {})
                    for d in diffs:
                        seen.setdefault(d, Witness(m, s, t, d, POLICY))
        self.swept = Swept(swept.probes, tuple((m, s, t) for m, s, t, _, _ in swept.differing))
        can = [e for e in self.report if e.source.kind in _PROBED]
        self.coverage = {"probes": swept.probes, "objects": len(can), "exercised": sum(
            1 for e in can if (e.source.kind, e.source.name, e.source.line) in exercised)}
        witnesses: dict[tuple[str, str, int], dict[str, object]] = {}
        for w, text, first, second in reorders.values():
            self.note("ISC3011", Severity.WARNING, text + witness_text(w), first.rule.span)
            wit = witness_json(w, cause="per-type reorder", rel=self.rel)
            for plan in (first, second):
                o = plan.origin
                if wit is not None:
                    witnesses.setdefault((o.kind, o.name, o.line), wit)
        self.widen(found, witnesses)

    def _explain_reorder(self, a: Decision, b: Decision,
                         pieces: dict[str, tuple[Plan, Piece]]
                         ) -> tuple[str, Plan, Plan] | None:
        """Which two rules swap places for this message, in words: ``a`` is the source in
        IMSVA order, ``b`` in EmS order (both split into pieces)."""

        def piece(by: DecidedBy | None) -> tuple[Plan, Piece] | None:
            return pieces.get(by.name) if by is not None else None

        def kind(p: Piece) -> str:
            return KIND_WORDS[KIND_ORDER[p.rank]]

        def rule(plan: Plan, p: Piece) -> str:
            return f"\"{plan.rule.name}\" (order {plan.rule.order}, {kind(p)})"

        pa, pb = piece(a.decided_by), piece(b.decided_by)
        if pa is not None and pb is not None and pa[0] is not pb[0]:
            return (f"rule {rule(*pa)} ran before {rule(*pb)} in IMSVA; EmS runs "
                    f"{kind(pb[1])} first", pa[0], pb[0])
        # The same rule stops the message (or none does): another rule's modifications
        # come or go because it now runs before (or after) the deciding one.
        changed = set(a.modifications) ^ set(b.modifications)
        decider = pa or pb
        for plan, p in pieces.values():
            if decider is not None and plan is decider[0]:
                continue
            mods = {x for act in plan.rule.actions for x in imsva_model.action_strings(act)}
            if not mods & changed:
                continue
            if decider is None:
                return (f"rule {rule(plan, p)}: running the rules by type, as EmS does, "
                        "changes which modifications are kept", plan, plan)
            dplan, dpiece = decider
            if mods & set(a.modifications) - set(b.modifications):
                text = (f"rule {rule(plan, p)} ran before {rule(dplan, dpiece)} stopped the "
                        f"message in IMSVA; EmS runs {kind(dpiece)} first")
            else:
                text = (f"rule {rule(plan, p)} ran after {rule(dplan, dpiece)} stopped the "
                        f"message in IMSVA; EmS runs {kind(p)} first, so it now applies")
            return text, plan, dplan
        return None

    def widen(self, found: dict[tuple[str, str, int], dict[Difference, Witness[MailMessage]]],
              witnesses: dict[tuple[str, str, int], dict[str, object]]) -> None:
        if not found and not witnesses:
            return
        context = "decides differently in the context of the whole policy"
        reorder = ("EmS runs rule types in a fixed order (virus scan, spam filtering, content "
                   "filtering, DLP): that changes a decision, see the witness (ISC3011)")

        def meta(m: Meta) -> Meta:
            if m.source is None:
                return m
            key = (m.source.kind, m.source.name, m.source.line)
            extra = set(found.get(key, {}))
            review = m.review
            if key in witnesses:
                review += (reorder,)
            if not extra <= m.directions:
                return Meta.of(m.source, m.directions | extra, review + (context,))
            return attrs.evolve(m, review=review)

        p = self.policy
        self.policy = attrs.evolve(
            p,
            rules=tuple(attrs.evolve(r, meta=meta(r.meta)) for r in p.rules),
            blocked_senders=tuple(attrs.evolve(e, meta=meta(e.meta)) for e in p.blocked_senders),
            blocked_ips=tuple(attrs.evolve(e, meta=meta(e.meta)) for e in p.blocked_ips),
            dkim_verification=attrs.evolve(p.dkim_verification, meta=meta(
                p.dkim_verification.meta)) if p.dkim_verification else None,
            dmarc=attrs.evolve(p.dmarc, meta=meta(p.dmarc.meta)) if p.dmarc else None,
        )
        for i, e in enumerate(self.report):
            key = (e.source.kind, e.source.name, e.source.line)
            self.ledger.gain(i, found.get(key, {}).values(), context)
            if key in witnesses:
                e = self.report[i]
                self.report[i] = attrs.evolve(e, witness=witnesses[key],
                                              reasons=e.reasons + (reorder,))


def _describe(c: Condition) -> str:
    if isinstance(c, FlagCondition):
        return _NOT_MIGRATED.get(c.flag, c.flag.value)
    if isinstance(c, ReceivedTime):
        return "Received time range"
    return type(c).__name__


def _withholds(r: MailRule) -> bool:
    """Does the rule keep anything from the recipient (its intercept, or a deleted or cleaned
    attachment)?"""
    return r.intercept.action not in (InterceptAction.NONE, InterceptAction.DELIVER_NOW) or any(
        isinstance(a, DeleteAttachments | Clean) for a in r.actions)


def _witness_reason(cmp: Comparison[MailMessage], reasons: Iterable[str]) -> list[str]:
    """A reason for a computed difference when the translation gave none: the witness."""
    w = cmp.witness
    if w is None or list(reasons):
        return []
    return ["for example" + witness_text(w).removeprefix(" (e.g.").removesuffix(")")
            + " (IMSVA → EmS)"]


def _sender_key(slots: tuple[SenderSlots, SenderSlots], p: Party) -> Hashable:
    """What a sender entry's comparison depends on but whether it translates (decision
    161)."""
    return sender_key(p, probes.sender_addresses(p.value), slots)


def _unkeyed() -> Comparison[MailMessage]:
    raise AssertionError("a sender entry compared before Lowering.key_senders")


def _fixed(reasons: tuple[str, ...], _: Comparison[MailMessage]) -> tuple[str, ...]:
    """Reasons that do not depend on the comparison."""
    return reasons


def _target_name(r: EmsRule) -> str:
    return f"{DIRECTION_WORDS[r.direction]} {KIND_WORDS[r.kind]}: {r.name}"


@attrs.frozen
class MailSweep:
    """What the whole-policy sweep decided: how many messages; the objects that decided
    them on each side and the sender-list and IP entries they matched (``(kind, value)``),
    which the lowering turns into report entries; and the messages decided differently, in
    pool order, with the source and target decisions and the source's decisions split into
    per-type pieces in IMSVA order and in EmS order (the reorder check)."""

    probes: int
    sources: frozenset[DecidedBy | None]
    targets: frozenset[DecidedBy | None]
    listed: frozenset[tuple[str, str]]
    differing: tuple[tuple[MailMessage, Decision, Decision, Decision, Decision], ...]


class MailWhole:
    """Both whole policies and the split source, decided over their indexes. It reads only
    the policies, so it may run in a second process (:class:`workers.Server`) while the
    parent compares objects one by one."""

    def __init__(self, mail: MailPolicy, policy: EmsPolicy, split: MailPolicy,
                 reordered: MailPolicy, limit: int) -> None:
        self.mail, self.policy = mail, policy
        self.split, self.reordered = split, reordered
        self.limit = limit

    def serve(self, request: None) -> MailSweep:
        return self.sweep()

    def sweep(self) -> MailSweep:
        pool = probes.policy_pool(self.mail, self.policy, limit=self.limit)
        listed = _listed_entries(self.mail)
        Found = tuple[int, Decision, Decision, Decision, Decision]
        Part = tuple[set[DecidedBy | None], set[DecidedBy | None], set[tuple[str, str]],
                     list[Found]]

        def run(part: Sequence[int]) -> Part:
            """What the messages exercised, and the decisions of those decided
            differently (with the reorder replays), by position in the pool."""
            sources: set[DecidedBy | None] = set()
            targets: set[DecidedBy | None] = set()
            entries: set[tuple[str, str]] = set()
            differing: list[Found] = []
            for i in part:
                m = pool[i]
                s = imsva_model.decide(self.mail, m)
                t = ems_model.decide(self.policy, m)
                sources.add(s.decided_by)
                targets.add(t.decided_by)
                entries.update(listed(m))
                if differences(s, t):
                    differing.append((i, s, t, *imsva_model.decide_orders(
                        self.split, self.reordered, m)))
            return sources, targets, entries, differing

        sources: set[DecidedBy | None] = set()
        targets: set[DecidedBy | None] = set()
        entries: set[tuple[str, str]] = set()
        differing: list[Found] = []
        positions = list(range(len(pool)))
        if pool:  # the four policies' indexes built here once, not in each process
            run([0])
            for policy in (self.split, self.reordered):
                imsva_model.decide(policy, pool[0])
        # every other message to each process (the pool comes in runs of one kind), then
        # the differences in pool order, as one process would see them (decision 162)
        for _, (part_sources, part_targets, part_entries, part_differing) in workers.split(
                run, positions[0::2] + positions[1::2], min_split=_MIN_SWEEP_SPLIT):
            sources |= part_sources
            targets |= part_targets
            entries |= part_entries
            differing += part_differing
        return MailSweep(len(pool), frozenset(sources), frozenset(targets), frozenset(entries),
                         tuple((pool[i], s, t, a, b) for i, s, t, a, b in sorted(
                             differing, key=lambda found: found[0])))


#: A server of :class:`MailWhole`: the sweep.
Served = workers.Server[MailWhole, None, MailSweep]


def _listed_entries(m: MailPolicy) -> Callable[[MailMessage], list[tuple[str, str]]]:
    """The sender-list and IP entries a message matches (the first of each list), as
    ``(report kind, value)``: what it exercises beyond the objects that decide it."""
    index = mailindex.MailIndex.of(m)
    lists = [(kind, tuple(p.value for p in parties if p.kind is PartyKind.ADDRESS))
             for kind, parties in (("approved-senders.entry", m.approved_senders),
                                   ("blocked-senders.entry", m.blocked_senders))]
    senders = [(kind, values, mailindex.AddressList(values)) for kind, values in lists]
    sf = m.sender_filtering
    ips = [] if sf is None else [("sender-filtering.approved-ip", sf.approved_ips),
                                 ("sender-filtering.blocked-ip", sf.blocked_ips)]

    def listed(msg: MailMessage) -> list[tuple[str, str]]:
        out = []
        for kind, values, found in senders:
            i = found.first(msg.sender)
            if i is not None:
                out.append((kind, values[i]))
        for kind, entries in ips:
            j = index.first_ip(entries, msg.client_ip)
            if j is not None:
                out.append((kind, entries[j].value))
        return out

    return listed


def lower(mail: MailPolicy, rel: Callable[[str], str], options: Options
          ) -> tuple[EmsPolicy, list[ReportEntry], list[Diagnostic], dict[str, int],
                     Swept | None]:
    low = Lowering(mail, rel, options)
    policy = low.run()
    return policy, low.report, low.diagnostics, low.coverage, low.swept
