"""The mail XML rule set (formats.md §4, docs/formats/mail.md) → a :class:`MailPolicy`
fragment.

One document at a time: decode it as its XML declaration says, refuse DTDs and entities
(``ISC4003``), parse it with lxml with entity resolution, DTD loading and network access
off, validate it against the shipped ``isc/schemas/imss-policy.xsd`` (each violation an
``ISC1013`` with its line), then build the IR with a :class:`Span` on every node. Values the
schema leaves as strings (booleans, enumerations, numbers, times, addresses) are checked
here (``ISC1006``, ``ISC1011``, ``ISC1012``). List files named by ``file`` attributes are
read through a resolver. References between objects are resolved by
:class:`isc.frontends.mail.MailBuilder` once every document is in. No lxml object leaves
this module.
"""

from __future__ import annotations

import bisect
import codecs
import copy as copy_module
import functools
import ipaddress
import posixpath
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import attrs
from lxml import etree

from isc.diagnostics import Diagnostic, Severity, Span
from isc.errors import DecodeError, IscError, LimitError, ParseError
from isc.frontends import _text
from isc.frontends._grammar import at_column, paused_gc
from isc.frontends.keywords import parse_expression, read_ahead, remembering
from isc.frontends.mail_addresses import parse_address, parse_domain
from isc.ir.mail import (
    Action,
    AddressGroup,
    Archive,
    AttachmentName,
    Bcc,
    Clean,
    Compare,
    Condition,
    DeleteAttachments,
    DkimEnforcement,
    DlpCondition,
    Dmarc,
    Flag,
    FlagCondition,
    InsertStamp,
    InsertXHeader,
    Intercept,
    InterceptAction,
    IpEntry,
    KeywordCondition,
    KeywordExpression,
    KeywordList,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Match,
    Measure,
    MessagePart,
    MimeType,
    Notification,
    Notify,
    Party,
    PartyKind,
    Postpone,
    ReceivedTime,
    Route,
    RouteException,
    RouteType,
    RuleType,
    SenderFiltering,
    SizeCondition,
    SpamCondition,
    Stamp,
    TagSubject,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)

__all__ = ["ROOT", "Resolver", "XmlResult", "parse_mail_xml"]

#: The root element of a rule set.
ROOT = "imss-policy"
#: The largest XML document read, and the largest run of text or one attribute value in it
#: (libxml2 itself refuses 10 MB; refusing earlier keeps memory bounded).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_VALUE_BYTES = 1024 * 1024
#: ``file`` attribute → the member's bytes, or None when the input has no such member.
Resolver = Callable[[str], bytes | None]

_XINCLUDE = "http://www.w3.org/2001/XInclude"
_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024 * 1024}
_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_JAPANESE = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "ms_kanji": "cp932", "csshiftjis": "cp932", "windows-31j": "cp932", "cp932": "cp932",
    "ms932": "cp932", "euc-jp": "euc_jp", "euc_jp": "euc_jp", "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp", "cseucpkdfmtjapanese": "euc_jp",
}
_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*?\?>")
_DECL_ENCODING = re.compile(r"""(\bencoding\s*=\s*)(["'])([^"']*)\2""")
_MASK = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
_START_TAG = re.compile(r"<([^\s/>!?][^\s/>]*)")
#: The rest of a start tag up to its closing ``>``, quoted attribute values skipped.
_TAG_REST = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*>""")


@attrs.define
class XmlResult:
    """What one XML document gave."""

    root: str | None = None
    """The root element's name (None when not well-formed and unknown)."""
    policy: MailPolicy | None = None
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    text: str | None = None
    encoding: str | None = None
    #: Every list file read: the key the resolver found it under → what it holds.
    lists: dict[str, str] = attrs.field(factory=dict)

    @property
    def is_rule_set(self) -> bool:
        return self.root == ROOT


# ---------------------------------------------------------------------- decoding


def _decode(data: bytes, path: str, encoding: str | None) -> tuple[str, str]:
    """The document text and the codec used: the XML declaration's encoding (Shift_JIS
    read as its superset CP932), else ``encoding``, else UTF-8; UTF-16 and UTF-32 by their
    BOM, UTF-16 without one by its NUL bytes. A declaration of UTF-16 or UTF-32 in a
    document that is neither is a contradiction (``ISC1013``), not a guess."""
    form = _text.unicode_form(data)
    if form is not None:
        codec, skip = form
        try:
            return data[skip:].decode(codec), codec
        except UnicodeDecodeError as exc:
            raise DecodeError(f"not valid {codec.upper()} at byte offset {exc.start + skip}",
                              span=Span(path)) from exc
    head = data[:1024].decode("latin-1")
    decl = _DECLARATION.match(head.lstrip("\ufeff\xef\xbb\xbf"))
    declared = None
    found = None
    if decl is not None:
        found = _DECL_ENCODING.search(decl.group())
        declared = found.group(3).strip() if found else None
    codec = encoding or "utf-8"
    if declared:
        codec = _JAPANESE.get(declared.lower(), declared)
        try:
            name = codecs.lookup(codec).name
        except LookupError:
            raise DecodeError(f"the XML declaration names an unknown encoding {declared!r}",
                              span=Span(path, 1, 1)) from None
        if name.startswith(("utf-16", "utf-32")):
            column = head.find(declared) + 1 if found else 1
            raise ParseError(
                f"the XML declaration says encoding={declared!r}, but the document is not "
                f"{name.upper()} (its declaration reads as single bytes); correct the "
                "declaration or save the file in the encoding it names", code="ISC1013",
                span=Span(path, 1, max(column, 1)))
    text, used = _text.decode(data, path, codec)
    return text, codecs.lookup(used).name


def _too_big(data: bytes, path: str) -> None:
    """Refuse a document, or one text or attribute value, over the size limits before any
    copy of it is made (``ISC4009``). Neither text nor an attribute value holds a raw ``<``,
    so every value lies between two ``<`` bytes; windows of half the limit are probed with
    ``bytes.find``, and only a window with no ``<`` is measured."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise LimitError(f"an XML document of {len(data)} bytes is over the limit of "
                         f"{MAX_DOCUMENT_BYTES} bytes; not read", code="ISC4009",
                         span=Span(path))
    window = MAX_VALUE_BYTES // 2
    pos = 0
    while pos + window <= len(data):
        if data.find(b"<", pos, pos + window) >= 0:
            pos += window
            continue
        start = data.rfind(b"<", 0, pos) + 1
        end = data.find(b"<", pos + window)
        end = len(data) if end < 0 else end
        if end - start > MAX_VALUE_BYTES:
            line = data.count(b"\n", 0, start) + 1
            column = start - (data.rfind(b"\n", 0, start) + 1) + 1
            raise LimitError(
                f"{end - start} bytes of text or attribute without markup, over the limit "
                f"of {MAX_VALUE_BYTES} bytes for one value; not read", code="ISC4009",
                span=Span(path, line, column))
        pos = end


def _for_lxml(text: str) -> bytes:
    """UTF-8 bytes lxml can parse: the text is already decoded, so the declaration's
    encoding is rewritten to UTF-8 (line and column numbers stay as they were below line 1)."""
    decl = _DECLARATION.match(text)
    if decl is not None:
        fixed = _DECL_ENCODING.sub(lambda m: f"{m.group(1)}{m.group(2)}UTF-8{m.group(2)}",
                                   decl.group())
        text = fixed + text[decl.end():]
    return text.encode("utf-8", "surrogatepass")


def _parser() -> etree.XMLParser:
    # a fresh parser per document: lxml keeps an error log per parser
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=False)


@functools.cache
def _schema() -> etree.XMLSchema:
    source = resources.files("isc.schemas").joinpath("imss-policy.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source, _parser()))


# ---------------------------------------------------------------------- positions


class _Positions:
    """Line and column of every start tag, found by scanning the text (lxml only gives the
    line where a start tag *ends*, and no column)."""

    def __init__(self, text: str, path: str, elements: list[etree._Element]) -> None:
        self.path = path
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        masked = _MASK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
        self.tags: dict[etree._Element, tuple[int, int]] = {}
        found = list(_START_TAG.finditer(masked))
        if len(found) == len(elements):
            for el, m in zip(elements, found, strict=True):
                # the local name, as etree.QName(el).localname gives it, without the object
                if m.group(1).rpartition(":")[2] != str(el.tag).rpartition("}")[2]:
                    self.tags.clear()
                    break
                self.tags[el] = (m.start(), self._tag_end(m.end()))

    def _tag_end(self, pos: int) -> int:
        """The offset just after the ``>`` that closes the start tag at ``pos`` (the end
        of the text if none does)."""
        rest = _TAG_REST.match(self.text, pos)
        return len(self.text) if rest is None else rest.end()

    def at(self, offset: int) -> Span:
        line = bisect.bisect_right(self.line_starts, offset)
        return Span(self.path, line, offset - self.line_starts[line - 1] + 1)

    def element(self, el: etree._Element) -> Span:
        where = self.tags.get(el)
        if where is None:
            return Span(self.path, _line(el), 1)
        return self.at(where[0])

    def attribute(self, el: etree._Element, name: str) -> Span:
        """The first character of the attribute's value."""
        where = self.tags.get(el)
        if where is not None:
            tag = self.text[where[0]:where[1]]
            m = re.search(rf"(?<=\s){re.escape(name)}\s*=\s*[\"']", tag)
            if m is not None:
                return self.at(where[0] + m.end())
        return self.element(el)

    def content(self, el: etree._Element) -> Span:
        """The first character of the element's text."""
        where = self.tags.get(el)
        if where is None:
            return self.element(el)
        return self.at(where[1])


# ---------------------------------------------------------------------- entry point


def parse_mail_xml(data: bytes, path: str, *, rel: str | None = None,
                   resolve: Resolver | None = None, encoding: str | None = None) -> XmlResult:
    """Read one XML document shown to the user as ``path`` (``rel``: its path inside its
    input). ``resolve`` finds the list files its ``file`` attributes name. Never raises for
    bad input: everything is in the result's diagnostics."""
    result = XmlResult()
    try:
        # a large rule set is hundreds of thousands of acyclic objects; its keyword lists
        # repeat expressions
        with paused_gc(), remembering():
            _parse(data, path, rel, resolve, encoding, result)
    except IscError as exc:
        result.diagnostics.append(exc.diagnostic())
    return result


def _parse(data: bytes, path: str, rel: str | None, resolve: Resolver | None,
           encoding: str | None, result: XmlResult) -> None:
    _too_big(data, path)
    text, codec = _decode(data, path, encoding)
    result.text, result.encoding = text, codec
    first = _START_TAG.search(_MASK.sub(" ", text))
    try:
        root = etree.fromstring(_for_lxml(text), _parser())
    except etree.XMLSyntaxError as exc:
        local = first.group(1).rpartition(":")[2] if first else None
        result.root = ROOT if local == ROOT else None
        if result.root is None:
            result.diagnostics.append(Diagnostic.at(
                "ISC2008", Severity.WARNING, "not well-formed XML and not an IMSVA/IMSS rule "
                f"set (no <{ROOT}> root); not read", Span(path)))
            return
        log: Any = exc.error_log
        entry = log.last_error if log else None
        line = (entry.line if entry else exc.lineno) or 0
        column = (entry.column if entry else exc.offset) or 1
        type_name = entry.type_name if entry else ""
        message = (entry.message if entry else str(exc)).strip()
        if "ENTITY" in type_name or "DTD" in type_name or "DOCTYPE" in type_name:
            raise ParseError(f"entity references are not allowed: {message}",
                             code="ISC4003", span=Span(path, line, column)) from None
        raise ParseError(f"not well-formed XML: {message}", code="ISC1013",
                         span=Span(path, line, column)) from None
    except (etree.LxmlError, ValueError) as exc:
        raise ParseError(f"not readable as XML: {exc}", code="ISC1013",
                         span=Span(path)) from None
    tree = root.getroottree()
    info: Any = tree.docinfo
    result.root = root.tag if isinstance(root.tag, str) else None
    if result.root is not None and etree.QName(root).localname == ROOT:
        namespace = etree.QName(root).namespace
        result.root = ROOT
        if namespace is not None:
            elements = [el for el in root.iter() if isinstance(el.tag, str)]
            raise ParseError(
                f"the root <{ROOT}> is in the XML namespace {namespace!r}; an IMSVA/IMSS "
                "rule set has no namespace: remove the xmlns declaration", code="ISC1013",
                span=_Positions(text, path, elements).element(root))
    if result.root != ROOT:
        what = "no root element" if result.root is None else f"root <{result.root}>"
        notes = ("its DTD was not processed",) if info.doctype else ()
        result.diagnostics.append(Diagnostic.at(
            "ISC2008", Severity.WARNING,
            f"an XML document that is not an IMSVA/IMSS rule set ({what}); not read",
            Span(path), notes))
        return
    elements = list(root.iter(etree.Element))  # elements only, in document order
    positions = _Positions(text, path, elements)
    if _hostile(tree, root, positions, result.diagnostics):
        return
    violations = _validate(root, positions)
    if violations:
        result.diagnostics.extend(violations)
        return
    reader = _Reader(path, rel or path, positions, resolve, encoding, result)
    result.policy = reader.policy(root)


def _validate(root: etree._Element, positions: _Positions) -> list[Diagnostic]:
    """Every schema violation, each at its element. libxml2 stops checking a content model
    at its first violation, so each top-level object is validated on its own (the root's
    children are an unordered choice, so this is the same check) to report them all."""
    schema = _schema()
    if schema.validate(root.getroottree()):
        return []
    whole: Any = schema.error_log
    # kept in case no single object shows the violation
    fallback = [Diagnostic.at("ISC1013", Severity.ERROR,
                              f"{entry.message} (schema imss-policy.xsd)",
                              Span(positions.path, entry.line or 0, 1)) for entry in whole][:1]
    out: dict[tuple[int, int, str], Diagnostic] = {}
    children: list[etree._Element | None] = [c for c in root if isinstance(c.tag, str)]
    for child in children or [None]:
        wrapper = etree.Element(root.tag, {str(k): str(v) for k, v in root.items()})
        originals: list[etree._Element] = [root]
        if child is not None:
            wrapper.append(copy_module.deepcopy(child))
            originals.extend(e for e in child.iter() if isinstance(e.tag, str))
        copies = [e for e in wrapper.iter() if isinstance(e.tag, str)]
        by_copy: dict[etree._Element, etree._Element] = {}
        for copied, original in zip(copies, originals, strict=False):
            by_copy[copied] = original
        if schema.validate(wrapper):
            continue
        errors: Any = schema.error_log
        for entry in errors:
            span = Span(positions.path, entry.line or 0, 1)
            found: Any = wrapper.getroottree().xpath(entry.path) if entry.path else []
            if isinstance(found, list) and found and found[0] in by_copy:
                span = positions.element(by_copy[found[0]])
            message = f"{entry.message.strip()} (schema imss-policy.xsd)"
            out.setdefault((span.line, span.column, message), Diagnostic.at(
                "ISC1013", Severity.ERROR, message, span))
    return list(out.values()) or fallback


def _doctype_span(positions: _Positions) -> Span:
    """Where ``<!DOCTYPE`` is written (line 1 if it cannot be found)."""
    at = positions.text.find("<!DOCTYPE")
    if at < 0:
        return Span(positions.path, 1, 1)
    line = positions.text.count("\n", 0, at) + 1
    return Span(positions.path, line, at - positions.line_starts[line - 1] + 1)


def _hostile(tree: etree._ElementTree, root: etree._Element, positions: _Positions,
             diags: list[Diagnostic]) -> bool:
    """Report DTDs, entity declarations and references, and XInclude (``ISC4003``)."""
    info: Any = tree.docinfo
    found = False
    if info.doctype or info.internalDTD is not None or info.system_url or info.public_id:
        declared = ""
        dtd = info.internalDTD
        if dtd is not None and any(True for _ in dtd.iterentities()):
            declared = " with entity declarations"
        diags.append(Diagnostic.at(
            "ISC4003", Severity.ERROR,
            f"a DOCTYPE{declared} is not allowed in a rule set; isc loads no DTD and expands "
            "no entity", _doctype_span(positions),
            ("remove the <!DOCTYPE ...> declaration",)))
        found = True
    # entity references and XInclude elements only (lxml filters in C), in document order
    for node in root.iter(etree.Entity, f"{{{_XINCLUDE}}}*"):
        if isinstance(node, etree._Entity):
            diags.append(Diagnostic.at(
                "ISC4003", Severity.ERROR, f"entity reference {node.text} is not allowed",
                Span(positions.path, _line(node), 1)))
            found = True
        elif isinstance(node.tag, str) and etree.QName(node).namespace == _XINCLUDE:
            diags.append(Diagnostic.at(
                "ISC4003", Severity.ERROR, "XInclude is not allowed (isc never fetches files "
                "or URLs named in a document)", positions.element(node)))
            found = True
    return found


# ---------------------------------------------------------------------- the IR


def _line(node: Any) -> int:
    line = getattr(node, "sourceline", None)
    return line if isinstance(line, int) else 0


def _children(el: etree._Element) -> Iterator[etree._Element]:
    for child in el:
        if isinstance(child.tag, str):
            yield child


def _text_of(el: etree._Element) -> str:
    """An element's character content, comments and processing instructions left out."""
    parts = [el.text or ""]
    parts.extend(child.tail or "" for child in el)
    return "".join(parts)


class _Reader:
    def __init__(self, path: str, rel: str, positions: _Positions, resolve: Resolver | None,
                 encoding: str | None, result: XmlResult) -> None:
        self.path = path
        self.rel = rel
        self.pos = positions
        self.resolve = resolve
        self.encoding = encoding
        self.result = result

    # ------------------------------------------------------------------ diagnostics

    def report(self, code: str, severity: Severity, message: str, span: Span | None,
               notes: tuple[str, ...] = ()) -> None:
        self.result.diagnostics.append(Diagnostic.at(code, severity, message, span, notes))

    def error(self, exc: IscError) -> None:
        self.result.diagnostics.append(exc.diagnostic())

    # ------------------------------------------------------------------ values

    def span(self, el: etree._Element) -> Span:
        return self.pos.element(el)

    def enum(self, el: etree._Element, name: str, allowed: tuple[str, ...], default: str
             ) -> str:
        value = el.get(name)
        if value is None:
            return default
        if value.strip() in allowed:
            return value.strip()
        self.report("ISC1006", Severity.ERROR,
                    f"<{el.tag}> {name} takes {'|'.join(allowed)}, not {value!r}",
                    self.pos.attribute(el, name))
        return default

    def boolean(self, el: etree._Element, name: str, default: bool) -> bool:
        value = el.get(name)
        if value is None:
            return default
        try:
            return _BOOLS[value.strip().lower()]
        except KeyError:
            self.report("ISC1006", Severity.ERROR,
                        f"<{el.tag}> {name} takes true|false|yes|no|1|0, not {value!r}",
                        self.pos.attribute(el, name))
            return default

    def integer(self, value: str, what: str, span: Span, low: int | None = None,
                high: int | None = None) -> int | None:
        text = value.strip()
        if not _INT.fullmatch(text):
            self.report("ISC1006", Severity.ERROR, f"{what} takes a whole number, not {value!r}",
                        span)
            return None
        bounds = f"{'' if low is None else low}..{'' if high is None else high}"
        if len(text.lstrip("+-")) > 18:  # never int() of thousands of digits
            self.report("ISC1006", Severity.ERROR, f"{what} = {text[:24]}… is out of range "
                        f"{bounds}", span)
            return None
        n = int(text)
        if (low is not None and n < low) or (high is not None and n > high):
            self.report("ISC1006", Severity.ERROR, f"{what} = {n} is out of range {bounds}",
                        span)
            return None
        return n

    def minutes(self, el: etree._Element, name: str, *, end_of_day: bool = False
                ) -> int | None:
        value = el.get(name) or ""
        m = _HHMM.fullmatch(value.strip())
        if m is not None:
            hours, mins = int(m.group(1)), int(m.group(2))
            total = hours * 60 + mins
            if mins < 60 and (total < 1440 or (end_of_day and total == 1440)):
                return total
        limit = "00:00-24:00" if end_of_day else "00:00-23:59"
        self.report("ISC1006", Severity.ERROR,
                    f"<{el.tag}> {name} takes a time HH:MM ({limit}), not {value!r}",
                    self.pos.attribute(el, name))
        return None

    def address(self, text: str, span: Span, *, sender_list: bool = False,
                wildcards: bool = True) -> str | None:
        try:
            return parse_address(text, span, sender_list=sender_list, wildcards=wildcards)
        except IscError as exc:
            self.error(exc)
            return None

    def addresses(self, text: str, span: Span) -> tuple[str, ...]:
        """``a@x;b@y``: plain addresses separated by semicolons."""
        out: list[str] = []
        offset = 0
        for part in text.split(";"):
            if part.strip():
                found = self.address(part, at_column(span, span.column + offset),
                                     wildcards=False)
                if found is not None:
                    out.append(found)
            offset += len(part) + 1
        return tuple(out)

    def ip(self, text: str, span: Span) -> str | None:
        value = text.strip()
        try:
            if "/" in value:
                return ipaddress.ip_network(value, strict=False).compressed
            return ipaddress.ip_address(value).compressed
        except ValueError:
            self.report("ISC1006", Severity.ERROR,
                        f"{value!r} is not an IPv4 or IPv6 address or network", span)
            return None

    def domain(self, el: etree._Element, *, wildcard: bool = False) -> str | None:
        try:
            return parse_domain(_text_of(el), self.pos.content(el), wildcard=wildcard)
        except IscError as exc:
            self.error(exc)
            return None

    # ------------------------------------------------------------------ list files

    def list_file(self, el: etree._Element, kind: str, *, comments: bool = True
                  ) -> list[tuple[str, Span]]:
        """The entries of the file ``el``'s ``file`` attribute names: one per line, blank
        lines (and ``#`` comment lines when ``comments``) skipped."""
        name = el.get("file")
        if name is None:
            return []
        where = self.pos.attribute(el, "file")
        if not name.strip():
            self.report("ISC1006", Severity.ERROR, f"<{el.tag}> file is empty", where)
            return []
        if name.startswith("/") or posixpath.normpath(
                posixpath.join(posixpath.dirname(self.rel), name)).startswith(".."):
            self.report("ISC4002", Severity.ERROR,
                        f"list file {name!r} is outside the export; not read", where)
            return []
        found: tuple[str, bytes] | None = None
        if self.resolve is not None:
            for base in dict.fromkeys((self.path, self.rel)):
                key = posixpath.normpath(posixpath.join(posixpath.dirname(base), name))
                data = self.resolve(key)
                if data is not None:
                    found = (key, data)
                    break
        if found is None:
            self.report("ISC2003", Severity.ERROR,
                        f"list file {name!r} is not in the input", where,
                        ("file paths are relative to the XML document's directory",))
            return []
        key, data = found
        self.result.lists[key] = kind
        # show the list as its member is shown: an archive member found by its path inside
        # the archive is "ARCHIVE:MEMBER", like the XML document itself
        display = key
        if key != posixpath.normpath(posixpath.join(posixpath.dirname(self.path), name)) \
                and self.rel and self.path.endswith(self.rel):
            display = self.path[:len(self.path) - len(self.rel)] + key
        try:
            text, _ = _text.decode(data, display, self.encoding)
        except IscError as exc:
            self.error(exc)
            return []
        out: list[tuple[str, Span]] = []
        # '#' starts a comment in every list file; a keyword that starts with '#' is
        # written '\#' (the example export's lists carry comment lines). One loop per kind,
        # as a list may hold hundreds of thousands of lines.
        if comments:  # entries trimmed, at the column of their first character
            for number, raw in enumerate(text.split("\n"), start=1):
                stripped = raw.strip()
                if stripped and stripped[0] != "#":
                    column = len(raw) - len(raw.lstrip()) + 1
                    out.append((stripped, Span(display, number, column)))
            return out
        for number, raw in enumerate(text.split("\n"), start=1):
            line = raw.rstrip()  # leading blanks are part of a keyword
            stripped = line.lstrip()
            if stripped and stripped[0] != "#":
                out.append((line, Span(display, number, 1)))
        return out

    # ------------------------------------------------------------------ document

    def policy(self, root: etree._Element) -> MailPolicy:
        product = root.get("product")
        if product is not None and product.strip() not in ("IMSVA", "IMSS"):
            self.report("ISC1006", Severity.ERROR,
                        f"product takes IMSVA|IMSS, not {product!r}",
                        self.pos.attribute(root, "product"))
        domains: list[str] = []
        groups: list[AddressGroup] = []
        keyword_lists: list[KeywordList] = []
        stamps: list[Stamp] = []
        notifications: list[Notification] = []
        rules: list[MailRule] = []
        approved: list[Party] = []
        blocked: list[Party] = []
        filtering: list[SenderFiltering] = []
        dmarcs: list[Dmarc] = []
        dkims: list[DkimEnforcement] = []
        domain_spans: list[Span | None] = []
        # the keyword lists' expressions read first, together (on both cores for a large
        # rule set); each is then found read in its turn
        read_ahead(_text_of(child) for el in _children(root) if el.tag == "keyword-list"
                   for child in _children(el))
        for el in _children(root):
            try:
                tag = el.tag
                if tag == "internal-addresses":
                    for c in _children(el):
                        d = self.domain(c, wildcard=True)
                        if d is not None:
                            domains.append(d)
                            domain_spans.append(self.pos.element(c))
                elif tag == "address-group":
                    groups.append(self.address_group(el))
                elif tag == "keyword-list":
                    keyword_lists.append(self.keyword_list(el))
                elif tag == "stamp":
                    stamps.append(Stamp(el.get("name", ""), _text_of(el), self.enum(
                        el, "position", ("beginning", "end"), "end"), span=self.span(el)))
                elif tag == "notification":
                    to = el.get("to", "")
                    self.addresses(to, self.pos.attribute(el, "to"))
                    notifications.append(Notification(
                        el.get("name", ""), to.strip(), el.get("subject", ""), _text_of(el),
                        span=self.span(el)))
                elif tag == "rule":
                    rules.append(self.rule(el))
                elif tag in ("approved-senders", "blocked-senders"):
                    target = approved if tag == "approved-senders" else blocked
                    target.extend(self.senders(el))
                elif tag == "sender-filtering":
                    filtering.append(self.sender_filtering(el))
                elif tag == "dmarc":
                    dmarcs.append(self.dmarc(el))
                elif tag == "dkim-enforcement":
                    dkims.append(self.dkim(el))
            except IscError as exc:
                self.error(exc)
        for kind, items in (("sender-filtering", filtering), ("dmarc", dmarcs),
                            ("dkim-enforcement", dkims)):
            for extra in items[1:]:
                self.report("ISC2005", Severity.ERROR,
                            f"<{kind}> is given twice; the first is at {items[0].span}",
                            extra.span)
        return MailPolicy(
            product=product.strip() if product is not None else None,
            version=root.get("version"),
            internal_domains=tuple(domains),
            internal_spans=tuple(domain_spans),
            address_groups=tuple(groups),
            keyword_lists=tuple(keyword_lists),
            stamps=tuple(stamps),
            notifications=tuple(notifications),
            rules=tuple(rules),
            approved_senders=tuple(approved),
            blocked_senders=tuple(blocked),
            sender_filtering=filtering[0] if filtering else None,
            dmarc=dmarcs[0] if dmarcs else None,
            dkim_enforcement=dkims[0] if dkims else None,
        )

    # ------------------------------------------------------------------ policy objects

    def party(self, el: etree._Element, *, sender_list: bool = False) -> Party | None:
        span = self.span(el)
        tag = el.tag
        if tag == "anyone":
            return Party(PartyKind.ANYONE, span=span)
        if tag == "address":
            value = self.address(_text_of(el), self.pos.content(el), sender_list=sender_list)
            return None if value is None else Party(PartyKind.ADDRESS, value, span=span)
        if tag == "address-group":
            return Party(PartyKind.ADDRESS_GROUP, el.get("ref", ""), span=span)
        name = _text_of(el).strip()
        if not name:
            self.report("ISC1006", Severity.ERROR, f"<{tag}> is empty", span)
            return None
        kind = PartyKind.LDAP_GROUP if tag == "ldap-group" else PartyKind.LDAP_USER
        return Party(kind, name, span=span)

    def parties(self, el: etree._Element | None, *, sender_list: bool = False
                ) -> tuple[Party, ...]:
        if el is None:
            return ()
        found = (self.party(c, sender_list=sender_list) for c in _children(el))
        return tuple(p for p in found if p is not None)

    def address_group(self, el: etree._Element) -> AddressGroup:
        members = list(self.parties(el))
        for entry, span in self.list_file(el, "mail list (address group)"):
            value = self.address(entry, span)
            if value is not None:
                members.append(Party(PartyKind.ADDRESS, value, span=span))
        return AddressGroup(el.get("name", ""), tuple(members), span=self.span(el))

    def senders(self, el: etree._Element) -> list[Party]:
        members = list(self.parties(el, sender_list=True))
        for entry, span in self.list_file(el, "mail list (senders)"):
            value = self.address(entry, span, sender_list=True)
            if value is not None:
                members.append(Party(PartyKind.ADDRESS, value, span=span))
        return members

    def expression(self, text: str, span: Span, *, case_sensitive: bool = False,
                   score: int = 0, description: str = "", at: Span | None = None
                   ) -> KeywordExpression | None:
        """The expression ``text`` (which starts at ``span``); the IR node is at ``at``,
        default ``span``."""
        try:
            node = parse_expression(text, span)
        except IscError as exc:
            self.error(exc)
            return None
        return KeywordExpression(text, node, case_sensitive, score, description,
                                 span=span if at is None else at)

    def keyword_list(self, el: etree._Element) -> KeywordList:
        span = self.span(el)
        name = el.get("name", "")
        match = KeywordMatch(self.enum(el, "match", tuple(m.value for m in KeywordMatch),
                                       "any"))
        threshold_text = el.get("threshold")
        threshold: int | None = None
        if threshold_text is not None and threshold_text.strip():
            threshold = self.integer(threshold_text, f"keyword-list \"{name}\" threshold",
                                     self.pos.attribute(el, "threshold"))
        expressions: list[KeywordExpression] = []
        for child in _children(el):
            score = self.integer(child.get("score", "0"), "expression score",
                                 self.pos.attribute(child, "score"), -10, 10)
            found = self.expression(
                _text_of(child), self.pos.content(child),
                case_sensitive=self.boolean(child, "case-sensitive", False),
                score=0 if score is None else score, description=child.get("description", ""),
                at=self.span(child))
            if found is not None:
                expressions.append(found)
        for entry, line_span in self.list_file(el, "mail list (keyword list)", comments=False):
            found = self.expression(entry, line_span)
            if found is not None:
                expressions.append(found)
        if match is KeywordMatch.SCORE and threshold is None and (
                threshold_text is None or not threshold_text.strip()):
            self.report("ISC2007", Severity.ERROR,
                        f"keyword-list \"{name}\" matches by score but has no threshold", span)
        elif match is not KeywordMatch.SCORE and threshold is not None:
            self.report("ISC2002", Severity.WARNING,
                        f"keyword-list \"{name}\": threshold has no meaning unless "
                        "match=\"score\"; kept", self.pos.attribute(el, "threshold"))
        return KeywordList(name, match, threshold, tuple(expressions), span=span)

    # ------------------------------------------------------------------ rules

    def rule(self, el: etree._Element) -> MailRule:
        span = self.span(el)
        order = self.integer(el.get("order", ""), f"rule \"{el.get('name', '')}\" order",
                             self.pos.attribute(el, "order"), 0)
        rule_type = RuleType(self.enum(el, "type", ("antivirus", "other"), "other"))
        route_el = el.find("route")
        conditions_el = el.find("conditions")
        actions_el = el.find("actions")
        notes_el = el.find("notes")
        match = Match.ANY
        conditions: tuple[Condition, ...] = ()
        if conditions_el is not None:
            match = Match(self.enum(conditions_el, "match", ("any", "all"), "any"))
            conditions = tuple(c for c in (self.condition(c) for c in _children(conditions_el))
                               if c is not None)
        intercept = Intercept(span=span)
        actions: tuple[Action, ...] = ()
        if actions_el is not None:
            intercept, actions = self.actions(actions_el, span)
        return MailRule(
            name=el.get("name", ""),
            order=0 if order is None else order,
            enabled=self.boolean(el, "enabled", True),
            type=rule_type,
            route=self.route(route_el, span),
            match=match,
            conditions=conditions,
            intercept=intercept,
            actions=actions,
            notes="" if notes_el is None else _text_of(notes_el),
            span=span,
        )

    def route(self, el: etree._Element | None, rule_span: Span) -> Route:
        if el is None:
            return Route(span=rule_span)
        route_type = RouteType(self.enum(el, "type", tuple(t.value for t in RouteType),
                                         "incoming"))
        exceptions = tuple(RouteException(self.side(c, "sender"), self.side(c, "recipient"),
                                          span=self.span(c))
                           for c in _children(el) if c.tag == "exception")
        return Route(route_type, self.parties(el.find("senders")),
                     self.parties(el.find("recipients")), exceptions, span=self.span(el))

    def side(self, el: etree._Element, prefix: str) -> Party:
        given = [(suffix, value) for suffix in ("", "-group", "-ldap-group")
                 if (value := el.get(prefix + suffix)) is not None]
        if not given:
            return Party(PartyKind.ANYONE, span=self.span(el))
        if len(given) > 1:
            names = ", ".join(prefix + s for s, _ in given)
            self.report("ISC1013", Severity.ERROR,
                        f"<exception> takes one of {prefix}, {prefix}-group, "
                        f"{prefix}-ldap-group, not {names}", self.span(el))
        suffix, value = given[0]
        where = self.pos.attribute(el, prefix + suffix)
        if suffix == "":
            found = self.address(value, where)
            return Party(PartyKind.ADDRESS, found or value.strip(), span=where)
        if suffix == "-group":
            return Party(PartyKind.ADDRESS_GROUP, value, span=where)
        if not value.strip():
            self.report("ISC1006", Severity.ERROR, f"{prefix}-ldap-group is empty", where)
        return Party(PartyKind.LDAP_GROUP, value.strip(), span=where)

    def condition(self, el: etree._Element) -> Condition | None:
        tag = el.tag
        span = self.span(el)
        text = _text_of(el).strip()
        if tag in ("attachment-name", "true-file-type", "mime-type"):
            if not text:
                self.report("ISC1006", Severity.ERROR, f"<{tag}> is empty", span)
                return None
            if tag == "attachment-name":
                return AttachmentName(text, span=span)
            if tag == "true-file-type":
                return TrueFileType(text, span=span)
            return MimeType(text, span=span)
        if tag in ("attachment-size", "message-size", "attachment-count", "recipient-count"):
            return self.size(el, span)
        if tag in ("subject", "body", "attachment-content", "header"):
            headers: tuple[str, ...] = ()
            if tag == "header":
                headers = tuple(h.strip() for h in el.get("names", "").split(",") if h.strip())
                if not headers:
                    self.report("ISC1006", Severity.ERROR, "<header> names no header field",
                                self.pos.attribute(el, "names"))
            return KeywordCondition(MessagePart(tag), el.get("keyword-list", ""), headers,
                                    span=span)
        if tag == "spam":
            return self.spam(el, span)
        if tag == "web-reputation":
            return WebReputationCondition(
                self.enum(el, "level", ("high", "medium", "low"), "medium"),
                self.enum(el, "untested", ("bypass", "apply", "submit"), "bypass"),
                self.boolean(el, "time-of-click", False), span=span)
        if tag == "dlp":
            template = el.get("template", "").strip()
            if not template:
                self.report("ISC1006", Severity.ERROR, "<dlp> template is empty", span)
                return None
            return DlpCondition(template, span=span)
        if tag == "received-time":
            start = self.minutes(el, "from")
            end = self.minutes(el, "to", end_of_day=True)
            if start is None or end is None:
                return None
            return ReceivedTime(start, end, span=span)
        if tag == "virus":
            scan = self.enum(el, "scan", ("all", "intelliscan", "extensions"), "all")
            extensions = tuple(e.strip() for e in el.get("extensions", "").split(",")
                               if e.strip())
            if scan != "extensions" and extensions:
                self.report("ISC2002", Severity.WARNING,
                            f"<virus> extensions have no meaning with scan=\"{scan}\"; kept",
                            self.pos.attribute(el, "extensions"))
            return VirusCondition(scan, extensions, span=span)
        return FlagCondition(Flag(tag), span=span)

    def size(self, el: etree._Element, span: Span) -> SizeCondition | None:
        measure = Measure(el.tag)
        op = self.enum(el, "op", tuple(c.value for c in Compare), "")
        unit = ""
        if measure in (Measure.ATTACHMENT_SIZE, Measure.MESSAGE_SIZE):
            unit = self.enum(el, "unit", ("B", "KB", "MB"), "") if el.get("unit") else ""
        value = self.integer(_text_of(el), f"<{el.tag}>", self.pos.content(el), 0)
        if not op or value is None:
            return None
        return SizeCondition(measure, Compare(op), value * _UNITS[unit], unit, span=span)

    def spam(self, el: etree._Element, span: Span) -> SpamCondition | None:
        rate = el.get("catch-rate")
        threshold = el.get("threshold")
        if rate is not None and threshold is not None:
            self.report("ISC1006", Severity.ERROR,
                        "<spam> takes catch-rate or threshold, not both", span)
            return None
        if threshold is None:
            return SpamCondition(self.enum(el, "catch-rate", ("high", "medium", "low"),
                                           "medium"), None, span=span)
        value = threshold.strip()
        if not _DECIMAL.fullmatch(value) or not 3.0 <= float(value) <= 10.0:
            self.report("ISC1006", Severity.ERROR,
                        f"<spam> threshold takes a number 3.0-10.0, not {threshold!r}",
                        self.pos.attribute(el, "threshold"))
            return None
        return SpamCondition(None, value, span=span)

    def actions(self, el: etree._Element, rule_span: Span
                ) -> tuple[Intercept, tuple[Action, ...]]:
        intercept = Intercept(span=rule_span)
        actions: list[Action] = []
        for child in _children(el):
            if child.tag == "intercept":
                intercept = self.intercept(child)
                continue
            action = self.action(child)
            if action is not None:
                actions.append(action)
        return intercept, tuple(actions)

    def intercept(self, el: etree._Element) -> Intercept:
        span = self.span(el)
        action = InterceptAction(self.enum(
            el, "action", ("none", "delete", "quarantine", "change-recipient", "handoff"),
            "none"))
        used = {InterceptAction.QUARANTINE: {"area"},
                InterceptAction.CHANGE_RECIPIENT: {"to"},
                InterceptAction.HANDOFF: {"host", "port"}}.get(action, set())
        for name in ("area", "to", "host", "port"):
            if el.get(name) is not None and name not in used:
                self.report("ISC2002", Severity.WARNING,
                            f"<intercept> {name} has no meaning with action=\"{action.value}\"; "
                            "ignored", self.pos.attribute(el, name))
        area = el.get("area") if action is InterceptAction.QUARANTINE else None
        recipients: tuple[str, ...] = ()
        host: str | None = None
        port: int | None = None
        if action is InterceptAction.CHANGE_RECIPIENT:
            recipients = self.addresses(el.get("to", ""), self.pos.attribute(el, "to"))
            if not recipients and not el.get("to", "").strip():
                self.report("ISC2007", Severity.ERROR,
                            "change-recipient needs to=\"address;address\"", span)
        elif action is InterceptAction.HANDOFF:
            host = (el.get("host") or "").strip() or None
            if host is None:
                self.report("ISC2007", Severity.ERROR, "handoff needs host=\"...\"", span)
            if el.get("port") is not None:
                port = self.integer(el.get("port", ""), "<intercept> port",
                                    self.pos.attribute(el, "port"), 1, 65535)
        return Intercept(action, area, recipients, host, port, span=span)

    def action(self, el: etree._Element) -> Action | None:
        tag = el.tag
        span = self.span(el)
        if tag == "delete-attachments":
            return DeleteAttachments(self.enum(el, "scope", ("matching", "all"), "matching"),
                                     span=span)
        if tag == "clean":
            return Clean(self.enum(el, "fallback", ("matching", "all"), "matching"), span=span)
        if tag == "insert-stamp":
            return InsertStamp(el.get("ref", ""), span=span)
        if tag == "tag-subject":
            return TagSubject(_text_of(el), span=span)
        if tag == "insert-x-header":
            name = el.get("name", "").strip()
            if not name:
                self.report("ISC1006", Severity.ERROR, "<insert-x-header> name is empty", span)
                return None
            return InsertXHeader(name, el.get("value", ""), span=span)
        if tag == "postpone":
            until = self.minutes(el, "until")
            return None if until is None else Postpone(until, span=span)
        if tag == "notify":
            return Notify(el.get("ref", ""), span=span)
        if tag == "bcc":
            found = self.addresses(_text_of(el), self.pos.content(el))
            if not found and not _text_of(el).strip(";").strip():  # bad ones: ISC1011
                self.report("ISC1006", Severity.ERROR, "<bcc> names no address", span)
                return None
            return Bcc(found, span=span)
        area = el.get("area", "").strip()
        if not area:
            self.report("ISC1006", Severity.ERROR, "<archive> area is empty", span)
            return None
        return Archive(area, span=span)

    # ------------------------------------------------------------------ global settings

    def sender_filtering(self, el: etree._Element) -> SenderFiltering:
        reputation = el.find("email-reputation")
        enabled = False
        level = "standard"
        if reputation is not None:
            enabled = self.boolean(reputation, "enabled", False)
            level = self.enum(reputation, "level", ("standard", "advanced"), "standard")
        approved: list[IpEntry] = []
        blocked: list[IpEntry] = []
        for child in _children(el):
            if child.tag == "approved-ip":
                value = self.ip(_text_of(child), self.pos.content(child))
                if value is not None:
                    approved.append(IpEntry(value, span=self.span(child)))
            elif child.tag == "blocked-ip":
                action = self.enum(child, "action", ("block-permanently", "block-temporarily"),
                                   "block-permanently")
                value = self.ip(_text_of(child), self.pos.content(child))
                if value is not None:
                    blocked.append(IpEntry(value, action, span=self.span(child)))
        return SenderFiltering(enabled, level, tuple(approved), tuple(blocked),
                               span=self.span(el))

    def dmarc(self, el: etree._Element) -> Dmarc:
        domains: list[str] = []
        ips: list[str] = []
        actions: list[tuple[str, str]] = []
        seen: dict[str, Span] = {}
        for child in _children(el):
            if child.tag == "domain":
                domain = self.domain(child)
                if domain is not None:
                    domains.append(domain)
            elif child.tag == "exception-ip":
                ip = self.ip(_text_of(child), self.pos.content(child))
                if ip is not None:
                    ips.append(ip)
            else:
                policy = self.enum(child, "policy", ("none", "quarantine", "reject",
                                                     "no-record"), "")
                action = self.enum(child, "action", ("none", "quarantine", "reject", "tag"), "")
                if not policy or not action:
                    continue
                if policy in seen:
                    self.report("ISC2005", Severity.ERROR,
                                f"<dmarc> action for policy \"{policy}\" is given twice; the "
                                f"first is at {seen[policy]}", self.span(child))
                    continue
                seen[policy] = self.span(child)
                actions.append((policy, action))
        return Dmarc(self.boolean(el, "enabled", False), self.boolean(el, "insert-x-header", False),
                     self.boolean(el, "daily-reports", False), tuple(domains), tuple(ips),
                     tuple(actions), span=self.span(el))

    def dkim(self, el: etree._Element) -> DkimEnforcement:
        domains = [d for d in (self.domain(c) for c in _children(el)) if d is not None]
        for entry, span in self.list_file(el, "mail list (DKIM domains)"):
            try:
                domains.append(parse_domain(entry, span))
            except IscError as exc:
                self.error(exc)
        return DkimEnforcement(self.boolean(el, "enabled", True), tuple(domains),
                               self.enum(el, "action", ("quarantine", "delete", "tag"),
                                         "quarantine"), span=self.span(el))
