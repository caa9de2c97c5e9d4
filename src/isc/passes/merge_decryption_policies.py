"""Merge HTTPS decryption policies that decide alike, drop the ones never reached, and
deduplicate their approved-list exceptions.

What the model does (``models.iwsva.decrypted``, spec semantics.md §1 step 3): for an
HTTPS request that the caller did not force and that is not tunneled, the *first enabled*
decryption policy whose accounts match decides, and nothing after it is read: a match in one
of its approved lists (host only) → not decrypted; else ``decrypt_all`` → decrypted; else
decrypted when one of the request's categories is among those it marks ``yes`` (*any* line
marking a category ``yes`` counts: the model builds a set, no "last line wins" here). So what
a policy does to a request it matches depends only on :func:`decides`: ``decrypt_all``, the
set of categories marked ``yes`` and the set of exception names (their order and repeats do
not matter: any one that matches suffices). Two things never matter: the exceptions of a
policy that decrypts nothing (no ``decrypt_all``, no category marked ``yes``: every request
it decides stays encrypted), and an exception naming no list or an empty list, or a category
naming no custom category (they match nothing). The URL filtering and ATP steps read the
decryption result and nothing else of these policies.

Why no decision (action, decrypted) changes:

1. *Repeated exception names* within a policy: a set is a set.
2. *Identical approved lists.* Two approved lists with the same entries (as a set of stored
   entries) match the same URLs, so a decryption exception naming the later one may name the
   first instead. The later list is dropped only when nothing else names it (URL filtering,
   ATP, any other section's text) and no other list has its name (a dropped list must not
   uncover another of the same name, which the model would then read).
3. *Never reached.* An enabled policy each of whose accounts is matched, for every request
   it can match, by an earlier enabled policy never decides: that earlier policy decides
   first. Covered means: an earlier policy with no accounts (everyone) covers everything;
   an address account is covered by the union of the earlier policies' address intervals of
   its IP version (as ``_ip_bounds`` reads them); an LDAP user, LDAP group or host account
   only by an account of an earlier policy the model compares equal. A policy with no
   accounts is covered only by an earlier one with no accounts. Removing it (the global
   policy too) changes nothing; it is a warning, as the administrator probably meant
   something else.
4. *Merging.* Two enabled non-global policies with the same :func:`decides` and no enabled
   policy between them merge into the first, with the union of their accounts (no accounts
   is everyone, so a union with it is everyone): a request that either matched reaches the
   merged policy exactly when it reached the one that matched it (the policies between are
   disabled and decide nothing), and the merged policy does to it what that one did.

Disabled policies are kept (only their repeated exceptions go): they decide nothing, but
the administrator may switch them on. Step 3 runs before step 4 (removing a policy can make
two others adjacent; merging never makes a later policy covered, as the union of the earlier
accounts stays the same), and both are repeated until nothing changes, so that a second run
of the pass is a no-op.

Each removed or merged policy, exception reference and approved list is reported with
``ctx.change`` (``ISC2015``): a warning for a policy never reached, a note otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from isc.diagnostics import Severity
from isc.ir.web import HttpsDecryptionPolicy, WebPolicy, join_accounts
from isc.models.iwsva import AccountCover

if TYPE_CHECKING:
    from isc.passes import PassContext

KIND = "https-decryption-policy"
EXCEPTION = f"{KIND}.exception"
APPROVED = "approved-list"


def decides(p: HttpsDecryptionPolicy, web: WebPolicy) -> tuple[object, ...]:
    """What the policy does to a request its accounts match, as a comparable value."""
    wanted = frozenset(c.category for c in p.categories if c.decrypt
                       if c.category.custom is None
                       or web.custom_category(c.category.custom) is not None)
    if not p.decrypt_all and not wanted:
        return ("never",)  # not decrypted whatever matches: the exceptions cannot matter
    # an exception naming no list, or an empty one, never matches
    live = frozenset(n for n in p.exceptions
                     if (lst := web.approved_list(n)) is not None and lst.entries)
    return ("all", live) if p.decrypt_all else ("some", wanted, live)


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


# ---------------------------------------------------------------- approved lists


def _references_elsewhere(web: WebPolicy, name: str) -> bool:
    """Whether anything but a decryption policy names the approved list ``name``."""
    if any(name in p.exceptions for p in web.url_filtering):
        return True
    if any(name in p.exceptions for p in web.atp):
        return True
    # sections isc does not model are kept verbatim: a value naming the list may refer to it
    return any(name in value for o in web.others for _, value in o.settings)


def _dedupe_lists(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """Point decryption exceptions at the first of identical approved lists; drop a later
    one that nothing else names."""
    effective: dict[str, int] = {}  # name → position of the list the model reads
    for i, lst in enumerate(web.approved_lists):
        effective.setdefault(lst.name, i)
    first_alike: dict[frozenset[str], str] = {}
    target: dict[str, str] = {}
    for name, i in effective.items():
        entries = frozenset(p.stored for p in web.approved_lists[i].entries)
        target[name] = first_alike.setdefault(entries, name)
    named = {n for p in web.https_decryption for n in p.exceptions}
    policies = []
    for p in web.https_decryption:
        names: dict[str, str] = {}  # new name → the name it was written as
        for n in p.exceptions:
            t = target.get(n, n)
            if t in names:
                ctx.change("removed", EXCEPTION, n, p.span,
                           f"{KIND} \"{p.name}\" names approved lists \"{names[t]}\" and "
                           f"\"{n}\", which hold the same entries, as exceptions; the "
                           f"reference to \"{n}\" is removed", kept=(EXCEPTION, t, p.span))
                continue
            names[t] = n
            if t != n:
                ctx.change("merged", EXCEPTION, n, p.span,
                           f"{KIND} \"{p.name}\" names approved list \"{n}\" as an exception, "
                           f"which holds the same entries as \"{t}\"; it names \"{t}\" now",
                           kept=(EXCEPTION, t, p.span))
        new = tuple(names)
        policies.append(p if new == p.exceptions else attrs.evolve(p, exceptions=new))
    web = attrs.evolve(web, https_decryption=tuple(policies))
    still = {n for p in web.https_decryption for n in p.exceptions}
    counts: dict[str, int] = {}
    for lst in web.approved_lists:
        counts[lst.name] = counts.get(lst.name, 0) + 1
    kept = []
    for lst in web.approved_lists:
        into = target.get(lst.name, lst.name)
        if (into == lst.name or lst.name not in named or lst.name in still
                or counts[lst.name] > 1 or _references_elsewhere(web, lst.name)):
            kept.append(lst)
            continue
        first = web.approved_lists[effective[into]]
        ctx.change("merged", APPROVED, lst.name, lst.span,
                   f"{APPROVED} \"{lst.name}\" holds the same entries as \"{into}\" and only "
                   f"HTTPS decryption policies named it; they name \"{into}\" now",
                   kept=(APPROVED, into, first.span))
    return attrs.evolve(web, approved_lists=tuple(kept))


def _dedupe_exceptions(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    policies = []
    for p in web.https_decryption:
        names = _dedupe(p.exceptions)
        if names != p.exceptions:
            for name in sorted(set(p.exceptions)):
                for _ in range(p.exceptions.count(name) - 1):
                    ctx.change("removed", EXCEPTION, name, p.span,
                               f"{KIND} \"{p.name}\" names approved list \"{name}\" as an "
                               f"exception more than once; the repeat of \"{name}\" is removed",
                               kept=(EXCEPTION, name, p.span))
            p = attrs.evolve(p, exceptions=names)
        policies.append(p)
    return attrs.evolve(web, https_decryption=tuple(policies))


# ---------------------------------------------------------------- shadowed and merged


@attrs.define
class _Entry:
    """A policy with its 1-based position in the input, as the messages give it."""

    position: int
    policy: HttpsDecryptionPolicy


def _remove_shadowed(entries: list[_Entry], ctx: PassContext) -> list[_Entry]:
    cover: AccountCover[_Entry] = AccountCover()
    out: list[_Entry] = []
    for entry in entries:
        p = entry.policy
        if not p.enabled:
            out.append(entry)
            continue
        shadows = cover.shadowers(p.accounts)
        if shadows is None:
            cover.add(p.accounts, entry)
            out.append(entry)
            continue
        names = " and ".join(f"\"{e.policy.name}\" (position {e.position})" for e in shadows)
        verb = "decides" if len(shadows) == 1 else "decide"
        first = shadows[0].policy
        ctx.change("removed", KIND, p.name, p.span,
                   f"{KIND} \"{p.name}\" (position {entry.position}) is never reached: {names} "
                   f"above it {verb} for every account it applies to; removed",
                   kept=(KIND, first.name, first.span), severity=Severity.WARNING)
    return out


def _merge(entries: list[_Entry], web: WebPolicy, ctx: PassContext) -> list[_Entry]:
    out: list[_Entry] = []
    above: int | None = None  # position in ``out`` of the last enabled policy
    for entry in entries:
        p = entry.policy
        if not p.enabled:
            out.append(entry)
            continue
        if above is not None:
            q = out[above]
            if (not p.is_global and not q.policy.is_global
                    and decides(q.policy, web) == decides(p, web)):
                out[above] = _Entry(q.position, attrs.evolve(
                    q.policy, accounts=join_accounts(q.policy.accounts, p.accounts)))
                ctx.change("merged", KIND, p.name, p.span,
                           f"{KIND} \"{p.name}\" (position {entry.position}) decides like "
                           f"\"{q.policy.name}\" (position {q.position}), the enabled policy "
                           f"above it, for every request; merged into it (accounts joined)",
                           kept=(KIND, q.policy.name, q.policy.span))
                continue
        above = len(out)
        out.append(entry)
    return out


def merge_decryption_policies(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """Deduplicate decryption exceptions and identical approved lists, remove decryption
    policies never reached (a warning) and merge adjacent ones that decide alike (a note).

    Example:
        >>> from isc.passes import PassContext
        >>> from isc.ir.web import AccountKind
        >>> a = HttpsDecryptionPolicy("A", 1, accounts=(Account(AccountKind.IP, "10.0.0.1"),),
        ...                           decrypt_all=True)
        >>> b = HttpsDecryptionPolicy("B", 2, accounts=(Account(AccountKind.IP, "10.0.0.2"),),
        ...                           decrypt_all=True)
        >>> out = merge_decryption_policies(WebPolicy(https_decryption=(a, b)), PassContext())
        >>> [(p.name, [x.value for x in p.accounts]) for p in out.https_decryption]
        [('A', ['10.0.0.1', '10.0.0.2'])]
    """
    web = _dedupe_exceptions(web, ctx)
    web = _dedupe_lists(web, ctx)
    entries = [_Entry(i, p) for i, p in enumerate(web.https_decryption, 1)]
    while True:
        count = len(entries)
        entries = _merge(_remove_shadowed(entries, ctx), web, ctx)
        if len(entries) == count:
            break
    return attrs.evolve(web, https_decryption=tuple(e.policy for e in entries))

