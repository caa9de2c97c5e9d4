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
import ipaddress
import string
from collections.abc import Sequence

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
    ApprovedFileList,
    ApprovedList,
    AppControlPolicy,
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
    [*string.ascii_letters, *string.digits, *' "\\;#=[]/-_&.,()*?@:', *_JAPANESE, "\u3000", "\t"]
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


def _unique_names(max_size: int, *, exclude: frozenset[str] = frozenset()) -> st.SearchStrategy[
        list[str]]:
    return st.lists(names.filter(lambda s: s not in exclude), max_size=max_size, unique=True)


# ---------------------------------------------------------------- URL entries

_LABELS = st.one_of(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["www", "Example", "EXAMPLE", "co", "jp", "例え", "日本語", "社内", "xn--wgv71a"]),
)
_HOSTS = st.lists(_LABELS, min_size=1, max_size=3).map(".".join)
_PATH_CHARS = st.sampled_from([*string.ascii_letters, *string.digits, *"/._-~?*=&;#% ", *"表示"])
_PATHS = st.text(_PATH_CHARS, max_size=10).map(lambda p: "/" + p)


@st.composite
def _entry_texts(draw: st.DrawFn) -> str:
    host = draw(_HOSTS)
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return f"web-site: {host}"
    if kind == 1:
        wild = draw(st.sampled_from(["", "*", "*."]))
        return f"@{wild}{host}{draw(st.sampled_from(['*', '', ':8443*', ':443']))}"
    if kind == 2:
        return f"@{host}{draw(_PATHS)}"
    if kind == 3:
        return f"*{draw(st.text(_PATH_CHARS.filter(lambda c: c != '@'), min_size=1, max_size=8))}*"
    if kind == 4:
        return f"url-keyword: {draw(st.text(_CHARS.filter(str.isalnum), min_size=1, max_size=8))}"
    if kind == 5:
        return f"{host}{draw(_PATHS)}"
    if kind == 6:
        scheme = draw(st.sampled_from(["http", "https", "HTTP"]))
        return f"{scheme}://{host}{draw(_PATHS)}"
    if kind == 7:
        return f"string: {draw(st.sampled_from(['#frag', ';x', '[a]b', 'website: x', 'a%2ab']))}"
    return draw(st.sampled_from(["Trend?Micro*", "?lock", "*.partner.example.com/*",
                                 "@[2001:db8::1]*", "@192.0.2.1*", "localhost:8080/*"]))


def _parsed(text: str) -> UrlPattern | None:
    try:
        return parse_url_entry(text, _SPAN)
    except IscError:
        return None


#: URL list entries in the stored form the front-end keeps.
url_patterns: st.SearchStrategy[UrlPattern] = (
    _entry_texts().map(_parsed).filter(lambda p: p is not None)  # type: ignore[assignment]
)


def _patterns(max_size: int = 4) -> st.SearchStrategy[tuple[UrlPattern, ...]]:
    # repeats on purpose: remove-duplicate-entries has something to do
    return st.lists(url_patterns, max_size=max_size).flatmap(
        lambda ps: st.lists(st.sampled_from(ps), max_size=2).map(lambda extra: (*ps, *extra))
        if ps else st.just(()))


# ---------------------------------------------------------------- accounts

_ADDRESSES = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6))
_LDAP = st.one_of(
    st.sampled_from([
        "CN=Taro Yamada,OU=Eng,DC=corp,DC=example",
        "CN=Engineering,OU=Groups,DC=corp,DC=example",
        "CN=営業部,OU=Groups,DC=example,DC=co,DC=jp",
        'CN=a "q" ;b\\c,DC=x',
    ]),
    names,
)


@st.composite
def _account(draw: st.DrawFn) -> Account:
    kind = draw(st.sampled_from(AccountKind))
    if kind is AccountKind.IP:
        return Account(kind, draw(_ADDRESSES).compressed)
    if kind is AccountKind.IP_RANGE:
        version = draw(st.sampled_from((4, 6)))
        a, b = draw(st.ip_addresses(v=version)), draw(st.ip_addresses(v=version))
        first, last = min(a, b), max(a, b)  # type: ignore[type-var]
        return Account(kind, f"{first.compressed}-{last.compressed}")
    if kind is AccountKind.IP_SUBSET:
        addr = draw(_ADDRESSES)
        bits = draw(st.integers(max(0, addr.max_prefixlen - 24), addr.max_prefixlen))
        return Account(kind, ipaddress.ip_network(f"{addr}/{bits}", strict=False).compressed)
    if kind is AccountKind.HOST:
        labels = st.from_regex(r"[a-z0-9_]([a-z0-9_-]{0,8}[a-z0-9_])?", fullmatch=True)
        return Account(kind, ".".join(draw(st.lists(labels, min_size=1, max_size=3))))
    return Account(kind, draw(_LDAP))


accounts: st.SearchStrategy[Account] = _account()

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


def schedules(name: str) -> st.SearchStrategy[Schedule]:
    return st.builds(Schedule, st.just(name), st.frozensets(st.integers(0, 6), min_size=1),
                     _intervals())


# ---------------------------------------------------------------- policies

_FILE_TYPES = st.sampled_from(["executables", "executables/exe", "compressed/7z", "compressed",
                               "documents/pdf", "java", "ファイル", "a ;b"])
_ATP_SETTINGS = st.one_of(
    st.tuples(st.sampled_from(["compressed.max-files", "compressed.max-size-mb",
                               "compressed.max-layers", "large-file.skip-mb"]),
              st.one_of(st.integers(0, 100000).map(str), st.sampled_from(["+5", "007", " 3 "]))),
    st.tuples(st.sampled_from(["wrs", "wrs.anti-phishing", "wrs.anti-pharming",
                               "wrs.cc-callback"]),
              st.sampled_from(["yes", "No", "on", "OFF", "true", "0", "1"])),
    st.tuples(st.just("wrs.sensitivity"), st.one_of(st.sampled_from(["low", "medium", "high"]),
                                                    texts)),
)


def _category_refs(custom: Sequence[str]) -> st.SearchStrategy[CategoryRef]:
    predefined = st.sampled_from(sorted(categories.BY_ID)).map(lambda i: CategoryRef(id=i))
    if not custom:
        return predefined
    return st.one_of(predefined, st.sampled_from(list(custom)).map(lambda n: CategoryRef(custom=n)))


def _some(items: Sequence[str], max_size: int = 2) -> st.SearchStrategy[tuple[str, ...]]:
    if not items:
        return st.just(())
    return st.lists(st.sampled_from(list(items)), max_size=max_size).map(tuple)


def _maybe(items: Sequence[str]) -> st.SearchStrategy[str | None]:
    return st.none() if not items else st.one_of(st.none(), st.sampled_from(list(items)))


@st.composite
def _ordered(draw: st.DrawFn, bodies: list[dict[str, object]]) -> list[dict[str, object]]:
    """Give policies names (unique), priorities (unique, increasing: the IR order) and at most
    one global policy, last."""
    if not bodies:
        return []
    policy_names = draw(st.lists(names, min_size=len(bodies), max_size=len(bodies), unique=True))
    priorities = sorted(draw(st.lists(st.integers(1, 100000), min_size=len(bodies),
                                      max_size=len(bodies), unique=True)))
    with_global = draw(st.booleans())
    out = []
    for i, body in enumerate(bodies):
        is_global = with_global and i == len(bodies) - 1
        priority = priorities[i]
        if is_global and draw(st.booleans()):
            priority = 0  # no `priority` key
        out.append({**body, "name": policy_names[i], "priority": priority,
                    "is_global": is_global})
    return out


def _shuffled(draw: st.DrawFn, items: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(draw(st.permutations(items))) if items else ()


@st.composite
def _url_filtering(draw: st.DrawFn, schedule_names: list[str], approved: list[str],
                   custom: list[str]) -> list[UrlFilteringPolicy]:
    bodies: list[dict[str, object]] = []
    for _ in range(draw(st.integers(0, 5))):
        if bodies and draw(st.integers(0, 3)) == 0:
            # a twin of the previous policy, lines in another order: merge-url-filter-rules
            prev = bodies[-1]
            bodies.append({**prev, **{k: _shuffled(draw, prev[k])  # type: ignore[arg-type]
                                      for k in ("accounts", "exceptions", "categories")}})
            continue
        refs = _category_refs(custom)
        bodies.append({
            "enabled": draw(st.booleans()) or draw(st.booleans()),
            "accounts": tuple(draw(st.lists(accounts, max_size=2))),
            "schedule": draw(_maybe(schedule_names)),
            "exceptions": draw(_some(approved)),
            # one line per category: a later line for the same category replaces the earlier
            "categories": tuple(draw(st.lists(
                st.builds(CategoryAction, refs, st.sampled_from(WebAction)), max_size=5,
                unique_by=lambda c: c.category))),
            "notes": draw(st.one_of(st.just(""), texts)),
            "has_override_password": draw(st.booleans()),
        })
    return [UrlFilteringPolicy(**b) for b in draw(_ordered(bodies))]  # type: ignore[arg-type]


@st.composite
def _decryption(draw: st.DrawFn, approved: list[str], custom: list[str]
                ) -> list[HttpsDecryptionPolicy]:
    bodies = [{
        "enabled": draw(st.booleans()),
        "accounts": tuple(draw(st.lists(accounts, max_size=2))),
        "decrypt_all": draw(st.booleans()),
        "categories": tuple(draw(st.lists(
            st.builds(DecryptCategory, _category_refs(custom), st.booleans()), max_size=4,
            unique_by=lambda c: c.category))),
        "exceptions": draw(_some(approved)),
        "notes": draw(st.one_of(st.just(""), texts)),
    } for _ in range(draw(st.integers(0, 3)))]
    return [HttpsDecryptionPolicy(**b) for b in draw(_ordered(bodies))]  # type: ignore[arg-type]


@st.composite
def _atp(draw: st.DrawFn, exceptions: list[str]) -> list[AtpPolicy]:
    bodies = [{
        "enabled": draw(st.booleans()),
        "accounts": tuple(draw(st.lists(accounts, max_size=2))),
        "block_file_types": tuple(draw(st.lists(_FILE_TYPES, max_size=3))),
        "scan": draw(st.sampled_from(["all", "intelliscan", "extensions"])),
        "scan_extensions": tuple(draw(st.lists(st.sampled_from(["exe", "dll", "zip"]),
                                               max_size=2))),
        "mime_skip": tuple(draw(st.lists(st.sampled_from(["video/*", "audio/mpeg"]),
                                         max_size=2))),
        "exceptions": draw(_some(exceptions)),
        "settings": tuple(draw(st.lists(_ATP_SETTINGS, max_size=4))),
        "notes": draw(st.one_of(st.just(""), texts)),
    } for _ in range(draw(st.integers(0, 2)))]
    return [AtpPolicy(**b) for b in draw(_ordered(bodies))]  # type: ignore[arg-type]


@st.composite
def _app_control(draw: st.DrawFn, schedule_names: list[str]) -> list[AppControlPolicy]:
    bodies = [{
        "enabled": draw(st.booleans()),
        "accounts": tuple(draw(st.lists(accounts, max_size=2))),
        "schedule": draw(_maybe(schedule_names)),
        "apps": tuple(draw(st.lists(st.builds(AppRule, texts, st.sampled_from(sorted(APP_ACTIONS))),
                                    max_size=3))),
        "notes": draw(st.one_of(st.just(""), texts)),
    } for _ in range(draw(st.integers(0, 2)))]
    return [AppControlPolicy(**b) for b in draw(_ordered(bodies))]  # type: ignore[arg-type]


# ---------------------------------------------------------------- others

_KEYS = st.from_regex(r"[a-z][a-z0-9._-]{0,8}", fullmatch=True)
_LIST_LINES = texts.map(str.strip).filter(
    lambda s: s != "" and "=" not in s and not s.startswith(("#", ";", "[")))


@st.composite
def _others(draw: st.DrawFn) -> list[OtherObject]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        settings = draw(st.lists(st.one_of(st.tuples(_KEYS, texts),
                                           st.tuples(st.just(""), _LIST_LINES)), max_size=4))
        out.append(OtherObject(draw(st.sampled_from(sorted(OTHER_KINDS))),
                               draw(st.one_of(st.none(), texts)), tuple(settings)))
    return out


# ---------------------------------------------------------------- the whole policy


@st.composite
def web_policies(draw: st.DrawFn) -> WebPolicy:
    """A WebPolicy the web front-end produces from some policy export."""
    schedule_names = draw(_unique_names(3).map(
        lambda ns: [n for n in ns if n.strip().lower() != "always"]))
    custom_names = draw(_unique_names(3))
    approved_names = draw(_unique_names(3))
    file_list_names = draw(_unique_names(2))
    global_lists = [
        draw(st.one_of(st.none(), st.builds(UrlList, st.booleans(), _patterns(), _patterns(2))))
        for _ in range(2)
    ]
    file_entries = _LIST_LINES.filter(lambda s: s != "")
    cert_names = draw(_unique_names(2))
    return WebPolicy(
        product=draw(st.one_of(st.none(), st.just("IWSVA"), texts)),
        version=draw(st.one_of(st.none(), st.just("6.5-SP2_Build_Linux_1784"), texts)),
        schedules=tuple(draw(schedules(n)) for n in schedule_names),
        custom_categories=tuple(CustomCategory(n, draw(_patterns())) for n in custom_names),
        approved_lists=tuple(ApprovedList(n, draw(_patterns())) for n in approved_names),
        approved_file_lists=tuple(
            ApprovedFileList(n, tuple(draw(st.lists(file_entries, max_size=3))))
            for n in file_list_names),
        global_blocking=global_lists[0],
        global_trusted=global_lists[1],
        tunneling=draw(_patterns(2)),
        url_filtering=tuple(draw(_url_filtering(schedule_names, approved_names, custom_names))),
        https_decryption=tuple(draw(_decryption(approved_names, custom_names))),
        atp=tuple(draw(_atp(approved_names + file_list_names))),
        app_control=tuple(draw(_app_control(schedule_names))),
        certificates=tuple(
            Certificate(n, draw(st.one_of(st.just("certs/corp-root.pem"), names)),
                        draw(st.sampled_from(CertificateStatus)))
            for n in cert_names),
        others=tuple(draw(_others())),
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


@st.composite
def web_requests(draw: st.DrawFn, web: WebPolicy) -> WebRequest:
    """A request aimed at ``web``: its URL from the policy's entries, its client, user and
    groups from its accounts, its categories from its category actions, its time inside one
    of its schedules."""
    patterns = _all_patterns(web)
    if patterns and draw(st.integers(0, 4)) > 0:
        url = _url_for(draw, draw(st.sampled_from(patterns)))
    else:
        url = draw(st.sampled_from(["http://example.com/", "https://www.example.co.jp/a/b.html",
                                    "http://intranet.example/?q=1", "https://bank.example.co.jp/"]))
    try:
        Url.parse(url)
    except ValueError:  # an odd port or bracket the fill produced; aim elsewhere
        url = "http://example.com/"
    accts = _policy_accounts(web)
    ip_like = [a for a in accts if a.kind in (AccountKind.IP, AccountKind.IP_RANGE,
                                              AccountKind.IP_SUBSET, AccountKind.HOST)]
    client: str | None = None
    if ip_like and draw(st.booleans()):
        client = _client_for(draw, draw(st.sampled_from(ip_like)))
    elif draw(st.booleans()):
        client = str(draw(_ADDRESSES))
    users = [a.value for a in accts if a.kind is AccountKind.LDAP_USER]
    groups = [a.value for a in accts if a.kind is AccountKind.LDAP_GROUP]
    user = draw(st.one_of(st.none(), st.sampled_from(users))) if users else None
    member_of = draw(st.lists(st.sampled_from(groups), max_size=2)) if groups else []
    ids = sorted({c.category.id for p in web.url_filtering for c in p.categories
                  if c.category.id is not None}
                 | {c.category.id for p in web.https_decryption for c in p.categories
                    if c.category.id is not None})
    pick = st.sampled_from(ids) if ids else st.sampled_from(sorted(categories.BY_ID))
    cats = draw(st.lists(st.one_of(pick, pick.map(lambda i: categories.BY_ID[i].name),
                                   st.sampled_from(sorted(categories.BY_ID))), max_size=2))
    when: dt.datetime | None = None
    choice = draw(st.integers(0, 2))
    if choice == 1 and web.schedules:
        schedule = draw(st.sampled_from(web.schedules))
        day = draw(st.sampled_from(sorted(schedule.days)))
        start, end = draw(st.sampled_from(schedule.intervals))
        minute = draw(st.integers(start, end - 1))
        when = dt.datetime(2024, 1, 1 + day, minute // 60, minute % 60)  # 2024-01-01: Monday
    elif choice == 2:
        when = draw(st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2024, 12, 31)))
    file_types = [t for p in web.atp for t in p.block_file_types]
    file_type = draw(st.one_of(
        st.none(), st.sampled_from(["executables/exe", "documents/pdf", "compressed/7z"]),
        *([st.sampled_from(file_types)] if file_types else [])))
    return WebRequest(url=url, client=client, user=user, groups=tuple(member_of),
                      categories=tuple(cats), when=when,
                      decrypted=draw(st.sampled_from([None, None, True, False])),
                      file_type=file_type)
