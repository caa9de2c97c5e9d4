"""Merge keyword lists that the model cannot tell apart, and repeated expressions of score
lists.

**Identical lists.** The IMSVA model reads a keyword list only through
``keyword_list_matches(match, threshold, expressions, texts)`` (models/keywords.py), found
by name from a :class:`~isc.ir.mail.KeywordCondition`; nothing else reads a list (stamps,
notifications and routes never name one; the shadowing pass reads ``match`` and whether
there are expressions). What that function reads of an expression is its parsed ``expr``
and ``case_sensitive`` (whether it is *present* in one of the texts) and, in a ``score``
list, its ``score``: ``any`` / ``all`` / ``not`` ask whether one / every / no expression
is present, so they depend on the *set* of (expression, case) pairs; ``score`` asks
whether one is present and the scores of those present sum above the threshold, so it
depends on the total score of each (expression, case) pair and the threshold (exact: no
threshold is 0 for IMSVA, but the EmS back-end keeps None and adds 1 only to a number, so
None and 0 are kept apart). Outside score lists neither model reads the threshold nor
the scores. Lists with the same match mode and the same such content therefore match the
same texts; the text, description, name and span are read by no decision. Each later
list of such a group is merged into the first: every condition that names it names the
first instead, and it is removed. The EmS back-end translates both the same way
(``ems_form`` of the same ``expr``, the same threshold rule), so the rules it emits decide
alike too.

Only lists whose name is defined once take part: the model finds a name's *first* list,
so a later list with a repeated name is never read, and renaming conditions towards or
away from a repeated name could change which list they find (or, after a merge, make the
unread one read).

A renamed condition that equals an earlier condition of its rule is dropped (and reported)
(``any`` and ``all`` ignore repeats, in both models; the back-end's choices that count
conditions count them per rule type, and a keyword condition is translated the same in
either match mode), so the pass leaves nothing for the duplicate pass to find; repeats
that were there before are left to that pass.

**Repeated expressions of a score list.** ``remove_duplicate_mail_entries`` removes
repeated expressions from ``any`` / ``all`` / ``not`` lists (a repeat cannot change a set)
and leaves ``score`` lists alone, because a repeat adds its score again. Expressions with
the same ``expr`` and ``case_sensitive`` are present together on every text, so they
always add the sum of their scores: they are merged into the first, with that sum as its
score, when the sum stays within -10..10 (the range both IMSVA and EmS accept); otherwise
they are kept as written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from typing import TYPE_CHECKING

import attrs

from isc.ir.keyword_expr import Node
from isc.ir.mail import (
    Condition,
    KeywordCondition,
    KeywordExpression,
    KeywordList,
    KeywordMatch,
    MailPolicy,
    MailRule,
)

if TYPE_CHECKING:
    from isc.passes import PassContext

LIST = "keyword-list"
EXPRESSION = "keyword-list.expression"
#: The scores an expression may have (formats.md §4: -10..10, in IMSVA and EmS alike).
SCORE_RANGE = range(-10, 11)


def _predicate(e: KeywordExpression) -> tuple[Node, bool]:
    """What decides whether an expression is present in a text."""
    return (e.expr, e.case_sensitive)


def content_key(kl: KeywordList) -> Hashable:
    """Equal for lists that match the same texts, as the model reads them (module doc)."""
    if kl.match is not KeywordMatch.SCORE:
        return (kl.match, frozenset(_predicate(e) for e in kl.expressions))
    totals: Counter[tuple[Node, bool]] = Counter()
    for e in kl.expressions:
        totals[_predicate(e)] += e.score  # a total of 0 stays a key: present still counts
    return (kl.match, kl.threshold, frozenset(totals.items()))


def _sum_repeats(kl: KeywordList, ctx: PassContext) -> KeywordList:
    """A score list with the repeats of each expression merged into its first occurrence,
    where the total score stays in range."""
    if kl.match is not KeywordMatch.SCORE:
        return kl
    groups: dict[tuple[Node, bool], list[int]] = {}
    for i, e in enumerate(kl.expressions):
        groups.setdefault(_predicate(e), []).append(i)
    new: dict[int, KeywordExpression] = {}
    drop: set[int] = set()
    for at in groups.values():
        total = sum(kl.expressions[i].score for i in at)
        if len(at) < 2 or total not in SCORE_RANGE:
            continue
        first = kl.expressions[at[0]]
        new[at[0]] = attrs.evolve(first, score=total)
        for i in at[1:]:
            e = kl.expressions[i]
            drop.add(i)
            ctx.change("merged", EXPRESSION, e.text, e.span or kl.span,
                       f"keyword-list \"{kl.name}\": expression {e.text!r} (score {e.score}) "
                       f"merged into the same expression {first.text!r} above it, whose "
                       f"score became {total}, as both are always present together",
                       kept=(EXPRESSION, first.text, first.span or kl.span))
    if not drop:
        return kl
    return attrs.evolve(kl, expressions=tuple(new.get(i, e)
                                              for i, e in enumerate(kl.expressions)
                                              if i not in drop))


def _show(c: KeywordCondition) -> str:
    return f"{c.part.value} keyword-list {c.keyword_list!r}"


def _rename(rule: MailRule, into: dict[str, str], ctx: PassContext) -> MailRule:
    """The rule with its keyword conditions naming the lists they were merged into; a
    renamed condition that repeats an earlier one of the rule is dropped."""
    if not any(isinstance(c, KeywordCondition) and c.keyword_list in into
               for c in rule.conditions):
        return rule
    out: list[Condition] = []
    # as renamed → the conditions as written that gave it, and the first of them (kept)
    kept: dict[Condition, tuple[set[Condition], Condition]] = {}
    for c in rule.conditions:
        renamed: Condition = c
        if isinstance(c, KeywordCondition) and c.keyword_list in into:
            renamed = attrs.evolve(c, keyword_list=into[c.keyword_list])
        found = kept.get(renamed)
        if found is not None and found[0] - {c}:
            first = found[1]
            # both are keyword conditions: they equal a renamed one
            assert isinstance(c, KeywordCondition) and isinstance(first, KeywordCondition)
            assert isinstance(renamed, KeywordCondition)
            kind = "mail-rule.condition"
            ctx.change("removed", kind, _show(c), c.span or rule.span,
                       f"rule \"{rule.name}\": condition {_show(c)} became "
                       f"{_show(renamed)}, which repeats condition {_show(first)} of the "
                       "same rule, and was dropped",
                       kept=(kind, _show(first), first.span or rule.span))
            continue
        if found is None:
            kept[renamed] = ({c}, c)
        else:
            found[0].add(c)
        out.append(renamed)
    return attrs.evolve(rule, conditions=tuple(out))


def merge_keyword_lists(mail: MailPolicy, ctx: PassContext) -> MailPolicy:
    """Merge each keyword list into the first list with the same content, and the repeated
    expressions of score lists into their first occurrence (module doc); an ISC2015 note
    names both objects of every merge.

    Example:
        >>> from isc.ir.keyword_expr import Char
        >>> from isc.passes import PassContext
        >>> e = KeywordExpression("a", Char("a"))
        >>> m = MailPolicy(keyword_lists=(KeywordList("a", expressions=(e,)),
        ...                               KeywordList("b", expressions=(e,))))
        >>> [k.name for k in merge_keyword_lists(m, PassContext()).keyword_lists]
        ['a']
    """
    lists = tuple(_sum_repeats(kl, ctx) for kl in mail.keyword_lists)
    named = Counter(kl.name for kl in lists)
    first: dict[Hashable, KeywordList] = {}
    into: dict[str, str] = {}
    kept: list[KeywordList] = []
    for kl in lists:
        if named[kl.name] > 1:
            kept.append(kl)  # a repeated name: which list a condition finds could change
            continue
        key = content_key(kl)
        target = first.setdefault(key, kl)
        if target is kl:
            kept.append(kl)
            continue
        into[kl.name] = target.name
        ctx.change("merged", LIST, kl.name, kl.span,
                   f"keyword-list \"{kl.name}\" merged into keyword-list \"{target.name}\", "
                   "which matches the same texts; conditions naming it now name "
                   f"\"{target.name}\"", kept=(LIST, target.name, target.span))
    if not into and all(a is b for a, b in zip(lists, mail.keyword_lists, strict=True)):
        return mail
    return attrs.evolve(mail, keyword_lists=tuple(kept),
                        rules=tuple(_rename(r, into, ctx) for r in mail.rules))
