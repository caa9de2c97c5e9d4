"""The inverse of the web front-end: :class:`~isc.ir.web.WebPolicy` → policy-export INI text.

:func:`unparse_web` writes the policy export of formats.md §3 such that

    isc.loads(unparse_web(w), filename="x.ini").web == w

for every ``WebPolicy`` the front-end (:mod:`isc.frontends.web`) produces from one policy
export (spans are not part of equality and are not written). How each normalisation of the
front-end is undone:

- Policies are written in IR order. The front-end orders them by ``(global, priority, input
  order)``, and an IR it produced is already in that order, so the stable sort keeps it. A
  global policy without ``priority`` has priority 0 in the IR; it is written without one.
- ``schedule = always`` (or an empty value) means "no schedule", so ``None`` is written as no
  ``schedule`` line. A schedule *named* ``always`` (any case, any surrounding blanks) cannot be
  referred to at all: the front-end reads the reference as "always" (a front-end limitation).
- Predefined categories are written by their IWSVA name (``BY_ID[id].name``); custom ones by
  name. A custom category wins over a predefined one of the same name in the front-end, so a
  predefined category whose name is also a custom category's is written by its TMUFE ID
  (``category "11" = block``), zero-padded if even that is a custom category's name. The
  front-end expands a group name (``category "Adult" = block``) to its members and lets a
  later line for a category replace an earlier one, so an IR it produced lists each category
  once and is written one line per category, which reads back in the same order.
- Values are quoted (:func:`~isc.frontends.ini.quote`) when they would not read back as they
  are: empty, leading or trailing blanks, a leading ``"``, or a blank followed by ``;`` (an
  inline comment outside free-text keys).
- URL entries are written by :func:`~isc.frontends.urls.format_url_entry`; a String entry that
  would read as a comment (``#``, ``;``) or a section header (``[``) gets ``string: ``.
- ``override-password`` is only present or absent in the IR: ``********`` is written.
- ATP ``settings`` are written verbatim, in order, after the typed ATP keys.

What is not written, and why:

- ``WebPolicy.settings`` (:class:`~isc.ir.web.ConfigSetting`): these come from
  ``intscan.ini`` and other keyed configuration files, not from the policy export; a
  document holding policy sections is never read as one of those.
- ``Certificate.pem``: the certificate itself is a separate member of the export (``file =``
  names it); only the ``[digital-certificate]`` section is written, so a reparse of the text
  alone has ``pem = None``.
- Empty entries of list sections (the front-end currently reads a whitespace-only line in a
  list section as an entry ``""``; blank lines are insignificant in the dialect, so they are
  not written).
- The qualifier of a keyed line inside an :class:`~isc.ir.web.OtherObject` section is not in
  the IR (the front-end keeps only key and value), so it cannot be written.

Known limits of the round trip, from how isc recognises and reads files (not from this
module): a text holding ``-----BEGIN CERTIFICATE-----`` in its first 4 KiB (say, in notes) is
taken for a PEM file and not read as a policy; CR, LF and NUL cannot be written in any value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from isc.frontends.accounts import format_account
from isc.frontends.ini import quote
from isc.frontends.schedules import format_days, format_hours
from isc.frontends.urls import format_url_entry
from isc.ir import categories
from isc.ir.web import (
    Account,
    AppControlPolicy,
    AtpPolicy,
    CategoryRef,
    Certificate,
    HttpsDecryptionPolicy,
    OtherObject,
    Schedule,
    UrlFilteringPolicy,
    UrlList,
    UrlMatchType,
    UrlPattern,
    WebPolicy,
)

__all__ = ["unparse_web"]

_NEEDS_QUOTES = re.compile(r'^\s|\s$|^"|\s;')


def unparse_web(web: WebPolicy) -> str:
    """Policy-export INI text that the web front-end reads back as ``web``."""
    out = _Writer({c.name for c in web.custom_categories})
    out.section("product")
    if web.product is not None:
        out.key("name", web.product)
    if web.version is not None:
        out.key("version", web.version)
    for schedule in web.schedules:
        out.schedule(schedule)
    for custom in web.custom_categories:
        out.section("custom-category", custom.name)
        out.urls(custom.entries)
    for approved in web.approved_lists:
        out.section("approved-list", approved.name)
        out.urls(approved.entries)
    for files in web.approved_file_lists:
        out.section("approved-file-list", files.name)
        for entry in files.entries:
            if entry:
                out.line(entry)
    out.url_list("global-url-blocking", "block", web.global_blocking)
    out.url_list("global-trusted-urls", "trusted", web.global_trusted)
    out.section("https-tunneling")
    out.urls(web.tunneling)
    for url_policy in web.url_filtering:
        out.url_filtering(url_policy)
    for decryption in web.https_decryption:
        out.decryption(decryption)
    for atp in web.atp:
        out.atp(atp)
    for app in web.app_control:
        out.app_control(app)
    for cert in web.certificates:
        out.certificate(cert)
    for other in web.others:
        out.other(other)
    return out.text()


def _value(text: str) -> str:
    """``text`` as a value that reads back as itself."""
    if not text or _NEEDS_QUOTES.search(text):
        return quote(text)
    return text


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _url_line(pattern: UrlPattern) -> str:
    text = format_url_entry(pattern)
    if pattern.kind is UrlMatchType.STRING and text.startswith(("#", ";", "[")):
        return f"string: {text}"
    return text


class _Writer:
    def __init__(self, custom_names: set[str]) -> None:
        self.lines: list[str] = []
        self.custom_names = custom_names

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    # ------------------------------------------------------------ primitives

    def section(self, kind: str, name: str | None = None) -> None:
        if self.lines:
            self.lines.append("")
        self.lines.append(f"[{kind}]" if name is None else f"[{kind} {quote(name)}]")

    def line(self, text: str) -> None:
        self.lines.append(text)

    def key(self, key: str, value: str, qualifier: str | None = None) -> None:
        q = "" if qualifier is None else f" {quote(qualifier)}"
        self.lines.append(f"{key}{q} = {_value(value)}")

    def urls(self, entries: Iterable[UrlPattern]) -> None:
        for p in entries:
            self.line(_url_line(p))

    def category_name(self, ref: CategoryRef) -> str:
        """The qualifier the front-end resolves to ``ref``: the IWSVA name, or the TMUFE ID
        (zero-padded as needed) where a custom category has that name."""
        if ref.custom is not None:
            return ref.custom
        assert ref.id is not None
        cat = categories.BY_ID[ref.id]
        padded = ("0" * n + str(cat.id) for n in range(len(self.custom_names) + 1))
        return next(c for c in (cat.name, *padded) if c not in self.custom_names
                    and not categories.group_members(c)
                    and (found := categories.lookup(c)) is not None and found.id == cat.id)

    # ------------------------------------------------------------ objects

    def schedule(self, schedule: Schedule) -> None:
        self.section("schedule", schedule.name)
        self.key("days", format_days(schedule.days))
        self.key("hours", format_hours(schedule.intervals))

    def url_list(self, kind: str, listed: str, lst: UrlList | None) -> None:
        if lst is None:
            return
        self.section(kind)
        self.key("enabled", _yes(lst.enabled))
        self.section(f"{kind}.{listed}")
        self.urls(lst.entries)
        self.section(f"{kind}.exceptions")
        self.urls(lst.exceptions)

    def common(self, kind: str, name: str, priority: int, enabled: bool, is_global: bool,
               accounts: tuple[Account, ...]) -> None:
        self.section(kind, name)
        if is_global:
            self.key("global", "yes")
        if not (is_global and priority == 0):
            self.key("priority", str(priority))
        self.key("enabled", _yes(enabled))
        for account in accounts:
            self.key("account", format_account(account))

    def names(self, key: str, names: Iterable[str]) -> None:
        for name in names:
            self.key(key, name)

    def notes(self, notes: str) -> None:
        if notes:
            self.key("notes", notes)

    def url_filtering(self, p: UrlFilteringPolicy) -> None:
        self.common("url-filtering-policy", p.name, p.priority, p.enabled, p.is_global,
                    p.accounts)
        if p.schedule is not None:
            self.key("schedule", p.schedule)
        self.names("exceptions", p.exceptions)
        for c in p.categories:
            self.key("category", c.action.value, self.category_name(c.category))
        if p.has_override_password:
            self.key("override-password", "********")
        self.notes(p.notes)

    def decryption(self, p: HttpsDecryptionPolicy) -> None:
        self.common("https-decryption-policy", p.name, p.priority, p.enabled, p.is_global,
                    p.accounts)
        self.key("decrypt", "all" if p.decrypt_all else "none")
        for c in p.categories:
            self.key("decrypt-category", _yes(c.decrypt), self.category_name(c.category))
        self.names("exceptions", p.exceptions)
        self.notes(p.notes)

    def atp(self, p: AtpPolicy) -> None:
        self.common("atp-policy", p.name, p.priority, p.enabled, p.is_global, p.accounts)
        for key, items in (("block-file-types", p.block_file_types),
                           ("scan-extensions", p.scan_extensions), ("mime-skip", p.mime_skip)):
            if items:
                self.key(key, ", ".join(items))
        self.key("scan", p.scan)
        self.names("exceptions", p.exceptions)
        for key, value in p.settings:
            self.key(key, value)
        self.notes(p.notes)

    def app_control(self, p: AppControlPolicy) -> None:
        self.common("application-control-policy", p.name, p.priority, p.enabled, p.is_global,
                    p.accounts)
        if p.schedule is not None:
            self.key("schedule", p.schedule)
        for rule in p.apps:
            self.key("app", rule.action, rule.app)
        self.notes(p.notes)

    def certificate(self, cert: Certificate) -> None:
        self.section("digital-certificate", cert.name)
        self.key("file", cert.file)
        self.key("status", cert.status.value)

    def other(self, other: OtherObject) -> None:
        self.section(other.kind, other.name)
        for key, value in other.settings:
            if key:
                self.key(key, value)
            elif value:
                self.line(value)
