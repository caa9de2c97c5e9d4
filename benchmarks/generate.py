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

Standard library only, so it runs before isc is installed.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import sys
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

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

    def line(self, text: str = "") -> None:
        self.out.write(text)
        self.out.write("\n")

    def section(self, kind: str, name: str | None = None) -> None:
        self.line()
        self.line(f"[{kind}]" if name is None else f"[{kind} {_quote(name)}]")


def _write_list(w: _Writer, ents: _Entries, count: int, hosts: list[str] | None = None) -> None:
    for _ in range(count):
        line, host = ents.one()
        w.line(line)
        if hosts is not None and host:
            hosts.append(host)


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


def _policy(w: _Writer, rng: random.Random, stats: Stats, *, name: str, priority: int | None,
            accounts: list[str], custom: Sequence[str], approved: Sequence[str],
            seed: int) -> None:
    w.section("url-filtering-policy", name)
    if priority is None:
        w.line("global = yes")
        w.line("enabled = yes")
    else:
        w.line(f"priority = {priority}")
        w.line(f"enabled = {'no' if rng.random() < 0.05 else rng.choice(_BOOL_YES)}")
    for acc in accounts:
        w.line(f"account = {acc}")
    stats.accounts += len(accounts)
    if priority is not None and rng.random() < 0.3:
        w.line(f"schedule = {rng.choice(_SCHEDULES)[0]}")
    if approved and rng.random() < (0.9 if priority is None else 0.4):
        for ex in rng.sample(list(approved), min(len(approved), rng.randint(1, 2))):
            w.line(f"exceptions = {ex}")
    w.line(f"notes = generated by isc benchmarks/generate.py (seed {seed}), policy {priority or 0}")
    override = False
    if priority is None:
        cats = _category_lines(rng, rng.randint(55, 75), custom, _GLOBAL_ACTIONS)
    else:
        cats = _category_lines(rng, rng.randint(3, 25), custom, _ACTIONS)
    for key, action in cats:
        w.line(f"{key} = {action}")
        stats.category_actions += 1
        override = override or action == "block-override"
    if override:
        w.line(f"override-password = Bench#{priority or 0:04d}!")


def _decryption(w: _Writer, rng: random.Random, n: int, approved: Sequence[str],
                group_pool: int) -> int:
    count = min(3, max(1, n // 50)) if n else 0
    for k in range(1, count + 1):
        w.section("https-decryption-policy", f"Decrypt {k:02d}")
        w.line(f"priority = {k}")
        w.line("enabled = yes")
        for acc in _accounts(rng, 100_000 + k, group_pool):
            w.line(f"account = {acc}")
        if k % 2:
            w.line("decrypt = all")
        else:
            for _cid, name, _g in rng.sample(CATEGORIES, 8):
                w.line(f"decrypt-category {_quote(name)} = {rng.choice(('yes', 'no'))}")
        if approved:
            w.line(f"exceptions = {rng.choice(approved)}")
    w.section("https-decryption-policy", "Global Policy")
    w.line("global = yes")
    w.line("enabled = yes")
    for name in ("Social Networking", "Sharing Services", "Web Hosting", "Untested",
                 "New Domain", "Dynamic DNS"):
        w.line(f"decrypt-category {_quote(name)} = yes")
    for name in ("Financial Services", "Health", "Government/Legal"):
        w.line(f"decrypt-category {_quote(name)} = no")
    for ex in approved[:2]:
        w.line(f"exceptions = {ex}")
    return count + 1


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


def write_policy(out: TextIO, *, policies: int, entries: int, seed: int) -> Stats:
    """Write one ``policy.ini`` to ``out``; returns what it holds."""
    rng = random.Random(seed)
    stats = Stats()
    w = _Writer(out)
    ents = _Entries(rng, stats)

    n_custom = max(1, min(300, policies // 4, max(1, entries // 20)))
    n_approved = max(1, min(100, policies // 20 or 1, max(1, entries // 50)))
    group_pool = max(20, policies // 2)

    sizes: dict[str, int] = {kind: int(entries * share) for kind, share in _SHARES}
    sizes["custom-category"] = entries - sum(sizes.values())

    w.line("# IWSVA 6.5 policy export generated for benchmarking isc (fictional data).")
    w.line(f"# python benchmarks/generate.py OUTDIR --policies {policies} --entries {entries} "
           f"--seed {seed}")
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
        _write_list(w, ents, size)
    stats.custom_categories = len(custom_names)

    approved_names: list[str] = []
    for k, size in enumerate(_split(sizes["approved-list"], n_approved, rng), start=1):
        name = f"Approved {k:03d} ({rng.choice(('banks', 'partners', 'gov', 'vendors'))})"
        approved_names.append(name)
        w.section("approved-list", name)
        _write_list(w, ents, size)
    stats.approved_lists = len(approved_names)

    file_list = "Installers"
    w.section("approved-file-list", file_list)
    for line in ("*.msi", "setup*.exe", "CorpClient_*.zip", "TrendMicro_*.exe"):
        w.line(line)

    blocked: list[str] = []
    w.section("global-url-blocking")
    w.line("enabled = yes")
    w.section("global-url-blocking.block")
    _write_list(w, ents, sizes["global-url-blocking.block"], blocked)
    w.section("global-url-blocking.exceptions")
    _write_exceptions(w, ents, sizes["global-url-blocking.exceptions"], blocked)
    del blocked

    trusted: list[str] = []
    w.section("global-trusted-urls")
    w.line("enabled = yes")
    w.section("global-trusted-urls.trusted")
    _write_list(w, ents, sizes["global-trusted-urls.trusted"], trusted)
    w.section("global-trusted-urls.exceptions")
    _write_exceptions(w, ents, sizes["global-trusted-urls.exceptions"], trusted)
    del trusted
    stats.entries = entries

    w.section("https-tunneling")
    for k in range(10):
        w.line(f"tunnel{k}.{rng.choice(_WORDS)}.example.{rng.choice(('com', 'co.jp'))}")
    w.line("activeupdate.trendmicro.com")
    w.line("bank.example.co.jp:8443")

    for i in range(1, policies + 1):
        dept = _DEPARTMENTS[rng.randrange(len(_DEPARTMENTS))]
        _policy(w, rng, stats, name=f"Policy {i:05d} {dept}", priority=i,
                accounts=_accounts(rng, i, group_pool), custom=custom_names,
                approved=approved_names, seed=seed)
    _policy(w, rng, stats, name="Global Policy", priority=None, accounts=[],
            custom=custom_names, approved=approved_names, seed=seed)
    stats.policies = policies + 1

    stats.decryption_policies = _decryption(w, rng, policies, approved_names, group_pool)
    stats.atp_policies = _atp(w, rng, policies, approved_names, file_list, group_pool)
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


def generate(outdir: Path, *, policies: int, entries: int, seed: int,
             tar: bool = False) -> Stats:
    """Write the export into ``outdir`` (created if needed); ``tar`` adds OUTDIR.tar.gz."""
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "policy.ini"
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        stats = write_policy(fh, policies=policies, entries=entries, seed=seed)
    stats.files.append(path)
    stats.bytes_written = path.stat().st_size
    if tar:
        stats.files.append(write_tar(outdir, [path]))
    return stats


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="generate.py",
        description="Generate a large, valid IWSVA web policy export for benchmarking isc.",
    )
    ap.add_argument("outdir", type=Path, help="directory to write policy.ini into")
    ap.add_argument("--policies", type=_non_negative, default=200,
                    help="prioritised URL filtering policies (a Global Policy is added)")
    ap.add_argument("--entries", type=_non_negative, default=50_000,
                    help="URL entries over custom categories, approved and global lists")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--tar", action="store_true", help="also write OUTDIR.tar.gz")
    args = ap.parse_args(argv)
    stats = generate(args.outdir, policies=args.policies, entries=args.entries, seed=args.seed,
                     tar=args.tar)
    for path in stats.files:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    print(f"{stats.policies:,} url-filtering policies ({args.policies:,} + Global), "
          f"{stats.entries:,} URL entries, {stats.custom_categories} custom categories, "
          f"{stats.approved_lists} approved lists, {stats.accounts:,} accounts, "
          f"{stats.category_actions:,} category actions, "
          f"{stats.decryption_policies} https-decryption and {stats.atp_policies} atp policies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
