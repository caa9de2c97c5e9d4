"""Mail addresses with wildcards → canonical text (spec formats.md §5, research imsva.md §1.2,
§3.1).

Grammar: ``grammars/mail_address.lark``. The canonical form keeps the local part as written
and lower-cases the domain, so two spellings of one address compare equal; a bare ``*``
(accepted in routes) is written ``*@*``. Errors are :class:`~isc.errors.ParseError`
``ISC1011`` at the column of the offending character, and ``ISC4005`` for a pattern over
:data:`MAX_PATTERN_LENGTH` or :data:`MAX_PATTERN_WILDCARDS`. No Lark object leaves this
module.

Fast path (see :data:`isc.frontends._grammar.FAST_PATH`): an address or domain the grammar
accepts, that passes every check, is read with one precompiled ``re`` pattern built from the
grammar's own terminals; everything else, and every error, goes through Lark.
"""

from __future__ import annotations

import re

from lark import Token, Transformer, UnexpectedInput, v_args
from lark.exceptions import VisitError

from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends import _grammar
from isc.frontends._grammar import at_column, locate, parser, shift

__all__ = ["looks_like_address_or_domain", "parse_address", "parse_domain"]

_CODE = "ISC1011"
_LIMIT_CODE = "ISC4005"
#: The longest address or domain read (characters, blanks around it not counted): a local
#: part of 64 and a domain of 255, with the ``@`` (RFC 3696 as corrected; RFC 5321 §4.5.3.1).
#: A longer text is no address; it is refused before it is parsed.
MAX_PATTERN_LENGTH = 320
#: The most ``*`` in one address or domain. The grammar accepts two at most (``*@*.x``), so
#: any pattern over this is hostile (``*a*a*a...``): it is refused by count, before it is
#: parsed, and with its own code. Matching is linear anyway (models/globs.py).
MAX_PATTERN_WILDCARDS = 8
_DEFAULT_SPAN = Span("<address>", 1, 1)

# ---------------------------------------------------------------- fast path
# The grammar's terminals, character for character (LOCAL, LABEL; ``\s`` is Unicode
# whitespace in both Lark's ``re`` and this one), arranged as its rules arrange them. The
# grammar is this small, so the patterns accept exactly what it accepts; a text they refuse
# still goes to Lark, which says why.
_LOCAL = r"[^\s@*\x00-\x1f\x7f]+"
_LABELS = r"[^\s@*.\x00-\x1f\x7f]+(?:\.[^\s@*.\x00-\x1f\x7f]+)*"
#: ``domain``: its three forms, each in a group of its own: ``*``, ``*.labels``, ``labels``.
_DOMAIN = rf"(\*)|\*\.({_LABELS})|({_LABELS})"
_FAST_DOMAIN = re.compile(_DOMAIN)
#: ``address`` but the bare ``*``: the local part, then the groups of :data:`_FAST_DOMAIN`.
_FAST_ADDRESS = re.compile(rf"(\*|{_LOCAL})@(?:{_DOMAIN})")


def parse_address(text: str, span: Span | None = None, *, sender_list: bool = False,
                  wildcards: bool = True) -> str:
    """Parse one address (``name@domain.tld``, ``*@*.company.com``...), return its canonical
    text.

    ``span`` is the position of the first character of ``text``; blanks around the address
    are insignificant. ``sender_list`` adds the approved/blocked sender rules (``*`` and
    ``*@*`` rejected); ``wildcards=False`` accepts plain addresses only (change-recipient,
    BCC and notification addresses).
    """
    if _grammar.FAST_PATH:
        entry = text.strip()
        found = _FAST_ADDRESS.fullmatch(entry)
        # every check the full path makes after Lark, and the limits: any failure goes there
        if found is not None and len(entry) <= MAX_PATTERN_LENGTH and (
                "*" not in entry or (wildcards and not (sender_list and entry == "*@*"))):
            local, _star, sub, exact = found.groups()
            if exact is not None:
                return f"{local}@{exact.lower()}"
            return f"{local}@*" if sub is None else f"{local}@*.{sub.lower()}"
    entry, where = _trim(text, span)
    if not entry:
        raise ParseError("empty address", code=_CODE, span=where)
    _check_limits(entry, where, "address")
    try:
        tree = parser("mail_address", "address").parse(entry)
    except UnexpectedInput as exc:
        at = entry.find("@")
        raise _syntax_error(exc, entry, where, at + 1 if at >= 0 else len(entry) + 1
                            ) from None
    try:
        parsed = _Address(where).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, IscError):
            raise exc.orig_exc from None
        raise
    assert isinstance(parsed, tuple)
    local, domain = parsed
    if sender_list and local == "*" and domain == "*":
        what = "'*'" if entry == "*" else "'*@*'"
        raise ParseError(f"{what} is not allowed in a sender list (it would match every "
                         "sender)", code=_CODE, span=where)
    if not wildcards and "*" in entry:
        raise ParseError(f"'{entry}': a single address is needed here, not a wildcard",
                         code=_CODE, span=shift(where, entry.index("*") + 1))
    return f"{local}@{domain}"


def parse_domain(text: str, span: Span | None = None, *, wildcard: bool = False) -> str:
    """Parse a domain (``example.co.jp``; with ``wildcard`` also ``*`` and ``*.example.com``),
    return it lower-cased."""
    if _grammar.FAST_PATH:
        entry = text.strip()
        found = _FAST_DOMAIN.fullmatch(entry)
        if found is not None and len(entry) <= MAX_PATTERN_LENGTH and (
                wildcard or "*" not in entry):
            _star, sub, exact = found.groups()
            if exact is not None:
                return exact.lower()
            return "*" if sub is None else f"*.{sub.lower()}"
    entry, where = _trim(text, span)
    if not entry:
        raise ParseError("empty domain", code=_CODE, span=where)
    _check_limits(entry, where, "domain")
    try:
        tree = parser("mail_address", "domain").parse(entry)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, entry, where, 0) from None
    domain = _Address(where).transform(tree)
    assert isinstance(domain, str)
    if not wildcard and "*" in domain:
        raise ParseError(f"'{entry}': a domain without wildcards is needed here", code=_CODE,
                         span=shift(where, entry.index("*") + 1))
    return domain


def looks_like_address_or_domain(text: str) -> bool:
    """Whether ``text`` is an address or a domain with at least one dot (used to recognise
    address and domain list files nobody refers to)."""
    entry = text.strip()
    if not entry:
        return False
    try:
        if "@" in entry:
            parse_address(entry)
        else:
            if "." not in entry.strip("*."):
                return False
            parse_domain(entry, wildcard=True)
    except IscError:
        return False
    return True


def _check_limits(entry: str, where: Span, what: str) -> None:
    """``ISC4005`` for an entry over the length or wildcard limit (at its start, or at the
    first ``*`` over the limit)."""
    if len(entry) > MAX_PATTERN_LENGTH:
        raise ParseError(f"{what} is {len(entry):,} characters long, over the limit of "
                         f"{MAX_PATTERN_LENGTH}", code=_LIMIT_CODE, span=where,
                         notes=("an address is at most 64 characters, '@' and a domain of "
                                "255",))
    stars = entry.count("*")
    if stars > MAX_PATTERN_WILDCARDS:
        column = 0
        for _ in range(MAX_PATTERN_WILDCARDS + 1):
            column = entry.index("*", column) + 1
        raise ParseError(f"{what} has {stars} wildcards ('*'), over the limit of "
                         f"{MAX_PATTERN_WILDCARDS}", code=_LIMIT_CODE,
                         span=shift(where, column),
                         notes=("a wildcard stands for the whole local part, the whole "
                                "domain or its leftmost labels: *@*.company.com",))


def _trim(text: str, span: Span | None) -> tuple[str, Span]:
    base = span or _DEFAULT_SPAN
    lead = len(text) - len(text.lstrip())
    return text.strip(), at_column(base, (base.column or 1) + lead)


@v_args(inline=True)
class _Address(Transformer[Token, object]):
    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span

    def address(self, local: str, domain: str) -> tuple[str, str]:
        return (local, domain)

    def bare_star(self, _tok: Token) -> tuple[str, str]:
        return ("*", "*")

    def any_local(self, _tok: Token) -> str:
        return "*"

    def local_name(self, tok: Token) -> str:
        return str(tok)

    def any_domain(self, _tok: Token) -> str:
        return "*"

    def sub_domains(self, _tok: Token, labels: str) -> str:
        return "*." + labels

    def exact_domain(self, labels: str) -> str:
        return labels

    def labels(self, *tokens: Token) -> str:
        return ".".join(str(t) for t in tokens).lower()


def _syntax_error(exc: UnexpectedInput, entry: str, where: Span, domain_start: int
                  ) -> ParseError:
    """Say which documented rule the address breaks; the domain starts at ``domain_start``
    (``len(entry) + 1`` when there is none)."""
    at_end, column, _expected, _ = locate(exc, entry, where)
    pos = column - 1
    char = entry[pos] if pos < len(entry) and not at_end else ""
    star = pos if char == "*" else pos - 1 if 0 < pos <= len(entry) and entry[
        pos - 1] == "*" else -1

    def error(message: str, index: int) -> ParseError:
        return ParseError(f"'{entry}': {message}", code=_CODE, span=shift(where, index + 1))

    if star >= 0:
        if star > domain_start and entry[star - 1] == ".":
            if star == len(entry) - 1:
                return error("a wildcard cannot stand for the top-level domain", star)
            return error("a wildcard can only stand for the leftmost labels "
                         "(*.company.com)", star)
        return error("wildcards must appear alone", star)
    if char == "@" and domain_start == 0:
        return error("unexpected '@' (a domain is needed here, not an address)", pos)
    if char == "@":
        before = entry.find("@")
        return error("more than one '@'" if before < pos else "nothing before '@'", pos)
    if char.isspace():
        return error("blank inside an address", pos)
    if char == "." or (at_end and entry.endswith(".")):
        return error("empty domain label", min(pos, len(entry) - 1))
    if at_end and domain_start > len(entry):
        return error("no '@' (write name@domain, *@domain or *@*)", len(entry))
    if at_end:
        return error("incomplete address", len(entry))
    if ord(char) < 0x20 or char == "\x7f":
        return error(f"control character U+{ord(char):04X}", pos)
    return error(f"unexpected {char!r}", pos)
