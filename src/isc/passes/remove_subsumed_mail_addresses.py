"""Drop an address entry of an address group or sender list that another entry of the same
group or list always matches too.

Why no decision changes. The IMSVA model reads each of these lists only as "does any entry
match this address" (``models/mailmatch.py``, ``PartyMatcher.matches`` for a group, however
the group is used: a route side, the Users list of a ``both`` route, an exception side, a
nested group; ``imsva._sender_verdict`` for the approved and blocked senders, which look at
``address`` entries only). If every address entry ``e`` matches is also matched by an entry
``w`` of the same group or list that stays, "any entry matches" has the same answer for
every address with or without ``e``. Nothing else reads a member: groups are looked up by
name, and neither the models nor the back-end count members (a group never becomes empty:
the entry that covers a removed one stays).

When ``w`` covers ``e``. Matching is :func:`~isc.models.mailmatch.address_matches`: the
pattern and the address are normalised (blanks and ``<…>`` removed, lower case), split at
the last ``@``; a local part without ``*`` must equal the address's, ``*`` matches any; a
domain without ``*`` must equal the address's domain (stripped, lower case, trailing dots
removed), one with ``*`` is a case-insensitive RE2 glob on a non-empty domain in which
``*`` is any run, dots and newlines included. So ``*``/``*@*`` match every address, and a
pattern ``local@domain`` whose local part is a literal or ``*`` and whose domain is a
literal, ``*`` or ``*.s`` (``s`` without ``*``) matches the product of a set of local parts
and a set of domains. ``e`` ⊆ ``w`` when each set of ``e`` lies in the one of ``w``:

- local parts: ``w`` has ``*``; or both have the same literal;
- a literal domain ``d`` of ``e`` (one domain): ``w``'s domain test on ``d``, evaluated
  exactly as the model does (:func:`~isc.models.mailmatch.domain_matches`);
- ``*.s`` of ``e``: ``w`` has ``*`` (every non-empty domain), or ``*.t`` where ``.s`` ends
  with ``.t`` (the glob's literal tail of ``e`` then contains the one of ``w``, character by
  character, case folding included);
- ``*`` of ``e``: ``w`` has ``*``.

Any other pattern (``a*b@x``, a domain without ``@``, ``x.*``) covers nothing, and only
``*`` / ``*@*`` (which covers every entry) can remove it. The test may keep an entry it
could drop (it never looks at case folding beyond the literal spelling), never the reverse.

Among entries that match the same addresses the first is kept. In the sender lists an
entry is only removed in favour of one that Email Security can hold (``user@domain``,
``*@domain``, ``*@*.domain``: ``isc.ir.ems.ems_sender_ok``) unless it cannot be held there
either: otherwise ems.json would lose an entry that its cover, dropped by the back-end,
does not stand for. Address groups keep every form in EmS, so there the cover is enough.
LDAP users and groups and nested group references are never removed and cover nothing.

Cost: each entry is looked up under the few patterns that can cover it (its local part or
``*``, times its domain, ``*`` and ``*.`` each parent domain), in order of decreasing
generality, so a list of n entries of depth k costs O(n·k) look-ups, not n².
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

import attrs

from isc import workers
from isc.ir.ems import ems_sender_ok
from isc.ir.mail import AddressGroup, MailPolicy, Party, PartyKind
from isc.models.globs import compile_glob
from isc.models.mailmatch import domain_matches, normalize, split

if TYPE_CHECKING:
    from isc.passes import PassContext


class Form(NamedTuple):
    """What an address pattern matches: ``local`` None is any local part; ``domain`` is a
    canonical literal, ``*`` (any non-empty domain) or ``*.s``; ``universal`` every
    address (``*``, ``*@*``). A named tuple, not an attrs class: an estate's lists make
    and hash millions of them (the candidates of every entry)."""

    local: str | None
    domain: str
    universal: bool = False


UNIVERSAL = Form(None, "*", universal=True)

_ANY_LOCAL = compile_glob("*", question=False, escapes=False)


def _canon(domain: str) -> str:
    """A domain as :func:`~isc.models.mailmatch.domain_matches` compares it."""
    return domain.strip().lower().rstrip(".")


def form_of(pattern: str) -> Form | None:
    """The form of an address pattern, or None when it is none of the forms the module doc
    reasons about (such an entry is kept)."""
    pat = normalize(pattern)
    if pat in ("*", "*@*"):
        return UNIVERSAL
    if "@" not in pat:
        return None  # a domain pattern: groups and sender lists hold addresses
    local, domain = split(pat)
    dom = _canon(domain)
    if "*" in local and local != "*":
        return None
    if "*" in dom and dom != "*" and not (dom.startswith("*.") and "*" not in dom[2:]):
        return None
    return Form(None if local == "*" else local, dom)


def covers(e: Form, w: Form) -> bool:
    """Whether every address ``e`` matches is matched by ``w`` (module doc)."""
    if w.universal:
        return True
    if e.universal:
        return False
    if w.local is not None:
        if e.local != w.local:
            return False
    elif e.local is not None and _ANY_LOCAL.fullmatch(e.local) is None:
        return False
    if "*" not in e.domain:
        # one domain: ask the model's own domain test about it
        return domain_matches(w.domain, e.domain)
    if w.domain == "*":
        return True
    if e.domain.startswith("*.") and w.domain.startswith("*."):
        return e.domain[1:].endswith(w.domain[1:])
    return False


def _parent_suffixes(domain: str) -> Iterator[str]:
    """``a.b.c`` → ``b.c``, ``c``: every ``s`` such that ``*.s`` matches the domain by its
    spelling."""
    i = domain.find(".")
    while i >= 0:
        if domain[i + 1:]:
            yield domain[i + 1:]
        i = domain.find(".", i + 1)


def candidates(e: Form) -> list[Form]:
    """The forms that may cover ``e`` by their spelling (``e`` itself included)."""
    if e.universal:
        return [UNIVERSAL]
    if "*" not in e.domain:
        domains = [e.domain, *(f"*.{s}" for s in _parent_suffixes(e.domain)), "*"]
    elif e.domain.startswith("*."):
        domains = [e.domain, *(f"*.{s}" for s in _parent_suffixes(e.domain[2:])), "*"]
    else:
        domains = ["*"]
    locals_ = [e.local, None] if e.local is not None else [None]
    return [*(Form(lo, d) for lo in locals_ for d in domains), UNIVERSAL]


def _rank(f: Form, wide: int) -> int:
    """Strictly larger for a strictly wider form, so that covers are decided first:
    ``*`` local above a literal; domain literal < ``*.s`` (shorter s higher) < ``*``."""
    if f.universal:
        return 4 * wide
    if "*" not in f.domain:
        dom = 0
    elif f.domain == "*":
        dom = wide + 1
    else:
        dom = wide - len(f.domain)
    return dom + (0 if f.local is not None else 1)


Allowed = Callable[[str, str], bool]


def subsumed(values: Sequence[str], allowed: Allowed = lambda e, w: True
             ) -> dict[int, int]:
    """Each removable position → the position of a kept entry that covers it.

    Entries are decided from the widest form down (ties by position), each against the
    entries already kept, so every removed entry names a kept cover and running again
    removes nothing. ``allowed(e, w)`` may forbid ``w`` to stand for ``e``."""
    forms = [form_of(v) for v in values]
    wide = 2 + max((len(f.domain) for f in forms if f is not None), default=0)

    def priority(i: int) -> tuple[int, int]:
        f = forms[i]
        return (-_rank(f, wide) if f is not None else 0, i)

    order = sorted(range(len(values)), key=priority)
    kept: dict[Form, list[int]] = {}
    out: dict[int, int] = {}
    for i in order:
        f = forms[i]
        # an unkeyed pattern is covered by ``*@*`` alone
        options = candidates(f) if f is not None else [UNIVERSAL]
        found = [(_rank(c, wide), j) for c in options for j in kept.get(c, ())
                 if (f is None or covers(f, c)) and allowed(values[i], values[j])]
        if found:
            out[i] = min(found)[1]  # name the narrowest cover: the one that explains most
        elif f is not None:
            kept.setdefault(f, []).append(i)
    return out


def _sender_allowed(e: str, w: str) -> bool:
    """A sender entry stands for another only where EmS can hold it (module doc)."""
    return ems_sender_ok(w) or not ems_sender_ok(e)


def _subsumed_job(job: tuple[tuple[str, ...], bool]) -> dict[int, int]:
    values, sender = job
    return subsumed(values, _sender_allowed) if sender else subsumed(values)


def _kind_word(kind: str) -> str:
    return kind.removesuffix(".entry")


def _addresses(parties: tuple[Party, ...]) -> list[int]:
    return [i for i, p in enumerate(parties) if p.kind is PartyKind.ADDRESS]


def _group(g: AddressGroup, found: dict[int, int], ctx: PassContext) -> AddressGroup:
    slots = _addresses(g.addresses)
    if not found:
        return g
    drop: set[int] = set()
    for e_at, w_at in sorted(found.items()):
        e, w = g.addresses[slots[e_at]], g.addresses[slots[w_at]]
        drop.add(slots[e_at])
        kind = "address-group.entry"
        ctx.change("removed", kind, e.value, e.span or g.span,
                   f"address-group \"{g.name}\": entry {e.value!r} removed, as entry "
                   f"{w.value!r} of the same group matches every address it matches",
                   kept=(kind, w.value, w.span or g.span))
    return attrs.evolve(g, addresses=tuple(p for i, p in enumerate(g.addresses)
                                           if i not in drop))


def _senders(parties: tuple[Party, ...], found: dict[int, int], kind: str, ctx: PassContext
             ) -> tuple[Party, ...]:
    slots = _addresses(parties)
    if not found:
        return parties
    drop: set[int] = set()
    what = _kind_word(kind)
    for e_at, w_at in sorted(found.items()):
        e, w = parties[slots[e_at]], parties[slots[w_at]]
        drop.add(slots[e_at])
        ctx.change("removed", kind, e.value, e.span,
                   f"{what}: entry {e.value!r} removed, as entry {w.value!r} of the same "
                   "list matches every sender it matches",
                   kept=(kind, w.value, w.span))
    return tuple(p for i, p in enumerate(parties) if i not in drop)


def remove_subsumed_mail_addresses(mail: MailPolicy, ctx: PassContext) -> MailPolicy:
    """Remove the address entries of each address group and sender list that another entry
    of the same group or list covers (module doc); an ISC2015 note names both.

    Example:
        >>> from isc.passes import PassContext
        >>> m = MailPolicy(address_groups=(AddressGroup("g", (
        ...     Party(PartyKind.ADDRESS, "a@b.example.com"),
        ...     Party(PartyKind.ADDRESS, "*@*.example.com"))),))
        >>> out = remove_subsumed_mail_addresses(m, PassContext())
        >>> [p.value for p in out.address_groups[0].addresses]
        ['*@*.example.com']
    """
    # every group's and list's covers worked out first, on both cores for an estate (each
    # is independent; the result, positions, is cheap to send back), then reported in order
    lists = [*(g.addresses for g in mail.address_groups), mail.approved_senders,
             mail.blocked_senders]
    jobs = [(tuple(parties[i].value for i in _addresses(parties)), n >= len(lists) - 2)
            for n, parties in enumerate(lists)]
    many = sum(len(values) for values, _ in jobs) >= workers.MIN_SPLIT
    *found, approved_found, blocked_found = workers.map_items(
        _subsumed_job, jobs, min_split=2 if many else None, alternate=True)
    groups = tuple(_group(g, f, ctx) for g, f in zip(mail.address_groups, found, strict=True))
    approved = _senders(mail.approved_senders, approved_found, "approved-senders.entry", ctx)
    blocked = _senders(mail.blocked_senders, blocked_found, "blocked-senders.entry", ctx)
    if (approved is mail.approved_senders and blocked is mail.blocked_senders
            and all(a is b for a, b in zip(groups, mail.address_groups, strict=True))):
        return mail
    return attrs.evolve(mail, address_groups=groups, approved_senders=approved,
                        blocked_senders=blocked)
