"""Collapse each policy's address accounts into the fewest ranges, and drop repeated accounts.

Why no decision changes. Every policy kind (URL filtering, HTTPS decryption, ATP,
application control) reads its accounts only through ``models.iwsva.accounts_match``: the
policy applies when its account tuple is empty (everyone) or when *any* account matches the
request. So a policy depends on its accounts only through the *set of requests* they match,
not on their order, their number or how each is written. This pass keeps that set for every
policy:

- ``ip``, ``ip-range`` and ``ip-subset`` accounts match a client address ``(version, n)``
  when the version is the account's and ``lo <= n <= hi`` (``ip_bounds``, the model's own
  function, is what this pass reads). The union of such intervals, per version, is the same
  set of addresses as the union of its maximal merged intervals (overlapping *or adjacent*
  intervals joined), and each maximal interval is written back as one account whose bounds
  are exactly the interval: ``ip`` for one address, ``ip-subset`` for exactly one CIDR block,
  else ``ip-range``, in the front-end's canonical text (so a lone ``ip-subset a/32`` becomes
  ``ip a``, a lone range that is one CIDR block an ``ip-subset``). IPv4 and IPv6 are never
  joined: the model compares the version first.
- ``ldap-user`` and ``ldap-group`` accounts match by ``ldap_name`` (case and blanks around
  commas aside) and ``host`` accounts by the lower-cased client string, so an account equal
  to an earlier one of the same kind under that comparison matches nothing new and goes.
  Nothing else is merged across kinds (a group may hold any user; a host name is no address).
- An address account the model cannot read (``ip_bounds`` gives nothing, a range that ends
  before it starts or mixes IPv4 and IPv6, a zone index) is left exactly where it is and
  takes no part: whatever the model makes of it stays the same.

A non-empty account tuple stays non-empty (every interval gives one account), so no policy
turns into one for everyone; an account list covering a whole family stays written as
``0.0.0.0/0`` or ``::/0``. Running the pass again changes nothing: every interval then has
exactly one account, already in the canonical form, and such an account is kept as written.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from isc.ir.web import (
    Account,
    AccountKind,
    AppControlPolicy,
    AtpPolicy,
    HttpsDecryptionPolicy,
    UrlFilteringPolicy,
    WebPolicy,
)
from isc.models.iwsva import account_key, ip_bounds  # the model's own readings

if TYPE_CHECKING:
    from isc.passes import PassContext

AnyPolicy = TypeVar("AnyPolicy", UrlFilteringPolicy, HttpsDecryptionPolicy, AtpPolicy,
                    AppControlPolicy)

IP_KINDS = (AccountKind.IP, AccountKind.IP_RANGE, AccountKind.IP_SUBSET)


def interval(account: Account) -> tuple[int, int, int] | None:
    """``(version, first, last)`` of an address account the model reads as a non-empty
    interval of one IP version; None for any other account (left untouched)."""
    if account.kind not in IP_KINDS or "%" in account.value:
        return None
    bounds = ip_bounds(account)
    if bounds is None or bounds[1] > bounds[2]:
        return None
    if account.kind is AccountKind.IP_RANGE:
        # the model takes the version of the first address only: a mixed range is odd input
        first, _, last = account.value.partition("-")
        if ipaddress.ip_address(first.strip()).version != ipaddress.ip_address(
                last.strip()).version:
            return None
    return bounds


def account_for(version: int, lo: int, hi: int) -> tuple[AccountKind, str]:
    """The canonical account (as the front-end writes it) covering exactly ``[lo, hi]``."""
    addr = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    net = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    if lo == hi:
        return AccountKind.IP, addr(lo).compressed
    size = hi - lo + 1
    if size & (size - 1) == 0 and lo % size == 0:
        bits = (32 if version == 4 else 128) - (size.bit_length() - 1)
        return AccountKind.IP_SUBSET, net((lo, bits)).compressed
    return AccountKind.IP_RANGE, f"{addr(lo).compressed}-{addr(hi).compressed}"


def merged_intervals(bounds: Sequence[tuple[int, int, int]]
                     ) -> dict[int, list[tuple[int, int]]]:
    """Per IP version, the maximal intervals of the union (overlapping or adjacent joined),
    sorted."""
    out: dict[int, list[tuple[int, int]]] = {}
    for version, lo, hi in sorted(bounds):
        runs = out.setdefault(version, [])
        if runs and lo <= runs[-1][1] + 1:
            if hi > runs[-1][1]:
                runs[-1] = (runs[-1][0], hi)
        else:
            runs.append((lo, hi))
    return out


def _label(account: Account) -> str:
    return f"{account.kind.value} {account.value}"


def collapse(accounts: tuple[Account, ...], kind: str, policy: str, ctx: PassContext
             ) -> tuple[Account, ...]:
    """The accounts of one policy, collapsed; every account that goes is reported."""
    what = f"{kind}.account"
    bounds = [interval(a) for a in accounts]
    runs = merged_intervals([b for b in bounds if b is not None])
    starts = {version: [lo for lo, _ in found] for version, found in runs.items()}
    # each address account → its run (version, index); None for the other accounts
    run_of: list[tuple[int, int] | None] = [
        None if b is None else (b[0], bisect.bisect_right(starts[b[0]], b[1]) - 1)
        for b in bounds]
    # what each run becomes: its canonical account; the first member written so is kept,
    # with its position and span (an unchanged account stays, so a second run is a no-op);
    # else a new account takes the position and span of the run's first member
    becomes: dict[tuple[int, int], tuple[int, Account, bool]] = {}
    members: dict[tuple[int, int], int] = {}
    for pos, (a, r) in enumerate(zip(accounts, run_of, strict=True)):
        if r is None:
            continue
        members[r] = members.get(r, 0) + 1
        canonical = account_for(r[0], *runs[r[0]][r[1]])
        if (a.kind, a.value) == canonical:
            if r not in becomes or not becomes[r][2]:
                becomes[r] = (pos, a, True)
        elif r not in becomes:
            becomes[r] = (pos, Account(*canonical, span=a.span), False)
    out: list[Account] = []
    seen_names: dict[str, Account] = {}
    for pos, (a, b, r) in enumerate(zip(accounts, bounds, run_of, strict=True)):
        if b is None or r is None:
            key = account_key(a)
            if key is None:  # an address account the model cannot read: untouched
                out.append(a)
                continue
            earlier = seen_names.get(key)
            if earlier is None:
                seen_names[key] = a
                out.append(a)
                continue
            ctx.change("removed", what, a.value, a.span,
                       f"account \"{_label(a)}\" of {kind} \"{policy}\" repeats "
                       f"\"{_label(earlier)}\" (the same {a.kind.value} as the model compares "
                       f"them); removed", kept=(what, earlier.value, earlier.span))
            continue
        at, into, original = becomes[r]
        if pos == at:
            out.append(into)
            if original:
                continue
        kept = (what, into.value, into.span)
        if not original and members[r] == 1:
            ctx.change("merged", what, a.value, a.span,
                       f"account \"{_label(a)}\" of {kind} \"{policy}\" is written in the "
                       f"canonical form \"{_label(into)}\"", kept=kept)
        elif not original:
            ctx.change("merged", what, a.value, a.span,
                       f"account \"{_label(a)}\" of {kind} \"{policy}\" and the accounts "
                       f"of the policy it overlaps or adjoins are joined into "
                       f"\"{_label(into)}\"", kept=kept)
        elif (a.kind, a.value) == (into.kind, into.value):
            ctx.change("removed", what, a.value, a.span,
                       f"account \"{_label(a)}\" of {kind} \"{policy}\" repeats "
                       f"\"{_label(into)}\"; removed", kept=kept)
        elif (b[1], b[2]) == runs[r[0]][r[1]]:
            ctx.change("removed", what, a.value, a.span,
                       f"account \"{_label(a)}\" of {kind} \"{policy}\" covers the same "
                       f"addresses as \"{_label(into)}\"; removed", kept=kept)
        else:
            ctx.change("removed", what, a.value, a.span,
                       f"account \"{_label(a)}\" of {kind} \"{policy}\" lies within "
                       f"\"{_label(into)}\"; removed", kept=kept)
    return tuple(out)


def collapse_accounts(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """Collapse the address accounts of every policy of every kind into the fewest
    ranges and drop repeated accounts; an ISC2015 note names each account that goes and
    the account it went into.

    Example:
        >>> from isc.passes import PassContext
        >>> from isc.ir.web import UrlFilteringPolicy
        >>> p = UrlFilteringPolicy("A", 1, accounts=(
        ...     Account(AccountKind.IP_SUBSET, "10.0.0.0/25"), Account(AccountKind.IP, "::1"),
        ...     Account(AccountKind.IP_RANGE, "10.0.0.128-10.0.0.255")))
        >>> out = collapse_accounts(WebPolicy(url_filtering=(p,)), PassContext())
        >>> [a.value for a in out.url_filtering[0].accounts]
        ['10.0.0.0/24', '::1']
    """
    return attrs.evolve(
        web,
        url_filtering=_policies(web.url_filtering, "url-filtering-policy", ctx),
        https_decryption=_policies(web.https_decryption, "https-decryption-policy", ctx),
        atp=_policies(web.atp, "atp-policy", ctx),
        app_control=_policies(web.app_control, "application-control-policy", ctx),
    )


def _policies(policies: tuple[AnyPolicy, ...], kind: str, ctx: PassContext
              ) -> tuple[AnyPolicy, ...]:
    out = []
    for p in policies:
        found = collapse(p.accounts, kind, p.name, ctx)
        out.append(p if found == p.accounts else attrs.evolve(p, accounts=found))
    return tuple(out)
