"""The IMSVA / IMSS mail decision model (spec semantics.md §3), on a :class:`MailPolicy`.

Order of evaluation, for the one recipient the message is evaluated for:

1. Sender Filtering (incoming only): a client IP on the blocked list and not on the approved
   list → ``delete`` (the connection is refused; permanent and temporary blocks alike).
2. Global DKIM Enforcement (incoming only): header From domain (envelope sender without a
   From header) on the list and no passing signature → its action.
3. DMARC (incoming only, client IP not excepted): the action configured for the message's
   DMARC result.
4. Rules in Order Number order, enabled only, first terminal intercept stops.

Approved and blocked senders are IMSVA's spam-detection sender lists: an approved envelope
sender never matches a spam condition, a blocked one always does; they decide nothing alone.

The condition and action helpers here are shared with the EmS model (:mod:`isc.models.ems`)
so that both answer in one vocabulary.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from email.utils import parseaddr
from typing import Any, Protocol

import attrs

from isc.ir.common import Span
from isc.ir.ems import EmsRule, RuleKind
from isc.ir.mail import (
    Action,
    Archive,
    AttachmentName,
    Bcc,
    Clean,
    Compare,
    Condition,
    DeleteAttachments,
    Direction,
    DlpCondition,
    Encrypt,
    Flag,
    FlagCondition,
    InsertStamp,
    InsertXHeader,
    Intercept,
    InterceptAction,
    KeywordCondition,
    KeywordExpression,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Measure,
    MessagePart,
    MimeType,
    Notify,
    Postpone,
    ReceivedTime,
    RouteType,
    RuleType,
    SizeCondition,
    SpamCondition,
    TagSubject,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)
from isc.ir.requests import Attachment, DecidedBy, Decision, MailMessage
from isc.models.keywords import keyword_list_matches
from isc.models.mailindex import MailIndex
from isc.models.mailmatch import (
    PartyMatcher,
    direction_of,
    domain_of,
    users_of,
)

# ---------------------------------------------------------------------- verdict scales

#: Spam score a catch rate stands for (the model's choice: IMSVA documents only that the
#: threshold runs 3.0-10.0 and that higher means fewer false positives).
CATCH_RATE_THRESHOLD = {"high": 4.0, "medium": 6.0, "low": 8.0}

#: Web reputation: a rule's security level catches URLs rated at least this risky
#: (``MailMessage.wrs_level`` is the riskiest URL's rating).
_WRS_RISK = {"low": 1, "medium": 2, "high": 3}
_WRS_LEVEL_CATCHES = {"high": 1, "medium": 2, "low": 3}

#: True-file-type names that mean the same type.
FILE_TYPE_ALIASES = {
    "7-ZIP": "7Z", "7ZIP": "7Z", "JPG": "JPEG", "GZ": "GZIP", "BZ2": "BZIP2", "TIF": "TIFF",
    "SHORTCUT": "LNK", "WINDOWS SHORTCUT": "LNK", "MICROSOFT WINDOWS SHORTCUT": "LNK",
    "DLL": "EXE", "PE": "EXE", "WIN32": "EXE", "MS OFFICE": "OLE", "HTM": "HTML",
}


def file_type_matches(wanted: str, actual: str | None) -> bool:
    """Case-insensitive, through :data:`FILE_TYPE_ALIASES`; an OLE condition also covers
    the Office 97-2003 and MSI files that are OLE containers."""
    if actual is None:
        return False
    w = FILE_TYPE_ALIASES.get(wanted.strip().upper(), wanted.strip().upper())
    a = FILE_TYPE_ALIASES.get(actual.strip().upper(), actual.strip().upper())
    return w == a or (w == "OLE" and a in {"DOC", "XLS", "PPT", "MSI"})


# ---------------------------------------------------------------------- conditions

KeywordLookup = Callable[
    [str], tuple[KeywordMatch, int | None, Sequence[KeywordExpression]] | None]


@attrs.frozen
class Env:
    """What condition evaluation needs besides the message.

    ``spam_verdict`` overrides spam conditions (IMSVA sender lists: True blocked, False
    approved); ``skip_spam_types`` makes spam, web-reputation, graymail and SEA conditions
    false (EmS approved senders); ``reaches`` is the EmS keyword-score rule (score reaches
    the threshold instead of exceeding it)."""

    keyword_list: KeywordLookup
    reaches: bool = False
    spam_verdict: bool | None = None
    skip_spam_types: bool = False


SPAM_TYPES = (SpamCondition, WebReputationCondition)
SPAM_FLAGS = frozenset({Flag.GRAYMAIL, Flag.SOCIAL_ENGINEERING})


def is_spam_type(cond: Condition) -> bool:
    """The criteria EmS approved senders skip (spam, phishing, WRS, graymail, SEA)."""
    return isinstance(cond, SPAM_TYPES) or (
        isinstance(cond, FlagCondition) and cond.flag in SPAM_FLAGS)


def compare(op: Compare, left: float, right: float) -> bool:
    if op is Compare.GT:
        return left > right
    if op is Compare.GE:
        return left >= right
    if op is Compare.LT:
        return left < right
    if op is Compare.LE:
        return left <= right
    return left == right


def recipient_count(message: MailMessage) -> int:
    return len({r.lower() for r in message.recipients} | {message.recipient.lower()})


def name_matches(pattern: str, name: str) -> bool:
    """``*``/``?`` glob on the whole name, case-insensitive; a pattern with no wildcard and
    no dot is an extension (``exe`` ≡ ``*.exe``)."""
    pat = pattern.strip().lower()
    if not any(c in pat for c in "*?.") and pat:
        pat = "*." + pat
    return _fnmatch(pat, name.lower())


def _fnmatch(pattern: str, text: str) -> bool:
    # fnmatch's [...] sets are not part of the IMSVA syntax: escape them.
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def extension_matches(pattern: str, name: str) -> bool:
    """A virus-scan extension (``exe``, ``.exe``, ``*.exe``, ``*``) against a file name."""
    pat = pattern.strip().lower().lstrip("*").lstrip(".")
    if not pat:
        return True
    ext = name.lower().rpartition(".")[2] if "." in name else ""
    return _fnmatch(pat, ext)


def virus_matches(cond: VirusCondition, message: MailMessage) -> bool:
    if not message.virus:
        return False
    if cond.scan == "extensions":
        return any(extension_matches(e, a.name)
                   for a in message.attachments for e in (cond.extensions or ("*",)))
    return True


def spam_threshold(cond: SpamCondition) -> float:
    if cond.threshold is not None:
        try:
            return float(cond.threshold)
        except ValueError:
            pass
    return CATCH_RATE_THRESHOLD.get((cond.catch_rate or "medium").lower(), 6.0)


def wrs_matches(cond: WebReputationCondition, level: str | None) -> bool:
    if level is None:
        return False
    lv = level.strip().lower()
    if lv == "untested":
        return cond.untested == "apply"
    risk = _WRS_RISK.get(lv)
    return risk is not None and risk >= _WRS_LEVEL_CATCHES.get(cond.level.lower(), 2)


def _keyword_texts(cond: KeywordCondition, message: MailMessage) -> tuple[str, ...] | None:
    """The texts a keyword condition looks at; None when the part is absent."""
    if cond.part is MessagePart.SUBJECT:
        return (message.subject,)
    if cond.part is MessagePart.BODY:
        return (message.body,)
    if cond.part is MessagePart.HEADER:
        if not cond.headers:
            return tuple(f"{k}: {v}" for k, v in message.headers)
        return tuple(v for h in cond.headers for v in message.header(h.strip()))
    if not message.attachments:
        return None
    return tuple(a.content for a in message.attachments)


def keyword_matches(cond: KeywordCondition, message: MailMessage, env: Env) -> bool:
    found = env.keyword_list(cond.keyword_list)
    texts = _keyword_texts(cond, message)
    if found is None or texts is None:
        return False
    match, threshold, expressions = found
    return keyword_list_matches(match, threshold, expressions, texts, reaches=env.reaches)


def _any_attachment(message: MailMessage, test: Callable[[Attachment], bool]) -> bool:
    return any(test(a) for a in message.attachments)


def condition_matches(cond: Condition, message: MailMessage, env: Env) -> bool:
    """One condition; conditions the message cannot show (no attachments, no verdict) are
    false."""
    if env.skip_spam_types and is_spam_type(cond):
        return False
    if isinstance(cond, SizeCondition):
        if cond.measure is Measure.ATTACHMENT_SIZE:
            return _any_attachment(message, lambda a: compare(cond.op, a.size, cond.value))
        value = {Measure.ATTACHMENT_COUNT: len(message.attachments),
                 Measure.MESSAGE_SIZE: message.size,
                 Measure.RECIPIENT_COUNT: recipient_count(message)}[cond.measure]
        return compare(cond.op, value, cond.value)
    if isinstance(cond, AttachmentName):
        return _any_attachment(message, lambda a: name_matches(cond.pattern, a.name))
    if isinstance(cond, TrueFileType):
        return _any_attachment(message, lambda a: file_type_matches(cond.file_type,
                                                                     a.file_type))
    if isinstance(cond, MimeType):
        return _any_attachment(message, lambda a: _fnmatch(cond.mime_type.strip().lower(),
                                                           a.mime_type.lower()))
    if isinstance(cond, KeywordCondition):
        return keyword_matches(cond, message, env)
    if isinstance(cond, SpamCondition):
        if env.spam_verdict is not None:
            return env.spam_verdict
        return message.spam_score is not None and message.spam_score >= spam_threshold(cond)
    if isinstance(cond, WebReputationCondition):
        return wrs_matches(cond, message.wrs_level)
    if isinstance(cond, FlagCondition):
        return _flag(cond.flag, message)
    if isinstance(cond, DlpCondition):
        want = cond.template.strip().lower()
        return any(t.strip().lower() == want for t in message.dlp_templates)
    if isinstance(cond, ReceivedTime):
        return received_in(cond, message.when)
    return virus_matches(cond, message)


def _flag(flag: Flag, message: MailMessage) -> bool:
    if flag is Flag.GRAYMAIL:
        return message.graymail
    if flag is Flag.SOCIAL_ENGINEERING:
        return message.sea
    if flag is Flag.PASSWORD_PROTECTED:
        return any(a.password_protected for a in message.attachments)
    if flag is Flag.CC_EMAIL:
        return message.cc_email
    if flag is Flag.UNABLE_TO_DECRYPT:
        return message.undecryptable
    return message.spoofed_internal


def received_in(cond: ReceivedTime, when: int | None) -> bool:
    """``start`` inclusive, ``end`` exclusive; a range whose end precedes its start runs
    over midnight; equal ends mean the whole day; unknown arrival time matches (as web
    schedules do)."""
    if when is None or cond.start == cond.end:
        return True
    minute = when % 1440
    if cond.start < cond.end:
        return cond.start <= minute < cond.end
    return minute >= cond.start or minute < cond.end


def criteria_match(conditions: Sequence[Condition], match_all: bool, message: MailMessage,
                   env: Env, *, virus: bool = False) -> bool:
    """A rule's filter. No conditions match every message. ``virus`` (antivirus and EmS
    virus-scan rules): only infected messages match, virus conditions narrow by scan scope,
    the other conditions combine as usual."""
    conds = list(conditions)
    if virus:
        if not message.virus:
            return False
        scopes = [c for c in conds if isinstance(c, VirusCondition)]
        if scopes and not any(virus_matches(c, message) for c in scopes):
            return False
        conds = [c for c in conds if not isinstance(c, VirusCondition)]
    if not conds:
        return True
    test = all if match_all else any
    return test(condition_matches(c, message, env) for c in conds)


# ---------------------------------------------------------------------- actions


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def action_strings(action: Action) -> tuple[str, ...]:
    """The modification strings of one modify or monitor action."""
    if isinstance(action, TagSubject):
        return (f"tag-subject:{action.tag}",)
    if isinstance(action, InsertStamp):
        return (f"insert-stamp:{action.stamp}",)
    if isinstance(action, InsertXHeader):
        return (f"x-header:{action.name}={action.value}",)
    if isinstance(action, DeleteAttachments):
        return (f"delete-attachments:{action.scope}",)
    if isinstance(action, Clean):
        return (f"clean:{action.fallback}",)
    if isinstance(action, Notify):
        return (f"notify:{action.notification}",)
    if isinstance(action, Bcc):
        return tuple(f"bcc:{a}" for a in action.addresses)
    if isinstance(action, Archive):
        return (f"archive:{action.area}",)
    if isinstance(action, Postpone):
        return (f"postpone:{_hhmm(action.until)}",)
    if isinstance(action, Encrypt):
        return ("encrypt",)
    return ()


def _x_header_name(item: str) -> str | None:
    if not item.startswith("x-header:"):
        return None
    return item[len("x-header:"):].split("=", 1)[0].strip().lower()


class Effects:
    """Modifications accumulated over the applying rules: an ordered set, except that one
    X-header name keeps only the last rule's value (imsva.md §1.4), at its position."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, item: str) -> None:
        name = _x_header_name(item)
        if name is not None:
            self.items = [i for i in self.items if _x_header_name(i) != name]
        elif item in self.items:
            return
        self.items.append(item)

    def actions(self, actions: Sequence[Action]) -> None:
        for action in actions:
            for item in action_strings(action):
                self.add(item)

    def intercept(self, intercept: Intercept) -> None:
        if intercept.action is InterceptAction.CHANGE_RECIPIENT:
            self.add("change-recipient:" + ";".join(intercept.recipients))

    def result(self) -> tuple[str, ...]:
        # Encryption is always the last thing EmS does (targets.md §2.7).
        return (tuple(i for i in self.items if i != "encrypt")
                + (("encrypt",) if "encrypt" in self.items else ()))


def authentication_action(action: str) -> str | None:
    """A DKIM / DMARC action as a decision: None goes on (tag / none)."""
    a = action.strip().lower()
    if a in ("delete", "reject"):
        return "delete"
    if a == "quarantine":
        return "quarantine"
    return None


def _by(kind: str, name: str, span: Span | None) -> DecidedBy:
    return DecidedBy(kind, name, span.file if span else None, span.line if span else None)


# ---------------------------------------------------------------------- the model


def route_applies(route_type: RouteType, direction: Direction) -> bool:
    """POP3 routes never apply to SMTP mail; ``both`` and ``all`` apply in either direction."""
    if route_type is RouteType.POP3:
        return False
    if route_type is RouteType.INCOMING:
        return direction is Direction.INCOMING
    if route_type is RouteType.OUTGOING:
        return direction is Direction.OUTGOING
    return True


class Lookups(Protocol):
    """What a mail decision looks up in its policy: over indexes
    (:class:`~isc.models.mailindex.MailIndex`, the models) or by scanning everything
    (:class:`isc.models.reference.mail.Plain`, their oracle)."""

    @property
    def matcher(self) -> PartyMatcher: ...

    def keyword_list(self, name: str) -> tuple[KeywordMatch, int | None,
                                               Sequence[KeywordExpression]] | None: ...

    def mail_rules(self, message: MailMessage) -> Iterable[MailRule]:
        """Rules in order; at least every one whose route may match the message."""
        ...

    def mail_sender_listed(self, blocked: bool, sender: str) -> bool: ...

    def ems_rules(self, direction: Direction, kind: RuleKind, message: MailMessage
                  ) -> Iterable[EmsRule]:
        """Rules of a direction and type in order; at least every one that may match."""
        ...

    def ems_sender(self, blocked: bool, sender: str) -> int | None:
        """The position of the first blocked (approved) sender entry matching ``sender``."""
        ...

    def first_ip(self, entries: tuple[Any, ...], client: str | None) -> int | None:
        """The position of the first entry (an IP text, or an object with a ``value``)
        holding the client (:func:`~isc.models.mailmatch.ip_in`)."""
        ...

    def domain_listed(self, patterns: tuple[str, ...], domain: str) -> bool:
        """Whether a pattern matches ``domain``
        (:func:`~isc.models.mailmatch.domain_matches`)."""
        ...


def rule_applies(rule: MailRule, message: MailMessage, direction: Direction,
                 parties: PartyMatcher, env: Env) -> bool:
    route = rule.route
    if not rule.enabled or not route_applies(route.type, direction):
        return False
    if route.type is RouteType.BOTH:
        if not parties.users_match(users_of(route), route.exceptions, message):
            return False
    elif not parties.route_matches(route.senders, route.recipients, route.exceptions,
                                   message):
        return False
    return criteria_match(rule.conditions, rule.match.value == "all", message, env,
                          virus=rule.type is RuleType.ANTIVIRUS)


def _sender_verdict(look: Lookups, message: MailMessage) -> bool | None:
    if look.mail_sender_listed(True, message.sender):
        return True
    if look.mail_sender_listed(False, message.sender):
        return False
    return None


def header_from_domain(message: MailMessage) -> str:
    """The header From domain, or the envelope sender's without a From header."""
    for value in message.header("From"):
        addr = parseaddr(value)[1]
        if addr:
            return domain_of(addr)
    return domain_of(message.sender)


def decide(policy: MailPolicy, message: MailMessage) -> Decision:
    """The IMSVA decision for ``message`` (module doc for the order)."""
    return decide_with(policy, message, MailIndex.of(policy))


def decide_orders(first: MailPolicy, second: MailPolicy, message: MailMessage
                  ) -> tuple[Decision, Decision]:
    """``(decide(first, message), decide(second, message))`` for two policies that hold the
    same rules, each under its own name, in other orders (and nothing else differing): the
    per-type reorder check replays every message on both. Whether a rule applies to the
    message does not depend on the rules before it, so each rule's answer, found deciding
    on ``first``, is taken by name on ``second``."""
    applies: dict[str, bool] = {}
    return (decide_with(first, message, MailIndex.of(first), applies),
            decide_with(second, message, MailIndex.of(second), applies))


def decide_with(policy: MailPolicy, message: MailMessage, look: Lookups,
                applies: dict[str, bool] | None = None) -> Decision:
    """:func:`decide` with the look-ups given (and the rules' answers known so far by name,
    see :func:`decide_orders`)."""
    direction = direction_of(message, look.matcher.internal)
    trace: list[str] = [f"direction={direction.value}"]
    effects = Effects()

    def done(action: str, by: DecidedBy | None) -> Decision:
        return Decision(action, by, modifications=effects.result(), trace=tuple(trace))

    incoming = direction is Direction.INCOMING
    sf = policy.sender_filtering
    if (incoming and sf is not None
            and look.first_ip(sf.approved_ips, message.client_ip) is None):
        blocked = look.first_ip(sf.blocked_ips, message.client_ip)
        if blocked is not None:
            entry = sf.blocked_ips[blocked]
            trace.append(f"blocked IP {entry.value}")
            return done("delete", _by("blocked-ip", entry.value, entry.span))
    dkim = policy.dkim_enforcement
    if incoming and dkim is not None and dkim.enabled and message.dkim_pass is not True:
        domain = header_from_domain(message)
        if look.domain_listed(dkim.domains, domain):
            trace.append(f"DKIM enforcement: {domain} without a passing signature")
            verdict = authentication_action(dkim.action)
            if verdict is not None:
                return done(verdict, _by("dkim-enforcement", domain, dkim.span))
            effects.add(f"dkim-enforcement:{dkim.action}")
    dmarc = policy.dmarc
    if (incoming and dmarc is not None and dmarc.enabled and message.dmarc is not None
            and look.first_ip(dmarc.exception_ips, message.client_ip) is None):
        domain = header_from_domain(message)
        if not dmarc.domains or look.domain_listed(dmarc.domains, domain):
            result = dmarc_result(dmarc.actions, message.dmarc, effects, trace)
            if result is not None:
                return done(result, _by("dmarc", message.dmarc, dmarc.span))
    verdict_ = _sender_verdict(look, message)
    if verdict_ is not None:
        trace.append("blocked sender: spam" if verdict_ else "approved sender: not spam")
    env = Env(look.keyword_list, spam_verdict=verdict_)
    parties = look.matcher
    for rule in look.mail_rules(message):
        if applies is None:
            if not rule_applies(rule, message, direction, parties, env):
                continue
        else:
            known = applies.get(rule.name)
            if known is None:
                known = applies[rule.name] = rule_applies(rule, message, direction, parties,
                                                          env)
            if not known:
                continue
        effects.actions(rule.actions)
        effects.intercept(rule.intercept)
        action = rule.intercept.action
        trace.append(f"rule {rule.name!r}: {action.value}")
        if action.terminal:
            return done(action.value, _by("mail-rule", rule.name, rule.span))
    return done("deliver", None)


def dmarc_result(actions: Sequence[tuple[str, str]], result: str, effects: Effects,
                 trace: list[str]) -> str | None:
    """Apply the action configured for a DMARC result; a terminal decision or None."""
    for published, action in actions:
        if published.strip().lower() == result.strip().lower():
            trace.append(f"DMARC {result}: {action}")
            verdict = authentication_action(action)
            if verdict is None and action.strip().lower() not in ("", "none"):
                effects.add(f"dmarc:{action.strip().lower()}")
            return verdict
    return None


__all__ = ["CATCH_RATE_THRESHOLD", "FILE_TYPE_ALIASES", "Effects", "Env", "action_strings",
           "condition_matches", "criteria_match", "decide", "decide_orders", "file_type_matches",
           "rule_applies"]
