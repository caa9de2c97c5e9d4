"""Hypothesis strategies for the web IR: policies the front-end can produce, and requests aimed
at them. Imported by tests as ``from strategies import web_policies, web_requests``.

``web_policies()`` builds :class:`~isc.ir.web.WebPolicy` values as the front-end builds them
from one policy export: unique names per kind, references that resolve (schedules, approved
lists, approved file lists, custom categories), policies in the front-end's order (priority,
global last), URL entries in the stored form :func:`parse_url_entry` gives, accounts in the
canonical form :func:`parse_account` gives. Restrictions, each a front-end limitation:

- no schedule is named ``always`` (any case, surrounding blanks): a reference to it reads as
  "no schedule";
- no list entry is ``""`` (what a whitespace-only line currently gives);
- ``settings`` (``intscan.ini``) is empty and certificates have no ``pem``: neither comes from
  the policy export text.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import string
from typing import Any

import attrs
from hypothesis import strategies as st

from isc.diagnostics import Span
from isc.errors import IscError
from isc.frontends.urls import parse_url_entry
from isc.frontends.web import APP_ACTIONS, OTHER_KINDS
from isc.ir import categories
from isc.ir.requests import Url, WebRequest
from isc.ir.web import (
    Account,
    AccountKind,
    AppControlPolicy,
    ApprovedFileList,
    ApprovedList,
    AppRule,
    AtpPolicy,
    CategoryAction,
    CategoryRef,
    Certificate,
    CertificateStatus,
    CustomCategory,
    DecryptCategory,
    HttpsDecryptionPolicy,
    OtherObject,
    Schedule,
    UrlFilteringPolicy,
    UrlList,
    UrlMatchType,
    UrlPattern,
    WebAction,
    WebPolicy,
)

__all__ = [
    "accounts",
    "names",
    "schedules",
    "texts",
    "url_patterns",
    "web_policies",
    "web_requests",
]

_SPAN = Span("<strategy>", 1, 1)

# ---------------------------------------------------------------- text

_JAPANESE = "営業部開発社外秘取引先動画配信日本語東京大阪時間帯ソフト・（）"
_CHARS = st.sampled_from(
    [*string.ascii_letters, *string.digits, *' "\\;#=[]/-_&.,()*?@:', *_JAPANESE,
     "\u3000", "\t", "\x0c", "\x85", "\u2028", "\U0001f600"]
)
_FIXED_NAMES = (
    "Global Policy",
    "Work hours",
    "営業部",
    "取引先 (Aランク)",
    ' "quoted" ',
    '"',
    "a ;b",
    "a;b",
    "#hash",
    ";semi",
    "[x]",
    "back\\slash",
    "  leading",
    "trailing\u3000",
    "Gambling",
    "Social Networking",
    "C&C Server",
    "11",
    "always-on",
    "x = y",
)

#: Free text: names, notes, values. No CR/LF (they end a line), no NUL (a binary file).
texts = st.one_of(st.sampled_from(_FIXED_NAMES), st.text(_CHARS, max_size=16))
#: An object name: some non-blank character (the front-end needs one).
names = texts.filter(lambda s: s.strip() != "")


@functools.cache
def _unique_names(max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(names, max_size=max_size, unique=True)


# ---------------------------------------------------------------- URL entries
# Strategies are built once, at module level or cached per argument: building strategies is
# what costs most here, not drawing from them.

_ALNUM = string.ascii_lowercase + string.digits
_LABELS = st.one_of(
    st.builds(lambda a, b: a + b, st.text(st.sampled_from(_ALNUM), min_size=1, max_size=6),
              st.text(st.sampled_from(_ALNUM + "-"), max_size=2).map(
                  lambda m: m + "0" if m else m)),
    st.sampled_from(["www", "Example", "EXAMPLE", "co", "jp", "例え", "日本語", "社内",
                     "xn--wgv71a"]),
)
_HOSTS = st.lists(_LABELS, min_size=1, max_size=3).map(".".join)
_PATH_CHARS = st.sampled_from([*string.ascii_letters, *string.digits, *"/._-~?*=&;#% ", *"表示"])
_PATHS = st.text(_PATH_CHARS, max_size=10).map(lambda p: "/" + p)
_KEYWORDS = st.text(_PATH_CHARS.filter(lambda c: c != "@"), min_size=1, max_size=8)
_TYPED_KEYWORDS = st.text(_CHARS.filter(str.isalnum), min_size=1, max_size=8)
_SITE_WILD = st.sampled_from(["", "*", "*."])
_SITE_END = st.sampled_from(["*", "", ":8443*", ":443"])
_SCHEMES = st.sampled_from(["http", "https", "HTTP"])
_ODD_STRINGS = st.sampled_from(["#frag", ";x", "[a]b", "website: x", "a%2ab"])
_FIXED_ENTRIES = st.sampled_from(["Trend?Micro*", "?lock", "*.partner.example.com/*",
                                  "@[2001:db8::1]*", "@192.0.2.1*", "localhost:8080/*"])


@st.composite
def _entry_texts(draw: st.DrawFn) -> str:
    host = draw(_HOSTS)
    kind = draw(_index(9))
    if kind == 0:
        return f"web-site: {host}"
    if kind == 1:
        return f"@{draw(_SITE_WILD)}{host}{draw(_SITE_END)}"
    if kind == 2:
        return f"@{host}{draw(_PATHS)}"
    if kind == 3:
        return f"*{draw(_KEYWORDS)}*"
    if kind == 4:
        return f"url-keyword: {draw(_TYPED_KEYWORDS)}"
    if kind == 5:
        return f"{host}{draw(_PATHS)}"
    if kind == 6:
        return f"{draw(_SCHEMES)}://{host}{draw(_PATHS)}"
    if kind == 7:
        return f"string: {draw(_ODD_STRINGS)}"
    return draw(_FIXED_ENTRIES)


@functools.cache
def _index(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


@functools.cache
def _count(most: int) -> st.SearchStrategy[int]:
    """0..most, evenly (``st.integers`` favours 0, and policies are what the tests are about)."""
    return st.sampled_from(range(most + 1))


def _parsed(text: str) -> UrlPattern | None:
    try:
        return parse_url_entry(text, _SPAN)
    except IscError:
        return None


#: URL list entries in the stored form the front-end keeps.
url_patterns: st.SearchStrategy[UrlPattern] = (
    _entry_texts().map(_parsed).filter(lambda p: p is not None)  # type: ignore[assignment]
)


@functools.cache
def _patterns(max_size: int = 4) -> st.SearchStrategy[tuple[UrlPattern, ...]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[UrlPattern, ...]:
        found = draw(st.lists(url_patterns, max_size=max_size))
        if found and draw(_index(3)) == 0:  # repeats: remove-duplicate-entries has work
            found.append(found[draw(_index(len(found)))])
        return tuple(found)

    return build()


# ---------------------------------------------------------------- accounts

_ADDRESSES = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6))
_HOST_LABELS = st.text(st.sampled_from(_ALNUM + "_"), min_size=1, max_size=8)
_ACCOUNT_HOSTS = st.lists(_HOST_LABELS, min_size=1, max_size=3).map(".".join)
_LDAP = st.one_of(
    st.sampled_from([
        "CN=Taro Yamada,OU=Eng,DC=corp,DC=example",
        "CN=Engineering,OU=Groups,DC=corp,DC=example",
        "CN=営業部,OU=Groups,DC=example,DC=co,DC=jp",
        'CN=a "q" ;b\\c,DC=x',
    ]),
    names,
)
_VERSIONS = st.sampled_from((4, 6))
_MASKS = {4: st.integers(8, 32), 6: st.integers(104, 128)}
_ACCOUNT_KINDS = st.sampled_from(AccountKind)


@st.composite
def _account(draw: st.DrawFn) -> Account:
    kind = draw(_ACCOUNT_KINDS)
    if kind is AccountKind.IP:
        return Account(kind, draw(_ADDRESSES).compressed)
    if kind is AccountKind.IP_RANGE:
        version = draw(_VERSIONS)
        a, b = draw(st.ip_addresses(v=version)), draw(st.ip_addresses(v=version))
        first, last = min(a, b), max(a, b)  # type: ignore[type-var]
        return Account(kind, f"{first.compressed}-{last.compressed}")
    if kind is AccountKind.IP_SUBSET:
        addr = draw(_ADDRESSES)
        bits = draw(_MASKS[addr.version])
        return Account(kind, ipaddress.ip_network(f"{addr}/{bits}", strict=False).compressed)
    if kind is AccountKind.HOST:
        return Account(kind, draw(_ACCOUNT_HOSTS))
    return Account(kind, draw(_LDAP))


accounts: st.SearchStrategy[Account] = _account()
_ACCOUNT_POOLS = st.lists(accounts, max_size=4, unique=True).map(tuple)

# ---------------------------------------------------------------- schedules


@st.composite
def _intervals(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    if draw(st.booleans()):
        return ((0, 1440),)
    cuts = sorted(draw(st.sets(st.integers(0, 1440), min_size=2, max_size=6)))
    merged: list[tuple[int, int]] = []
    for start, end in ((cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


_DAYS = st.frozensets(st.integers(0, 6), min_size=1)
_INTERVALS = _intervals()


@st.composite
def _schedule(draw: st.DrawFn, name: str) -> Schedule:
    return Schedule(name, draw(_DAYS), draw(_INTERVALS))


def schedules(name: str) -> st.SearchStrategy[Schedule]:
    return _schedule(name)


# ---------------------------------------------------------------- policies

_NOTES = st.one_of(st.just(""), texts)
_SHORT_OF_ALL = st.sampled_from(["", "accounts", "schedule", "enabled", "match-next"])
_TWIN_CHANGES = st.sampled_from(["", "", "accounts", "schedule", "exceptions", "enabled",
                                 "categories"])
#: match-next is what lets a request fall through to the next policy, where passes can go
#: wrong: it is drawn more often than the other actions.
_ACTIONS = st.sampled_from([*WebAction, WebAction.MATCH_NEXT, WebAction.MATCH_NEXT])
_PREDEFINED = st.sampled_from(sorted(categories.BY_ID)).map(lambda i: CategoryRef(id=i))
_ID_POOLS = st.lists(st.sampled_from(sorted(categories.BY_ID)), min_size=1, max_size=5,
                     unique=True).map(tuple)
_FILE_TYPES = st.lists(st.sampled_from(["executables", "executables/exe", "compressed/7z",
                                        "compressed", "documents/pdf", "java", "ファイル",
                                        "a ;b"]), max_size=3).map(tuple)
_SCANS = st.sampled_from(["all", "intelliscan", "extensions"])
_EXTENSIONS = st.lists(st.sampled_from(["exe", "dll", "zip"]), max_size=2).map(tuple)
_MIME = st.lists(st.sampled_from(["video/*", "audio/mpeg"]), max_size=2).map(tuple)
_ATP_SETTINGS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["compressed.max-files", "compressed.max-size-mb",
                               "compressed.max-layers", "large-file.skip-mb"]),
              st.one_of(st.integers(0, 100000).map(str), st.sampled_from(["+5", "007", " 3 "]))),
    st.tuples(st.sampled_from(["wrs", "wrs.anti-phishing", "wrs.anti-pharming",
                               "wrs.cc-callback"]),
              st.sampled_from(["yes", "No", "on", "OFF", "true", "0", "1"])),
    st.tuples(st.just("wrs.sensitivity"),
              st.one_of(st.sampled_from(["low", "medium", "high"]), texts)),
), max_size=4).map(tuple)
_APP_RULES = st.lists(st.builds(AppRule, texts, st.sampled_from(sorted(APP_ACTIONS))),
                      max_size=3).map(tuple)


@attrs.frozen
class _Pools:
    """What the policies of one WebPolicy draw from, so that they share accounts and
    categories (and requests aimed at one policy meet the others)."""

    accounts: tuple[Account, ...]
    ids: tuple[int, ...]
    custom: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _account_lists(pools: _Pools, min_size: int = 0) -> st.SearchStrategy[tuple[Account, ...]]:
    some = st.one_of(st.sampled_from(pools.accounts), accounts) if pools.accounts else accounts
    return st.lists(some, min_size=min_size, max_size=2).map(tuple)


def _category_refs(pools: _Pools) -> st.SearchStrategy[CategoryRef]:
    options = [st.sampled_from(pools.ids).map(lambda i: CategoryRef(id=i)), _PREDEFINED]
    if pools.custom:
        options.append(st.sampled_from(pools.custom).map(lambda n: CategoryRef(custom=n)))
    return st.one_of(options[0], *options)


@functools.lru_cache(maxsize=256)
def _category_actions(pools: _Pools) -> st.SearchStrategy[tuple[CategoryAction, ...]]:
    # one line per category: the front-end lets a later line replace an earlier one
    return st.lists(st.builds(CategoryAction, _category_refs(pools), _ACTIONS), max_size=5,
                    unique_by=lambda c: c.category).map(tuple)


@functools.lru_cache(maxsize=256)
def _decrypt_categories(pools: _Pools) -> st.SearchStrategy[tuple[DecryptCategory, ...]]:
    return st.lists(st.builds(DecryptCategory, _category_refs(pools), st.booleans()),
                    max_size=4, unique_by=lambda c: c.category).map(tuple)


@functools.lru_cache(maxsize=1024)
def _some(items: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...]]:
    """References to some of ``items`` (repeats are kept by the front-end)."""
    if not items:
        return st.just(())
    return st.lists(st.sampled_from(items), max_size=2).map(tuple)


@functools.lru_cache(maxsize=1024)
def _maybe(items: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    return st.none() if not items else st.one_of(st.none(), st.sampled_from(items))


@functools.cache
def _policy_names(n: int) -> st.SearchStrategy[list[str]]:
    return st.lists(names, min_size=n, max_size=n, unique=True)


@functools.cache
def _priorities(n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, 100000), min_size=n, max_size=n, unique=True).map(sorted)


def _ordered(draw: st.DrawFn, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give policies names (unique), priorities (unique, increasing: the front-end's order)
    and maybe make the last one the global policy (after the others; maybe without a
    priority, which the IR holds as 0)."""
    if not bodies:
        return []
    policy_names = draw(_policy_names(len(bodies)))
    priorities = draw(_priorities(len(bodies)))
    with_global = draw(st.booleans())
    out = []
    for i, body in enumerate(bodies):
        is_global = with_global and i == len(bodies) - 1
        priority = 0 if is_global and draw(st.booleans()) else priorities[i]
        out.append({**body, "name": policy_names[i], "priority": priority,
                    "is_global": is_global})
    return out


def _shuffled(draw: st.DrawFn, items: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(draw(st.permutations(items))) if len(items) > 1 else items


@st.composite
def _url_filtering(draw: st.DrawFn, schedule_names: tuple[str, ...], approved: tuple[str, ...],
                   pools: _Pools) -> list[UrlFilteringPolicy]:
    bodies: list[dict[str, Any]] = []
    for _ in range(draw(_count(5))):
        if bodies and draw(_index(3)) == 0:
            # a twin of the previous policy, its lines in another order, maybe one thing
            # changed: merge-url-filter-rules has work, and chances to get it wrong
            twin = dict(bodies[-1])
            for key in ("accounts", "exceptions", "categories"):
                twin[key] = _shuffled(draw, twin[key])
            change = draw(_TWIN_CHANGES)
            if change == "accounts":
                twin["accounts"] = draw(_account_lists(pools))
            elif change == "schedule":
                twin["schedule"] = draw(_maybe(schedule_names))
            elif change == "exceptions":
                twin["exceptions"] = draw(_some(approved))
            elif change == "enabled":
                twin["enabled"] = not twin["enabled"]
            elif change == "categories" and twin["categories"]:
                cats = list(twin["categories"])
                i = draw(_index(len(cats)))
                cats[i] = CategoryAction(cats[i].category, draw(_ACTIONS))
                twin["categories"] = tuple(cats)
            bodies.append(twin)
            continue
        body = {
            "enabled": draw(st.booleans()) or draw(st.booleans()),
            "accounts": draw(_account_lists(pools)),
            "schedule": draw(_maybe(schedule_names)),
            "exceptions": draw(_some(approved)),
            "categories": draw(_category_actions(pools)),
            "notes": draw(_NOTES),
            "has_override_password": draw(st.booleans()),
        }
        if draw(_index(3)) == 0:
            # a policy that decides every request, or one condition short of it:
            # remove-shadowed-rules has work, and chances to get it wrong
            body.update(enabled=True, accounts=(), schedule=None, categories=tuple(
                c for c in body["categories"] if c.action is not WebAction.MATCH_NEXT))
            short = draw(_SHORT_OF_ALL)
            if short == "accounts":
                body["accounts"] = draw(_account_lists(pools, 1))
            elif short == "schedule" and schedule_names:
                body["schedule"] = draw(st.sampled_from(schedule_names))
            elif short == "enabled":
                body["enabled"] = False
            elif short == "match-next":
                extra = draw(_category_actions(pools))
                body["categories"] = (*body["categories"], *(
                    CategoryAction(c.category, WebAction.MATCH_NEXT) for c in extra
                    if c.category not in {d.category for d in body["categories"]}))
        bodies.append(body)
    return [UrlFilteringPolicy(**b) for b in _ordered(draw, bodies)]


@st.composite
def _decryption(draw: st.DrawFn, approved: tuple[str, ...], pools: _Pools
                ) -> list[HttpsDecryptionPolicy]:
    bodies = [{
        "enabled": draw(st.booleans()),
        "accounts": draw(_account_lists(pools)),
        "decrypt_all": draw(st.booleans()),
        "categories": draw(_decrypt_categories(pools)),
        "exceptions": draw(_some(approved)),
        "notes": draw(_NOTES),
    } for _ in range(draw(_count(3)))]
    return [HttpsDecryptionPolicy(**b) for b in _ordered(draw, bodies)]


@st.composite
def _atp(draw: st.DrawFn, exceptions: tuple[str, ...], pools: _Pools) -> list[AtpPolicy]:
    bodies = [{
        "enabled": draw(st.booleans()),
        "accounts": draw(_account_lists(pools)),
        "block_file_types": draw(_FILE_TYPES),
        "scan": draw(_SCANS),
        "scan_extensions": draw(_EXTENSIONS),
        "mime_skip": draw(_MIME),
        "exceptions": draw(_some(exceptions)),
        "settings": draw(_ATP_SETTINGS),
        "notes": draw(_NOTES),
    } for _ in range(draw(_count(2)))]
    return [AtpPolicy(**b) for b in _ordered(draw, bodies)]


@st.composite
def _app_control(draw: st.DrawFn, schedule_names: tuple[str, ...], pools: _Pools
                 ) -> list[AppControlPolicy]:
    bodies = [{
        "enabled": draw(st.booleans()),
        "accounts": draw(_account_lists(pools)),
        "schedule": draw(_maybe(schedule_names)),
        "apps": draw(_APP_RULES),
        "notes": draw(_NOTES),
    } for _ in range(draw(_count(2)))]
    return [AppControlPolicy(**b) for b in _ordered(draw, bodies)]


# ---------------------------------------------------------------- others

_KEYS = st.builds(lambda a, b: a + b, st.sampled_from(string.ascii_lowercase),
                  st.text(st.sampled_from(_ALNUM + "._-"), max_size=8))
#: A line of a list section as the front-end keeps it: stripped, not empty, not a comment or
#: a section header; without `=` (a line with `=` in an other-kind section is a key line).
_LIST_LINES = texts.map(str.strip).filter(
    lambda s: s != "" and "=" not in s and not s.startswith(("#", ";", "[")))
_OTHER_KINDS = st.sampled_from(sorted(OTHER_KINDS))
_MAYBE_TEXT = st.one_of(st.none(), texts)
_OTHER_SETTINGS = st.lists(st.one_of(st.tuples(_KEYS, texts), st.tuples(st.just(""), _LIST_LINES)),
                           max_size=4).map(tuple)


@st.composite
def _other(draw: st.DrawFn) -> OtherObject:
    return OtherObject(draw(_OTHER_KINDS), draw(_MAYBE_TEXT), draw(_OTHER_SETTINGS))


# ---------------------------------------------------------------- the whole policy

_SCHEDULE_NAMES = _unique_names(3).map(
    lambda ns: tuple(n for n in ns if n.strip().lower() != "always"))
_GLOBAL_LIST = st.one_of(st.none(), st.builds(UrlList, st.booleans(), _patterns(), _patterns(2)))
_FILE_ENTRIES = st.lists(_LIST_LINES, max_size=3).map(tuple)
_CERT_FILES = st.one_of(st.just("certs/corp-root.pem"), names)
_STATUSES = st.sampled_from(CertificateStatus)
_PRODUCTS = st.one_of(st.none(), st.just("IWSVA"), texts)
_PRODUCT_VERSIONS = st.one_of(st.none(), st.just("6.5-SP2_Build_Linux_1784"), texts)
_OTHERS = st.lists(_other(), max_size=2).map(tuple)


@st.composite
def web_policies(draw: st.DrawFn) -> WebPolicy:
    """A WebPolicy the web front-end produces from some policy export."""
    schedule_names = draw(_SCHEDULE_NAMES)
    custom = tuple(draw(_unique_names(3)))
    approved = tuple(draw(_unique_names(3)))
    file_lists = tuple(draw(_unique_names(2)))
    pools = _Pools(draw(_ACCOUNT_POOLS), draw(_ID_POOLS), custom)
    # policies first: what is drawn late in a long example tends to come out empty
    url_filtering = tuple(draw(_url_filtering(schedule_names, approved, pools)))
    https_decryption = tuple(draw(_decryption(approved, pools)))
    atp = tuple(draw(_atp(approved + file_lists, pools)))
    app_control = tuple(draw(_app_control(schedule_names, pools)))
    return WebPolicy(
        product=draw(_PRODUCTS),
        version=draw(_PRODUCT_VERSIONS),
        schedules=tuple(draw(schedules(n)) for n in schedule_names),
        custom_categories=tuple(CustomCategory(n, draw(_patterns())) for n in custom),
        approved_lists=tuple(ApprovedList(n, draw(_patterns())) for n in approved),
        approved_file_lists=tuple(ApprovedFileList(n, draw(_FILE_ENTRIES)) for n in file_lists),
        global_blocking=draw(_GLOBAL_LIST),
        global_trusted=draw(_GLOBAL_LIST),
        tunneling=draw(_patterns(2)),
        url_filtering=url_filtering,
        https_decryption=https_decryption,
        atp=atp,
        app_control=app_control,
        certificates=tuple(Certificate(n, draw(_CERT_FILES), draw(_STATUSES))
                           for n in draw(_unique_names(2))),
        others=draw(_OTHERS),
    )


# ---------------------------------------------------------------- requests


def _fill(draw: st.DrawFn, glob: str) -> str:
    """A string a glob matches: ``*`` → some run, ``?`` → one character."""
    out = []
    for ch in glob.replace("%2a", "*").replace("%3f", "?"):
        if ch == "*":
            out.append(draw(st.sampled_from(["", "www.", "x", "a/b"])))
        elif ch == "?":
            out.append(draw(st.sampled_from(["a", "-", " "])))
        else:
            out.append(ch)
    return "".join(out)


def _url_for(draw: st.DrawFn, pattern: UrlPattern) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    stored = pattern.stored
    if pattern.kind is UrlMatchType.WEB_SITE:
        body = _fill(draw, stored[1:])
        if "/" not in body:
            body += draw(st.sampled_from(["/", "/index.html", "/a?b=c"]))
        return f"{scheme}://{draw(st.sampled_from(['', 'www.', 'test']))}{body}"
    if pattern.kind is UrlMatchType.KEYWORD:
        return f"{scheme}://example.com/{_fill(draw, stored)}"
    body = _fill(draw, stored)
    return body if "://" in body else f"{scheme}://{body}"


def _all_patterns(web: WebPolicy) -> list[UrlPattern]:
    found = [*web.tunneling]
    for lst in (web.global_blocking, web.global_trusted):
        if lst is not None:
            found += [*lst.entries, *lst.exceptions]
    for holder in (*web.custom_categories, *web.approved_lists):
        found += holder.entries
    return found


def _policy_accounts(web: WebPolicy) -> list[Account]:
    return [a for p in (*web.url_filtering, *web.https_decryption, *web.atp, *web.app_control)
            for a in p.accounts]


def _client_for(draw: st.DrawFn, account: Account) -> str:
    if account.kind is AccountKind.IP:
        return account.value
    if account.kind is AccountKind.IP_RANGE:
        first, _, last = account.value.partition("-")
        lo, hi = int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last))
        value = draw(st.sampled_from([lo, hi, (lo + hi) // 2]))
        return str(type(ipaddress.ip_address(first))(value))
    if account.kind is AccountKind.IP_SUBSET:
        net = ipaddress.ip_network(account.value)
        offset = draw(st.integers(0, min(net.num_addresses - 1, 2**16)))
        return str(net.network_address + offset)
    return account.value  # host name


def _identity(draw: st.DrawFn, account: Account) -> dict[str, Any]:
    """A client, user or group that ``account`` covers."""
    if account.kind is AccountKind.LDAP_USER:
        return {"user": account.value}
    if account.kind is AccountKind.LDAP_GROUP:
        return {"groups": (account.value,)}
    return {"client": _client_for(draw, account)}


_FALLBACK_URLS = st.sampled_from(["http://example.com/", "https://www.example.co.jp/a/b.html",
                                  "http://intranet.example/?q=1", "https://bank.example.co.jp/"])
_ALL_IDS = st.sampled_from(sorted(categories.BY_ID))
_FILE_TYPE_GUESSES = st.sampled_from(["executables/exe", "documents/pdf", "compressed/7z"])
_DECRYPTED = st.sampled_from([None, None, True, False])
_WHEN = st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2024, 12, 31))


@st.composite
def web_requests(draw: st.DrawFn, web: WebPolicy) -> WebRequest:
    """A request aimed at ``web``, mostly at one of its URL filtering policies: a client,
    user or group from its accounts, one or two of its categories (custom ones through a URL
    from their entries), a time inside its schedule; else a URL from any list of the policy,
    a client from any account, a time inside any schedule."""
    target = None
    if web.url_filtering and draw(_index(5)) > 0:
        target = draw(st.sampled_from(web.url_filtering))
    # URL: from the target's custom categories, or any entry of the policy
    custom = [web.custom_category(c.category.custom) for c in (target.categories if target
                                                               else ()) if c.category.custom]
    custom_entries = [p for cc in custom if cc is not None for p in cc.entries]
    patterns = _all_patterns(web)
    if custom_entries and draw(st.booleans()):
        url = _url_for(draw, draw(st.sampled_from(custom_entries)))
    elif patterns and draw(_index(5)) > 0:
        url = _url_for(draw, draw(st.sampled_from(patterns)))
    else:
        url = draw(_FALLBACK_URLS)
    try:
        Url.parse(url)
    except ValueError:  # an odd port or bracket the fill produced; aim elsewhere
        url = "http://example.com/"
    # who: someone the target applies to, or anyone the policy names
    accts = list(target.accounts) if target and target.accounts and draw(_index(5)) > 0 \
        else _policy_accounts(web)
    who: dict[str, Any] = {}
    if accts and draw(_index(4)) > 0:
        who = _identity(draw, draw(st.sampled_from(accts)))
    elif draw(st.booleans()):
        who = {"client": str(draw(_ADDRESSES))}
    # categories: the target's, or any policy's, or any...
    listed = [c.category.id for c in (target.categories if target else ())
              if c.category.id is not None]
    if not listed:
        listed = [c.category.id for p in (*web.url_filtering, *web.https_decryption)
                  for c in p.categories if c.category.id is not None]
    # ... often the ones the target lets through, to reach the policies below it
    through = [c.category.id for c in (target.categories if target else ())
               if c.category.id is not None and c.action is WebAction.MATCH_NEXT]
    if through and draw(st.booleans()):
        listed = through
    pick = st.sampled_from(listed) if listed else _ALL_IDS
    cats: list[str | int] = []
    if draw(_index(6)) > 0:
        cats = draw(st.lists(pick, min_size=1, max_size=2, unique=True))
        if draw(_index(4)) == 0:
            cats.append(draw(_ALL_IDS))
        if draw(st.booleans()):
            cats = [categories.BY_ID[int(c)].name for c in cats]
    # when: inside the target's schedule, inside any schedule, any time, or not given
    when: dt.datetime | None = None
    schedule = web.schedule(target.schedule) if target and target.schedule else None
    if schedule is None and web.schedules and draw(st.booleans()):
        schedule = draw(st.sampled_from(web.schedules))
    choice = draw(_index(4))
    if choice < 2 and schedule is not None:
        day = draw(st.sampled_from(sorted(schedule.days)))
        start, end = draw(st.sampled_from(schedule.intervals))
        minute = draw(st.integers(start, end - 1))
        when = dt.datetime(2024, 1, 1 + day, minute // 60, minute % 60)  # 2024-01-01: Monday
    elif choice < 3:
        when = draw(_WHEN)
    file_types = [t for p in web.atp for t in p.block_file_types]
    file_type = draw(st.one_of(st.none(), _FILE_TYPE_GUESSES,
                               *([st.sampled_from(file_types)] if file_types else [])))
    return WebRequest(url=url, categories=tuple(cats), when=when, decrypted=draw(_DECRYPTED),
                      file_type=file_type, **who)
