"""Remove mail rules that a rule above them always stops first.

A rule *stops* every message of a direction when, in the IMSVA model (models/imsva.py):

- it is enabled and its intercept is terminal (delete, quarantine, change recipient,
  handoff);
- its route lets everyone through in that direction: the route type applies to it
  (incoming, outgoing; both and all apply to both; POP3 to neither), there are no
  exceptions, and each side is empty or holds ``anyone`` or the address ``*`` / ``*@*``;
  a ``both`` route has one Users list (its senders and recipients without ``anyone``),
  which must be empty or hold ``*`` / ``*@*``;
- its conditions always match: none; or, matching any, one that always matches; or,
  matching all, only such ones. Always matching are: a received-time range covering the
  whole day; attachment count >= 0 (> -1); recipient count >= 1 (> 0: the recipient
  evaluated always counts); a ``not`` keyword list without expressions on the subject,
  body or headers.

An Other rule that stops every message of a direction shadows every later rule (either
type, enabled or not) whose directions are all stopped so. An Antivirus rule only ever
applies to infected messages, so one that stops every infected message (its conditions as
above, besides virus scopes of which one scans all files or IntelliScan, or none) shadows
later Antivirus rules only. Shadowers add up: an incoming and an outgoing catch-all above a
``both`` rule shadow it. POP3 rules are never removed: the model never applies them, but
whether an IMSVA "all messages" rule covers POP3 is undocumented, and the back-end reports
them itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from isc.diagnostics import Severity
from isc.ir.mail import (
    Compare,
    Condition,
    Direction,
    KeywordCondition,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Match,
    Measure,
    MessagePart,
    Party,
    PartyKind,
    ReceivedTime,
    Route,
    RouteType,
    RuleType,
    SizeCondition,
    VirusCondition,
)

if TYPE_CHECKING:
    from isc.passes import PassContext

_DIRECTIONS: dict[RouteType, frozenset[Direction]] = {
    RouteType.INCOMING: frozenset({Direction.INCOMING}),
    RouteType.OUTGOING: frozenset({Direction.OUTGOING}),
    RouteType.BOTH: frozenset(Direction),
    RouteType.ALL: frozenset(Direction),
    RouteType.POP3: frozenset(),
}


def _universal(p: Party) -> bool:
    """A party every address matches (mailmatch.address_matches: ``*`` and ``*@*``)."""
    if p.kind is PartyKind.ANYONE:
        return True
    if p.kind is not PartyKind.ADDRESS:
        return False
    value = p.value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value in ("*", "*@*")


def _everyone(route: Route) -> bool:
    if route.exceptions:
        return False
    if route.type is RouteType.BOTH:
        users = [p for p in route.senders + route.recipients if p.kind is not PartyKind.ANYONE]
        return not users or any(_universal(p) for p in users)
    return all(not side or any(_universal(p) for p in side)
               for side in (route.senders, route.recipients))


def _always(cond: Condition, mail: MailPolicy) -> bool:
    """Whether the condition matches every message."""
    if isinstance(cond, ReceivedTime):
        return cond.start == cond.end or (cond.start <= 0 and cond.end >= 1440)
    if isinstance(cond, SizeCondition):
        floor = {Measure.ATTACHMENT_COUNT: 0, Measure.RECIPIENT_COUNT: 1}.get(cond.measure)
        if floor is None:
            return False
        return ((cond.op is Compare.GE and cond.value <= floor)
                or (cond.op is Compare.GT and cond.value < floor))
    if isinstance(cond, KeywordCondition):
        kl = mail.keyword_list(cond.keyword_list)
        return (kl is not None and kl.match is KeywordMatch.NOT and not kl.expressions
                and cond.part is not MessagePart.ATTACHMENT_CONTENT)
    return False


def _criteria_always(conditions: tuple[Condition, ...], match: Match,
                     mail: MailPolicy) -> bool:
    if not conditions:
        return True
    test = all if match is Match.ALL else any
    return test(_always(c, mail) for c in conditions)


def _stops_every(rule: MailRule, mail: MailPolicy) -> bool:
    """Enabled, terminal, for everyone, and matching every message its type looks at."""
    if not (rule.enabled and rule.intercept.action.terminal and _everyone(rule.route)):
        return False
    conditions = rule.conditions
    if rule.type is RuleType.ANTIVIRUS:
        scopes = [c for c in conditions if isinstance(c, VirusCondition)]
        if scopes and all(s.scan == "extensions" for s in scopes):
            return False  # needs an attachment with a listed extension
        conditions = tuple(c for c in conditions if not isinstance(c, VirusCondition))
    return _criteria_always(conditions, rule.match, mail)


def remove_shadowed_mail_rules(mail: MailPolicy, ctx: PassContext) -> MailPolicy:
    """Rules that an earlier rule always stops first are never reached; drop them, with an
    ISC2015 warning each (module doc for when)."""
    stopped: frozenset[Direction] = frozenset()          # every message stopped
    stopped_virus: frozenset[Direction] = frozenset()    # every infected message stopped
    shadower: dict[Direction, MailRule] = {}
    shadower_virus: dict[Direction, MailRule] = {}
    removed: set[int] = set()
    for i in sorted(range(len(mail.rules)), key=lambda i: mail.rules[i].order):
        rule = mail.rules[i]
        directions = _DIRECTIONS[rule.route.type]
        virus = rule.type is RuleType.ANTIVIRUS
        covered, by = (stopped_virus, shadower_virus) if virus else (stopped, shadower)
        if directions and directions <= covered:
            shadows = list(dict.fromkeys(by[d] for d in sorted(directions,
                                                                key=lambda d: d.value)))
            names = ", ".join(f"\"{r.name}\"" + (f" ({r.span})" if r.span else "")
                              for r in shadows)
            ctx.change("removed", "mail-rule", rule.name, rule.span,
                       f"rule \"{rule.name}\" is never reached: {names} above it stops every "
                       f"{'infected ' if virus else ''}message of its route; removed",
                       kept=("mail-rule", shadows[0].name, shadows[0].span),
                       severity=Severity.WARNING)
            removed.add(i)
            continue
        if _stops_every(rule, mail):
            for d in directions - stopped_virus:
                shadower_virus[d] = rule
            stopped_virus |= directions
            if not virus:
                for d in directions - stopped:
                    shadower[d] = rule
                stopped |= directions
    if not removed:
        return mail
    return attrs.evolve(mail, rules=tuple(r for i, r in enumerate(mail.rules)
                                          if i not in removed))
