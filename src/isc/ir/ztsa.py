"""Target IR: a Trend Vision One ZTSA Internet Access policy (document ``isc/ztsa-ia/1``).

This is what the ZTSA-IA back-end builds and what ``isc.load`` reads back from
``ztsa-ia.json``; the ZTSA decision model (``isc.models.ztsa``) runs on it.
"""

from __future__ import annotations

import enum

import attrs

from isc.ir.common import Meta

SCHEMA = "isc/ztsa-ia/1"


class MatchMode(enum.Enum):
    """Custom URL category and allow/deny list match modes (semantics.md §2 step 4)."""

    DOMAIN = "domain"
    KEYWORD = "keyword"
    URL = "url"


class RuleAction(enum.Enum):
    ALLOW = "allow"
    BLOCK = "block"
    MONITOR = "monitor"
    WARN = "warn"


class InspectAction(enum.Enum):
    INSPECT = "inspect"
    DO_NOT_INSPECT = "do-not-inspect"


class CertStatus(enum.Enum):
    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    UNKNOWN = "unknown"


@attrs.frozen
class ListEntry:
    """One URL Allow List or URL Deny List entry."""

    mode: MatchMode
    value: str
    meta: Meta = Meta()


@attrs.frozen
class CustomUrlCategory:
    name: str
    mode: MatchMode
    entries: tuple[str, ...]
    description: str = ""
    meta: Meta = Meta()


@attrs.frozen
class IpAddressGroup:
    """Addresses as ``a.b.c.d``, ``first-last`` or ``network/bits`` (IPv4 or IPv6)."""

    name: str
    addresses: tuple[str, ...]
    description: str = ""
    meta: Meta = Meta()


@attrs.frozen
class FileProfile:
    name: str
    true_file_types: tuple[str, ...] = ()
    file_names: tuple[str, ...] = ()
    media_types: tuple[str, ...] = ()
    meta: Meta = Meta()


@attrs.frozen
class WeeklySchedule:
    """Days (0 = Monday) and minute intervals ``[start, end)``; location time zone."""

    days: tuple[int, ...]
    intervals: tuple[tuple[int, int], ...]

    def active(self, weekday: int, minute: int) -> bool:
        return weekday in self.days and any(a <= minute < b for a, b in self.intervals)


@attrs.frozen
class Sources:
    """Who a rule is for. All empty means everyone."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    ip_address_groups: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.users or self.groups or self.ip_address_groups)


@attrs.frozen
class CloudAppControl:
    app: str
    action: str


@attrs.frozen
class InternetAccessRule:
    """One Internet Access rule. Traffic criteria kinds are ANDed, entries within a kind ORed;
    a kind left empty matches any traffic."""

    name: str
    action: RuleAction
    enabled: bool = True
    description: str = ""
    sources: Sources = Sources()
    excludes: Sources = Sources()
    schedule: WeeklySchedule | None = None
    url_categories: tuple[str, ...] = ()
    custom_url_categories: tuple[str, ...] = ()
    file_profiles: tuple[str, ...] = ()
    cloud_apps: tuple[CloudAppControl, ...] = ()
    meta: Meta = Meta()


@attrs.frozen
class HttpsInspectionRule:
    name: str
    action: InspectAction
    enabled: bool = True
    sources: Sources = Sources()
    url_categories: tuple[str, ...] = ()
    custom_url_categories: tuple[str, ...] = ()
    meta: Meta = Meta()


@attrs.frozen
class InspectionException:
    """A domain never decrypted: ``example.com`` is that host only, ``*.example.com`` its
    subdomains."""

    domain: str
    meta: Meta = Meta()


@attrs.frozen
class TlsCertificate:
    name: str
    status: CertStatus
    pem: str | None = None
    meta: Meta = Meta()


@attrs.frozen
class ThreatProtectionRule:
    name: str
    web_reputation: bool = True
    security_level: str = "medium"
    block_untested: bool = False
    do_not_scan_larger_than_mb: int | None = None
    max_compression_layers: int | None = None
    meta: Meta = Meta()


@attrs.frozen
class ZtsaPolicy:
    """A whole ZTSA Internet Access configuration in rule order where order matters."""

    url_allow_list: tuple[ListEntry, ...] = ()
    url_deny_list: tuple[ListEntry, ...] = ()
    custom_url_categories: tuple[CustomUrlCategory, ...] = ()
    ip_address_groups: tuple[IpAddressGroup, ...] = ()
    file_profiles: tuple[FileProfile, ...] = ()
    internet_access_rules: tuple[InternetAccessRule, ...] = ()
    https_inspection_rules: tuple[HttpsInspectionRule, ...] = ()
    inspection_exceptions: tuple[InspectionException, ...] = ()
    certificates: tuple[TlsCertificate, ...] = ()
    threat_protection_rules: tuple[ThreatProtectionRule, ...] = ()

    def custom_category(self, name: str) -> CustomUrlCategory | None:
        return next((c for c in self.custom_url_categories if c.name == name), None)

    def ip_group(self, name: str) -> IpAddressGroup | None:
        return next((g for g in self.ip_address_groups if g.name == name), None)

    def file_profile(self, name: str) -> FileProfile | None:
        return next((f for f in self.file_profiles if f.name == name), None)
