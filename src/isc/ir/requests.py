"""What the decision models decide on, and what they answer."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from urllib.parse import urlsplit

import attrs


@attrs.frozen
class Url:
    """A request URL split the way the models need it. Hosts are lower-case."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: str

    @classmethod
    def parse(cls, text: str) -> Url:
        return _parse_url(text)

    @classmethod
    def _parse(cls, text: str) -> Url:
        raw = text.strip()
        if "://" not in raw:
            raw = "http://" + raw
        parts = urlsplit(raw)
        host = (parts.hostname or "").rstrip(".")
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii") if not host.isascii() else host
        try:
            port = parts.port
        except ValueError:
            port = None
        scheme = parts.scheme.lower() or "http"
        default = {"http": 80, "https": 443, "ftp": 21}.get(scheme)
        if port == default:
            port = None
        return cls(scheme, host.lower(), port, parts.path or "/", parts.query)

    @property
    def netloc(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def without_scheme(self, *, host_only: bool = False) -> str:
        if host_only:
            return self.netloc
        q = f"?{self.query}" if self.query else ""
        return f"{self.netloc}{self.path}{q}"

    def full(self, *, host_only: bool = False) -> str:
        return f"{self.scheme}://{self.without_scheme(host_only=host_only)}"


@functools.lru_cache(maxsize=65536)
def _parse_url(text: str) -> Url:
    return Url._parse(text)


def _categories(value: object) -> tuple[str | int, ...]:
    if isinstance(value, str | int):
        return (value,)
    return tuple(value)  # type: ignore[call-overload,no-any-return,arg-type]


@attrs.frozen
class WebRequest:
    """A web request (interface.md). ``categories`` are the URL's predefined categories by
    IWSVA name, ZTSA name or TMUFE ID; ``when=None`` treats every schedule as active;
    ``decrypted=None`` lets the policy's HTTPS rules decide."""

    url: str
    client: str | None = None
    user: str | None = None
    groups: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    categories: tuple[str | int, ...] = attrs.field(default=(), converter=_categories)
    when: dt.datetime | None = None
    decrypted: bool | None = None
    file_type: str | None = None

    @property
    def parsed(self) -> Url:
        return Url.parse(self.url)


@attrs.frozen
class DecidedBy:
    kind: str
    name: str
    file: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "file": self.file, "line": self.line}


@attrs.frozen
class Decision:
    """A model's answer: the action and the object that decided it (None: a default)."""

    action: str
    decided_by: DecidedBy | None = None
    decrypted: bool | None = None
    modifications: tuple[str, ...] = ()
    trace: tuple[str, ...] = attrs.field(default=(), eq=False)

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "decidedBy": self.decided_by.to_json() if self.decided_by else None,
        }


@attrs.frozen
class Attachment:
    """One attachment as the mail models see it. ``file_type`` is the true file type
    (``EXE``, ``ZIP``...), given by the caller or guessed from content by ``from_eml``."""

    name: str
    content: str = ""
    mime_type: str = "application/octet-stream"
    file_type: str | None = None
    size: int = 0
    password_protected: bool = False


@attrs.frozen
class MailMessage:
    """A message evaluated for one recipient (interface.md, semantics.md §3).

    ``sender`` is the envelope sender; ``recipients`` every envelope recipient (``recipient``
    is the one this evaluation is for); ``headers`` every header in order, names as written.
    Scanner verdicts are the caller's (isc does not scan): ``virus``, ``spam_score``,
    ``graymail``, ``wrs_level`` (None | low | medium | high: the riskiest URL's rating),
    ``sea``, ``dlp_templates`` (names of templates that hit), ``dkim_pass`` (None: no
    signature). ``direction=None`` lets the Internal Addresses decide; ``when`` is the
    arrival time in minutes after midnight (None: any).
    """

    sender: str
    recipient: str
    recipients: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    headers: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=tuple)
    subject: str = ""
    body: str = ""
    attachments: tuple[Attachment, ...] = attrs.field(default=(), converter=tuple)
    size: int = 0
    direction: str | None = None
    client_ip: str | None = None
    when: int | None = None
    virus: bool = False
    spam_score: float | None = None
    graymail: bool = False
    wrs_level: str | None = None
    sea: bool = False
    dlp_templates: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    dkim_pass: bool | None = None

    def header(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (case-insensitive), in order."""
        low = name.lower()
        return tuple(v for k, v in self.headers if k.lower() == low)
