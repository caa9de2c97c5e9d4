"""What the decision models decide on, and what they answer."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.header
import email.message
import email.policy
import email.utils
import functools
import html.parser
import io
import ipaddress
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from isc.diagnostics import Span
from isc.errors import InputError, IscError
from isc.ir import categories

_T = TypeVar("_T")


@attrs.frozen(cache_hash=True)  # a key of the models' memos, hashed very often
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
        m = _SIMPLE_URL.match(text)
        if m is not None:  # the common shape, without urlsplit (a test checks they agree)
            return cls(m[1].lower(), m[2].lower(), None, m[3] or "/", m[4] or "")
        raw = text.strip()
        if "://" not in raw:
            raw = "http://" + raw
        try:
            parts = urlsplit(raw)
        except ValueError:
            # a bracketed host that is no IPv6 address ("[a]b"): the brackets are text
            parts = urlsplit(raw.replace("[", "%5B").replace("]", "%5D"))
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


#: ``http(s)://host/path?query`` with an ASCII host of letters, digits, dots and hyphens (not
#: ending in a dot), no port, user, fragment, blank or control character: what urlsplit
#: would split the same way.
_SIMPLE_URL = re.compile(
    r"(https?)://([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9-])?)"
    r"(/[!$-;=@-Z_a-z~\]^`{|}]*)?(?:\?([!$-;=?-Z_a-z~\]^`{|}]*))?\Z", re.IGNORECASE | re.ASCII)


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


def _strs(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _pairs(values: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in values)


def _attachments(values: Iterable[Attachment]) -> tuple[Attachment, ...]:
    return tuple(values)


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

    Added for the mail models (all defaulted): ``sender_groups`` / ``recipient_groups``, the
    LDAP groups (DNs or names, and the user's own DN) of each side; ``cc_email`` the C&C
    email verdict; ``undecryptable`` an encrypted message that could not be decrypted;
    ``spoofed_internal`` the verdict that an external message claims an internal sender;
    ``dmarc`` the DMARC result (None: passed or not checked; else the failing domain's
    published policy ``none | quarantine | reject``, or ``no-record``).
    """

    sender: str
    recipient: str
    recipients: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    headers: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    subject: str = ""
    body: str = ""
    attachments: tuple[Attachment, ...] = attrs.field(default=(),
                                                   converter=_attachments)
    size: int = 0
    direction: str | None = None
    client_ip: str | None = None
    when: int | None = None
    virus: bool = False
    spam_score: float | None = None
    graymail: bool = False
    wrs_level: str | None = None
    sea: bool = False
    dlp_templates: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    dkim_pass: bool | None = None
    sender_groups: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    recipient_groups: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    cc_email: bool = False
    undecryptable: bool = False
    spoofed_internal: bool = False
    dmarc: str | None = None

    def header(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (case-insensitive), in order."""
        low = name.lower()
        return tuple(v for k, v in self.headers if k.lower() == low)

    @classmethod
    def from_eml(cls, path_or_bytes: str | os.PathLike[str] | bytes, *,
                 recipient: str | None = None, direction: str | None = None,
                 virus: bool = False, spam_score: float | None = None,
                 graymail: bool = False, wrs_level: str | None = None, sea: bool = False,
                 dlp_templates: Iterable[str] = ()) -> MailMessage:
        """Read an RFC 5322 message (a path, or the raw bytes).

        The envelope sender is the Return-Path address, else the From address (``<>``: the
        null sender ``""``); the recipient defaults to the first To, then Cc, then
        Delivered-To / X-Original-To address; ``recipients`` are every To, Cc and Bcc
        address. Subject and headers are decoded (RFC 2047); the body is the text/plain
        parts, or the text/html parts reduced to text. Every other leaf part, and every
        part with a file name or ``Content-Disposition: attachment``, is an attachment:
        its decoded bytes give ``size``, ``file_type`` (:data:`TRUE_FILE_TYPES`, from magic
        bytes), ``password_protected`` (encrypted ZIP entries, PDF ``/Encrypt``, OLE
        ``EncryptedPackage``) and ``content`` (text parts decoded, Office Open XML text,
        otherwise the bytes when they are UTF-8 text). ``size`` of the message is the
        length of the raw bytes. Bad input raises :class:`~isc.errors.IscError`.
        """
        return _from_eml(path_or_bytes, recipient=recipient, direction=direction,
                         virus=virus, spam_score=spam_score, graymail=graymail,
                         wrs_level=wrs_level, sea=sea, dlp_templates=tuple(dlp_templates))


# ---------------------------------------------------------------------- .eml reading

#: The true-file-type names ``from_eml`` guesses from content (anything else: None).
TRUE_FILE_TYPES = (
    "EXE",    # MZ: Windows executable or DLL
    "ELF",    # Unix executable
    "CLASS",  # Java class
    "MSI",    # Windows Installer (an OLE container with the MSI class id, or named .msi)
    "DOC", "XLS", "PPT",  # Office 97-2003 (OLE containers)
    "OLE",    # any other OLE compound file
    "DOCX", "XLSX", "PPTX",  # Office Open XML (ZIP containers)
    "JAR",    # ZIP with a Java manifest
    "ZIP", "7Z", "RAR", "GZIP", "BZIP2", "CAB", "TAR",
    "PDF", "RTF",
    "PNG", "GIF", "JPEG", "BMP", "TIFF",
    "LNK",    # Windows shortcut
)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "EXE"), (b"\x7fELF", "ELF"), (b"\xca\xfe\xba\xbe", "CLASS"),
    (b"%PDF-", "PDF"), (b"{\\rtf", "RTF"), (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"7z\xbc\xaf\x27\x1c", "7Z"),
    (b"Rar!\x1a\x07", "RAR"), (b"\x1f\x8b", "GZIP"), (b"BZh", "BZIP2"), (b"MSCF", "CAB"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "LNK"),
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSI_CLSID = b"\x84\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
_OOXML_MAX = 16 * 1024 * 1024   # decompressed text read from one Office document


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _zip_names(data: bytes) -> tuple[list[zipfile.ZipInfo], zipfile.ZipFile | None]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        return zf.infolist(), zf
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return [], None


def _sniff(data: bytes, name: str) -> str | None:
    """The true file type of ``data`` (:data:`TRUE_FILE_TYPES`), None when unknown."""
    if data.startswith(_OLE):
        if _MSI_CLSID in data or name.lower().endswith(".msi"):
            return "MSI"
        for marker, kind in (("WordDocument", "DOC"), ("Workbook", "XLS"), ("Book", "XLS"),
                             ("PowerPoint Document", "PPT")):
            if _utf16(marker) in data:
                return kind
        return "OLE"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        names = [i.filename for i in _zip_names(data)[0]]
        if "[Content_Types].xml" in names:
            for prefix, kind in (("word/", "DOCX"), ("xl/", "XLSX"), ("ppt/", "PPTX")):
                if any(n.startswith(prefix) for n in names):
                    return kind
        if "META-INF/MANIFEST.MF" in names:
            return "JAR"
        return "ZIP"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(b"BM") and len(data) >= 26:
        return "BMP"
    if data[257:262] == b"ustar":
        return "TAR"
    return None


def _password_protected(data: bytes, file_type: str | None) -> bool:
    if file_type in ("ZIP", "DOCX", "XLSX", "PPTX", "JAR"):
        return any(i.flag_bits & 1 for i in _zip_names(data)[0])
    if file_type == "PDF":
        return b"/Encrypt" in data
    if file_type in ("OLE", "DOC", "XLS", "PPT"):
        return _utf16("EncryptedPackage") in data
    return False


class _HtmlText(html.parser.HTMLParser):
    """Text of an HTML document: tags dropped, entities decoded, scripts and styles left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(text: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(text)
        parser.close()
    except (ValueError, AssertionError):  # html.parser gives up on some broken markup
        return text
    return "".join(parser.parts)


def _decode(data: bytes, charset: str | None) -> str:
    """Text in its charset (unknown charsets as UTF-8), line ends as ``\\n`` whatever the
    file used."""
    text = None
    for cs in (charset, "utf-8"):
        if cs and text is None:
            try:
                text = data.decode(cs, errors="replace")
            except LookupError:
                continue
    if text is None:
        text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n")


def _ooxml_text(zf: zipfile.ZipFile) -> str:
    out: list[str] = []
    budget = _OOXML_MAX
    for info in zf.infolist():
        n = info.filename
        if not n.endswith(".xml") or not n.startswith(("word/", "xl/", "ppt/slides/")):
            continue
        if info.file_size > budget or info.flag_bits & 1:
            continue
        budget -= info.file_size
        try:
            raw = zf.read(info)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError,
                RuntimeError, zlib.error):
            continue
        out.append(html_to_text(raw.decode("utf-8", errors="replace")))
    return "\n".join(out)


def _content(data: bytes, mime: str, charset: str | None, file_type: str | None) -> str:
    if mime.startswith("text/"):
        text = _decode(data, charset)
        return html_to_text(text) if mime == "text/html" else text
    if file_type in ("DOCX", "XLSX", "PPTX"):
        zf = _zip_names(data)[1]
        return _ooxml_text(zf) if zf is not None else ""
    if file_type is None:
        try:
            return data.decode("utf-8").replace("\r\n", "\n")
        except UnicodeDecodeError:
            return ""
    return ""


def _header_value(msg: email.message.Message, name: str, raw: str) -> str:
    try:
        return str(msg.policy.header_fetch_parse(name, raw))
    except Exception:  # a header the parser cannot model: its words decoded by hand
        try:
            return str(email.header.make_header(email.header.decode_header(raw)))
        except Exception:
            return raw


def _addresses(values: Iterable[str]) -> list[str]:
    """The mail addresses of address headers; a local part alone is not one."""
    return [a for _, a in email.utils.getaddresses(list(values)) if "@" in a]


def _walk(part: email.message.Message, plain: list[str], htmls: list[str],
          atts: list[Attachment]) -> None:
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()
        body = inner[0] if isinstance(inner, list) and inner else None
        data = body.as_bytes() if isinstance(body, email.message.Message) else b""
        atts.append(Attachment(part.get_filename() or "", _decode(data, "utf-8"), ctype,
                               None, len(data)))
        return
    if part.is_multipart():
        for sub in part.get_payload():  # type: ignore[union-attr]
            if isinstance(sub, email.message.Message):
                _walk(sub, plain, htmls, atts)
        return
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    name = part.get_filename()
    charset = part.get_content_charset()
    if (name is None and part.get_content_disposition() != "attachment"
            and ctype in ("text/plain", "text/html")):
        text = _decode(data, charset)
        (plain if ctype == "text/plain" else htmls).append(
            text if ctype == "text/plain" else html_to_text(text))
        return
    file_type = _sniff(data, name or "")
    atts.append(Attachment(name or "", _content(data, ctype, charset, file_type), ctype,
                           file_type, len(data), _password_protected(data, file_type)))


def _read(source: str | os.PathLike[str] | bytes) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), "<message>"
    name = os.fspath(source)
    try:
        with open(name, "rb") as fh:
            return fh.read(), name
    except OSError as exc:
        raise InputError(f"cannot read the message: {exc.strerror or exc}",
                         code="ISC1009", span=Span(name)) from None


def _from_eml(source: str | os.PathLike[str] | bytes, *, recipient: str | None,
              direction: str | None, virus: bool, spam_score: float | None, graymail: bool,
              wrs_level: str | None, sea: bool, dlp_templates: tuple[str, ...]
              ) -> MailMessage:
    data, name = _read(source)
    if direction is not None and direction.strip().lower() not in (
            "incoming", "outgoing", "inbound", "outbound"):
        raise IscError(f"unknown mail direction {direction!r} (incoming or outgoing)",
                       code="ISC1006", span=Span(name))
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        headers = tuple((k, _header_value(msg, k, v)) for k, v in msg.raw_items())
        plain: list[str] = []
        htmls: list[str] = []
        atts: list[Attachment] = []
        _walk(msg, plain, htmls, atts)
    except IscError:
        raise
    except Exception as exc:  # the stdlib parser's failures on hostile input
        raise InputError(f"the message cannot be parsed: {exc}", code="ISC1009",
                         span=Span(name)) from None

    def get(h: str) -> list[str]:
        low = h.lower()
        return [v for k, v in headers if k.lower() == low]

    to, cc, bcc = _addresses(get("To")), _addresses(get("Cc")), _addresses(get("Bcc"))
    if recipient is None:
        fallback = _addresses(get("Delivered-To") + get("X-Original-To"))
        candidates = to + cc + fallback
        if not candidates:
            raise IscError("the message has no To or Cc address: name the recipient",
                           code="ISC1011", span=Span(name))
        recipient = candidates[0]
    elif "@" not in recipient:
        raise IscError(f"recipient {recipient!r} is not a mail address", code="ISC1011",
                       span=Span(name))
    every = list(dict.fromkeys(to + cc + bcc))
    if recipient.lower() not in {r.lower() for r in every}:
        every.append(recipient)
    return_path = get("Return-Path")
    if return_path:
        sender = email.utils.parseaddr(return_path[0])[1]
    else:
        senders = _addresses(get("From"))
        sender = senders[0] if senders else ""
    subject = get("Subject")
    return MailMessage(
        sender=sender, recipient=recipient, recipients=tuple(every), headers=headers,
        subject=subject[0] if subject else "",
        body="\n".join(plain) if plain else "\n".join(htmls),
        attachments=tuple(atts), size=len(data), direction=direction, virus=virus,
        spam_score=spam_score, graymail=graymail, wrs_level=wrs_level, sea=sea,
        dlp_templates=dlp_templates)


# ---------------------------------------------------------------------- JSON forms

# The JSON form of a request or message is what report.json witnesses hold and what
# ``isc explain --request/--message`` and ``verify --requests`` read: camelCase keys, and
# only the fields that differ from their defaults (an unset field is not a value to replay).

_WEB_FIELDS: dict[str, tuple[str, str]] = {
    # field: (key, kind)
    "url": ("url", "str"),
    "client": ("client", "str?"),
    "user": ("user", "str?"),
    "groups": ("groups", "strs"),
    "categories": ("categories", "categories"),
    "when": ("when", "datetime?"),
    "decrypted": ("decrypted", "bool?"),
    "file_type": ("fileType", "str?"),
}

_MAIL_FIELDS: dict[str, tuple[str, str]] = {
    "sender": ("sender", "str"),
    "recipient": ("recipient", "str"),
    "direction": ("direction", "str?"),
    "subject": ("subject", "str"),
    "body": ("body", "str"),
    "size": ("size", "int"),
    "client_ip": ("clientIp", "str?"),
    "when": ("when", "int?"),
    "virus": ("virus", "bool"),
    "spam_score": ("spamScore", "float?"),
    "graymail": ("graymail", "bool"),
    "wrs_level": ("wrsLevel", "str?"),
    "sea": ("sea", "bool"),
    "dkim_pass": ("dkimPass", "bool?"),
    "cc_email": ("ccEmail", "bool"),
    "undecryptable": ("undecryptable", "bool"),
    "spoofed_internal": ("spoofedInternal", "bool"),
    "dmarc": ("dmarc", "str?"),
    "recipients": ("recipients", "strs"),
    "dlp_templates": ("dlpTemplates", "strs"),
    "sender_groups": ("senderGroups", "strs"),
    "recipient_groups": ("recipientGroups", "strs"),
    "headers": ("headers", "pairs"),
    "attachments": ("attachments", "attachments"),
}

_ATTACHMENT_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("name", "str"),
    "file_type": ("fileType", "str?"),
    "mime_type": ("mimeType", "str"),
    "size": ("size", "int"),
    "password_protected": ("passwordProtected", "bool"),
    "content": ("content", "str"),
}


def _dump_value(kind: str, value: Any) -> Any:
    if kind == "datetime?":
        return value.isoformat()
    if kind == "categories":
        return [_category_text(x) for x in value]
    if kind == "pairs":
        return [[k, v] for k, v in value]
    if kind == "attachments":
        return [_dump_fields(a, _ATTACHMENT_FIELDS, always=("name",)) for a in value]
    if isinstance(value, tuple):
        return list(value)
    return value


def _category_text(value: str | int) -> str:
    """A category as a person reads it: a TMUFE ID becomes its IWSVA name where the name
    leads back to the same ID."""
    if isinstance(value, int) and value in categories.BY_ID:
        name = categories.BY_ID[value].name
        found = categories.lookup(name)
        if found is not None and found.id == value:
            return name
    return str(value)


def _dump_fields(obj: Any, fields: dict[str, tuple[str, str]], always: tuple[str, ...]
                 ) -> dict[str, Any]:
    """``fields`` of ``obj`` that differ from the defaults (those in ``always`` in any
    case), in the order of ``fields``."""
    default = type(obj)(**{name: getattr(obj, name) for name in always})
    out: dict[str, Any] = {}
    for name, (key, kind) in fields.items():
        value = getattr(obj, name)
        if name in always or value != getattr(default, name):
            out[key] = _dump_value(kind, value)
    return out


#: Whether a JSON value is of a field kind (only the kind asked is checked: a log replay
#: reads 10^6 of these).
_KIND_CHECKS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "datetime": lambda v: isinstance(v, str),
    "strs": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "categories": lambda v: isinstance(v, list) and all(
        isinstance(x, str | int) and not isinstance(x, bool) for x in v),
    "pairs": lambda v: isinstance(v, list) and all(
        isinstance(x, list) and len(x) == 2 and all(isinstance(y, str) for y in x)
        for x in v),
    "attachments": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
}


def _load_value(kind: str, value: Any, where: str) -> Any:
    """``value`` as a field of ``kind``; ValueError naming ``where`` when it is not one."""
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if value is None and optional:
        return None
    ok = _KIND_CHECKS[base](value)
    if not ok:
        raise ValueError(f"{where}: not a valid {base.replace('strs', 'list of strings')}")
    if base == "datetime":
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{where}: not an ISO date-time: {value!r}") from exc
    if base == "float":
        return float(value)
    if base == "pairs":
        return tuple((k, v) for k, v in value)
    if base == "attachments":
        return tuple(_load_fields(Attachment, v, _ATTACHMENT_FIELDS, ("name",),
                                  f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(value, list):
        return tuple(value)
    return value


def _load_fields(cls: type[_T], data: Any, fields: dict[str, tuple[str, str]],
                 required: tuple[str, ...], where: str) -> _T:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: not a JSON object")
    by_key = {key: (name, kind) for name, (key, kind) in fields.items()}
    unknown = sorted(set(data) - set(by_key))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r}; known: "
                         + ", ".join(sorted(by_key)))
    missing = [fields[n][0] for n in required if fields[n][0] not in data]
    if missing:
        raise ValueError(f"{where}: missing {missing[0]!r}")
    kwargs = {by_key[k][0]: _load_value(by_key[k][1], v, f"{where}.{k}")
              for k, v in data.items()}
    return cls(**kwargs)


def request_problem(r: WebRequest) -> str | None:
    """What makes a request unfit to decide, in words, or None: a URL that is no http(s)
    URL (no host, control characters or blanks, a port out of range, a bad IPv6 literal), or
    a client that is neither an IP address nor a host name."""
    url = r.url
    if _BLANK_OR_CONTROL.search(url):
        return f"the URL {url[:80]!r} has a blank or a control character"
    if len(url) > 8192:
        return "the URL is longer than 8,192 characters"
    raw = url if "://" in url else "http://" + url
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        return f"the URL {url[:80]!r} is malformed: {exc}"
    if parts.scheme.lower() not in ("http", "https", "ftp"):
        return f"the URL {url[:80]!r} is not http, https or ftp"
    if not parts.hostname:
        return f"the URL {url[:80]!r} has no host"
    if port is not None and not 0 < port < 65536:
        return f"the URL's port {port} is out of range 1..65535"
    client = r.client
    if client is not None:
        try:
            ipaddress.ip_address(client)
        except ValueError:
            looks_numeric = ":" in client or all(x.isdigit() for x in client.split("."))
            if looks_numeric or not _HOST_NAME.fullmatch(client):
                return (f"the client {client[:80]!r} is neither an IP address nor a host "
                        "name")
    return None


_BLANK_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")
#: A host name as a ``host`` account names a client (RFC 1123 labels).
_HOST_NAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?")


def request_to_json(r: WebRequest) -> dict[str, Any]:
    """A web request as JSON: ``url`` always, other fields when set."""
    return _dump_fields(r, _WEB_FIELDS, always=("url",))


def request_from_json(data: Any, where: str = "$") -> WebRequest:
    """The inverse of :func:`request_to_json`; ValueError names the bad key."""
    return _load_fields(WebRequest, data, _WEB_FIELDS, ("url",), where)


def message_to_json(m: MailMessage) -> dict[str, Any]:
    """A message as JSON: ``sender`` and ``recipient`` always, other fields when set."""
    return _dump_fields(m, _MAIL_FIELDS, always=("sender", "recipient"))


def message_from_json(data: Any, where: str = "$") -> MailMessage:
    """The inverse of :func:`message_to_json`; ValueError names the bad key."""
    return _load_fields(MailMessage, data, _MAIL_FIELDS, ("sender", "recipient"), where)
