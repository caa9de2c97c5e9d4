"""URL list entries: one line of a URL list → :class:`~isc.ir.web.UrlPattern` (stored form).

Grammar: ``grammars/url_entry.lark`` (spec formats.md §2). Typed entries are normalised as
IWSVA stores them (``web-site: example.com`` → ``@example.com*``, ``url-keyword: kw`` →
``*kw*``); stored forms are kept verbatim, except that the host of a Web-site entry is
lower-cased and an internationalised host label becomes its punycode, so that equal hosts
give equal patterns. Errors are :class:`~isc.errors.ParseError` ``ISC1003`` at the column of
the offending character, and ``ISC4005`` for an entry over :data:`MAX_ENTRY_LENGTH` or
:data:`MAX_WILDCARDS`. No Lark object leaves this module.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from encodings import idna

import attrs
from lark import Token, Transformer, UnexpectedInput, v_args
from lark.exceptions import VisitError

from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends import _grammar
from isc.frontends._grammar import locate, parser, shift
from isc.ir.web import UrlMatchType, UrlPattern

__all__ = ["format_url_entry", "parse_url_entry"]

_CODE = "ISC1003"
_LIMIT_CODE = "ISC4005"
#: The longest URL entry read (characters, blanks around it not counted): the length long
#: taken as the practical URL limit (sitemaps allow 2,048; old browsers 2,083). A list entry
#: names a site or a URL prefix, far shorter in practice; a longer one is refused before it
#: is parsed, which bounds the cost of parsing and matching one line.
MAX_ENTRY_LENGTH = 2048
#: The most wildcards (``*`` and ``?``, ``%2a``/``%3f`` not counted) in the pattern the
#: matcher compiles: the stored form, plus the ``*`` that a Web-site entry matches with in
#: front. Matching is linear in the URL (models/globs.py), but its cost grows with every
#: wildcard; real entries have a handful, and ``*a*a*a...*ab`` is an attack, not a policy.
MAX_WILDCARDS = 16
_WILDCARD = re.compile(r"%2a|%3f|\*|\?", re.IGNORECASE)
TYPED_PREFIXES = tuple(t.value for t in UrlMatchType)
_LABEL_DOTS = re.compile("[.\u3002\uff0e\uff61]")
_IDN_RESULT = re.compile(r"[^\s\x00-\x1f\x7f/:\[\]@.]+")
#: ``[scheme://]host:port`` at the start of a String entry, the port captured.
_STRING_PORT = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/:@\s]*:([0-9]+)(?=[/*?]|$)")
_EXPECTED = {
    "SCHEME": "a host",
    "HOST_NAME": "a host",
    "HOST_V6": "a host",
    "COLON": "':' and a port",
    "PORT": "a port number 1-65535",
    "WILDCARDS": "'*' or '?'",
    "PATH": "'/' and a path",
    "$END": "the end of the entry",
    "<END-OF-FILE>": "the end of the entry",
}


#: A control character (Unicode category Cc) other than the tab, which counts as a blank.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def parse_url_entry(text: str, span: Span) -> UrlPattern:
    """Parse one entry, typed (``web-site: example.com``) or stored (``@example.com*``).

    ``span`` is the position of the first character of ``text``; blanks around the entry are
    insignificant.
    """
    entry = text.strip(" \t")
    if _grammar.FAST_PATH and 0 < len(entry) <= MAX_ENTRY_LENGTH:
        stored = _fast_entry(entry)
        # under the wildcard limit whatever the kind (every '*' and '?' is a wildcard: %2a and
        # %3f hold neither); at the limit, the full check below says which one is over
        if stored is not None and stored.count("*") + stored.count("?") < MAX_WILDCARDS:
            return UrlPattern(stored, span=span)
    control = _CONTROL.search(entry)
    if control is not None:
        ch = control.group()
        raise ParseError(
            f"control character U+{ord(ch):04X} in URL entry",
            code=_CODE,
            span=shift(_where(text, span), control.start() + 1),
        )
    if not entry:
        raise ParseError("empty URL entry", code=_CODE, span=_where(text, span))
    if len(entry) > MAX_ENTRY_LENGTH:
        raise ParseError(
            f"URL entry is {len(entry):,} characters long, over the limit of "
            f"{MAX_ENTRY_LENGTH:,}",
            code=_LIMIT_CODE,
            span=_where(text, span),
            notes=("shorten the entry: a prefix and '*' match the URLs it starts",),
        )
    pattern = UrlPattern(_lark_entry(entry, _where(text, span)), span=span)
    _check_wildcards(pattern, entry, text, span)
    return pattern


def _where(text: str, span: Span) -> Span:
    """The position of the entry's first character: ``text`` less its leading blanks."""
    return shift(span, len(text) - len(text.lstrip(" \t")) + 1)


def _lark_entry(entry: str, where: Span) -> str:
    try:
        tree = parser("url_entry", "entry").parse(entry)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, entry, where) from None
    try:
        stored = _Entry(entry, where).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, IscError):
            raise exc.orig_exc from None
        raise
    assert isinstance(stored, str)
    return stored


# ---------------------------------------------------------------- fast path
# The entries an export is made of, read without Lark (see _grammar.FAST_PATH). Each pattern
# accepts a subset of what the grammar accepts, and the code below gives the stored form the
# transformer gives; anything else (IPv6 and IDN hosts, ports out of range, misspelt or
# unknown prefixes, `host:port` strings without a scheme, every error) is left to Lark. The
# entry has no blanks around it, and no pattern accepts a control character.

#: A character of the grammar's VALUE: anything but a control character (a tab is a blank).
_V = r"[^\x00-\x08\x0a-\x1f\x7f-\x9f]"
#: After ``@`` or a ``web-site:`` prefix: [scheme] ASCII host [:port [wildcards]] [/path].
_SITE = (r"(?:[Hh][Tt][Tt][Pp][Ss]?://)?([A-Za-z0-9_*?.-]+)(?::([0-9]{1,5})([*?]*))?"
         rf"(/{_V}*)?")
_FAST_STORED_SITE = re.compile("@" + _SITE)
#: The typed prefixes are case-insensitive as the grammar's are (``re.IGNORECASE``, so ``ſ``
#: U+017F is an ``s`` and ``K`` U+212A a ``k``); which one matched is told by its group.
_FAST_TYPED = re.compile(rf"(?i:web-site)[ \t]*:[ \t]*@?{_SITE}"
                         rf"|(?:((?i:url-keyword))|(?i:string))[ \t]*:[ \t]*({_V}+)")
#: A stored entry (STORED) that no typed prefix or OTHER_PREFIX can start. Each of those is
#: letters (any case, as above), '_', '-' and blanks up to the first ':', so an entry is safe
#: when it has no ':', or something else before its first ':' (``host.example:8443``), or an
#: http(s) scheme first (OTHER_PREFIX refuses a ':' followed by '//').
_FAST_STORED = re.compile(
    rf"[Hh][Tt][Tt][Pp][Ss]?://{_V}*|(?!(?i:[a-z_ \t-])*:)(?!@){_V}+")


def _fast_entry(entry: str) -> str | None:
    """The stored form of ``entry`` as Lark and :class:`_Entry` give it, or None."""
    if entry[0] == "@":
        site = _FAST_STORED_SITE.fullmatch(entry)
        if site is None:
            return None
        host, port, wildcards, path = site.groups()
        if port is None:  # the common case, inline
            return f"@{host.lower()}{path or ''}"
        port_text = _fast_port(port, wildcards)
        return None if port_text is None else f"@{host.lower()}{port_text}{path or ''}"
    if _FAST_STORED.fullmatch(entry) is not None:
        if len(entry) >= 2 and entry[0] == "*" and entry[-1] == "*" and "@" not in entry:
            return entry  # a URL keyword, verbatim
        return _fast_string(entry)
    typed = _FAST_TYPED.fullmatch(entry)
    return None if typed is None else _fast_typed(typed)


def _fast_typed(typed: re.Match[str]) -> str | None:
    host, port, wildcards, path, keyword_prefix, value = typed.groups()
    if value is None:  # web-site:
        port_text = _fast_port(port, wildcards)
        if port_text is None:
            return None
        stored = f"@{host.lower()}{port_text}{path or ''}"
        return stored if path or "*" in host or "*" in port_text else stored + "*"
    if keyword_prefix is None:  # string:
        return None if value[0] == "@" else _fast_string(value)
    keyword = value.strip(" \t*")
    return f"*{keyword}*" if keyword else None


def _fast_port(port: str | None, wildcards: str | None) -> str | None:
    """``:port[wildcards]`` as the transformer writes it, "" for none, None if out of range."""
    if port is None:
        return ""
    number = int(port)
    return f":{number}{wildcards}" if 1 <= number <= 65535 else None


def _fast_string(value: str) -> str | None:
    """A String entry is kept verbatim once the port it may start with is in range."""
    found = _STRING_PORT.match(value) if ":" in value else None
    if found is not None:
        digits = found.group(1)
        if len(digits) > 5 or not 1 <= int(digits) <= 65535:
            return None
    return value


def _wildcards(text: str) -> list[int]:
    """The 0-based positions of the ``*`` and ``?`` of ``text`` that are wildcards."""
    return [m.start() for m in _WILDCARD.finditer(text) if len(m.group()) == 1]


def _check_wildcards(pattern: UrlPattern, entry: str, text: str, span: Span) -> None:
    """``ISC4005`` when the matcher would see more than :data:`MAX_WILDCARDS` wildcards, at
    the written wildcard that goes over the limit (the entry's start if it was added)."""
    stored = pattern.stored
    # every '*' and '?' is a wildcard (%2a and %3f hold neither), so this is the count
    if stored.count("*") + stored.count("?") < MAX_WILDCARDS:
        return
    lead = 1 if pattern.kind is UrlMatchType.WEB_SITE else 0  # `@P` matches as `*P`
    seen = lead + len(_wildcards(stored))
    if seen <= MAX_WILDCARDS:
        return
    written = _wildcards(entry)
    index = MAX_WILDCARDS - lead
    column = written[index] + 1 if 0 <= index < len(written) else 1
    raise ParseError(
        f"URL entry has {seen} wildcards ('*' and '?'), over the limit of {MAX_WILDCARDS}",
        code=_LIMIT_CODE,
        span=shift(_where(text, span), column),
        notes=("write the entry with fewer wildcards, or split it into several entries",
               "a literal '*' or '?' is written %2a or %3f"),
    )


def format_url_entry(pattern: UrlPattern) -> str:
    """The stored form, which :func:`parse_url_entry` reads back as ``pattern``.

    A String entry that would read as a typed entry (``website: x``) gets ``string: ``.
    """
    stored = pattern.stored
    if pattern.kind is UrlMatchType.STRING:
        try:
            same = parse_url_entry(stored, Span("<format>", 1, 1)).stored == stored
        except IscError:
            same = False
        if not same:
            return f"string: {stored}"
    return stored


# ---------------------------------------------------------------- tree → stored form


@attrs.frozen
class _Site:
    host: str
    port: str
    path: str

    @property
    def stored(self) -> str:
        return f"@{self.host}{self.port}{self.path}"


@v_args(inline=True)
class _Entry(Transformer[Token, object]):
    def __init__(self, text: str, span: Span) -> None:
        super().__init__()
        self.text = text
        self.span = span

    # ------------------------------------------------------------ entry

    def typed_web_site(self, prefix: Token, site: _Site | None = None) -> str:
        if site is None:
            raise self._error("empty web-site entry", prefix, len(prefix))
        if site.path or "*" in site.host + site.port:
            return site.stored
        return f"{site.stored}*"

    def typed_keyword(self, prefix: Token, value: Token | None = None) -> str:
        keyword = str(value or "").strip(" \t*")
        if not keyword:
            at, offset = (value, 0) if value else (prefix, len(prefix))
            raise self._error("empty url-keyword entry", at, offset)
        return f"*{keyword}*"

    def typed_string(self, prefix: Token, value: Token | None = None) -> str:
        if value is None:
            raise self._error("empty string entry", prefix, len(prefix))
        if value.startswith("@"):
            raise self._error(
                "a string entry cannot start with '@' (that is the stored Web-site form)",
                value,
                notes=("use web-site: for a Web site",),
            )
        return self._string(str(value), value.column or 1)

    def other_prefix(self, prefix: Token, value: Token | None = None) -> str:
        word = prefix.split(":", 1)[0].strip()
        close = difflib.get_close_matches(word.lower(), TYPED_PREFIXES, 1, 0.6)
        if close:
            raise self._error(
                f"unknown entry type '{word}:'",
                prefix,
                notes=(f"did you mean {close[0]}:?", f"types: {', '.join(TYPED_PREFIXES)}"),
            )
        return self._string(self.text, 1)  # `localhost:8080/*` is a String entry

    def stored_web_site(self, site: _Site | None = None) -> str:
        if site is None:
            raise ParseError(
                "a lone '@' is not a URL entry",
                code=_CODE,
                span=shift(self.span, 1),
                notes=("a Web-site entry is '@' and a host, e.g. @example.com*",),
            )
        return site.stored

    def stored_other(self, tok: Token) -> str:
        if UrlPattern(str(tok)).kind is UrlMatchType.STRING:
            return self._string(str(tok), tok.column or 1)
        return str(tok)

    # ------------------------------------------------------------ web site

    def site(self, *parts: Token | str) -> _Site:
        host, port, path = "", "", ""
        for part in parts:
            if isinstance(part, Token) and part.type == "PATH":
                path = str(part)
            elif isinstance(part, Token):  # SCHEME: not part of what a Web site matches
                continue
            elif part.startswith(":"):
                port = part
            else:
                host = part
        return _Site(host, port, path)

    def host_name(self, tok: Token) -> str:
        labels: list[str] = []
        offset = 0
        for raw in _LABEL_DOTS.split(str(tok)):
            labels.append(self._label(raw, tok, offset))
            offset += len(raw) + 1
        return ".".join(labels)

    def host_v6(self, tok: Token, wildcards: Token | None = None) -> str:
        try:
            addr = ipaddress.IPv6Address(str(tok)[1:-1])
        except ValueError:
            raise self._error(f"{tok!s} is not an IPv6 address", tok, 1) from None
        if addr.scope_id:
            raise self._error(f"{tok!s}: a zone index (%...) is not allowed", tok, 1)
        return f"[{addr.compressed}]{wildcards or ''}"

    def port(self, tok: Token, wildcards: Token | None = None) -> str:
        number = self._port(str(tok), tok.column or 1)
        return f":{number}{wildcards or ''}"

    # ------------------------------------------------------------ helpers

    def _label(self, raw: str, tok: Token, offset: int) -> str:
        if raw.isascii() or "*" in raw or "?" in raw:
            return raw.lower()
        try:
            label = idna.ToASCII(raw).decode("ascii").lower()
        except UnicodeError as exc:
            message = f"host label {raw!r} is not a valid IDN ({exc})"
            raise self._error(message, tok, offset) from None
        if not _IDN_RESULT.fullmatch(label):  # nameprep can map to blanks, `/`, `.`...
            raise self._error(f"host label {raw!r} is not a valid IDN", tok, offset)
        return label

    def _port(self, digits: str, column: int) -> int:
        number = int(digits) if len(digits) <= 5 else 0
        if not 1 <= number <= 65535:
            raise ParseError(
                f"port {digits} is out of range 1-65535",
                code=_CODE,
                span=shift(self.span, column),
            )
        return number

    def _string(self, value: str, column: int) -> str:
        match = _STRING_PORT.match(value)
        if match:
            self._port(match.group(1), column + match.start(1))
        return value

    def _error(
        self, message: str, tok: Token, offset: int = 0, notes: tuple[str, ...] = ()
    ) -> ParseError:
        return ParseError(
            message, code=_CODE, span=shift(self.span, (tok.column or 1) + offset), notes=notes
        )


# ---------------------------------------------------------------- syntax errors




def _syntax_error(exc: UnexpectedInput, text: str, span: Span) -> ParseError:
    at_end, column, expected, where = locate(exc, text, span)
    if at_end:
        wanted = " or ".join(sorted({_EXPECTED.get(t, t) for t in expected}))
        return ParseError(f"malformed URL entry: missing {wanted}", code=_CODE, span=where)
    char = text[column - 1]
    if char.isspace():
        return ParseError(
            "whitespace in the host of a web-site entry",
            code=_CODE,
            span=where,
            notes=("a host has no blanks; a path may (write it after '/')",),
        )
    if "PORT" in expected:
        return ParseError(f"port must be a number 1-65535, found {char!r}", code=_CODE, span=where)
    if expected and expected <= {"SCHEME", "HOST_NAME", "HOST_V6", "AT"}:
        return ParseError(f"missing host before {char!r}", code=_CODE, span=where)
    wanted = " or ".join(sorted({_EXPECTED.get(t, t) for t in expected})) or "something else"
    return ParseError(
        f"malformed URL entry: expected {wanted}, found {char!r}", code=_CODE, span=where
    )
