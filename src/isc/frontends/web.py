"""The web front-end: INI-dialect documents → :class:`isc.ir.web.WebPolicy` (formats.md §1-3).

Documents are added one by one (a directory or archive gives several) and references between
them (schedules, approved lists, custom categories) are resolved once all are in.
Nothing read is dropped silently: unknown sections and keys become diagnostics with their
position; kinds with no target counterpart are kept as :class:`OtherObject`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TypeVar

import attrs

from isc.diagnostics import Diagnostic, Severity, Span
from isc.errors import IscError, ParseError
from isc.frontends._grammar import paused_gc
from isc.frontends.accounts import parse_account
from isc.frontends.ini import (
    IniDocument,
    KeyLine,
    Line,
    Section,
    parse_bool,
    parse_int,
    parse_keyline,
)
from isc.frontends.schedules import parse_days, parse_hours
from isc.frontends.urls import parse_url_entry
from isc.ir import categories
from isc.ir.web import (
    Account,
    AppControlPolicy,
    ApprovedFileList,
    ApprovedList,
    AppRule,
    AtpPolicy,
    CategoryAction,
    CategoryRef,
    Certificate,
    CertificateStatus,
    ConfigSetting,
    CustomCategory,
    DecryptCategory,
    HttpsDecryptionPolicy,
    OtherObject,
    Schedule,
    UrlFilteringPolicy,
    UrlList,
    UrlPattern,
    WebAction,
    WebPolicy,
)

#: Section kinds holding one entry per line (formats.md §3).
LIST_KINDS = frozenset(
    {
        "custom-category",
        "approved-list",
        "approved-file-list",
        "global-url-blocking.block",
        "global-url-blocking.exceptions",
        "global-trusted-urls.trusted",
        "global-trusted-urls.exceptions",
        "https-tunneling",
    }
)
POLICY_KINDS = frozenset(
    {
        "url-filtering-policy",
        "https-decryption-policy",
        "atp-policy",
        "application-control-policy",
    }
)
#: Console objects with no ZTSA counterpart: parsed, kept, counted and reported.
OTHER_KINDS = frozenset(
    {
        "http-inspection-policy",
        "http-inspection-filter",
        "dlp-policy",
        "access-quota-policy",
        "bandwidth-control-policy",
        "applet-activex-policy",
        "access-control-settings",
        "x-forwarded-for",
        "pac-file",
        "user-identification",
    }
)
KEYED_KINDS = frozenset(
    {"product", "schedule", "global-url-blocking", "global-trusted-urls", "digital-certificate"}
) | POLICY_KINDS
WEB_KINDS = LIST_KINDS | KEYED_KINDS | OTHER_KINDS
#: Sections of the documented list import files (formats.md §1).
IMPORT_FILE_KINDS = frozenset({"allow", "block", "approved"})

#: Documented intscan.ini keys (research iwsva.md §8.3).
INTSCAN_MEANINGS = {
    ("scan-configuration", "infected_url_block_length"): (
        "hours a URL stays blocked organisation-wide after a virus detection"
    ),
    ("scan-configuration", "disable_infected_url_block"): (
        "turns the temporary infected-URL block off (yes) or on (no)"
    ),
}

_POLICY_COMMON = frozenset({"priority", "enabled", "global", "account", "notes"})
_KNOWN_KEYS: dict[str, frozenset[str]] = {
    "product": frozenset({"name", "version"}),
    "schedule": frozenset({"days", "hours"}),
    "global-url-blocking": frozenset({"enabled"}),
    "global-trusted-urls": frozenset({"enabled"}),
    "digital-certificate": frozenset({"file", "status"}),
    "url-filtering-policy": _POLICY_COMMON
    | {"schedule", "exceptions", "category", "override-password"},
    "https-decryption-policy": _POLICY_COMMON | {"decrypt", "decrypt-category", "exceptions"},
    "atp-policy": _POLICY_COMMON
    | {
        "block-file-types",
        "scan",
        "scan-extensions",
        "mime-skip",
        "exceptions",
        "compressed.max-files",
        "compressed.max-size-mb",
        "compressed.max-layers",
        "large-file.skip-mb",
        "wrs",
        "wrs.sensitivity",
        "wrs.anti-phishing",
        "wrs.anti-pharming",
        "wrs.cc-callback",
    },
    "application-control-policy": _POLICY_COMMON | {"app", "schedule"},
}

APP_ACTIONS = frozenset(
    {
        "allow",
        "block",
        "match-next",
        "deny-send-mail",
        "deny-upload-file",
        "deny-download-file",
        "deny-transfer-file",
        "deny-post-message",
        "video-voice-call",
        "deny-play-media",
    }
)

Resolver = Callable[[str], bytes | None]


def classify(doc: IniDocument) -> str:
    """What an INI-dialect document is: ``web-policy``, ``url-list``, or ``ini-config``."""
    kinds = {s.name.lower() for s in doc.sections}
    if kinds & WEB_KINDS:
        return "web-policy"
    if kinds and kinds <= IMPORT_FILE_KINDS:
        return "url-list"
    return "ini-config"


@attrs.define
class _PendingCategory:
    name: str
    action: str
    span: Span
    policy: str


@attrs.define
class WebBuilder:
    """Collects web objects over many documents; :meth:`finish` resolves references."""

    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    product: str | None = None
    version: str | None = None
    schedules: dict[str, Schedule] = attrs.field(factory=dict)
    custom: dict[str, CustomCategory] = attrs.field(factory=dict)
    approved: dict[str, ApprovedList] = attrs.field(factory=dict)
    approved_files: dict[str, ApprovedFileList] = attrs.field(factory=dict)
    blocking: UrlList | None = None
    trusted: UrlList | None = None
    tunneling: list[UrlPattern] = attrs.field(factory=list)
    url_filtering: list[tuple[UrlFilteringPolicy, list[_PendingCategory]]] = attrs.field(
        factory=list
    )
    decryption: list[tuple[HttpsDecryptionPolicy, list[_PendingCategory]]] = attrs.field(
        factory=list
    )
    atp: list[AtpPolicy] = attrs.field(factory=list)
    app_control: list[AppControlPolicy] = attrs.field(factory=list)
    certificates: dict[str, Certificate] = attrs.field(factory=dict)
    others: list[OtherObject] = attrs.field(factory=list)
    settings: list[ConfigSetting] = attrs.field(factory=list)
    seen: dict[tuple[str, str], Span] = attrs.field(factory=dict)
    #: Where each by-name reference was written: (policy, name) → span of the value.
    ref_spans: dict[tuple[str, str], Span] = attrs.field(factory=dict)
    touched: bool = False

    # ------------------------------------------------------------------ diagnostics

    def report(self, code: str, severity: Severity, message: str, span: Span | None,
               notes: tuple[str, ...] = ()) -> None:
        self.diagnostics.append(Diagnostic.at(code, severity, message, span, notes))

    def error(self, exc: IscError) -> None:
        self.diagnostics.append(exc.diagnostic())

    # ------------------------------------------------------------------ documents

    def add_document(self, doc: IniDocument, resolve: Resolver | None = None) -> str:
        """Add one document; returns what it was recognised as."""
        with paused_gc():
            return self._add_document(doc, resolve)

    def _add_document(self, doc: IniDocument, resolve: Resolver | None) -> str:
        kind = classify(doc)
        if kind == "web-policy":
            self.touched = True
            for section in doc.sections:
                self._section(section, doc.path, resolve)
        elif kind == "url-list":
            self.touched = True
            self._import_file(doc)
        else:
            self._config_file(doc)
        return kind

    def _section(self, section: Section, path: str, resolve: Resolver | None) -> None:
        kind = section.name.lower()
        try:
            if kind in LIST_KINDS:
                self._list_section(kind, section)
            elif kind in OTHER_KINDS:
                self._other(kind, section)
            elif kind in KEYED_KINDS:
                self._keyed_section(kind, section, path, resolve)
            else:
                hint = _did_you_mean(kind, WEB_KINDS)
                self.report(
                    "ISC2001", Severity.WARNING,
                    f"unknown section kind [{section.name}]; its {len(section.lines)} line(s) "
                    "were not read", section.span, hint,
                )
        except IscError as exc:
            self.error(exc)

    def _duplicate(self, kind: str, name: str, span: Span) -> bool:
        key = (kind, name)
        if key in self.seen:
            first = self.seen[key]
            self.report("ISC2005", Severity.ERROR, f"[{kind} \"{name}\"] is defined twice; "
                        f"the first definition is at {first}", span)
            return True
        self.seen[key] = span
        return False

    def _need_name(self, section: Section) -> str:
        if section.qualifier is None or not section.qualifier.strip():
            raise ParseError(
                f"[{section.name}] needs a name: [{section.name} \"Name\"]", code="ISC1002",
                span=section.span,
            )
        return section.qualifier

    # ------------------------------------------------------------------ list sections

    def _entries(self, lines: tuple[Line, ...]) -> tuple[UrlPattern, ...]:
        out: list[UrlPattern] = []
        for line in lines:
            try:
                out.append(parse_url_entry(line.text, line.span))
            except IscError as exc:
                self.error(exc)
        return tuple(out)

    def _list_section(self, kind: str, section: Section) -> None:
        if kind == "custom-category":
            name = self._need_name(section)
            if not self._duplicate(kind, name, section.span):
                self.custom[name] = CustomCategory(
                    name, self._entries(section.lines), span=section.span)
        elif kind == "approved-list":
            name = self._need_name(section)
            if not self._duplicate(kind, name, section.span):
                self.approved[name] = ApprovedList(
                    name, self._entries(section.lines), span=section.span)
        elif kind == "approved-file-list":
            name = self._need_name(section)
            for line in section.lines:
                if "?" in line.text:
                    self.report("ISC1003", Severity.WARNING,
                                "approved file-name lists support only '*' wildcards; "
                                "'?' is taken literally", line.span)
            if not self._duplicate(kind, name, section.span):
                self.approved_files[name] = ApprovedFileList(
                    name, tuple(ln.text for ln in section.lines), span=section.span)
        elif kind == "https-tunneling":
            self.tunneling.extend(self._entries(section.lines))
        else:
            base, _, part = kind.partition(".")
            entries = self._entries(section.lines)
            current = self._global(base) or UrlList(span=section.span)
            if part in ("block", "trusted"):
                current = attrs.evolve(current, entries=current.entries + entries)
            else:
                current = attrs.evolve(current, exceptions=current.exceptions + entries)
            self._set_global(base, current)

    def _global(self, base: str) -> UrlList | None:
        return self.blocking if base == "global-url-blocking" else self.trusted

    def _set_global(self, base: str, value: UrlList) -> None:
        if base == "global-url-blocking":
            self.blocking = value
        else:
            self.trusted = value

    # ------------------------------------------------------------------ list import files

    def _import_file(self, doc: IniDocument) -> None:
        """TrustedURLs.ini, the URL Blocking import file, approved-list files (formats.md §1)."""
        title = " ".join(t.text for t in doc.title + doc.comments).lower()
        kinds = {s.name.lower() for s in doc.sections}
        stem = PurePosixPath(doc.path.rsplit(":", 1)[-1]).stem
        if "blocking" in title or ("approved" in kinds and kinds != {"approved"}):
            role = "blocking"
        elif "trusted" in title or "trustedurls" in stem.lower():
            role = "trusted"
        elif kinds == {"approved"}:
            role = "approved"
        else:
            role = "trusted"
            self.report("ISC2012", Severity.NOTE,
                        "list file with [allow]/[block] and no title: read as a Trusted URL "
                        "import file ([allow] = trusted, [block] = exceptions)",
                        doc.sections[0].span)
        for section in doc.sections:
            kind = section.name.lower()
            entries = self._entries(section.lines)
            if role == "approved":
                name = stem
                if not self._duplicate("approved-list", name, section.span):
                    self.approved[name] = ApprovedList(name, entries, span=section.span)
                continue
            base = "global-url-blocking" if role == "blocking" else "global-trusted-urls"
            current = self._global(base) or UrlList(span=section.span)
            listed = (kind == "block") if role == "blocking" else (kind == "allow")
            if listed:
                current = attrs.evolve(current, entries=current.entries + entries)
            else:
                current = attrs.evolve(current, exceptions=current.exceptions + entries)
            self._set_global(base, current)

    # ------------------------------------------------------------------ keyed config files

    def _config_file(self, doc: IniDocument) -> None:
        file_kind = PurePosixPath(doc.path).name
        for section in doc.sections:
            for line in section.lines:
                try:
                    kl = parse_keyline(line)
                except IscError as exc:
                    self.error(exc)
                    continue
                meaning = INTSCAN_MEANINGS.get((section.name.lower(), kl.key.lower()))
                self.settings.append(
                    ConfigSetting(file_kind, section.name, kl.key, kl.value, meaning,
                                  span=kl.span))

    # ------------------------------------------------------------------ keyed sections

    def _keylines(self, kind: str, section: Section) -> list[KeyLine]:
        known = _KNOWN_KEYS.get(kind)
        out: list[KeyLine] = []
        for line in section.lines:
            try:
                kl = parse_keyline(line)
            except IscError as exc:
                self.error(exc)
                continue
            if known is not None and kl.key.lower() not in known:
                self.report("ISC2002", Severity.WARNING,
                            f"key '{kl.key}' has no meaning in [{section.name}]; ignored",
                            kl.span, _did_you_mean(kl.key.lower(), known))
                continue
            key = kl.key.lower()
            out.append(kl if key == kl.key else attrs.evolve(kl, key=key))
        return out

    def _other(self, kind: str, section: Section) -> None:
        settings: list[tuple[str, str]] = []
        for line in section.lines:
            if "=" in line.text:
                try:
                    kl = parse_keyline(line)
                    settings.append((kl.key, kl.value))
                    continue
                except IscError:
                    pass
            settings.append(("", line.text))
        self.others.append(OtherObject(kind, section.qualifier, tuple(settings),
                                       span=section.span))

    def _keyed_section(self, kind: str, section: Section, path: str,
                       resolve: Resolver | None) -> None:
        lines = self._keylines(kind, section)
        if kind == "product":
            for kl in lines:
                if kl.key == "name":
                    self.product = kl.value
                elif kl.key == "version":
                    self.version = kl.value
        elif kind == "schedule":
            self._schedule(section, lines)
        elif kind in ("global-url-blocking", "global-trusted-urls"):
            enabled = True
            for kl in lines:
                enabled = self._bool(kl, enabled)
            current = self._global(kind) or UrlList(span=section.span)
            self._set_global(kind, attrs.evolve(current, enabled=enabled))
        elif kind == "digital-certificate":
            self._certificate(section, lines, path, resolve)
        elif kind == "url-filtering-policy":
            self._url_filtering(section, lines)
        elif kind == "https-decryption-policy":
            self._decryption(section, lines)
        elif kind == "atp-policy":
            self._atp(section, lines)
        elif kind == "application-control-policy":
            self._app_control(section, lines)

    def _bool(self, kl: KeyLine, default: bool) -> bool:
        try:
            return parse_bool(kl)
        except IscError as exc:
            self.error(exc)
            return default

    def _schedule(self, section: Section, lines: list[KeyLine]) -> None:
        name = self._need_name(section)
        days: frozenset[int] = frozenset(range(7))
        hours: tuple[tuple[int, int], ...] = ((0, 1440),)
        for kl in lines:
            try:
                if kl.key == "days":
                    days = parse_days(kl.value, kl.value_span)
                elif kl.key == "hours":
                    hours = parse_hours(kl.value, kl.value_span)
            except IscError as exc:
                self.error(exc)
        if not self._duplicate("schedule", name, section.span):
            self.schedules[name] = Schedule(name, days, hours, span=section.span)

    def _certificate(self, section: Section, lines: list[KeyLine], path: str,
                     resolve: Resolver | None) -> None:
        name = self._need_name(section)
        file = ""
        status = CertificateStatus.TRUSTED
        file_span = section.span
        for kl in lines:
            if kl.key == "file":
                file, file_span = kl.value, kl.value_span
            elif kl.key == "status":
                try:
                    status = CertificateStatus(kl.value.strip().lower())
                except ValueError:
                    self.report("ISC1006", Severity.ERROR,
                                f"status takes trusted|untrusted|inactive, not {kl.value!r}",
                                kl.value_span)
        pem: str | None = None
        if not file:
            self.report("ISC2007", Severity.ERROR, f"certificate \"{name}\" has no 'file'",
                        section.span)
        elif resolve is not None:
            data = resolve(str(PurePosixPath(path).parent / file))
            if data is None:
                data = resolve(file)
            if data is None:
                self.report("ISC2014", Severity.WARNING,
                            f"certificate file {file!r} is not in the export", file_span)
            else:
                text = data.decode("ascii", errors="replace")
                if "-----BEGIN CERTIFICATE-----" not in text:
                    self.report("ISC2014", Severity.WARNING,
                                f"certificate file {file!r} is not a PEM certificate", file_span)
                else:
                    pem = text.replace("\r\n", "\n").strip() + "\n"
        if not self._duplicate("digital-certificate", name, section.span):
            self.certificates[name] = Certificate(name, file, status, pem, span=section.span)

    # ------------------------------------------------------------------ policies

    def _common(self, kind: str, section: Section, lines: list[KeyLine]
                ) -> tuple[str, int, bool, bool, tuple[Account, ...], str]:
        name = self._need_name(section)
        priority: int | None = None
        enabled, is_global = True, False
        accounts: list[Account] = []
        notes = ""
        for kl in lines:
            try:
                if kl.key == "priority":
                    priority = parse_int(kl, 1, 100000)
                elif kl.key == "enabled":
                    enabled = parse_bool(kl)
                elif kl.key == "global":
                    is_global = parse_bool(kl)
                elif kl.key == "account":
                    accounts.append(parse_account(kl.value, kl.value_span))
                elif kl.key == "notes":
                    notes = kl.value
            except IscError as exc:
                self.error(exc)
        if priority is None:
            if not is_global:
                self.report("ISC2007", Severity.ERROR,
                            f"[{kind} \"{name}\"] has no 'priority' (or 'global = yes')",
                            section.span)
            priority = 0
        self._duplicate(kind, name, section.span)
        self._remember_refs(name, lines)
        return name, priority, enabled, is_global, tuple(accounts), notes

    def _names(self, lines: list[KeyLine], key: str) -> tuple[str, ...]:
        return tuple(kl.value for kl in lines if kl.key == key)

    def _remember_refs(self, policy: str, lines: list[KeyLine]) -> None:
        for kl in lines:
            if kl.key in ("exceptions", "schedule"):
                self.ref_spans.setdefault((policy, kl.value), kl.value_span)

    def _schedule_ref(self, lines: list[KeyLine]) -> str | None:
        value: str | None = None
        for kl in lines:
            if kl.key == "schedule":
                value = None if kl.value.strip().lower() in ("always", "") else kl.value
        return value

    def _url_filtering(self, section: Section, lines: list[KeyLine]) -> None:
        name, priority, enabled, is_global, accounts, notes = self._common(
            "url-filtering-policy", section, lines)
        pending: list[_PendingCategory] = []
        for kl in lines:
            if kl.key != "category":
                continue
            if kl.qualifier is None:
                self.report("ISC1002", Severity.ERROR,
                            "category needs a name: category \"Name\" = action", kl.span)
                continue
            pending.append(_PendingCategory(kl.qualifier, kl.value.strip().lower(),
                                            kl.span, name))
        policy = UrlFilteringPolicy(
            name=name, priority=priority, enabled=enabled, is_global=is_global,
            accounts=accounts, schedule=self._schedule_ref(lines),
            exceptions=self._names(lines, "exceptions"), notes=notes,
            has_override_password=any(kl.key == "override-password" for kl in lines),
            span=section.span,
        )
        self.url_filtering.append((policy, pending))

    def _decryption(self, section: Section, lines: list[KeyLine]) -> None:
        name, priority, enabled, is_global, accounts, notes = self._common(
            "https-decryption-policy", section, lines)
        decrypt_all = False
        pending: list[_PendingCategory] = []
        for kl in lines:
            if kl.key == "decrypt":
                value = kl.value.strip().lower()
                if value in ("all", "yes", "on", "true"):
                    decrypt_all = True
                elif value in ("none", "no", "off", "false"):
                    decrypt_all = False
                else:
                    self.report("ISC1006", Severity.ERROR,
                                f"decrypt takes all|none, not {kl.value!r}", kl.value_span)
            elif kl.key == "decrypt-category":
                if kl.qualifier is None:
                    self.report("ISC1002", Severity.ERROR,
                                "decrypt-category needs a name: decrypt-category \"Name\" = yes",
                                kl.span)
                    continue
                pending.append(_PendingCategory(
                    kl.qualifier, "yes" if self._bool(kl, True) else "no", kl.span, name))
        policy = HttpsDecryptionPolicy(
            name=name, priority=priority, enabled=enabled, is_global=is_global,
            accounts=accounts, decrypt_all=decrypt_all,
            exceptions=self._names(lines, "exceptions"), notes=notes, span=section.span,
        )
        self.decryption.append((policy, pending))

    def _atp(self, section: Section, lines: list[KeyLine]) -> None:
        name, priority, enabled, is_global, accounts, notes = self._common(
            "atp-policy", section, lines)
        block: list[str] = []
        scan = "all"
        extensions: list[str] = []
        mime: list[str] = []
        settings: list[tuple[str, str]] = []
        for kl in lines:
            if kl.key == "block-file-types":
                block.extend(_split_list(kl.value))
            elif kl.key == "scan":
                scan = kl.value.strip().lower()
                if scan not in ("all", "intelliscan", "extensions"):
                    self.report("ISC1006", Severity.ERROR,
                                f"scan takes all|intelliscan|extensions, not {kl.value!r}",
                                kl.value_span)
            elif kl.key == "scan-extensions":
                extensions.extend(_split_list(kl.value))
            elif kl.key == "mime-skip":
                mime.extend(_split_list(kl.value))
            elif kl.key not in _POLICY_COMMON and kl.key != "exceptions":
                if kl.key.startswith(("compressed.", "large-file.")):
                    try:
                        parse_int(kl, 0)
                    except IscError as exc:
                        self.error(exc)
                        continue
                elif kl.key in ("wrs", "wrs.anti-phishing", "wrs.anti-pharming",
                                "wrs.cc-callback"):
                    self._bool(kl, True)
                settings.append((kl.key, kl.value))
        self.atp.append(AtpPolicy(
            name=name, priority=priority, enabled=enabled, is_global=is_global,
            accounts=accounts, block_file_types=tuple(block), scan=scan,
            scan_extensions=tuple(extensions), mime_skip=tuple(mime),
            exceptions=self._names(lines, "exceptions"), settings=tuple(settings), notes=notes,
            span=section.span,
        ))

    def _app_control(self, section: Section, lines: list[KeyLine]) -> None:
        name, priority, enabled, is_global, accounts, notes = self._common(
            "application-control-policy", section, lines)
        apps: list[AppRule] = []
        for kl in lines:
            if kl.key != "app":
                continue
            action = kl.value.strip().lower()
            if kl.qualifier is None:
                self.report("ISC1002", Severity.ERROR, "app needs a name: app \"Name\" = action",
                            kl.span)
            elif action not in APP_ACTIONS:
                self.report("ISC1006", Severity.ERROR,
                            f"unknown application action {kl.value!r}", kl.value_span,
                            _did_you_mean(action, APP_ACTIONS))
            else:
                apps.append(AppRule(kl.qualifier, action, span=kl.span))
        self.app_control.append(AppControlPolicy(
            name=name, priority=priority, enabled=enabled, is_global=is_global,
            accounts=accounts, schedule=self._schedule_ref(lines), apps=tuple(apps),
            notes=notes, span=section.span,
        ))

    # ------------------------------------------------------------------ resolution

    def _category(self, pending: _PendingCategory) -> list[CategoryRef]:
        """A custom category, a predefined one (name, older name or TMUFE ID), or a whole
        group (either spelling of the communications group)."""
        if pending.name in self.custom:
            return [CategoryRef(custom=pending.name)]
        group = _group_members(pending.name)
        if group:
            return [CategoryRef(id=i) for i in group]
        found = categories.lookup(pending.name)
        if found is not None:
            if found.id == 91 and pending.name.strip().isdigit():
                self.report("ISC2013", Severity.WARNING,
                            "category 91 is C&C Server in current TMUFE data but 'Unknown' in "
                            "older data; read as C&C Server", pending.span)
            return [CategoryRef(id=found.id)]
        hint = categories.suggest(pending.name, tuple(self.custom))
        self.report("ISC2004", Severity.ERROR,
                    f"unknown URL category {pending.name!r} in policy \"{pending.policy}\"",
                    pending.span, (f"did you mean {hint!r}?",) if hint else ())
        return []

    def _check_refs(self, kind: str, policy: str, names: tuple[str, ...], known: dict[str, object],
                    span: Span | None, what: str) -> tuple[str, ...]:
        kept: list[str] = []
        for name in names:
            if name in known:
                kept.append(name)
            else:
                hint = _did_you_mean(name, frozenset(known))
                self.report("ISC2003", Severity.ERROR,
                            f"{kind} \"{policy}\" refers to {what} {name!r}, which does not exist",
                            self.ref_spans.get((policy, name), span), hint)
        return tuple(kept)

    def finish(self) -> WebPolicy | None:
        if not self.touched and not self.settings:
            return None
        with paused_gc():
            return self._finish()

    def _finish(self) -> WebPolicy:
        schedules: dict[str, object] = dict(self.schedules)
        approved: dict[str, object] = dict(self.approved)
        url_filtering: list[UrlFilteringPolicy] = []
        for policy, pending in self.url_filtering:
            actions: list[CategoryAction] = []
            for p in pending:
                refs = self._category(p)
                if not refs:
                    continue
                try:
                    action = WebAction(p.action)
                except ValueError:
                    self.report("ISC1006", Severity.ERROR,
                                f"unknown URL filtering action {p.action!r}", p.span,
                                _did_you_mean(p.action, frozenset(a.value for a in WebAction)))
                    continue
                # a later line for the same category overrides an earlier one (a group first,
                # then exceptions to it)
                listed = {a.category for a in actions}
                actions = [a for a in actions if a.category not in set(refs)] if (
                    listed & set(refs)) else actions
                actions.extend(CategoryAction(ref, action, span=p.span) for ref in refs)
            schedule = policy.schedule
            if schedule is not None and schedule not in schedules:
                self._check_refs("url-filtering-policy", policy.name, (schedule,), schedules,
                                 policy.span, "schedule")
                schedule = None
            url_filtering.append(attrs.evolve(
                policy, categories=tuple(actions), schedule=schedule,
                exceptions=self._check_refs("url-filtering-policy", policy.name,
                                            policy.exceptions, approved, policy.span,
                                            "approved list"),
            ))
        decryption: list[HttpsDecryptionPolicy] = []
        for dpolicy, pending in self.decryption:
            cats: list[DecryptCategory] = []
            for p in pending:
                for ref in self._category(p):
                    cats = [c for c in cats if c.category != ref]
                    cats.append(DecryptCategory(ref, p.action == "yes", span=p.span))
            decryption.append(attrs.evolve(
                dpolicy, categories=tuple(cats),
                exceptions=self._check_refs("https-decryption-policy", dpolicy.name,
                                            dpolicy.exceptions, approved, dpolicy.span,
                                            "approved list"),
            ))
        known_exc: dict[str, object] = {**self.approved, **self.approved_files}
        atp = [attrs.evolve(a, exceptions=self._check_refs(
            "atp-policy", a.name, a.exceptions, known_exc, a.span, "approved list"))
            for a in self.atp]
        app_control: list[AppControlPolicy] = []
        for a in self.app_control:
            if a.schedule is not None and a.schedule not in schedules:
                self._check_refs("application-control-policy", a.name, (a.schedule,), schedules,
                                 a.span, "schedule")
                a = attrs.evolve(a, schedule=None)
            app_control.append(a)
        self._check_overlap()
        return WebPolicy(
            product=self.product,
            version=self.version,
            schedules=tuple(self.schedules.values()),
            custom_categories=tuple(self.custom.values()),
            approved_lists=tuple(self.approved.values()),
            approved_file_lists=tuple(self.approved_files.values()),
            global_blocking=self.blocking,
            global_trusted=self.trusted,
            tunneling=tuple(self.tunneling),
            url_filtering=_ordered(url_filtering, self),
            https_decryption=_ordered(decryption, self),
            atp=_ordered(atp, self),
            app_control=_ordered(app_control, self),
            certificates=tuple(self.certificates.values()),
            others=tuple(self.others),
            settings=tuple(self.settings),
        )

    def _check_overlap(self) -> None:
        for name, lst in (("Global URL Blocking", self.blocking),
                          ("Global Trusted URLs", self.trusted)):
            if lst is None:
                continue
            exceptions = {p.stored for p in lst.exceptions}
            for p in lst.entries:
                if p.stored in exceptions:
                    self.report("ISC2006", Severity.WARNING,
                                f"{p.stored!r} is both in {name} and in its exceptions; "
                                "the exception is taken to win (version-dependent)", p.span)
        if self.blocking and self.trusted:
            trusted = {p.stored for p in self.trusted.entries}
            for p in self.blocking.entries:
                if p.stored in trusted:
                    self.report("ISC2006", Severity.WARNING,
                                f"{p.stored!r} is both trusted and blocked; trusted is taken to "
                                "win (version-dependent)", p.span)


_P = TypeVar("_P", UrlFilteringPolicy, HttpsDecryptionPolicy, AtpPolicy, AppControlPolicy)


def _ordered(policies: list[_P], builder: WebBuilder) -> tuple[_P, ...]:
    """Priority 1 first, global policies last; ties keep input order (with a warning)."""
    seen: dict[int, str] = {}
    for p in policies:
        if p.is_global:
            continue
        if p.priority in seen:
            builder.report("ISC2011", Severity.WARNING,
                           f"\"{p.name}\" has the same priority ({p.priority}) as "
                           f"\"{seen[p.priority]}\"; input order decides", p.span)
        else:
            seen[p.priority] = p.name
    indexed = list(enumerate(policies))
    indexed.sort(key=lambda ip: (ip[1].is_global, ip[1].priority, ip[0]))
    return tuple(p for _, p in indexed)


#: The members of a category group, by the name a policy writes. A policy export names the
#: same few dozen categories thousands of times, and each look-up normalises every category
#: name in the table, so the answer is kept (the table is fixed for a run).
_group_members = functools.lru_cache(maxsize=4096)(categories.group_members)


def _split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _did_you_mean(word: str, choices: frozenset[str] | set[str]) -> tuple[str, ...]:
    hits = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return (f"did you mean {hits[0]!r}?",) if hits else ()
