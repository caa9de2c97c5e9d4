"""Source IR of an InterScan Web Security (IWSVA / IWSS 6.5) policy export.

Every node built from input carries a ``span`` (file, line, column) that equality ignores.
Collections are tuples in source order, so that unparse-then-parse is the identity.
"""

from __future__ import annotations

import enum

import attrs

from isc.ir.common import Span, span_field


class UrlMatchType(enum.Enum):
    """The three IWSVA match types (research iwsva.md §4.1)."""

    WEB_SITE = "web-site"
    KEYWORD = "url-keyword"
    STRING = "string"


@attrs.frozen
class UrlPattern:
    """One URL list entry, held in IWSVA's stored form (``@example.com*``, ``*kw*``, ``a/b``)."""

    stored: str
    span: Span | None = span_field()

    @property
    def kind(self) -> UrlMatchType:
        s = self.stored
        if s.startswith("@"):
            return UrlMatchType.WEB_SITE
        if len(s) >= 2 and s.startswith("*") and s.endswith("*") and "@" not in s:
            return UrlMatchType.KEYWORD
        return UrlMatchType.STRING


class AccountKind(enum.Enum):
    IP = "ip"
    IP_RANGE = "ip-range"
    IP_SUBSET = "ip-subset"
    LDAP_USER = "ldap-user"
    LDAP_GROUP = "ldap-group"
    HOST = "host"


@attrs.frozen
class Account:
    """A policy account in canonical text form.

    ``ip``: one address; ``ip-range``: ``first-last``; ``ip-subset``: ``network/bits``;
    ``ldap-user`` / ``ldap-group``: the DN or name; ``host``: a host name.
    """

    kind: AccountKind
    value: str
    span: Span | None = span_field()


def join_accounts(first: tuple[Account, ...], second: tuple[Account, ...]
                  ) -> tuple[Account, ...]:
    """The accounts of two policies as one policy's: no accounts is everyone, so a union
    with it is everyone; else the first's, then the second's not already there."""
    if not first or not second:
        return ()
    return first + tuple(a for a in second if a not in first)


class WebAction(enum.Enum):
    """URL filtering actions, most restrictive first (semantics.md §1 step 4)."""

    BLOCK = "block"
    BLOCK_OVERRIDE = "block-override"
    WARN = "warn"
    TIME_LIMIT = "time-limit"
    MONITOR = "monitor"
    ALLOW = "allow"
    MATCH_NEXT = "match-next"

    @property
    def restrictiveness(self) -> int:
        """Higher is more restrictive; the deciding action is the maximum."""
        return _RESTRICTIVENESS[self]


_RESTRICTIVENESS = {
    WebAction.BLOCK: 6,
    WebAction.BLOCK_OVERRIDE: 5,
    WebAction.WARN: 4,
    WebAction.TIME_LIMIT: 3,
    WebAction.MONITOR: 2,
    WebAction.ALLOW: 1,
    WebAction.MATCH_NEXT: 0,
}


@attrs.frozen
class CategoryRef:
    """A URL category: a predefined one by TMUFE ID, or a custom one by name."""

    id: int | None = None
    custom: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.id is None) == (self.custom is None):
            raise ValueError("CategoryRef: exactly one of id and custom must be set")

    def sort_key(self) -> tuple[int, int, str]:
        return (0, self.id, "") if self.id is not None else (1, 0, self.custom or "")


@attrs.frozen
class CategoryAction:
    category: CategoryRef
    action: WebAction
    span: Span | None = span_field()


@attrs.frozen
class Schedule:
    """A scheduled-time object: days (0 = Monday) and minute intervals ``[start, end)``.

    Intervals are merged and sorted; ``(0, 1440)`` is the whole day.
    """

    name: str
    days: frozenset[int]
    intervals: tuple[tuple[int, int], ...]
    span: Span | None = span_field()

    def active(self, weekday: int, minute: int) -> bool:
        if weekday not in self.days:
            return False
        return any(start <= minute < end for start, end in self.intervals)


@attrs.frozen
class CustomCategory:
    name: str
    entries: tuple[UrlPattern, ...]
    span: Span | None = span_field()


@attrs.frozen
class ApprovedList:
    """An approved URL list, used as policy exceptions."""

    name: str
    entries: tuple[UrlPattern, ...]
    span: Span | None = span_field()


@attrs.frozen
class ApprovedFileList:
    """An approved file-name list (only ``*`` wildcards)."""

    name: str
    entries: tuple[str, ...]
    span: Span | None = span_field()


@attrs.frozen
class UrlList:
    """A global list with its exceptions: Global URL Blocking or Global Trusted URLs."""

    enabled: bool = True
    entries: tuple[UrlPattern, ...] = ()
    exceptions: tuple[UrlPattern, ...] = ()
    span: Span | None = span_field()


@attrs.frozen
class UrlFilteringPolicy:
    name: str
    priority: int
    enabled: bool = True
    is_global: bool = False
    accounts: tuple[Account, ...] = ()
    schedule: str | None = None
    exceptions: tuple[str, ...] = ()
    categories: tuple[CategoryAction, ...] = ()
    notes: str = ""
    has_override_password: bool = False
    span: Span | None = span_field()


@attrs.frozen
class DecryptCategory:
    category: CategoryRef
    decrypt: bool
    span: Span | None = span_field()


@attrs.frozen
class HttpsDecryptionPolicy:
    name: str
    priority: int
    enabled: bool = True
    is_global: bool = False
    accounts: tuple[Account, ...] = ()
    decrypt_all: bool = False
    categories: tuple[DecryptCategory, ...] = ()
    exceptions: tuple[str, ...] = ()
    notes: str = ""
    span: Span | None = span_field()


@attrs.frozen
class AtpPolicy:
    """Advanced Threat Protection. ``settings`` keeps every other key verbatim, in order."""

    name: str
    priority: int
    enabled: bool = True
    is_global: bool = False
    accounts: tuple[Account, ...] = ()
    block_file_types: tuple[str, ...] = ()
    scan: str = "all"
    scan_extensions: tuple[str, ...] = ()
    mime_skip: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    notes: str = ""
    span: Span | None = span_field()


@attrs.frozen
class AppRule:
    app: str
    action: str
    span: Span | None = span_field()


@attrs.frozen
class AppControlPolicy:
    name: str
    priority: int
    enabled: bool = True
    is_global: bool = False
    accounts: tuple[Account, ...] = ()
    schedule: str | None = None
    apps: tuple[AppRule, ...] = ()
    notes: str = ""
    span: Span | None = span_field()


class CertificateStatus(enum.Enum):
    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    INACTIVE = "inactive"


@attrs.frozen
class Certificate:
    name: str
    file: str
    status: CertificateStatus = CertificateStatus.TRUSTED
    pem: str | None = None
    span: Span | None = span_field()


@attrs.frozen
class OtherObject:
    """A console object with no target counterpart, kept so it can be counted and reported.

    ``settings`` holds keyed lines as ``(key, value)`` and list lines as ``("", line)``.
    """

    kind: str
    name: str | None
    settings: tuple[tuple[str, str], ...] = ()
    span: Span | None = span_field()


@attrs.frozen
class ConfigSetting:
    """One key of ``intscan.ini`` (or another keyed file with no policy section kinds)."""

    file_kind: str
    section: str
    key: str
    value: str
    meaning: str | None = None
    span: Span | None = span_field()


@attrs.frozen
class WebPolicy:
    """Everything the web front-end understood, merged over all input files."""

    product: str | None = None
    version: str | None = None
    schedules: tuple[Schedule, ...] = ()
    custom_categories: tuple[CustomCategory, ...] = ()
    approved_lists: tuple[ApprovedList, ...] = ()
    approved_file_lists: tuple[ApprovedFileList, ...] = ()
    global_blocking: UrlList | None = None
    global_trusted: UrlList | None = None
    tunneling: tuple[UrlPattern, ...] = ()
    url_filtering: tuple[UrlFilteringPolicy, ...] = ()
    https_decryption: tuple[HttpsDecryptionPolicy, ...] = ()
    atp: tuple[AtpPolicy, ...] = ()
    app_control: tuple[AppControlPolicy, ...] = ()
    certificates: tuple[Certificate, ...] = ()
    others: tuple[OtherObject, ...] = ()
    settings: tuple[ConfigSetting, ...] = ()

    def url_lists(self) -> list[tuple[UrlPattern, ...]]:
        """The entries of every URL list, list by list: each custom category and approved
        list, the global lists' entries and exceptions, the tunneling list."""
        out = [c.entries for c in self.custom_categories]
        out += [a.entries for a in self.approved_lists]
        for lst in (self.global_blocking, self.global_trusted):
            if lst is not None:
                out += [lst.entries, lst.exceptions]
        out.append(self.tunneling)
        return out

    def schedule(self, name: str) -> Schedule | None:
        return next((s for s in self.schedules if s.name == name), None)

    def custom_category(self, name: str) -> CustomCategory | None:
        return next((c for c in self.custom_categories if c.name == name), None)

    def approved_list(self, name: str) -> ApprovedList | None:
        return next((a for a in self.approved_lists if a.name == name), None)
