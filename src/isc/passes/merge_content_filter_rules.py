"""Merge an Other rule into the one directly above it when they differ only in conditions.

Two rules A then B (adjacent in Order Number order: no rule at all, enabled or not, between
them) merge into A with the conditions of both when each is an enabled Other rule whose
conditions match on *any* (``match="any"``, or at most one condition, where any and all
agree), and both have the same route (each side and the exceptions as sets, and the same
route type), the same intercept and the same actions. Why this never changes what the
IMSVA model decides (models/imsva.py ``decide``); the route is the same, so consider a
message the route lets through:

- terminal intercept: A applies and stops, or A does not apply and B decides; the merged
  rule applies exactly when A or B would and does the same, so the disposition and the
  modifications are unchanged. Only ``decided_by`` names A where it named B.
- intercept ``none``: a message matching A only or B only gets the actions once, as
  before; one matching both got them twice in a row and now gets them once. The
  modifications are an ordered set in which an X-header moves to the end each time it is
  added (``Effects``), so "twice" equals "once" only when no other action follows an
  X-header action in the list: then the second application re-adds what is already there
  and moves the X-headers, already last, to where they are. Rules with another action
  after an X-header are not merged.

Conditions of the merged rule: A's, then B's that A does not already have; a rule without
conditions matches every message, so if either has none the merged rule has none.
Antivirus rules are not merged: their conditions narrow the virus scan rather than add
to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from isc.ir.mail import (
    Condition,
    InsertXHeader,
    MailPolicy,
    MailRule,
    Match,
    Route,
    RuleType,
)

if TYPE_CHECKING:
    from isc.passes import PassContext


def _any_match(rule: MailRule) -> bool:
    return rule.match is Match.ANY or len(rule.conditions) <= 1


def _route_key(route: Route) -> tuple[object, ...]:
    return (route.type, frozenset(route.senders), frozenset(route.recipients),
            frozenset(route.exceptions))


def _repeatable(rule: MailRule) -> bool:
    """Applying the rule's actions twice in a row gives what applying them once does."""
    if rule.intercept.action.terminal:
        return True  # never applied twice: the first application stops
    seen_x_header = False
    for action in rule.actions:
        if isinstance(action, InsertXHeader):
            seen_x_header = True
        elif seen_x_header:
            return False
    return True


def _candidate(rule: MailRule) -> bool:
    return (rule.enabled and rule.type is RuleType.OTHER and _any_match(rule)
            and _repeatable(rule))


def _mergeable(a: MailRule, b: MailRule) -> bool:
    return (_candidate(a) and _candidate(b) and _route_key(a.route) == _route_key(b.route)
            and a.intercept == b.intercept and a.actions == b.actions)


def _union(a: tuple[Condition, ...], b: tuple[Condition, ...]) -> tuple[Condition, ...]:
    if not a or not b:
        return ()  # one of them matches every message
    return a + tuple(c for c in b if c not in a)


def merge_content_filter_rules(mail: MailPolicy, ctx: PassContext) -> MailPolicy:
    """Merge each Other rule into the adjacent rule above it when the module doc's
    conditions hold; an ISC2015 note names it. The first rule keeps its name, order, span,
    route, intercept, actions and notes."""
    ordered = sorted(range(len(mail.rules)), key=lambda i: mail.rules[i].order)
    merged: dict[int, MailRule] = {}   # index of a surviving rule → its new value
    dropped: set[int] = set()
    last: int | None = None
    for i in ordered:
        rule = mail.rules[i]
        if last is not None:
            above = merged.get(last, mail.rules[last])
            if _mergeable(above, rule):
                merged[last] = attrs.evolve(above, match=Match.ANY,
                                            conditions=_union(above.conditions,
                                                              rule.conditions))
                dropped.add(i)
                ctx.change("merged", "mail-rule", rule.name, rule.span,
                           f"rule \"{rule.name}\" has the route, intercept and actions of "
                           f"\"{above.name}\" directly above it; its conditions were merged "
                           f"into \"{above.name}\"", kept=("mail-rule", above.name, above.span))
                continue
        last = i
    if not dropped:
        return mail
    return attrs.evolve(mail, rules=tuple(merged.get(i, r) for i, r in enumerate(mail.rules)
                                          if i not in dropped))
