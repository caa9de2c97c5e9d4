"""Policy accounts: the text after ``account =`` → :class:`~isc.ir.web.Account`.

Grammar: ``grammars/account.lark`` (spec formats.md §5 "Accounts"). Values are canonical, so
two spellings of one account compare equal: addresses compressed, subsets as
``network/bits`` with host bits cleared, host names lower-case ASCII (IDNA). Errors are
:class:`~isc.errors.ParseError` ``ISC1004`` at the column of the offending token (``ISC1010``
for a bad quoted string). No Lark object leaves this module.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from encodings import idna

from lark import Token, Transformer, UnexpectedInput, v_args
from lark.exceptions import VisitError

from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends import _grammar
from isc.frontends._grammar import locate, parser, shift
from isc.frontends.ini import quote, unquote
from isc.ir.web import Account, AccountKind

__all__ = ["account_bounds", "format_account", "parse_account"]

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CODE = "ISC1004"
_KINDS = tuple(k.value for k in AccountKind)
_KIND_TERMINALS = {f"_{k.name}" for k in AccountKind}
_EXPECTED = {
    "ADDRESS": "an IP address",
    "MASK": "a mask (bit count or dotted)",
    "MINUS": "'-' and the last address of the range",
    "SLASH": "'/' and a mask",
    "QUOTED": "an LDAP name",
    "RAW_NAME": "an LDAP name",
    "HOST_NAME": "a host name",
    "$END": "the end of the account",
    "<END-OF-FILE>": "the end of the account",
}
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def parse_account(text: str, span: Span) -> Account:
    """Parse ``ip 192.168.0.150``, ``ip-range a-b``, ``ip-subset net[/mask]``,
    ``ldap-user "DN"``, ``ldap-group "DN"`` or ``host name``.

    ``span`` is the position of the first character of ``text``.
    """
    if _grammar.FAST_PATH:
        fast = _fast_account(text, span)
        if fast is not None:
            return fast
    try:
        tree = parser("account", "account").parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, span) from None
    try:
        account = _Account(span).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, IscError):
            raise exc.orig_exc from None
        raise
    assert isinstance(account, Account)
    return account


#: The accounts the fast path lexes (see _grammar.FAST_PATH): a kind at the start (any case,
#: as the grammar's ``re.IGNORECASE``: ``İp`` is ``ip``; which kind is told by its group), its
#: value tokens as the grammar's terminals, blanks as its ignored WS_INLINE; LDAP names quoted
#: with no backslash, or raw. Anything else goes to Lark.
_FAST_ACCOUNT = re.compile(
    r"(?i:(ip)[ \t]+([^\s/-]+)"
    r"|(ip-range)[ \t]+([^\s/-]+)[ \t]*-[ \t]*([^\s/-]+)"
    r"|(ip-subset)[ \t]+([^\s/-]+)(?:[ \t]*/[ \t]*([0-9.]+))?"
    r'|(?:(ldap-user)|ldap-group)[ \t]+("[^"\\\r\n]*"|[^\s"][^\r\n]*)'
    r'|host[ \t]+([^\s"]+))[ \t]*'
)


def _fast_account(text: str, span: Span) -> Account | None:
    """What Lark and :class:`_Account` give for ``text``, or None: then Lark parses it (and
    reports any error, so a value the transformer refuses is also None here)."""
    found = _FAST_ACCOUNT.fullmatch(text)
    if found is None:
        return None
    build = _Account(span)

    def tok(kind: str, group: int) -> Token:
        start = found.start(group)
        return Token(kind, found.group(group), start, 1, start + 1)

    try:
        if found.group(1) is not None:
            return build.ip(tok("ADDRESS", 2))  # type: ignore[no-any-return]
        if found.group(3) is not None:
            return build.ip_range(  # type: ignore[no-any-return]
                tok("ADDRESS", 4), tok("ADDRESS", 5))
        if found.group(6) is not None:
            mask = tok("MASK", 8) if found.group(8) is not None else None
            return build.ip_subset(tok("ADDRESS", 7), mask)  # type: ignore[no-any-return]
        name = found.group(10)
        if name is not None:
            if name.startswith('"'):
                value = (name[1:-1], tok("QUOTED", 10))
            else:
                value = build.raw_name(tok("RAW_NAME", 10))
            if found.group(9) is not None:
                return build.ldap_user(value)  # type: ignore[no-any-return]
            return build.ldap_group(value)  # type: ignore[no-any-return]
        return build.host(tok("HOST_NAME", 11))  # type: ignore[no-any-return]
    except IscError:
        return None


def format_account(account: Account) -> str:
    """The text :func:`parse_account` reads back as ``account`` (LDAP names are quoted)."""
    if account.kind in (AccountKind.LDAP_USER, AccountKind.LDAP_GROUP):
        return f"{account.kind.value} {quote(account.value)}"
    return f"{account.kind.value} {account.value}"


def account_bounds(account: Account) -> tuple[int, int, int] | None:
    """``(ip version, first address, last address)`` of an ip kind, as integers; else None."""
    if account.kind is AccountKind.IP:
        addr = ipaddress.ip_address(account.value)
        return (addr.version, int(addr), int(addr))
    if account.kind is AccountKind.IP_RANGE:
        first_text, _, last_text = account.value.partition("-")
        first, last = ipaddress.ip_address(first_text), ipaddress.ip_address(last_text)
        return (first.version, int(first), int(last))
    if account.kind is AccountKind.IP_SUBSET:
        net = ipaddress.ip_network(account.value)
        return (net.version, int(net.network_address), int(net.broadcast_address))
    return None


# ---------------------------------------------------------------- tree → Account


@v_args(inline=True)
class _Account(Transformer[Token, object]):
    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span

    def account(self, account: Account) -> Account:
        return account

    def ip(self, tok: Token) -> Account:
        return self._make(AccountKind.IP, self._address(tok).compressed)

    def ip_range(self, first_tok: Token, last_tok: Token) -> Account:
        first, last = self._address(first_tok), self._address(last_tok)
        if first.version != last.version:
            raise self._error(
                f"range mixes IPv{first.version} and IPv{last.version}: {last_tok!s}", last_tok
            )
        if last < first:  # type: ignore[operator]
            raise self._error(f"range ends at {last} before it starts at {first}", last_tok)
        return self._make(AccountKind.IP_RANGE, f"{first.compressed}-{last.compressed}")

    def ip_subset(self, addr_tok: Token, mask_tok: Token | None = None) -> Account:
        addr = self._address(addr_tok)
        bits = addr.max_prefixlen if mask_tok is None else self._bits(addr, mask_tok)
        net = ipaddress.ip_network(f"{addr}/{bits}", strict=False)
        return self._make(AccountKind.IP_SUBSET, net.compressed)

    def mask(self, tok: Token) -> Token:
        return tok

    def ldap_user(self, name: tuple[str, Token]) -> Account:
        return self._make(AccountKind.LDAP_USER, self._ldap(name))

    def ldap_group(self, name: tuple[str, Token]) -> Account:
        return self._make(AccountKind.LDAP_GROUP, self._ldap(name))

    def quoted_name(self, tok: Token) -> tuple[str, Token]:
        return (unquote(str(tok), self._at(tok)), tok)

    def raw_name(self, tok: Token) -> tuple[str, Token]:
        return (str(tok).rstrip(), tok)

    def host(self, tok: Token) -> Account:
        return self._make(AccountKind.HOST, self._host(tok))

    # ------------------------------------------------------------ helpers

    def _make(self, kind: AccountKind, value: str) -> Account:
        return Account(kind, value, span=self.span)

    def _address(self, tok: Token) -> IpAddress:
        text = str(tok)
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            raise self._error(f"{text!r} is not an IPv4 or IPv6 address", tok) from None
        if getattr(addr, "scope_id", None):
            raise self._error(f"{text!r}: a zone index (%...) is not allowed", tok)
        return addr

    def _bits(self, addr: IpAddress, tok: Token) -> int:
        text = str(tok)
        if "." not in text:
            # never int() of 5,000 digits: anything over 3 is out of range anyway
            bits = int(text) if len(text) <= 3 else addr.max_prefixlen + 1
            if bits > addr.max_prefixlen:
                raise self._error(
                    f"mask /{bits} is out of range 0-{addr.max_prefixlen} for IPv{addr.version}",
                    tok,
                )
            return bits
        if addr.version != 4:
            raise self._error(f"a dotted mask ({text}) needs an IPv4 address", tok)
        try:
            mask = int(ipaddress.IPv4Address(text))
        except ValueError:
            raise self._error(f"{text!r} is not a dotted mask", tok) from None
        host_bits = mask ^ 0xFFFFFFFF
        if host_bits & (host_bits + 1):
            raise self._error(f"mask {text} is not contiguous", tok)
        return 32 - host_bits.bit_length()

    def _ldap(self, name: tuple[str, Token]) -> str:
        value, tok = name
        if not value.strip():
            raise self._error("empty LDAP name", tok)
        return value

    def _host(self, tok: Token) -> str:
        text = str(tok)
        if text.endswith(".") and len(text) > 1:
            text = text[:-1]
        labels: list[str] = []
        offset = 0
        for raw in text.split("."):
            label = raw.lower()
            if not label.isascii():
                try:
                    label = idna.ToASCII(raw).decode("ascii").lower()
                except UnicodeError:
                    message = f"host label {raw!r} is not a valid IDN"
                    raise self._error(message, tok, offset) from None
            if not _HOST_LABEL.fullmatch(label):
                raise self._error(f"bad host name label {raw!r} in {text!r}", tok, offset)
            labels.append(label)
            offset += len(raw) + 1
        host = ".".join(labels)
        if len(host) > 253:
            raise self._error(f"host name is longer than 253 characters ({len(host)})", tok)
        return host

    def _at(self, tok: Token, offset: int = 0) -> Span:
        return shift(self.span, (tok.column or 1) + offset)

    def _error(self, message: str, tok: Token, offset: int = 0) -> ParseError:
        return ParseError(message, code=_CODE, span=self._at(tok, offset))


# ---------------------------------------------------------------- syntax errors




def _syntax_error(exc: UnexpectedInput, text: str, span: Span) -> ParseError:
    at_end, column, expected, where = locate(exc, text, span, end=len(text.rstrip()) + 1)
    match = re.match(r"\S+|.", text[column - 1 :], re.DOTALL)
    found = match.group() if match and not at_end else ""
    if expected and expected <= _KIND_TERMINALS:
        if not text.strip():
            return ParseError(
                "empty account", code=_CODE, span=where, notes=(f"kinds: {', '.join(_KINDS)}",)
            )
        notes = [f"kinds: {', '.join(_KINDS)}"]
        close = difflib.get_close_matches(found.lower(), _KINDS, 1, 0.6)
        if close:
            notes.insert(0, f"did you mean {close[0]}?")
        return ParseError(
            f"unknown account kind {found!r}", code=_CODE, span=where, notes=tuple(notes)
        )
    if found.startswith('"') and "QUOTED" in expected:
        return ParseError("unterminated quoted string", code="ISC1010", span=where)
    wanted = " or ".join(sorted({_EXPECTED.get(t, t) for t in expected})) or "something else"
    if at_end:
        return ParseError(f"missing {wanted}", code=_CODE, span=where)
    return ParseError(f"expected {wanted}, found {found!r}", code=_CODE, span=where)
