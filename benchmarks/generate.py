"""Generate a large, valid IWSVA web policy export (formats.md §1-3) for benchmarking isc.

Usage::

    python benchmarks/generate.py OUTDIR --policies N --entries M --seed S [--tar]

Writes ``OUTDIR/policy.ini`` holding

- ``[product]`` and a handful of ``[schedule "..."]`` sections;
- custom categories, approved lists, the global URL blocking list (and its exceptions) and the
  global trusted URL list (and its exceptions), together holding exactly M URL entries in a
  mix of typed (``web-site:``, ``url-keyword:``, ``string:``) and stored (``@host*``,
  ``@host/folder``, ``*keyword*``, plain strings, ``?`` wildcards, ``:port``) forms;
- one approved file-name list and a short ``[https-tunneling]`` list (not counted in M);
- N ``[url-filtering-policy "..."]`` sections with priorities 1..N and a Global Policy
  (``global = yes``), whose accounts are ``ip``, ``ip-range``, ``ip-subset`` (bits and dotted
  masks, IPv4 and IPv6) and ``ldap-group``, with schedules, approved-list exceptions, and
  category actions on the 91 predefined IWSVA categories and on the custom categories;
- a few ``https-decryption-policy`` and ``atp-policy`` sections plus their Global Policies.

The output depends only on the arguments: one ``random.Random(seed)`` drives every choice and
nothing iterates a hash-ordered container. ``--tar`` also writes ``OUTDIR.tar.gz`` (members
named relative to OUTDIR, zero timestamps and owners, so the bytes are reproducible too).

``--redundancy R`` (a fraction; default 0 writes exactly what it always did) injects
redundancy that isc's optimisation passes can remove without changing any decision, R x M
objects in all (:func:`web_redundancy_plan`, :func:`mail_redundancy_plan`): repeated and
subsumed entries in the same list, accounts inside an account of the same policy, a twin
(other accounts, same everything else) right below a policy, policies that a policy above
deciding everything for their accounts shadows, and the same for HTTPS decryption policies
(with repeated exceptions); for mail, repeated and subsumed addresses in the same group or
sender list, identical keyword lists (rules name both) and repeated expressions (not in
score lists). ``OUTDIR/redundancy.json`` says how many of each kind, and
``OUTDIR/redundancy-positions.json`` where each is (file, line); neither goes into the
archive. Injection draws from a generator of its own, so the rest is written as without it.

With ``--product mail`` it writes an IMSVA mail export instead (docs/formats/mail.md)::

    python benchmarks/generate.py OUTDIR --product mail --rules N --addresses M \
        --expressions K --senders S --seed S [--tar]

``OUTDIR/Policy.xml`` (an ``<imss-policy>`` rule set), the list files its ``file`` attributes
name under ``OUTDIR/lists/`` and ``OUTDIR/imss.ini``: N rules of both types over every route
type, address groups holding M members (many in list files), keyword lists holding K
expressions (Japanese and ASCII, eManager shorthand, some lists in UTF-8 or CP932 files) and
S approved plus blocked sender entries, with sender filtering, DMARC and DKIM enforcement.
The sizes of :data:`MAIL_PRESETS` are the ones ``run.py --product mail --preset`` uses.

Standard library only, so it runs before isc is installed.
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import io
import ipaddress
import json
import random
import re
import sys
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, TypeVar

#: The 91 IWSVA URL filtering categories: (TMUFE ID, IWSVA console name, group).
#: Copied from research/iwsva.md §7.2 (G1 names, inferred groups).
CATEGORIES: tuple[tuple[int, str, str], ...] = (
    (0, "Unknown", "-"),
    (23, "Internet Radio and TV", "Network Bandwidth"),
    (72, "Pay to Surf", "Network Bandwidth"),
    (57, "Peer-to-peer", "Network Bandwidth"),
    (56, "Sharing Services", "Network Bandwidth"),
    (43, "Photo Searches", "Network Bandwidth"),
    (70, "Ringtones/Mobile Phone Downloads", "Network Bandwidth"),
    (71, "Software Downloads", "Network Bandwidth"),
    (69, "Streaming Media/MP3", "Network Bandwidth"),
    (77, "Adware", "Internet Security"),
    (80, "Cookies", "Internet Security"),
    (91, "C&C Server", "Internet Security"),
    (81, "Dialers", "Internet Security"),
    (79, "Disease Vector", "Internet Security"),
    (82, "Hacking", "Internet Security"),
    (83, "Joke Program", "Internet Security"),
    (86, "Made for AdSense", "Internet Security"),
    (92, "Malicious Domain", "Internet Security"),
    (78, "Malware Accomplice", "Internet Security"),
    (93, "New Domain", "Internet Security"),
    (84, "Password Cracking", "Internet Security"),
    (75, "Phishing", "Internet Security"),
    (73, "Potentially Malicious Software", "Internet Security"),
    (39, "Proxy Avoidance", "Internet Security"),
    (85, "Remote Access Program", "Internet Security"),
    (76, "Spam", "Internet Security"),
    (74, "Spyware", "Internet Security"),
    (88, "Web Advertisement", "Internet Security"),
    (94, "Scam", "Internet Security"),
    (95, "Ransomware", "Internet Security"),
    (42, "Blogs/Web Communications", "Communications and Search"),
    (51, "Chat/Instant Messaging", "Communications and Search"),
    (52, "Email", "Communications and Search"),
    (41, "Internet Infrastructure", "Communications and Search"),
    (24, "Internet Telephony", "Communications and Search"),
    (53, "Newsgroups/Forum", "Communications and Search"),
    (40, "Search Engines/Portals", "Communications and Search"),
    (50, "Social Networking", "Communications and Search"),
    (89, "Web Hosting", "Communications and Search"),
    (16, "Abortion", "Adult"),
    (1, "Adult/Mature Content", "Adult"),
    (8, "Alcohol/Tobacco", "Adult"),
    (2, "Illegal or Prohibited Content", "Adult"),
    (11, "Gambling", "Adult"),
    (25, "Illegal Drugs", "Adult"),
    (9, "Illegal/Questionable", "Adult"),
    (5, "Intimate Apparel/Swimsuit", "Adult"),
    (26, "Marijuana", "Adult"),
    (6, "Nudity", "Adult"),
    (3, "Pornography", "Adult"),
    (4, "Sex Education", "Adult"),
    (10, "Tasteless", "Adult"),
    (14, "Violence/Hate/Racism", "Adult"),
    (15, "Weapons", "Adult"),
    (59, "Auctions", "Business"),
    (32, "Brokerage/Trading", "Business"),
    (21, "Business/Economy", "Business"),
    (31, "Financial Services", "Business"),
    (45, "Job Search/Careers", "Business"),
    (60, "Real Estate", "Business"),
    (58, "Shopping", "Business"),
    (30, "Activist Groups", "Lifestyle"),
    (44, "Alternative Journals", "Lifestyle"),
    (19, "Arts", "Lifestyle"),
    (22, "Cult/Occult", "Lifestyle"),
    (29, "Cultural Institutions", "Lifestyle"),
    (20, "Entertainment", "Lifestyle"),
    (87, "For Kids", "Lifestyle"),
    (33, "Games", "Lifestyle"),
    (63, "Gun Clubs/Hunting", "Lifestyle"),
    (68, "Humor", "Lifestyle"),
    (55, "Personal Sites", "Lifestyle"),
    (47, "Personals/Dating", "Lifestyle"),
    (18, "Recreation/Hobbies", "Lifestyle"),
    (54, "Religion", "Lifestyle"),
    (64, "Restaurants/Food", "Lifestyle"),
    (61, "Society/Lifestyle", "Lifestyle"),
    (65, "Sports", "Lifestyle"),
    (66, "Travel", "Lifestyle"),
    (38, "Computers/Internet", "General"),
    (17, "Dynamic DNS", "General"),
    (27, "Education", "General"),
    (34, "Government/Legal", "General"),
    (37, "Health", "General"),
    (35, "Military", "General"),
    (46, "News/Media", "General"),
    (36, "Politics", "General"),
    (49, "Reference", "General"),
    (48, "Translators/Cached Pages", "General"),
    (90, "Untested", "General"),
    (67, "Vehicles", "General"),
)

#: Section kinds whose entries count towards M (and that run.py counts in an --input).
URL_LIST_KINDS: tuple[str, ...] = (
    "custom-category",
    "approved-list",
    "global-url-blocking.block",
    "global-url-blocking.exceptions",
    "global-trusted-urls.trusted",
    "global-trusted-urls.exceptions",
)

#: Share of M per list family; the custom categories take the rounding remainder.
_SHARES: tuple[tuple[str, float], ...] = (
    ("approved-list", 0.10),
    ("global-url-blocking.block", 0.18),
    ("global-url-blocking.exceptions", 0.03),
    ("global-trusted-urls.trusted", 0.07),
    ("global-trusted-urls.exceptions", 0.02),
)

_SCHEDULES: tuple[tuple[str, str, str], ...] = (
    ("Work hours", "mon-fri", "08:30-12:00, 13:00-17:45"),
    ("Lunch break", "mon-fri", "12:00-13:00"),
    ("Night batch", "mon-sat", "22:00-24:00, 00:00-05:30"),
    ("Weekend", "sat, sun", "00:00-24:00"),
    ("月末締め作業", "mon, tue, wed, thu, fri", "17:45-22:00"),
    ("All week", "always", "00:00-24:00"),
)

_DEPARTMENTS: tuple[str, ...] = (
    "Engineering", "Sales", "Finance", "HR", "Legal", "Support", "Marketing", "Factory",
    "Research", "Executives", "Contractors", "Guests", "IT Operations", "Security",
    "営業部", "経理部", "研究開発部", "情報システム部", "大阪支店", "工場端末", "派遣社員",
)

_WORDS: tuple[str, ...] = (
    "alpha", "bravo", "cloud", "data", "edge", "fuji", "globe", "harbor", "iris", "jade",
    "kite", "lumen", "metro", "nova", "orbit", "pixel", "quartz", "river", "sakura", "tokyo",
    "umbra", "vertex", "wave", "xeno", "yama", "zen", "portal", "shop", "news", "media",
    "stream", "files", "cdn", "mail", "chat", "game", "bank", "travel", "video", "social",
)
_TLDS: tuple[str, ...] = (
    "com", "net", "org", "jp", "co.jp", "ne.jp", "or.jp", "io", "info", "biz", "de", "example",
)
_PATH_WORDS: tuple[str, ...] = (
    "app", "download", "login", "portal", "static", "api", "b2b", "files", "docs", "share",
    "upload", "public", "secure", "media", "cgi-bin", "en-us", "ja-jp",
)
_FILES: tuple[str, ...] = (
    "index.html", "login.cgi", "setup.exe", "report.pdf", "default.aspx", "main.js", "a.php",
)

#: URL filtering actions (formats.md §3) and their weights for non-global policies.
_ACTIONS: tuple[tuple[str, int], ...] = (
    ("block", 34),
    ("allow", 20),
    ("monitor", 15),
    ("warn", 12),
    ("match-next", 8),
    ("time-limit", 6),
    ("block-override", 5),
)
#: The Global Policy is last, so "match-next" has nothing to pass to there.
_GLOBAL_ACTIONS: tuple[tuple[str, int], ...] = tuple(a for a in _ACTIONS if a[0] != "match-next")

_BOOL_YES: tuple[str, ...] = ("yes", "yes", "yes", "yes", "on", "true", "1", "Yes")


@dataclass
class Stats:
    """What one generated export holds."""

    policies: int = 0
    """``url-filtering-policy`` sections, the Global Policy included (N + 1)."""
    entries: int = 0
    """URL entries in the sections of :data:`URL_LIST_KINDS` (M)."""
    custom_categories: int = 0
    approved_lists: int = 0
    schedules: int = 0
    decryption_policies: int = 0
    atp_policies: int = 0
    accounts: int = 0
    category_actions: int = 0
    entries_by_kind: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    bytes_written: int = 0
    redundancy: dict[str, int] = field(default_factory=dict)
    """Injected redundancy: objects per kind (:data:`WEB_REDUNDANCY_KINDS`), as injected."""
    positions: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    """{kind: {"policy.ini": [line, ...]}}: where each injected object is."""


def _quote(text: str) -> str:
    """A section or key qualifier: double-quoted with ``\\"`` and ``\\\\`` escapes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` split into ``parts`` skewed sizes (at least 1 each while total allows)."""
    if parts <= 0:
        return []
    if total < parts:
        return [1] * total + [0] * (parts - total)
    weights = [rng.lognormvariate(0.0, 1.0) for _ in range(parts)]
    spare = total - parts
    scale = spare / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    short = total - sum(sizes)
    order = sorted(range(parts), key=lambda i: -weights[i])
    for i in range(short):
        sizes[order[i % parts]] += 1
    return sizes


class _Entries:
    """Unique URL entries: every host and keyword carries a running serial number."""

    _KINDS: tuple[tuple[str, int], ...] = (
        ("stored-site", 30),
        ("typed-site", 14),
        ("typed-site-folder", 5),
        ("stored-site-folder", 5),
        ("stored-site-port", 2),
        ("stored-keyword", 12),
        ("typed-keyword", 8),
        ("typed-string", 8),
        ("stored-string", 8),
        ("stored-string-star", 5),
        ("stored-string-qmark", 3),
    )

    def __init__(self, rng: random.Random, stats: Stats) -> None:
        self.rng = rng
        self.stats = stats
        self.serial = 0
        self.kinds = [k for k, _ in self._KINDS]
        self.weights = [w for _, w in self._KINDS]

    def host(self) -> str:
        rng = self.rng
        self.serial += 1
        base = f"{rng.choice(_WORDS)}{self.serial:x}.{rng.choice(_TLDS)}"
        return f"{rng.choice(('www', 'cdn', 'app', 'my'))}.{base}" if rng.random() < 0.3 else base

    def path(self) -> str:
        rng = self.rng
        return "/".join(rng.choice(_PATH_WORDS) for _ in range(rng.randint(1, 3)))

    def keyword(self) -> str:
        self.serial += 1
        return f"{self.rng.choice(_WORDS)}-{self.serial:x}"

    def one(self) -> tuple[str, str]:
        """(entry line, host it names or "")."""
        rng = self.rng
        kind = rng.choices(self.kinds, self.weights)[0]
        self.stats.entries_by_kind[kind] = self.stats.entries_by_kind.get(kind, 0) + 1
        if kind.endswith("keyword"):
            kw = self.keyword()
            return (f"*{kw}*" if kind.startswith("stored") else f"url-keyword: {kw}"), ""
        host = self.host()
        if kind == "stored-site":
            return f"@{host}*", host
        if kind == "typed-site":
            return f"web-site: {host}", host
        if kind == "typed-site-folder":
            return f"web-site: {host}/{self.path()}", host
        if kind == "stored-site-folder":
            return f"@{host}/{self.path()}", host
        if kind == "stored-site-port":
            return f"@{host}:{rng.choice((8443, 8080, 4443, 9443))}*", host
        if kind == "typed-string":
            scheme = rng.choice(("http", "https"))
            return f"string: {scheme}://{host}/{self.path()}/{rng.choice(_FILES)}", host
        if kind == "stored-string":
            return f"{host}/{self.path()}/{rng.choice(_FILES)}", host
        if kind == "stored-string-star":
            return f"{host}/{self.path()}/*", host
        return f"{host}/{self.path()}/setup?.exe", host

    def exception_of(self, host: str, k: int) -> str:
        """A narrower entry under a listed host (realistic exception, never identical)."""
        if self.rng.random() < 0.5:
            return f"@{host}/allowed-{k:x}*"
        return f"string: https://{host}/{self.path()}/ok-{k:x}.html"


class _Writer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.size = 0
        self.lineno = 0
        """Lines written so far (no text written holds a newline)."""

    def line(self, text: str = "") -> None:
        self.out.write(text)
        self.out.write("\n")
        self.lineno += 1

    def section(self, kind: str, name: str | None = None) -> None:
        self.line()
        self.line(f"[{kind}]" if name is None else f"[{kind} {_quote(name)}]")


def _write_list(w: _Writer, ents: _Entries, count: int, hosts: list[str] | None = None,
                red: _WebRedundancy | None = None) -> None:
    lines: list[str] = []
    for _ in range(count):
        line, host = ents.one()
        lines.append(line)
        if hosts is not None and host:
            hosts.append(host)
    marks: list[tuple[int, str]] = []
    if red is not None:
        lines, marks = red.entries(lines)
    start = w.lineno + 1
    for line in lines:
        w.line(line)
    if red is not None:
        for at, kind in marks:
            red.mark(kind, start + at)


def _write_exceptions(w: _Writer, ents: _Entries, count: int, hosts: list[str]) -> None:
    for k in range(count):
        if hosts and ents.rng.random() < 0.7:
            w.line(ents.exception_of(ents.rng.choice(hosts), k))
        else:
            line, _ = ents.one()
            w.line(line)


def _ip_account(rng: random.Random, i: int) -> str:
    """One IPv4/IPv6 account for policy ``i``; addresses are valid and mostly distinct."""
    a, b = (i // 250) % 250 + 1, i % 250 + 1
    kind = rng.choices(("ip", "ip-range", "ip-subset", "ip6"), (25, 22, 43, 10))[0]
    if kind == "ip":
        return f"ip 10.{a}.{b}.{rng.randint(1, 254)}"
    if kind == "ip-range":
        net, lo = f"172.{16 + a % 16}.{b}", rng.randint(1, 200)
        return f"ip-range {net}.{lo}-{net}.{lo + rng.randint(1, 54)}"
    if kind == "ip-subset":
        form = rng.randrange(4)
        if form == 0:
            return f"ip-subset 10.{a}.{b}.0/24"
        if form == 1:
            return f"ip-subset 10.{a}.{b}.{rng.randrange(0, 256, 16)}/28"
        if form == 2:
            return f"ip-subset 10.{a}.{b & ~3}.0/255.255.252.0"
        return f"ip-subset 10.{a}.{b}.0/255.255.255.0"
    form = rng.randrange(3)
    if form == 0:
        return f"ip 2001:db8:{a:x}:{b:x}::{rng.randint(1, 0xFFFF):x}"
    if form == 1:
        return f"ip-range 2001:db8:{a:x}:{b:x}::1-2001:db8:{a:x}:{b:x}::{rng.randint(2, 0xFF):x}"
    return f"ip-subset 2001:db8:{a:x}:{b:x}::/64"


def _ldap_group(rng: random.Random, pool: int) -> str:
    g = rng.randrange(pool)
    dept = _DEPARTMENTS[g % len(_DEPARTMENTS)]
    return f'ldap-group "CN={dept} {g:04d},OU=Groups,DC=corp,DC=example"'


def _accounts(rng: random.Random, i: int, group_pool: int) -> list[str]:
    out: list[str] = []
    for _ in range(rng.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]):
        if rng.random() < 0.3:
            out.append(_ldap_group(rng, group_pool))
        else:
            out.append(_ip_account(rng, i))
    # No duplicate account lines inside one policy; keep first-seen order.
    return list(dict.fromkeys(out))


def _category_lines(rng: random.Random, count: int, custom: Sequence[str],
                    actions: Sequence[tuple[str, int]]) -> Iterator[tuple[str, str]]:
    """(``category ...`` key, action) pairs, predefined categories then custom ones."""
    names = [a for a, _ in actions]
    weights = [w for _, w in actions]
    for cid, name, _group in rng.sample(CATEGORIES, min(count, len(CATEGORIES))):
        action = rng.choices(names, weights)[0]
        # A few by numeric TMUFE ID (formats.md §3); never the ambiguous 91.
        key = f"category {cid}" if cid != 91 and rng.random() < 0.04 else f"category {_quote(name)}"
        yield key, action
    if custom:
        for name in rng.sample(list(custom), min(len(custom), rng.choice((0, 0, 1, 1, 2, 3)))):
            yield f"category {_quote(name)}", rng.choices(names, weights)[0]


@dataclass
class _Section:
    """One policy section, rendered before it is written (so redundancy can be injected)."""

    name: str
    lines: list[str]
    """The header line first, then ``priority = ...`` (``global = yes``), then the keys."""
    accounts: list[str] = field(default_factory=list)
    enabled: bool = True
    decides_all: bool = False
    """Enabled, no schedule, no ``match-next``: it decides every request its accounts match."""
    marks: list[tuple[int, str]] = field(default_factory=list)
    """(index in ``lines``, injected kind) of what was injected here."""


def _emit(w: _Writer, section: _Section, red: _WebRedundancy | None) -> None:
    w.line()
    start = w.lineno + 1
    for line in section.lines:
        w.line(line)
    if red is not None:
        for at, kind in section.marks:
            red.mark(kind, start + at)


def _policy(rng: random.Random, stats: Stats, *, name: str, priority: int | None,
            accounts: list[str], custom: Sequence[str], approved: Sequence[str],
            seed: int) -> _Section:
    lines = [f"[url-filtering-policy {_quote(name)}]"]
    enabled = True
    if priority is None:
        lines.append("global = yes")
        lines.append("enabled = yes")
    else:
        lines.append(f"priority = {priority}")
        value = "no" if rng.random() < 0.05 else rng.choice(_BOOL_YES)
        enabled = value != "no"
        lines.append(f"enabled = {value}")
    for acc in accounts:
        lines.append(f"account = {acc}")
    stats.accounts += len(accounts)
    scheduled = False
    if priority is not None and rng.random() < 0.3:
        lines.append(f"schedule = {rng.choice(_SCHEDULES)[0]}")
        scheduled = True
    if approved and rng.random() < (0.9 if priority is None else 0.4):
        for ex in rng.sample(list(approved), min(len(approved), rng.randint(1, 2))):
            lines.append(f"exceptions = {ex}")
    lines.append(f"notes = generated by isc benchmarks/generate.py (seed {seed}), "
                 f"policy {priority or 0}")
    override = match_next = False
    if priority is None:
        cats = _category_lines(rng, rng.randint(55, 75), custom, _GLOBAL_ACTIONS)
    else:
        cats = _category_lines(rng, rng.randint(3, 25), custom, _ACTIONS)
    for key, action in cats:
        lines.append(f"{key} = {action}")
        stats.category_actions += 1
        override = override or action == "block-override"
        match_next = match_next or action == "match-next"
    if override:
        lines.append(f"override-password = Bench#{priority or 0:04d}!")
    return _Section(name, lines, list(accounts), enabled,
                    enabled and not scheduled and not match_next and priority is not None)


def _decryption_count(n: int) -> int:
    """Prioritised HTTPS decryption policies for ``n`` URL filtering policies."""
    return min(3, max(1, n // 50)) if n else 0


def _decryption(rng: random.Random, n: int, approved: Sequence[str],
                group_pool: int) -> list[_Section]:
    """The decryption policies, the Global Policy last."""
    out: list[_Section] = []
    for k in range(1, _decryption_count(n) + 1):
        name = f"Decrypt {k:02d}"
        lines = [f"[https-decryption-policy {_quote(name)}]", f"priority = {k}", "enabled = yes"]
        accounts = _accounts(rng, 100_000 + k, group_pool)
        lines += [f"account = {acc}" for acc in accounts]
        if k % 2:
            lines.append("decrypt = all")
        else:
            for _cid, cat, _g in rng.sample(CATEGORIES, 8):
                lines.append(f"decrypt-category {_quote(cat)} = {rng.choice(('yes', 'no'))}")
        if approved:
            lines.append(f"exceptions = {rng.choice(approved)}")
        # the first enabled decryption policy whose accounts match decides: each decides
        # everything for its accounts
        out.append(_Section(name, lines, accounts, decides_all=True))
    lines = ['[https-decryption-policy "Global Policy"]', "global = yes", "enabled = yes"]
    for cat in ("Social Networking", "Sharing Services", "Web Hosting", "Untested",
                "New Domain", "Dynamic DNS"):
        lines.append(f"decrypt-category {_quote(cat)} = yes")
    for cat in ("Financial Services", "Health", "Government/Legal"):
        lines.append(f"decrypt-category {_quote(cat)} = no")
    lines += [f"exceptions = {ex}" for ex in approved[:2]]
    out.append(_Section("Global Policy", lines))
    return out


def _atp(w: _Writer, rng: random.Random, n: int, approved: Sequence[str],
         file_list: str, group_pool: int) -> int:
    count = min(3, max(1, n // 50)) if n else 0
    for k in range(1, count + 1):
        w.section("atp-policy", f"ATP {k:02d}")
        w.line(f"priority = {k}")
        for acc in _accounts(rng, 200_000 + k, group_pool):
            w.line(f"account = {acc}")
        w.line("block-file-types = executables, compressed/7z, compressed/rar")
        w.line("scan = extensions")
        w.line("scan-extensions = exe, dll, scr, zip, lzh, docm, xlsm")
        w.line("mime-skip = image/*")
        w.line(f"compressed.max-files = {rng.choice((1000, 5000, 50000))}")
        w.line(f"compressed.max-size-mb = {rng.choice((50, 100, 200))}")
        w.line(f"compressed.max-layers = {rng.randint(3, 10)}")
        w.line(f"large-file.skip-mb = {rng.choice((10, 20, 50))}")
        w.line("wrs = yes")
        w.line(f"wrs.sensitivity = {rng.choice(('low', 'medium', 'high'))}")
        w.line("wrs.anti-phishing = yes")
        w.line("wrs.anti-pharming = yes")
        w.line("wrs.cc-callback = yes")
    w.section("atp-policy", "Global Policy")
    w.line("global = yes")
    w.line("block-file-types = executables, compressed/7z")
    w.line("scan = intelliscan")
    w.line("scan-extensions = exe, dll, com, bat, js, vbs, lzh")
    w.line("mime-skip = video/*, audio/*")
    w.line("compressed.max-files = 50000")
    w.line("compressed.max-size-mb = 200")
    w.line("compressed.max-layers = 10")
    w.line("large-file.skip-mb = 10")
    w.line("wrs = yes")
    w.line("wrs.sensitivity = medium")
    w.line("wrs.anti-phishing = yes")
    w.line("wrs.anti-pharming = yes")
    w.line("wrs.cc-callback = yes")
    if approved:
        w.line(f"exceptions = {approved[0]}")
    w.line(f"exceptions = {file_list}")
    return count + 1


# ---------------------------------------------------------------------------- redundancy
#
# ``--redundancy R`` injects redundancy that isc's optimisation passes can remove without
# changing any decision, in known amounts, and lists it in OUTDIR/redundancy.json
# ({kind: count}) and OUTDIR/redundancy-positions.json ({kind: {file: [line, ...]}}, the
# line of each injected object as isc's spans name it: an entry or account line, a policy's
# or keyword list's header). Injection draws from a random generator of its own, so every
# object the export has without it is still there, written alike (priorities are renumbered
# around injected policies).

#: The manifest of injected redundancy, in OUTDIR.
MANIFEST = "redundancy.json"
#: Where each injected object is, in OUTDIR (lets run.py tell them from the export's own).
POSITIONS = "redundancy-positions.json"

#: Web kinds of injected redundancy, in manifest order.
WEB_REDUNDANCY_KINDS: tuple[str, ...] = (
    "duplicate-entries",               # a list entry repeated later in the same list
    "subsumed-entries",                # @sub.host* beside @host*, *kwx* beside *kw* (same list)
    "contained-accounts",              # an ip / sub-range / subnet inside the policy's own account
    "mergeable-policies",              # a twin of a policy, other accounts, right below it
    "shadowed-policies",               # accounts inside a policy above that decides everything
    "repeated-decryption-exceptions",  # a decryption policy naming an approved list twice
    "mergeable-decryption-policies",   # a twin of a decryption policy right below it
    "shadowed-decryption-policies",    # accounts inside an enabled decryption policy above
)
#: Mail kinds of injected redundancy, in manifest order.
MAIL_REDUNDANCY_KINDS: tuple[str, ...] = (
    "duplicate-group-addresses",  # an address repeated in the same address group
    "subsumed-group-addresses",   # a@x beside *@x, a@b.x beside *@*.x (same group)
    "duplicate-senders",          # a sender repeated in the same sender list
    "subsumed-senders",           # as for groups, in the same approved / blocked list
    "identical-keyword-lists",    # a copy of a keyword list under another name (rules use both)
    "repeated-expressions",       # an expression repeated in an any / all / not keyword list
)

_T = TypeVar("_T")


def web_redundancy_plan(redundancy: float, policies: int, entries: int) -> dict[str, int]:
    """How many objects of each kind ``--redundancy`` asks for: R x N contained accounts,
    twins and shadowed policies; R x the decryption policies (at least 1) of each decryption
    kind; duplicate (60 %) and subsumed (40 %) entries for the rest of R x M, so that the
    total is R x M wherever that is more than the policy kinds."""
    if redundancy <= 0:
        return {}
    per_policy = round(redundancy * policies)
    n_dec = _decryption_count(policies)
    per_dec = max(1, round(redundancy * n_dec)) if n_dec else 0
    plan = dict.fromkeys(WEB_REDUNDANCY_KINDS, 0)
    plan.update({"contained-accounts": per_policy, "mergeable-policies": per_policy,
                 "shadowed-policies": per_policy, "repeated-decryption-exceptions": per_dec,
                 "mergeable-decryption-policies": per_dec,
                 "shadowed-decryption-policies": per_dec})
    rest = max(0, round(redundancy * entries) - sum(plan.values()))
    plan["subsumed-entries"] = rest * 2 // 5
    plan["duplicate-entries"] = rest - plan["subsumed-entries"]
    return plan


def _apportion(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split over ``weights`` in proportion (cumulative rounding down: the parts
    add up to ``total`` exactly whenever a weight is positive)."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    out: list[int] = []
    seen = given = 0
    for wgt in weights:
        seen += wgt
        share = total * seen // whole
        out.append(share - given)
        given = share
    return out


class _Spread:
    """:func:`_apportion` in one pass over lists whose sizes come one by one: after lists
    holding ``seen`` of ``population`` items, kind k is due ``total_k * seen // population``;
    what a list could not take is due again at the next one."""

    def __init__(self, totals: dict[str, int], population: int) -> None:
        self.totals = totals
        self.population = population
        self.seen = 0

    def due(self, size: int, done: dict[str, int]) -> dict[str, int]:
        self.seen = min(self.population, self.seen + size)
        if self.population <= 0:
            return dict.fromkeys(self.totals, 0)
        return {k: max(0, t * self.seen // self.population - done[k])
                for k, t in self.totals.items()}


def _inject(rng: random.Random, items: list[_T], dup: int, sub: int,
            can_repeat: Callable[[_T], bool], narrower: Callable[[_T, int], _T | None],
            kinds: tuple[str, str]) -> tuple[list[_T], list[tuple[int, str]]]:
    """``items`` with ``dup`` repeats of items that ``can_repeat`` and ``sub`` narrower items
    (``narrower(item, n)``: the n-th one derived from that item, None when it has none),
    each inserted somewhere after its original, so the original stays the first; and the
    index of each inserted item with its kind (``kinds``: repeats', narrower ones'). Fewer
    when no item qualifies."""
    extra: dict[int, list[tuple[_T, str]]] = {}
    last = len(items) - 1
    if dup > 0:
        pool = [i for i, x in enumerate(items) if can_repeat(x)]
        for _ in range(dup if pool else 0):
            i = rng.choice(pool)
            extra.setdefault(rng.randint(i, last), []).append((items[i], kinds[0]))
    if sub > 0:
        pool = [i for i, x in enumerate(items) if narrower(x, 0) is not None]
        used: dict[int, int] = {}
        for _ in range(sub if pool else 0):
            i = rng.choice(pool)
            n = used[i] = used.get(i, -1) + 1
            new = narrower(items[i], n)
            assert new is not None
            extra.setdefault(rng.randint(i, last), []).append((new, kinds[1]))
    if not extra:
        return items, []
    out: list[_T] = []
    marks: list[tuple[int, str]] = []
    for i, x in enumerate(items):
        out.append(x)
        for y, kind in extra.get(i, ()):
            marks.append((len(out), kind))
            out.append(y)
    return out, marks


_SUB_HOSTS = ("www", "cdn", "img", "static", "m", "api", "dl", "shop", "news", "login")
#: Suffixes that make a keyword longer; none is a hex digit run, so ``*kw<suffix>*`` never
#: names another generated keyword or host.
_KW_SUFFIXES = ("x", "-x", "-dl", "-jp", "-app", "-tv", "-pro", "-zz", "-beta", "-mobile")


def _subsumed_entry(line: str, n: int) -> str | None:
    """The n-th entry that ``line`` covers in the same list: ``@sub.host*`` under a stored
    ``@host*``, ``*kw<suffix>*`` under a stored ``*kw*``; None for any other form."""
    if len(line) < 3 or line[-1] != "*" or "*" in line[1:-1]:
        return None
    if line[0] == "@" and "/" not in line and ":" not in line:
        return f"@{_SUB_HOSTS[n] if n < len(_SUB_HOSTS) else f's{n}'}.{line[1:]}"
    if line[0] == "*":
        return f"{line[:-1]}{_KW_SUFFIXES[n] if n < len(_KW_SUFFIXES) else f'-x{n}'}*"
    return None


_IP_KINDS = ("ip", "ip-range", "ip-subset")


def _bounds(account: str) -> tuple[int, int, int] | None:
    """(version, first, last) address of an ``ip``, ``ip-range`` or ``ip-subset`` account."""
    kind, _, value = account.partition(" ")
    if kind == "ip-subset":
        net = ipaddress.ip_network(value, strict=False)
        return net.version, int(net.network_address), int(net.broadcast_address)
    if kind == "ip-range":
        lo, _, hi = value.partition("-")
        a, b = ipaddress.ip_address(lo), ipaddress.ip_address(hi)
        return a.version, int(a), int(b)
    if kind == "ip":
        a = ipaddress.ip_address(value)
        return a.version, int(a), int(a)
    return None


def _address(version: int, n: int) -> str:
    return str(ipaddress.IPv4Address(n) if version == 4 else ipaddress.IPv6Address(n))


def _inner_account(rng: random.Random, account: str) -> str:
    """An account whose addresses all lie in ``account``'s (an LDAP account: itself).
    Strictly inside whenever ``account`` holds more than one address: one address of it, a
    sub-range or (an ``ip-subset``) a smaller subnet."""
    bounds = _bounds(account)
    if bounds is None or bounds[1] == bounds[2]:
        return account
    version, lo, hi = bounds
    form = rng.randrange(3)
    if form == 0:
        return f"ip {_address(version, rng.randint(lo, hi))}"
    if form == 1 or not account.startswith("ip-subset"):
        a = rng.randint(lo, hi - 1)
        b = rng.randint(a + 1, min(hi, a + 4096))
        if (a, b) == (lo, hi):
            b -= 1
        return f"ip-range {_address(version, a)}-{_address(version, b)}"
    span = (hi - lo + 1).bit_length() - 1  # the subnet's host bits
    bits = rng.randint(max(0, span - 8), span - 1)
    start = lo + (rng.randrange((hi - lo + 1) >> bits) << bits)
    prefix = (32 if version == 4 else 128) - bits
    return f"ip-subset {_address(version, start)}/{prefix}"


def _is_container(account: str) -> bool:
    """Does the account hold more than one address (so another can sit inside it)?"""
    bounds = _bounds(account)
    return bounds is not None and bounds[1] < bounds[2]


class _Cover:
    """The union of some accounts: address intervals per IP version (disjoint, sorted) and
    LDAP accounts by name (the generator writes one name alike every time)."""

    def __init__(self) -> None:
        self.los: dict[int, list[int]] = {4: [], 6: []}
        self.his: dict[int, list[int]] = {4: [], 6: []}
        self.names: set[str] = set()

    def covers(self, account: str) -> bool:
        bounds = _bounds(account)
        if bounds is None:
            return account.lower() in self.names
        version, lo, hi = bounds
        i = bisect.bisect_right(self.los[version], lo) - 1
        return i >= 0 and self.his[version][i] >= hi

    def add(self, account: str) -> None:
        bounds = _bounds(account)
        if bounds is None:
            self.names.add(account.lower())
            return
        version, lo, hi = bounds
        los, his = self.los[version], self.his[version]
        i = bisect.bisect_left(his, lo - 1)   # the first interval reaching lo or adjoining it
        j = bisect.bisect_right(los, hi + 1)  # past the last one starting by hi + 1
        if i < j:
            lo, hi = min(lo, los[i]), max(hi, his[j - 1])
        los[i:j], his[i:j] = [lo], [hi]


def _never_shadowed(sections: Sequence[_Section]) -> list[bool]:
    """Per section: does it have an account that no section above it that decides
    everything covers? Such a policy is never removed as shadowed (and a pass removing
    another policy never makes it so), so what is injected into it or below it stays."""
    cover = _Cover()
    out = []
    for s in sections:
        out.append(not s.accounts or any(not cover.covers(a) for a in s.accounts))
        if s.decides_all:
            for a in s.accounts:
                cover.add(a)
    return out


class _WebRedundancy:
    """Injects :func:`web_redundancy_plan` into a web export as it is written."""

    def __init__(self, plan: dict[str, int], seed: int, listed: int) -> None:
        self.plan = plan
        self.rng = random.Random(f"isc-bench-redundancy/{seed}")
        self.done = dict.fromkeys(plan, 0)
        self.positions: dict[str, list[int]] = {k: [] for k in plan}
        self.spread = _Spread({k: plan[k] for k in ("duplicate-entries", "subsumed-entries")},
                              listed)
        self.fresh = 0
        self.shadows = 0

    def mark(self, kind: str, line: int) -> None:
        """An object of ``kind`` was written at ``line``."""
        self.done[kind] += 1
        self.positions[kind].append(line)

    def entries(self, lines: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
        """One list's entries with its share of duplicate and subsumed entries."""
        due = self.spread.due(len(lines), self.done)
        return _inject(self.rng, lines, due["duplicate-entries"], due["subsumed-entries"],
                       lambda _: True, _subsumed_entry, ("duplicate-entries", "subsumed-entries"))

    def _fresh_accounts(self) -> list[str]:
        """1-2 addresses (100.64.0.0/10, never adjacent) that no other account holds."""
        out = []
        for _ in range(self.rng.choice((1, 1, 2))):
            self.fresh += 1
            out.append(f"ip {_address(4, (100 << 24 | 64 << 16) + 2 * self.fresh - 1)}")
        return out

    def _twin(self, original: _Section, k: int) -> _Section:
        """A copy of ``original`` with other accounts: it decides alike."""
        name = f"{original.name} (twin {k})"
        kind = original.lines[0][1:].split(" ", 1)[0]
        lines = [f"[{kind} {_quote(name)}]"]
        accounts = self._fresh_accounts()
        for line in original.lines[1:]:
            if line.startswith("account = "):
                lines += [f"account = {a}" for a in accounts]
                accounts = []
            elif line.startswith("notes = "):
                lines.append(f"notes = injected redundancy: decides like \"{original.name}\" "
                             "directly above it")
            else:
                lines.append(line)
        return _Section(name, lines, [], original.enabled, original.decides_all)

    def _pick(self, kind: str, candidates: Sequence[int]) -> dict[int, int]:
        """``plan[kind]`` picks among ``candidates`` (with repeats): how often each."""
        picks: dict[int, int] = {}
        for _ in range(self.plan[kind] if candidates else 0):
            i = self.rng.choice(candidates)
            picks[i] = picks.get(i, 0) + 1
        return picks

    def url_policies(self, sections: list[_Section]) -> list[_Section]:
        """The URL filtering policies (Global Policy last) with contained accounts, twins
        and shadowed policies injected, priorities renumbered."""
        rng = self.rng
        body, last = sections[:-1], sections[-1]
        safe = _never_shadowed(body)
        # contained accounts: inside an address account of the policy's own
        hosts = [i for i, s in enumerate(body)
                 if safe[i] and any(_is_container(a) for a in s.accounts)]
        for i, count in sorted(self._pick("contained-accounts", hosts).items()):
            s = body[i]
            containers = [a for a in s.accounts if _is_container(a)]
            add: dict[str, list[str]] = {}
            for _ in range(count):
                c = rng.choice(containers)
                add.setdefault(c, []).append(_inner_account(rng, c))
            lines: list[str] = []
            for line in s.lines:
                lines.append(line)
                if line.startswith("account = "):
                    for inner in add.pop(line[len("account = "):], ()):
                        s.marks.append((len(lines), "contained-accounts"))
                        lines.append(f"account = {inner}")
            s.lines = lines
        # twins right below an enabled policy that nothing above can shadow
        originals = [i for i, s in enumerate(body) if s.enabled and safe[i]]
        twins = self._pick("mergeable-policies", originals)
        # shadowed policies below one that decides everything for its accounts
        deciders = [i for i, s in enumerate(body) if s.decides_all and s.accounts]
        shadows = self._pick("shadowed-policies", deciders)
        out = self._interleave(body, twins, "mergeable-policies", shadows,
                               self._shadowed_policy)
        return [*out, last]

    def _interleave(self, body: list[_Section], twins: dict[int, int], twin_mark: str,
                    shadows: dict[int, int], shadow: Callable[[_Section], _Section]
                    ) -> list[_Section]:
        """``body`` with each policy's twins and shadowed policies right after it, and the
        priorities renumbered."""
        out: list[_Section] = []
        for i, s in enumerate(body):
            out.append(s)
            for k in range(1, twins.get(i, 0) + 1):
                twin = self._twin(s, k)
                twin.marks.append((0, twin_mark))
                out.append(twin)
            for _ in range(shadows.get(i, 0)):
                out.append(shadow(s))
        for priority, s in enumerate(out, start=1):
            s.lines[1] = f"priority = {priority}"
        return out

    def _shadowed_policy(self, above: _Section) -> _Section:
        """An enabled policy whose one account lies in ``above``'s, which decides every
        request of its accounts: it is never reached."""
        rng = self.rng
        self.shadows += 1
        name = f"Shadowed {self.shadows:05d}"
        lines = [f"[url-filtering-policy {_quote(name)}]", "priority = 0", "enabled = yes",
                 f"account = {_inner_account(rng, rng.choice(above.accounts))}",
                 f"notes = injected redundancy: never reached, \"{above.name}\" above it "
                 "decides for its accounts"]
        actions = (("block", 2), ("allow", 1), ("monitor", 1), ("warn", 1))
        lines += [f"{key} = {action}" for key, action in
                  _category_lines(rng, rng.randint(2, 5), (), actions)]
        return _Section(name, lines, [], True, False, [(0, "shadowed-policies")])

    def _shadowed_decryption(self, above: _Section) -> _Section:
        """A decryption policy whose one account lies in ``above``'s: never reached."""
        rng = self.rng
        self.shadows += 1
        name = f"Shadowed decryption {self.shadows:05d}"
        lines = [f"[https-decryption-policy {_quote(name)}]", "priority = 0", "enabled = yes",
                 f"account = {_inner_account(rng, rng.choice(above.accounts))}"]
        for _cid, cat, _g in rng.sample(CATEGORIES, 2):
            lines.append(f"decrypt-category {_quote(cat)} = yes")
        return _Section(name, lines, [], True, False, [(0, "shadowed-decryption-policies")])

    def decryption(self, sections: list[_Section]) -> list[_Section]:
        """The decryption policies (Global Policy last) with twins, shadowed policies and
        repeated exceptions injected, priorities renumbered."""
        rng = self.rng
        body, last = sections[:-1], sections[-1]
        safe = [i for i, never in enumerate(_never_shadowed(body)) if never]
        twins = self._pick("mergeable-decryption-policies", safe)
        shadows = self._pick("shadowed-decryption-policies",
                             [i for i, s in enumerate(body) if s.accounts])
        out = self._interleave(body, twins, "mergeable-decryption-policies", shadows,
                               self._shadowed_decryption)
        # repeated exceptions, in policies written by the generator (twins got none)
        named = [s for s in [*(body[i] for i in safe), last]
                 if any(line.startswith("exceptions = ") for line in s.lines)]
        for k, count in sorted(self._pick("repeated-decryption-exceptions",
                                          range(len(named))).items()):
            s = named[k]
            for _ in range(count):
                at = rng.choice([j for j, line in enumerate(s.lines)
                                 if line.startswith("exceptions = ")])
                s.lines.insert(at + 1, s.lines[at])
                s.marks.append((0, "repeated-decryption-exceptions"))  # the policy's line
        return [*out, last]


def write_policy(out: TextIO, *, policies: int, entries: int, seed: int,
                 redundancy: float = 0.0) -> Stats:
    """Write one ``policy.ini`` to ``out``; returns what it holds. ``redundancy`` > 0 also
    injects removable redundancy (:func:`web_redundancy_plan`); the rest of the file is what
    ``redundancy`` 0 writes, as the injection draws from a random generator of its own."""
    rng = random.Random(seed)
    stats = Stats()
    w = _Writer(out)
    ents = _Entries(rng, stats)

    n_custom = max(1, min(300, policies // 4, max(1, entries // 20)))
    n_approved = max(1, min(100, policies // 20 or 1, max(1, entries // 50)))
    group_pool = max(20, policies // 2)

    sizes: dict[str, int] = {kind: int(entries * share) for kind, share in _SHARES}
    sizes["custom-category"] = entries - sum(sizes.values())
    red: _WebRedundancy | None = None
    if redundancy > 0:
        # entries are injected into the lists of entries, not into the exception lists
        listed = entries - sizes["global-url-blocking.exceptions"] - sizes[
            "global-trusted-urls.exceptions"]
        red = _WebRedundancy(web_redundancy_plan(redundancy, policies, entries), seed, listed)

    w.line("# IWSVA 6.5 policy export generated for benchmarking isc (fictional data).")
    w.line(f"# python benchmarks/generate.py OUTDIR --policies {policies} --entries {entries} "
           f"--seed {seed}" + (f" --redundancy {redundancy:g}" if red is not None else ""))
    w.line(f"# {policies} prioritised URL filtering policies + Global Policy; "
           f"{entries} URL entries in lists.")
    w.section("product")
    w.line("name = IWSVA")
    w.line("version = 6.5-SP2_Build_Linux_1784")

    for name, days, hours in _SCHEDULES:
        w.section("schedule", name)
        w.line(f"days = {days}")
        w.line(f"hours = {hours}")
    stats.schedules = len(_SCHEDULES)

    custom_names: list[str] = []
    for k, size in enumerate(_split(sizes["custom-category"], n_custom, rng), start=1):
        dept = _DEPARTMENTS[k % len(_DEPARTMENTS)]
        name = f"Custom {k:04d} {dept}" if k % 5 else f"カスタム {k:04d} {dept}"
        custom_names.append(name)
        w.section("custom-category", name)
        _write_list(w, ents, size, red=red)
    stats.custom_categories = len(custom_names)

    approved_names: list[str] = []
    for k, size in enumerate(_split(sizes["approved-list"], n_approved, rng), start=1):
        name = f"Approved {k:03d} ({rng.choice(('banks', 'partners', 'gov', 'vendors'))})"
        approved_names.append(name)
        w.section("approved-list", name)
        _write_list(w, ents, size, red=red)
    stats.approved_lists = len(approved_names)

    file_list = "Installers"
    w.section("approved-file-list", file_list)
    for line in ("*.msi", "setup*.exe", "CorpClient_*.zip", "TrendMicro_*.exe"):
        w.line(line)

    blocked: list[str] = []
    w.section("global-url-blocking")
    w.line("enabled = yes")
    w.section("global-url-blocking.block")
    _write_list(w, ents, sizes["global-url-blocking.block"], blocked, red)
    w.section("global-url-blocking.exceptions")
    _write_exceptions(w, ents, sizes["global-url-blocking.exceptions"], blocked)
    del blocked

    trusted: list[str] = []
    w.section("global-trusted-urls")
    w.line("enabled = yes")
    w.section("global-trusted-urls.trusted")
    _write_list(w, ents, sizes["global-trusted-urls.trusted"], trusted, red)
    w.section("global-trusted-urls.exceptions")
    _write_exceptions(w, ents, sizes["global-trusted-urls.exceptions"], trusted)
    del trusted
    stats.entries = entries

    w.section("https-tunneling")
    for k in range(10):
        w.line(f"tunnel{k}.{rng.choice(_WORDS)}.example.{rng.choice(('com', 'co.jp'))}")
    w.line("activeupdate.trendmicro.com")
    w.line("bank.example.co.jp:8443")

    # Every section is rendered before it is written: the rendering draws from ``rng`` in
    # the same order as writing it at once would, and injection draws from its own.
    sections: list[_Section] = []
    for i in range(1, policies + 1):
        dept = _DEPARTMENTS[rng.randrange(len(_DEPARTMENTS))]
        sections.append(_policy(rng, stats, name=f"Policy {i:05d} {dept}", priority=i,
                                accounts=_accounts(rng, i, group_pool), custom=custom_names,
                                approved=approved_names, seed=seed))
    sections.append(_policy(rng, stats, name="Global Policy", priority=None, accounts=[],
                            custom=custom_names, approved=approved_names, seed=seed))
    stats.policies = policies + 1
    if red is not None:
        sections = red.url_policies(sections)
    for section in sections:
        _emit(w, section, red)

    decryption = _decryption(rng, policies, approved_names, group_pool)
    stats.decryption_policies = len(decryption)
    if red is not None:
        decryption = red.decryption(decryption)
    for section in decryption:
        _emit(w, section, red)
    stats.atp_policies = _atp(w, rng, policies, approved_names, file_list, group_pool)
    if red is not None:
        stats.redundancy = red.done
        stats.positions = {k: {"policy.ini": v} for k, v in red.positions.items() if v}
    return stats


# ============================================================================ mail (IMSVA)
#
# An IMSVA rule set in isc's mail export format (docs/formats/mail.md): ``Policy.xml``, the
# list files its ``file`` attributes name (under ``lists/``) and an ``imss.ini``.

#: name -> (rules, addresses, expressions, senders); run.py uses the same table.
MAIL_PRESETS: dict[str, tuple[int, int, int, int]] = {
    "tiny": (10, 200, 50, 40),
    "small": (50, 2_000, 500, 200),
    "medium": (200, 20_000, 2_000, 2_000),
    "large": (2_000, 200_000, 20_000, 20_000),
}
#: generate.py --product mail without sizes writes the medium preset (as the web defaults
#: are run.py's default preset).
MAIL_DEFAULT_PRESET = "medium"

_MAIL_ROUTES: tuple[tuple[str, int], ...] = (
    ("incoming", 45), ("outgoing", 30), ("both", 8), ("all", 10), ("pop3", 7),
)
_INTERNAL = "corp.example.co.jp"
_INTERNAL_DOMAINS: tuple[str, ...] = (_INTERNAL, "*." + _INTERNAL, "bench.example")
_MAIL_TLDS: tuple[str, ...] = (
    "example", "example.com", "example.net", "example.org", "example.co.jp", "example.jp",
)
_LOCALS: tuple[str, ...] = (
    "tanaka", "suzuki", "sato", "takahashi", "ito", "watanabe", "yamamoto", "nakamura",
    "kobayashi", "kato", "info", "sales", "support", "order", "billing", "noreply", "admin",
    "keiri", "somu", "jinji", "eigyo", "kaihatsu",
)
_JP_WORDS: tuple[str, ...] = (
    "社外秘", "部外秘", "極秘", "機密", "取扱注意", "個人情報", "請求書", "見積書", "契約書",
    "振込", "口座", "支払", "納品書", "発注書", "議事録", "設計図", "顧客名簿", "人事評価",
    "給与", "賞与", "源泉徴収", "健康診断", "住所", "氏名", "生年月日", "電話番号", "案件",
    "至急", "重要", "確認", "変更", "お知らせ", "パスワード", "アカウント", "ログイン", "停止",
)
_JP_PARTICLES: tuple[str, ...] = ("の", "を", "が", "は", "に")
_EN_WORDS: tuple[str, ...] = (
    "confidential", "internal", "secret", "proprietary", "invoice", "payment", "password",
    "account", "verify", "urgent", "wire", "transfer", "salary", "contract", "quotation",
    "restricted", "private", "draft", "report", "customer", "merger", "roadmap", "audit",
)
_FILE_TYPES: tuple[str, ...] = (
    "EXE", "MSI", "LNK", "ZIP", "7Z", "RAR", "LZH", "PNG", "JPEG", "PDF", "DOC", "XLS", "OLE",
    "HTML", "JS", "VBS", "ISO",
)
_MIME_TYPES: tuple[str, ...] = (
    "application/zip", "application/x-7z-compressed", "application/x-msdownload",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.ms-word.document.macroEnabled.12", "application/x-iso9660-image",
    "text/html", "application/pdf", "image/png",
)
_EXTENSIONS: tuple[str, ...] = (
    "exe", "scr", "com", "pif", "bat", "cmd", "vbs", "js", "jar", "xlsm", "docm", "iso",
    "img", "lnk", "hta", "htm", "zip", "lzh", "7z", "rar",
)
_DLP_TEMPLATES: tuple[str, ...] = (
    "Japan: My Number", "Japan: Personal Information", "PCI-DSS", "特定個人情報 (マイナンバー)",
    "顧客情報",
)
_AREAS: tuple[str, ...] = ("ウイルス隔離", "情報漏えい対策", "スパム", "BEC隔離", "添付ファイル",
                           "Quarantine", "Large Mail")
_CONDITION_KINDS: tuple[tuple[str, int], ...] = (
    ("attachment-name", 14), ("true-file-type", 10), ("mime-type", 6),
    ("password-protected", 4), ("attachment-size", 6), ("message-size", 5),
    ("attachment-count", 4), ("recipient-count", 3), ("subject", 10), ("body", 9),
    ("header", 4), ("attachment-content", 6), ("spam", 7), ("web-reputation", 4),
    ("graymail", 2), ("social-engineering", 2), ("dlp", 3), ("cc-email", 1),
    ("received-time", 2), ("unable-to-decrypt", 2), ("spoofed-internal", 2),
)
_INTERCEPTS: tuple[tuple[str, int], ...] = (
    ("none", 40), ("quarantine", 25), ("delete", 15), ("change-recipient", 5),
    ("handoff", 5), ("", 10),  # "" = no <intercept> element (none)
)
_OTHER_ACTIONS: tuple[tuple[str, int], ...] = (
    ("delete-attachments", 12), ("insert-stamp", 12), ("tag-subject", 16),
    ("insert-x-header", 14), ("postpone", 3), ("notify", 20), ("bcc", 8), ("archive", 6),
)
_STAMPS: tuple[tuple[str, str, str], ...] = (
    ("社外メール注意", "beginning",
     "【注意】このメールは社外から送信されました。\nリンクや添付ファイルに注意してください。\n"),
    ("ウイルス駆除済み", "end", "\n----\nこのメールのウイルスは駆除されました。\n"),
    ("Attachment removed", "end",
     "\n----\nAn attachment was removed by the mail security policy.\n"),
    ("送信免責文", "end", "\n----\n本メールには機密情報が含まれている場合があります。\n"
     "This e-mail may contain confidential information.\n"),
)
_NOTIFICATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("管理者通知", "mail-admin@" + _INTERNAL, "[IMSVA] %RULENAME%",
     "ルール: %RULENAME%\n送信者: %SENDER%\n宛先: %RCPTS%\n件名: %SUBJECT%\n"),
    ("Virus alert", "security@" + _INTERNAL, "[IMSVA] virus %VIRUSNAME%",
     "Virus %VIRUSNAME% in %FILENAME% from %SENDER% to %RCPTS%.\n"),
    ("上長承認依頼", "approval@" + _INTERNAL, "【承認依頼】%RULENAME%",
     "送信メールが保留されました。\n送信者: %SENDER%\n件名: %SUBJECT%\n"),
)


@dataclass
class MailStats:
    """What one generated mail export holds."""

    rules: int = 0
    rules_by_type: dict[str, int] = field(default_factory=dict)
    routes_by_type: dict[str, int] = field(default_factory=dict)
    disabled_rules: int = 0
    conditions: int = 0
    address_groups: int = 0
    addresses: int = 0
    """Members of address groups (addresses, LDAP users and groups): M."""
    addresses_in_files: int = 0
    keyword_lists: int = 0
    expressions: int = 0
    """Expressions over all keyword lists: K."""
    expressions_in_files: int = 0
    senders: int = 0
    """Approved plus blocked sender entries: S."""
    senders_in_files: int = 0
    ip_entries: int = 0
    dkim_domains: int = 0
    files: list[Path] = field(default_factory=list)
    bytes_written: int = 0
    redundancy: dict[str, int] = field(default_factory=dict)
    """Injected redundancy: objects per kind (:data:`MAIL_REDUNDANCY_KINDS`), as injected."""
    positions: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    """{kind: {file: [line, ...]}}: where each injected object is."""

    @property
    def entries(self) -> int:
        """The list entries run.py counts: M + K + S."""
        return self.addresses + self.expressions + self.senders


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return '"' + _esc(text).replace('"', "&quot;").replace("\n", "&#10;") + '"'


def _tag(name: str, attrs: Sequence[tuple[str, str]] = (), text: str | None = None) -> str:
    head = name + "".join(f" {k}={_attr(v)}" for k, v in attrs)
    return f"<{head}/>" if text is None else f"<{head}>{_esc(text)}</{name}>"


def _open(name: str, attrs: Sequence[tuple[str, str]] = ()) -> str:
    """A start tag (the element's children follow on their own lines)."""
    return "<" + name + "".join(f" {k}={_attr(v)}" for k, v in attrs) + ">"


class _MailNames:
    """Unique addresses, domains and DNs: every one carries a running serial number."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def domain(self) -> str:
        rng = self.rng
        return f"{rng.choice(_WORDS)}-{self._next():x}.{rng.choice(_MAIL_TLDS)}"

    def internal(self) -> str:
        rng = self.rng
        sub = rng.choice(("", "", "", "osaka.", "nagoya.", "lab."))
        return f"{rng.choice(_LOCALS)}.{self._next():x}@{sub}{_INTERNAL}"

    def external(self) -> str:
        return f"{self.rng.choice(_LOCALS)}@{self.domain()}"

    def ldap_group(self) -> str:
        dept = _DEPARTMENTS[self.rng.randrange(len(_DEPARTMENTS))]
        return f"CN={dept} {self._next():04d},OU=Groups,DC=corp,DC=example,DC=co,DC=jp"

    def ldap_user(self) -> str:
        return (f"CN={self.rng.choice(_LOCALS).capitalize()} {self._next():04d},"
                "OU=Users,DC=corp,DC=example,DC=co,DC=jp")

    def member(self) -> tuple[str, str]:
        """(element name, value) of one address-group member, every documented form."""
        rng = self.rng
        kind = rng.choices(("addr", "internal", "domain", "subdomains", "name-any", "user",
                            "group"), (38, 20, 18, 9, 3, 7, 5))[0]
        if kind == "addr":
            return "address", self.external()
        if kind == "internal":
            return "address", self.internal()
        if kind == "domain":
            return "address", f"*@{self.domain()}"
        if kind == "subdomains":
            return "address", f"*@*.{self.domain()}"
        if kind == "name-any":
            return "address", f"{rng.choice(_LOCALS)}-{self._next():x}@*"
        if kind == "user":
            return "ldap-user", self.ldap_user()
        return "ldap-group", self.ldap_group()

    def sender(self) -> str:
        """A sender-list entry (never ``*`` or ``*@*``); a few have no EmS form."""
        rng = self.rng
        kind = rng.choices(("addr", "domain", "subdomains", "name-any"), (50, 32, 14, 4))[0]
        if kind == "addr":
            return self.external()
        if kind == "domain":
            return f"*@{self.domain()}"
        if kind == "subdomains":
            return f"*@*.{self.domain()}"
        return f"{rng.choice(_LOCALS)}-{self._next():x}@*"


def _expression(rng: random.Random, serial: int) -> str:
    """One eManager keyword expression: Japanese or ASCII, shorthand, classes, operators."""
    jp, en = rng.choice(_JP_WORDS), rng.choice(_EN_WORDS)
    jp2, en2 = rng.choice(_JP_WORDS), rng.choice(_EN_WORDS)
    form = rng.choices(range(16), (10, 8, 7, 6, 9, 7, 6, 6, 5, 5, 4, 4, 3, 3, 3, 2))[0]
    if form == 0:
        return f"{jp}{jp2}"
    if form == 1:
        return f"({jp}|{jp2}){rng.choice(_JP_PARTICLES)}?{rng.choice(_JP_WORDS)}"
    if form == 2:
        return f"{jp}(の)?{jp2}(を|が)?(お知らせ|ご連絡|送付)"
    if form == 3:
        return f"案件番号[:：]?{{D}}{{D}}{{D}}{{D}}-{serial:04d}"
    if form == 4:
        return f"\\b{en}\\b"
    if form == 5:
        return f"\\b{en}{{WSP}}{en2}\\b"
    if form == 6:
        return f"[{en[0].upper()}{en[0]}]{en[1:]}{{WSP}}(only|use|copy)"
    if form == 7:
        return "{D}{D}{D}{D}[- ]?{D}{D}{D}{D}[- ]?{D}{D}{D}{D}"
    if form == 8:
        return f"PRJ-{serial:05d}"
    if form == 9:
        return f"@{rng.choice(_WORDS)}-{serial:x}\\.(com|net|biz)\\b"
    if form == 10:
        return f"{en}[[:digit:]]+"
    if form == 11:
        return f"〒?{{D}}{{D}}{{D}}-{{D}}{{D}}{{D}}{{D}}{jp}"
    if form == 12:
        return f"{en} .AND. {en2}"
    if form == 13:
        return f"{jp} .AND. .NOT. {jp2}"
    if form == 14:
        return f".WILD. *{en}-{serial:x}*.exe"
    return f"\"{en}.{serial:x}\" .OR. {jp}"


def _keyword_list_xml(rng: random.Random, name: str, size: int, serial: int,
                      as_file: str | None) -> tuple[list[str], list[str]]:
    """(XML lines, list-file lines) of one keyword list of ``size`` expressions."""
    if as_file is not None:
        match = rng.choices(("any", "all", "not"), (80, 12, 8))[0]
        head = _tag("keyword-list", (("name", name), ("match", match), ("file", as_file)))
        lines = [_expression(rng, serial + k) for k in range(size)]
        # isc classifies a member by its first bytes before it looks at the names the rule
        # set gives its list files: a keyword file starting with "{" ({D}...) is taken for
        # JSON and fails to load (ISC1007). A group around the first line means the same.
        if lines and lines[0].startswith("{"):
            lines[0] = f"({lines[0]})"
        return [f"  {head}"], lines
    match = rng.choices(("any", "all", "not", "score"), (55, 12, 8, 25))[0]
    attrs: list[tuple[str, str]] = [("name", name), ("match", match)]
    if match == "score":
        attrs.append(("threshold", str(rng.randint(3, 12))))
    elif rng.random() < 0.3:
        attrs.append(("threshold", ""))
    lines = [f"  {_open('keyword-list', attrs)}"]
    for k in range(size):
        ex: list[tuple[str, str]] = []
        if rng.random() < 0.15:
            ex.append(("case-sensitive", rng.choice(("true", "false", "yes", "0"))))
        if match == "score":
            ex.append(("score", str(rng.choice((1, 1, 2, 2, 3, 4, 5, -3, -5)))))
        if rng.random() < 0.3:
            ex.append(("description", f"{rng.choice(_JP_WORDS)} / generated {serial + k}"))
        lines.append("    " + _tag("expression", ex, _expression(rng, serial + k)))
    lines.append("  </keyword-list>")
    return lines, []


def _party_lines(rng: random.Random, names: _MailNames, side: str, groups: Sequence[str],
                 internal_groups: Sequence[str], kind: str) -> list[str]:
    """``<senders>`` or ``<recipients>``: ``kind`` is anyone / internal / external."""
    if kind == "anyone":
        return [f"      <{side}><anyone/></{side}>"]
    out: list[str] = []
    for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
        pick = rng.random()
        if kind == "internal" and internal_groups and pick < 0.45:
            out.append(_tag("address-group", (("ref", rng.choice(internal_groups)),)))
        elif groups and pick < 0.6:
            out.append(_tag("address-group", (("ref", rng.choice(groups)),)))
        elif pick < 0.75:
            out.append(_tag("ldap-group", (), names.ldap_group()))
        elif pick < 0.8:
            out.append(_tag("ldap-user", (), names.ldap_user()))
        elif kind == "internal":
            out.append(_tag("address", (), rng.choice((f"*@{_INTERNAL}", f"*@*.{_INTERNAL}",
                                                       names.internal()))))
        else:
            out.append(_tag("address", (), rng.choice((names.external(),
                                                       f"*@{names.domain()}"))))
    out = list(dict.fromkeys(out))
    return [f"      <{side}>", *(f"        {x}" for x in out), f"      </{side}>"]


def _exception(rng: random.Random, names: _MailNames, groups: Sequence[str]) -> str:
    """A sender→recipient exception with at least one side (never anyone to anyone)."""
    def side(prefix: str) -> tuple[str, str]:
        pick = rng.random()
        if groups and pick < 0.45:
            return f"{prefix}-group", rng.choice(groups)
        if pick < 0.65:
            return f"{prefix}-ldap-group", names.ldap_group()
        if prefix == "sender":
            return prefix, rng.choice((names.external(), f"*@{names.domain()}"))
        return prefix, names.internal()
    which = rng.choices(("both", "sender", "recipient"), (50, 35, 15))[0]
    attrs: list[tuple[str, str]] = []
    if which in ("both", "sender"):
        attrs.append(side("sender"))
    if which in ("both", "recipient"):
        attrs.append(side("recipient"))
    return _tag("exception", attrs)


def _condition(rng: random.Random, kind: str, keyword_lists: Sequence[str]) -> str:
    if kind == "attachment-name":
        return _tag(kind, (), rng.choice(("*.", "*.", "*.", "invoice*.", "?*.")) +
                    rng.choice(_EXTENSIONS))
    if kind == "true-file-type":
        return _tag(kind, (), rng.choice(_FILE_TYPES))
    if kind == "mime-type":
        return _tag(kind, (), rng.choice(_MIME_TYPES))
    if kind in ("attachment-size", "message-size"):
        unit = rng.choice(("B", "KB", "MB", "MB", ""))
        value = {"B": rng.randint(1, 1 << 20), "KB": rng.randint(1, 20_000),
                 "MB": rng.randint(1, 50), "": rng.randint(1024, 1 << 24)}[unit]
        attrs = [("op", rng.choice(("gt", "ge", "lt", "le", "eq")))]
        if unit:
            attrs.append(("unit", unit))
        return _tag(kind, attrs, str(value))
    if kind in ("attachment-count", "recipient-count"):
        op = rng.choice(("gt", "ge", "eq", "le"))
        return _tag(kind, (("op", op),), str(rng.randint(1, 50)))
    if kind in ("subject", "body", "attachment-content"):
        return _tag(kind, (("keyword-list", rng.choice(keyword_lists)),))
    if kind == "header":
        names = rng.choice(("From", "From,Reply-To", "Reply-To", "X-Mailer", "To,Cc"))
        return _tag(kind, (("names", names), ("keyword-list", rng.choice(keyword_lists))))
    if kind == "spam":
        if rng.random() < 0.6:
            return _tag(kind, (("catch-rate", rng.choice(("high", "medium", "low"))),))
        return _tag(kind, (("threshold", f"{rng.randint(30, 100) / 10:.1f}"),))
    if kind == "web-reputation":
        return _tag(kind, (("level", rng.choice(("high", "medium", "low"))),
                           ("untested", rng.choice(("bypass", "apply", "submit"))),
                           ("time-of-click", rng.choice(("true", "false")))))
    if kind == "dlp":
        return _tag(kind, (("template", rng.choice(_DLP_TEMPLATES)),))
    if kind == "received-time":
        start = rng.randrange(0, 24 * 60, 30)
        end = (start + rng.randrange(30, 24 * 60, 30)) % (24 * 60) or 24 * 60
        return _tag(kind, (("from", f"{start // 60:02d}:{start % 60:02d}"),
                           ("to", f"{end // 60:02d}:{end % 60:02d}")))
    return _tag(kind)  # the flags: password-protected, graymail, cc-email ...


def _actions(rng: random.Random, names: _MailNames, antivirus: bool) -> list[str]:
    intercept = rng.choices([a for a, _ in _INTERCEPTS], [w for _, w in _INTERCEPTS])[0]
    out: list[str] = []
    if intercept == "quarantine":
        out.append(_tag("intercept", (("action", "quarantine"), ("area", rng.choice(_AREAS)))))
    elif intercept == "change-recipient":
        to = ";".join(names.internal() for _ in range(rng.randint(1, 2)))
        out.append(_tag("intercept", (("action", "change-recipient"), ("to", to))))
    elif intercept == "handoff":
        attrs = [("action", "handoff"), ("host", f"gw{rng.randint(1, 9)}.{_INTERNAL}")]
        if rng.random() < 0.7:
            attrs.append(("port", str(rng.choice((25, 587, 10025, 10026)))))
        out.append(_tag("intercept", attrs))
    elif intercept:
        out.append(_tag("intercept", (("action", intercept),)))
    extra = rng.choices((0, 1, 2, 3), (20, 40, 28, 12))[0]
    if intercept in ("none", "") and extra == 0:
        extra = 1  # a rule that intercepts nothing must do something (else ISC2017)
    if antivirus and rng.random() < 0.7:
        out.append(_tag("clean", (("fallback", rng.choice(("matching", "all"))),)))
    kinds = [a for a, _ in _OTHER_ACTIONS]
    weights = [w for _, w in _OTHER_ACTIONS]
    for _ in range(extra):
        kind = rng.choices(kinds, weights)[0]
        if kind == "delete-attachments":
            out.append(_tag(kind, (("scope", rng.choice(("matching", "all"))),)))
        elif kind == "insert-stamp":
            out.append(_tag(kind, (("ref", rng.choice(_STAMPS)[0]),)))
        elif kind == "tag-subject":
            out.append(_tag(kind, (), rng.choice(("[SPAM]", "[添付削除]", "[要確認]",
                                                  "[EXTERNAL]", "[社外秘]", "[PPAP]"))))
        elif kind == "insert-x-header":
            out.append(_tag(kind, (("name", f"X-Bench-{rng.choice(_EN_WORDS).capitalize()}"),
                                   ("value", rng.choice(("1", "yes", "suspect", "社外"))))))
        elif kind == "postpone":
            out.append(_tag(kind, (("until", f"{rng.randint(18, 23):02d}:00"),)))
        elif kind == "notify":
            out.append(_tag(kind, (("ref", rng.choice(_NOTIFICATIONS)[0]),)))
        elif kind == "bcc":
            out.append(_tag(kind, (), ";".join(names.internal()
                                              for _ in range(rng.randint(1, 2)))))
        else:
            out.append(_tag(kind, (("area", rng.choice(("監査アーカイブ", "Archive"))),)))
    return list(dict.fromkeys(out))


def _rule(rng: random.Random, names: _MailNames, i: int, order: int, groups: Sequence[str],
          internal_groups: Sequence[str], keyword_lists: Sequence[str],
          stats: MailStats) -> list[str]:
    # The first rules take every route type and both rule types, so any N >= 5 has them all.
    route_kinds = [r for r, _ in _MAIL_ROUTES]
    route = route_kinds[i] if i < len(route_kinds) else rng.choices(
        route_kinds, [w for _, w in _MAIL_ROUTES])[0]
    antivirus = i in (0, 4) or (i >= 5 and rng.random() < 0.15)
    enabled = not (i >= 5 and rng.random() < 0.05)
    stats.rules += 1
    rtype = "antivirus" if antivirus else "other"
    stats.rules_by_type[rtype] = stats.rules_by_type.get(rtype, 0) + 1
    stats.routes_by_type[route] = stats.routes_by_type.get(route, 0) + 1
    stats.disabled_rules += not enabled
    dept = _DEPARTMENTS[rng.randrange(len(_DEPARTMENTS))]
    what = rng.choice(("添付ファイル", "情報漏えい対策", "スパム", "BEC", "archive", "virus",
                       "content", "PPAP", "large mail", "URL"))
    attrs = [("name", f"Rule {i + 1:05d} {dept} {what}"), ("order", str(order))]
    if not enabled or rng.random() < 0.5:
        attrs.append(("enabled", "false" if not enabled else rng.choice(("true", "yes", "1"))))
    attrs.append(("type", rtype))
    lines = [f"  {_open('rule', attrs)}"]
    if route == "pop3":
        lines.append('    <route type="pop3"/>')  # POP3 rules take no parties (ISC2017)
    else:
        lines.append(f'    <route type="{route}">')
        if route == "incoming":
            snd = rng.choices(("anyone", "external"), (70, 30))[0]
            rcp = rng.choices(("anyone", "internal"), (45, 55))[0]
        elif route == "outgoing":
            snd = rng.choices(("anyone", "internal"), (50, 50))[0]
            rcp = rng.choices(("anyone", "external"), (70, 30))[0]
        elif route == "both":
            snd = rcp = "internal"
        else:
            snd = rcp = rng.choices(("anyone", "internal"), (80, 20))[0]
        if route == "both":  # the console's one "Users" list, written to both sides
            users = _party_lines(rng, names, "senders", groups, internal_groups, "internal")
            lines += users
            lines += [u.replace("<senders>", "<recipients>").replace("</senders>",
                                                                      "</recipients>")
                      for u in users]
        else:
            if rng.random() < 0.9:
                lines += _party_lines(rng, names, "senders", groups, internal_groups, snd)
            if rng.random() < 0.9:
                lines += _party_lines(rng, names, "recipients", groups, internal_groups, rcp)
        if rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                lines.append("      " + _exception(rng, names, groups))
        lines.append("    </route>")
    conds: list[str] = []
    if antivirus:
        scan = rng.choices(("all", "intelliscan", "extensions"), (50, 30, 20))[0]
        vattrs = [("scan", scan)]
        if scan == "extensions":
            vattrs.append(("extensions", ",".join(rng.sample(_EXTENSIONS, rng.randint(2, 6)))))
        conds.append(_tag("virus", vattrs))
        if rng.random() < 0.2:
            conds.append(_condition(rng, "attachment-size", keyword_lists))
    elif rng.random() < 0.95:
        kinds = [k for k, _ in _CONDITION_KINDS]
        weights = [w for _, w in _CONDITION_KINDS]
        for _ in range(rng.choices((1, 2, 3, 4, 6), (35, 30, 18, 12, 5))[0]):
            conds.append(_condition(rng, rng.choices(kinds, weights)[0], keyword_lists))
        conds = list(dict.fromkeys(conds))
    if conds:
        match = rng.choice(("any", "all")) if len(conds) > 1 else rng.choice(("any", ""))
        lines.append("    <conditions" + (f' match="{match}"' if match else "") + ">")
        lines += [f"      {c}" for c in conds]
        lines.append("    </conditions>")
        stats.conditions += len(conds)
    lines.append("    <actions>")
    lines += [f"      {a}" for a in _actions(rng, names, antivirus)]
    lines.append("    </actions>")
    if rng.random() < 0.5:
        lines.append("    " + _tag("notes", (), f"{rng.choice(_JP_WORDS)}対策 "
                                              f"(generated rule {i + 1}, {dept})"))
    lines.append("  </rule>")
    return lines


def _imss_ini(rng: random.Random, rules: int, seed: int) -> str:
    lines = [
        "# imss.ini of a fictional IMSVA, generated for benchmarking isc "
        f"(seed {seed}, {rules} rules)",
        "", "[general]", "scanner_id = 1", "product_version = 9.1.0.2011", "locale = ja_JP",
        "default_charset = ISO-2022-JP", f"admin_email = mail-admin@{_INTERNAL}",
        "", "[imp_exp]", "enable_ems_migrate = 1", "export_dir = /opt/trend/imss/config/export",
        "", "[policy_server]", "recv_timeout_secs = 60", "port = 15505",
        f"child_devices = imsva02.{_INTERNAL}, imsva03.{_INTERNAL}",
        "", "[smtp]", "port = 25", f"max_message_size_mb = {rng.choice((20, 30, 50))}",
        f"max_recipients = {rng.choice((100, 500, 1000))}",
        f"relay_domains = {', '.join(_INTERNAL_DOMAINS)}", "downstream_host = 10.1.10.25",
        "tls_incoming = yes",
        "", "[quarantine]", "default_area = スパム", "keep_days = 30", "euq_enabled = yes",
        "", "[pop3]", "enable = yes", "port = 110", f"server = pop.{_INTERNAL}",
        "", "[log]", "level = 2", "syslog_server = 10.1.20.40",
    ]
    return "\n".join(lines) + "\n"


def _ip(rng: random.Random, k: int) -> str:
    """Unique documentation or private addresses and networks (IPv4 and IPv6)."""
    form = k % 5
    if form == 0:
        return f"198.51.{100 + (k // 5) % 100}.{(k // 500) % 250 + 1}"
    if form == 1:
        return f"203.0.{113 + (k // 5) % 100}.{((k // 500) % 16) * 16}/28"
    if form == 2:
        return f"10.{(k // 5) % 250}.{(k // 1250) % 250}.0/24"
    if form == 3:
        return f"2001:db8:{k:x}::/48"
    return f"192.0.{2 + (k // 5) % 100}.{rng.randint(1, 254)}"


def _keyword_list_count(rules: int, expressions: int) -> int:
    return max(2, min(300, max(1, rules // 2), max(1, expressions // 8)))


def _structural(redundancy: float, count: int) -> int:
    """R x ``count`` objects, at least one when there is any."""
    return max(1, round(redundancy * count)) if count else 0


def mail_redundancy_plan(redundancy: float, rules: int, addresses: int, expressions: int,
                         senders: int) -> dict[str, int]:
    """How many objects of each kind ``--redundancy`` asks for: R x the keyword lists (at
    least 1) identical copies; the rest of R x (M + K + S) over the address groups, keyword
    lists and sender lists in proportion to M, K and S (duplicates and subsumed addresses
    half and half)."""
    if redundancy <= 0:
        return {}
    plan = dict.fromkeys(MAIL_REDUNDANCY_KINDS, 0)
    if expressions:
        plan["identical-keyword-lists"] = _structural(
            redundancy, _keyword_list_count(rules, expressions))
    population = addresses + expressions + senders
    rest = max(0, round(redundancy * population) - plan["identical-keyword-lists"])
    if not population:
        return plan
    shares = {"groups": rest * addresses // population, "senders": rest * senders // population,
              "expressions": rest * expressions // population}
    largest = max(("groups", addresses), ("senders", senders), ("expressions", expressions),
                  key=lambda kv: kv[1])[0]
    shares[largest] += rest - sum(shares.values())
    plan["subsumed-group-addresses"] = shares["groups"] // 2
    plan["duplicate-group-addresses"] = shares["groups"] - shares["groups"] // 2
    plan["subsumed-senders"] = shares["senders"] // 2
    plan["duplicate-senders"] = shares["senders"] - shares["senders"] // 2
    plan["repeated-expressions"] = shares["expressions"]
    return plan


_SUB_DOMAINS = ("mail", "smtp", "mx", "osaka", "tokyo", "lab", "news", "support")


def _narrower_address(value: str, n: int) -> str | None:
    """The n-th address that ``value`` covers: ``local@x`` under ``*@x``, ``local@sub.x``
    under ``*@*.x``; None for any other form."""
    if not value.startswith("*@"):
        return None
    domain = value[2:]
    local = f"{_LOCALS[n % len(_LOCALS)]}{n // len(_LOCALS) or ''}"
    if domain and "*" not in domain:
        return f"{local}@{domain}"
    tail = domain[2:]
    if domain.startswith("*.") and tail and "*" not in tail:
        return f"{local}@{_SUB_DOMAINS[n % len(_SUB_DOMAINS)]}.{tail}"
    return None


def _narrower_member(member: tuple[str, str], n: int) -> tuple[str, str] | None:
    if member[0] != "address":
        return None
    value = _narrower_address(member[1], n)
    return None if value is None else ("address", value)


def _is_address(member: tuple[str, str]) -> bool:
    return member[0] == "address"


@dataclass
class _MailGroup:
    """An address group before it is written: ``inline`` members are XML elements,
    ``in_file`` ones lines of its list file (``rel``; None when it has none)."""

    k: int
    name: str
    inline: list[tuple[str, str]]
    in_file: list[tuple[str, str]]
    rel: str | None


@dataclass
class _MailKeywordList:
    name: str
    lines: list[str]
    """XML lines: one tag (a list file), else the open tag, expressions, close tag."""
    file_lines: list[str]
    rel: str | None
    k: int = 0
    copies: list[tuple[str, list[str]]] = field(default_factory=list)
    """(name, XML lines) of identical copies, written right after it."""

    @property
    def score(self) -> bool:
        return 'match="score"' in self.lines[0]


class _MailRedundancy:
    """Injects :func:`mail_redundancy_plan` into a mail export before it is written; the
    positions of what it injects are XML element indices (made lines at the end) or list
    file lines."""

    def __init__(self, plan: dict[str, int], seed: int) -> None:
        self.plan = plan
        self.rng = random.Random(f"isc-bench-redundancy/{seed}")
        self.done = dict.fromkeys(plan, 0)
        self.xml_marks: list[tuple[int, str]] = []
        self.file_marks: list[tuple[str, int, str]] = []
        self.renames: dict[str, list[str]] = {}

    def _spread(self, sequences: list[list[_T]], kinds: tuple[str, str],
                can_repeat: Callable[[_T], bool], narrower: Callable[[_T, int], _T | None]
                ) -> list[tuple[list[_T], list[tuple[int, str]]]]:
        """Each sequence with its share of repeats and narrower items (in proportion to
        the items that qualify, so the totals are met whenever one does)."""
        dups = _apportion(self.plan[kinds[0]],
                          [sum(map(can_repeat, seq)) for seq in sequences])
        subs = _apportion(self.plan.get(kinds[1], 0),
                          [sum(narrower(x, 0) is not None for x in seq) for seq in sequences])
        out = []
        for seq, dup, sub in zip(sequences, dups, subs, strict=True):
            items, marks = _inject(self.rng, seq, dup, sub, can_repeat, narrower, kinds)
            for _, kind in marks:
                self.done[kind] += 1
            out.append((items, marks))
        return out

    def groups(self, groups: list[_MailGroup]
               ) -> list[tuple[list[tuple[int, str]], list[tuple[int, str]]]]:
        """Inject duplicate and subsumed addresses into the groups; per group, (index,
        kind) of what was injected into ``inline`` and into ``in_file``."""
        sequences: list[list[tuple[str, str]]] = []
        for g in groups:
            sequences += [g.inline, g.in_file]
        done = self._spread(sequences, ("duplicate-group-addresses", "subsumed-group-addresses"),
                            _is_address, _narrower_member)
        marks = []
        for g, (inline, m_inline), (in_file, m_file) in zip(groups, done[0::2], done[1::2],
                                                              strict=True):
            g.inline, g.in_file = inline, in_file
            marks.append((m_inline, m_file))
        return marks

    def senders(self, lists: list[list[str]]) -> list[tuple[list[str], list[tuple[int, str]]]]:
        return self._spread(lists, ("duplicate-senders", "subsumed-senders"),
                            lambda _: True, _narrower_address)

    def keyword_lists(self, lists: list[_MailKeywordList]
                      ) -> list[tuple[list[tuple[int, str]], list[tuple[int, str]]]]:
        """Identical copies (in ``copies``, their names in :attr:`renames`), then repeated
        expressions in the generated lists that are not score lists; per list, (index, kind)
        of what was injected into ``lines`` and into ``file_lines``."""
        originals = [i for i, kl in enumerate(lists) if kl.rel is None and len(kl.lines) > 2]
        for _ in range(self.plan["identical-keyword-lists"] if originals else 0):
            kl = lists[self.rng.choice(originals)]
            name = f"{kl.name} (copy {len(kl.copies) + 1})"
            head = kl.lines[0].replace(f"name={_attr(kl.name)}", f"name={_attr(name)}", 1)
            kl.copies.append((name, [head, *kl.lines[1:]]))
            self.renames.setdefault(_attr(kl.name), []).append(_attr(name))
            self.done["identical-keyword-lists"] += 1
        sequences = [[] if kl.score else kl.lines[1:-1] if kl.rel is None else kl.file_lines
                     for kl in lists]
        done = self._spread(sequences, ("repeated-expressions", ""), lambda _: True,
                            lambda _x, _n: None)
        marks: list[tuple[list[tuple[int, str]], list[tuple[int, str]]]] = []
        for kl, (items, m) in zip(lists, done, strict=True):
            if not m:
                marks.append(([], []))
            elif kl.rel is None:
                kl.lines = [kl.lines[0], *items, kl.lines[-1]]
                marks.append(([(1 + i, kind) for i, kind in m], []))
            else:
                kl.file_lines = items
                marks.append(([], m))
        return marks

    def rule(self, lines: list[str]) -> list[str]:
        """A rule's lines with about half of its references to a copied keyword list
        naming one of the copies instead."""
        if not self.renames:
            return lines
        out = []
        for line in lines:
            found = _KEYWORD_REF.search(line)
            copies = self.renames.get(found.group(1)) if found else None
            if found and copies and self.rng.random() < 0.5:
                line = line.replace(f"keyword-list={found.group(1)}",
                                    f"keyword-list={self.rng.choice(copies)}", 1)
            out.append(line)
        return out

    def positions(self, xml: Sequence[str]) -> dict[str, dict[str, list[int]]]:
        """{kind: {file: [line, ...]}}: XML element indices made line numbers."""
        starts: list[int] = []
        line = 1
        for element in xml:
            starts.append(line)
            line += 1 + element.count("\n")
        out: dict[str, dict[str, list[int]]] = {}
        for at, kind in self.xml_marks:
            out.setdefault(kind, {}).setdefault("Policy.xml", []).append(starts[at])
        for rel, n, kind in self.file_marks:
            out.setdefault(kind, {}).setdefault(rel, []).append(n)
        return {k: out[k] for k in MAIL_REDUNDANCY_KINDS if k in out}


_KEYWORD_REF = re.compile(r'keyword-list=("[^"]*")')


def write_mail(outdir: Path, *, rules: int, addresses: int, expressions: int, senders: int,
               seed: int, redundancy: float = 0.0) -> MailStats:
    """Write ``Policy.xml``, ``lists/*.txt`` and ``imss.ini`` into ``outdir``.
    ``redundancy`` > 0 also injects removable redundancy (:func:`mail_redundancy_plan`),
    drawn from a random generator of its own: everything else is written alike."""
    rng = random.Random(seed)
    stats = MailStats()
    names = _MailNames(rng)
    red = (_MailRedundancy(mail_redundancy_plan(redundancy, rules, addresses, expressions,
                                                senders), seed) if redundancy > 0 else None)
    lists_dir = outdir / "lists"
    lists_dir.mkdir(parents=True, exist_ok=True)
    # A list file left by an earlier, larger run would be read as an unreferenced list.
    # Only names this generator writes are removed.
    for pattern in ("group-*.txt", "keywords-*.txt", "approved-senders.txt",
                    "blocked-senders.txt", "dkim-domains.txt"):
        for stale in sorted(lists_dir.glob(pattern)):
            stale.unlink()
    list_files: list[tuple[str, bytes]] = []

    def add_list(rel: str, lines: Sequence[str], *, encoding: str = "utf-8",
                 newline: str = "\n") -> None:
        list_files.append((rel, (newline.join(lines) + newline).encode(encoding)))

    xml: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        # No "--" inside an XML comment: the options are named without their dashes.
        "<!-- IMSVA 9.1 rule set generated for benchmarking isc (fictional data):",
        f"     benchmarks/generate.py, product mail, rules {rules}, addresses {addresses}, "
        f"expressions {expressions}, senders {senders}, seed {seed}"
        + (f", redundancy {redundancy:g}" if red is not None else "") + " -->",
        '<imss-policy product="IMSVA" version="9.1.0.2011">',
        "  <internal-addresses>",
        *(f"    {_tag('domain', (), d)}" for d in _INTERNAL_DOMAINS),
        "  </internal-addresses>",
    ]

    # Address groups: M members, skewed sizes; every third group, and every group of 200
    # members or more (large groups are imported, not typed), reads a list file.
    n_groups = max(2, min(400, max(1, rules // 2), max(1, addresses // 10))) if addresses else 0
    group_names: list[str] = []
    internal_groups: list[str] = []
    groups: list[_MailGroup] = []
    sizes = _split(addresses, n_groups, rng)
    for k, size in enumerate(sizes, start=1):
        dept = _DEPARTMENTS[k % len(_DEPARTMENTS)]
        internal = k % 4 == 0
        name = (f"社内 {dept} {k:04d}" if internal else
                f"取引先 {k:04d}" if k % 3 == 0 else f"Partners {k:04d} {dept}")
        group_names.append(name)
        if internal:
            internal_groups.append(name)
        members = []
        for _ in range(size):
            kind, value = names.member()
            if internal and kind == "address" and rng.random() < 0.8:
                value = names.internal()
            members.append((kind, value))
        stats.addresses += size
        as_file = k % 3 == 1 or size >= 200
        if as_file:
            inline = members[: rng.choice((0, 0, 0, 2))]
            in_file = [m for m in members[len(inline):] if m[0] == "address"]
            inline += [m for m in members[len(inline):] if m[0] != "address"]
            stats.addresses_in_files += len(in_file)
            groups.append(_MailGroup(k, name, inline, in_file, f"lists/group-{k:04d}.txt"))
        else:
            groups.append(_MailGroup(k, name, members, [], None))
    stats.address_groups = len(group_names)
    no_marks: tuple[list[tuple[int, str]], list[tuple[int, str]]] = ([], [])
    group_marks = red.groups(groups) if red is not None else [no_marks] * len(groups)
    for g, (m_inline, m_file) in zip(groups, group_marks, strict=True):
        at = len(xml) + 1  # the first member's element
        if g.rel is not None:
            header = [f"# address group {g.name}: one address per line", ""]
            add_list(g.rel, header + [v for _, v in g.in_file], encoding="utf-8",
                     newline="\r\n" if g.k % 2 else "\n")
            head = _tag("address-group", (("name", g.name), ("file", g.rel)))
            if g.inline:
                xml.append(f"  {_open('address-group', (('name', g.name), ('file', g.rel)))}")
                xml += [f"    {_tag(kind, (), v)}" for kind, v in g.inline]
                xml.append("  </address-group>")
            else:
                xml.append(f"  {head}")
        else:
            xml.append(f"  {_open('address-group', (('name', g.name),))}")
            xml += [f"    {_tag(kind, (), v)}" for kind, v in g.inline]
            xml.append("  </address-group>")
        if red is not None:
            red.xml_marks += [(at + i, kind) for i, kind in m_inline]
            # a list file's first address is on line 3, below its comment and a blank line
            red.file_marks += [(g.rel or "", 3 + i, kind) for i, kind in m_file]

    # Keyword lists: K expressions; every fourth list is a file (every other of those CP932
    # with CRLF, as written on a Windows console).
    n_lists = _keyword_list_count(rules, expressions)
    kw_names: list[str] = []
    kw_lists: list[_MailKeywordList] = []
    serial = 0
    for k, size in enumerate(_split(expressions, n_lists, rng), start=1):
        name = (f"{rng.choice(_JP_WORDS)} {k:04d}" if k % 2 else
                f"Keywords {k:04d} ({rng.choice(_EN_WORDS)})")
        kw_names.append(name)
        rel = f"lists/keywords-{k:04d}.txt" if k % 4 == 0 and size else None
        lines, file_lines = _keyword_list_xml(rng, name, size, serial, rel)
        serial += size
        kw_lists.append(_MailKeywordList(name, lines, file_lines, rel, k))
        stats.expressions_in_files += len(file_lines)
    kw_marks = red.keyword_lists(kw_lists) if red is not None else [no_marks] * len(kw_lists)
    for kl, (m_xml, m_file) in zip(kw_lists, kw_marks, strict=True):
        if red is not None:
            red.xml_marks += [(len(xml) + i, kind) for i, kind in m_xml]
        xml += kl.lines
        for _copy, lines in kl.copies:
            assert red is not None
            red.xml_marks.append((len(xml), "identical-keyword-lists"))
            xml += lines
        if kl.rel is not None:
            sjis = kl.k % 8 == 0
            add_list(kl.rel, kl.file_lines, encoding="cp932" if sjis else "utf-8",
                     newline="\r\n" if sjis else "\n")
            if red is not None:
                red.file_marks += [(kl.rel, 1 + i, kind) for i, kind in m_file]
    stats.keyword_lists = len(kw_names)
    stats.expressions = expressions

    for name, position, text in _STAMPS:
        xml.append(f"  {_tag('stamp', (('name', name), ('position', position)), text)}")
    for name, to, subject, body in _NOTIFICATIONS:
        xml.append("  " + _tag("notification", (("name", name), ("to", to),
                                                ("subject", subject)), body))

    order = 0
    for i in range(rules):
        order += rng.choice((1, 5, 10, 10, 10))
        lines = _rule(rng, names, i, order, group_names, internal_groups, kw_names, stats)
        xml += red.rule(lines) if red is not None else lines

    # Sender lists: S entries, 60 % approved; each list has inline entries and a file.
    n_approved = int(senders * 0.6)
    sender_lists = [(element, count, [names.sender() for _ in range(count)])
                    for element, count in (("approved-senders", n_approved),
                                           ("blocked-senders", senders - n_approved))]
    injected = (red.senders([entries for _, _, entries in sender_lists]) if red is not None
                else [(entries, []) for _, _, entries in sender_lists])
    for (element, count, _), (entries, marks) in zip(sender_lists, injected, strict=True):
        split = max(0, count // 5)
        typed, listed = entries[:split], entries[split:]
        rel = f"lists/{element}.txt"
        attrs: list[tuple[str, str]] = []
        if listed:
            add_list(rel, [f"# {element}: one sender per line", *listed])
            attrs.append(("file", rel))
            stats.senders_in_files += count - split
        if red is not None:
            red.xml_marks += [(len(xml) + 1 + i, kind) for i, kind in marks if i < split]
            red.file_marks += [(rel, 2 + i - split, kind) for i, kind in marks if i >= split]
        xml.append(f"  {_open(element, attrs)}")
        xml += [f"    {_tag('address', (), a)}" for a in typed]
        xml.append(f"  </{element}>")
    stats.senders = senders

    n_ips = max(4, min(500, senders // 10))
    xml.append("  <sender-filtering>")
    xml.append('    <email-reputation enabled="true" level="advanced"/>')
    for k in range(n_ips):
        if k % 3 == 0:
            xml.append(f"    {_tag('approved-ip', (), _ip(rng, k))}")
        else:
            action = "block-permanently" if k % 3 == 1 else "block-temporarily"
            xml.append(f"    {_tag('blocked-ip', (('action', action),), _ip(rng, k))}")
    xml.append("  </sender-filtering>")
    stats.ip_entries = n_ips

    dmarc_domains = [names.domain() for _ in range(max(2, min(20, senders // 100)))]
    xml.append('  <dmarc enabled="true" insert-x-header="true" daily-reports="false">')
    xml += [f"    {_tag('domain', (), d)}" for d in dmarc_domains]
    xml.append(f"    {_tag('exception-ip', (), '198.51.100.10')}")
    for published, action in (("none", "none"), ("quarantine", "quarantine"),
                              ("reject", "reject"), ("no-record", "tag")):
        xml.append(f"    {_tag('action', (('policy', published), ('action', action)))}")
    xml.append("  </dmarc>")

    dkim = [names.domain() for _ in range(max(3, min(500, senders // 20)))]
    add_list("lists/dkim-domains.txt", ["# Global DKIM Enforcement domains", *dkim[1:]])
    xml.append('  <dkim-enforcement enabled="true" action="quarantine" '
               'file="lists/dkim-domains.txt">')
    xml.append(f"    {_tag('domain', (), dkim[0])}")
    xml.append("  </dkim-enforcement>")
    stats.dkim_domains = len(dkim)
    xml.append("</imss-policy>")

    policy = outdir / "Policy.xml"
    policy.write_bytes(("\n".join(xml) + "\n").encode("utf-8"))
    stats.files.append(policy)
    for rel, data in list_files:
        path = outdir / rel
        path.write_bytes(data)
        stats.files.append(path)
    ini = outdir / "imss.ini"
    ini.write_bytes(_imss_ini(rng, rules, seed).encode("utf-8"))
    stats.files.append(ini)
    stats.bytes_written = sum(p.stat().st_size for p in stats.files)
    if red is not None:
        stats.redundancy, stats.positions = red.done, red.positions(xml)
    return stats


def generate_mail(outdir: Path, *, rules: int, addresses: int, expressions: int,
                  senders: int, seed: int, tar: bool = False,
                  redundancy: float = 0.0) -> MailStats:
    """Write the mail export into ``outdir`` (created if needed); ``tar`` adds
    OUTDIR.tar.gz; ``redundancy`` > 0 injects redundancy and writes its manifest."""
    outdir.mkdir(parents=True, exist_ok=True)
    stats = write_mail(outdir, rules=rules, addresses=addresses, expressions=expressions,
                       senders=senders, seed=seed, redundancy=redundancy)
    write_manifest(outdir, stats.redundancy, stats.positions)
    if tar:
        stats.files.append(write_tar(outdir, list(stats.files)))
    return stats


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_tar(outdir: Path, files: Sequence[Path]) -> Path:
    """``OUTDIR.tar.gz`` with ``files`` named relative to ``outdir``, byte-reproducible."""
    target = outdir.with_name(outdir.name + ".tar.gz")
    with target.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0
    ) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(files, key=lambda p: p.relative_to(outdir).as_posix()):
            data = path.read_bytes()
            tar.addfile(_tar_info(path.relative_to(outdir).as_posix(), len(data)),
                        io.BytesIO(data))
    return target


def write_manifest(outdir: Path, counts: dict[str, int],
                   positions: dict[str, dict[str, list[int]]]) -> None:
    """``OUTDIR/redundancy.json`` ({kind: count}) and ``OUTDIR/redundancy-positions.json``
    ({kind: {file: [line, ...]}}); without ``counts`` (no redundancy injected), the ones an
    earlier run left there are removed. Neither is part of the export (nor of the archive):
    isc reads them as JSON it does not know, and reports nothing."""
    for name, doc in ((MANIFEST, counts), (POSITIONS, positions)):
        path = outdir / name
        if counts:
            path.write_text(json.dumps(doc, indent=None if name == POSITIONS else 2,
                                       ensure_ascii=False) + "\n", encoding="utf-8")
        elif path.is_file():
            path.unlink()


def generate(outdir: Path, *, policies: int, entries: int, seed: int,
             tar: bool = False, redundancy: float = 0.0) -> Stats:
    """Write the export into ``outdir`` (created if needed); ``tar`` adds OUTDIR.tar.gz;
    ``redundancy`` > 0 injects redundancy and writes its manifest."""
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "policy.ini"
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        stats = write_policy(fh, policies=policies, entries=entries, seed=seed,
                             redundancy=redundancy)
    write_manifest(outdir, stats.redundancy, stats.positions)
    stats.files.append(path)
    stats.bytes_written = path.stat().st_size
    if tar:
        stats.files.append(write_tar(outdir, [path]))
    return stats


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {value}")
    return value


def _print_redundancy(outdir: Path, counts: dict[str, int]) -> None:
    if counts:
        print(f"injected {sum(counts.values()):,} redundant objects ("
              + ", ".join(f"{n:,} {k}" for k, n in counts.items())
              + f"); listed in {outdir / MANIFEST}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="generate.py",
        description="Generate a large, valid IWSVA web policy export (or, with --product "
                    "mail, an IMSVA mail rule set) for benchmarking isc.",
    )
    ap.add_argument("outdir", type=Path,
                    help="directory to write policy.ini (mail: Policy.xml, lists/, imss.ini) "
                         "into")
    ap.add_argument("--product", choices=("web", "mail"), default="web",
                    help="web: IWSVA policy.ini (default); mail: IMSVA Policy.xml")
    web = ap.add_argument_group("web (IWSVA)")
    web.add_argument("--policies", type=_non_negative, default=None,
                     help="prioritised URL filtering policies (a Global Policy is added; "
                          "default 200)")
    web.add_argument("--entries", type=_non_negative, default=None,
                     help="URL entries over custom categories, approved and global lists "
                          "(default 50,000)")
    rules, addresses, expressions, senders = MAIL_PRESETS[MAIL_DEFAULT_PRESET]
    mail = ap.add_argument_group(f"mail (IMSVA; defaults: the {MAIL_DEFAULT_PRESET} preset)")
    mail.add_argument("--rules", type=_non_negative, default=None,
                      help=f"policy rules, both types, every route type (default {rules:,})")
    mail.add_argument("--addresses", type=_non_negative, default=None,
                      help=f"address-group members, partly in list files (default "
                           f"{addresses:,})")
    mail.add_argument("--expressions", type=_non_negative, default=None,
                      help=f"keyword expressions over all keyword lists (default "
                           f"{expressions:,})")
    mail.add_argument("--senders", type=_non_negative, default=None,
                      help=f"approved plus blocked sender entries (default {senders:,})")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--tar", action="store_true", help="also write OUTDIR.tar.gz")
    ap.add_argument("--redundancy", type=_fraction, default=0.0, metavar="R",
                    help="inject redundancy that isc's passes can remove without changing a "
                         "decision, R x the entries in all (e.g. 0.1), and list it per kind "
                         f"in OUTDIR/{MANIFEST}; default 0: none, the export is unchanged")
    args = ap.parse_args(argv)
    if args.product == "mail":
        if args.policies is not None or args.entries is not None:
            ap.error("--policies and --entries are for --product web")
        m = MAIL_PRESETS[MAIL_DEFAULT_PRESET]
        sizes = [given if given is not None else default for given, default in zip(
            (args.rules, args.addresses, args.expressions, args.senders), m, strict=True)]
        mstats = generate_mail(args.outdir, rules=sizes[0], addresses=sizes[1],
                               expressions=sizes[2], senders=sizes[3], seed=args.seed,
                               tar=args.tar, redundancy=args.redundancy)
        lists = [f for f in mstats.files if f.parent.name == "lists"]
        for path in mstats.files:
            if path not in lists:
                print(f"wrote {path} ({path.stat().st_size:,} bytes)")
        print(f"wrote {len(lists):,} list files under {args.outdir / 'lists'}; "
              f"{mstats.bytes_written:,} bytes in the folder")
        types = ", ".join(f"{n} {k}" for k, n in sorted(mstats.rules_by_type.items()))
        routes = ", ".join(f"{n} {k}" for k, n in sorted(mstats.routes_by_type.items()))
        print(f"{mstats.rules:,} rules ({types}; routes {routes}; {mstats.disabled_rules} "
              f"disabled; {mstats.conditions:,} conditions), "
              f"{mstats.addresses:,} addresses in {mstats.address_groups} address groups "
              f"({mstats.addresses_in_files:,} in list files), "
              f"{mstats.expressions:,} expressions in {mstats.keyword_lists} keyword lists "
              f"({mstats.expressions_in_files:,} in list files), "
              f"{mstats.senders:,} sender entries ({mstats.senders_in_files:,} in list files), "
              f"{mstats.ip_entries} sender-filtering IPs, {mstats.dkim_domains} DKIM domains")
        _print_redundancy(args.outdir, mstats.redundancy)
        return 0
    if any(v is not None for v in (args.rules, args.addresses, args.expressions,
                                   args.senders)):
        ap.error("--rules, --addresses, --expressions and --senders are for --product mail")
    policies = 200 if args.policies is None else args.policies
    entries = 50_000 if args.entries is None else args.entries
    stats = generate(args.outdir, policies=policies, entries=entries, seed=args.seed,
                     tar=args.tar, redundancy=args.redundancy)
    for path in stats.files:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    print(f"{stats.policies:,} url-filtering policies ({policies:,} + Global), "
          f"{stats.entries:,} URL entries, {stats.custom_categories} custom categories, "
          f"{stats.approved_lists} approved lists, {stats.accounts:,} accounts, "
          f"{stats.category_actions:,} category actions, "
          f"{stats.decryption_policies} https-decryption and {stats.atp_policies} atp policies")
    _print_redundancy(args.outdir, stats.redundancy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
