"""unparse_web is the inverse of the web front-end, and no input makes ``isc.loads`` / ``isc.load``
raise anything but :class:`isc.IscError` (formats.md §1-3)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import isc
from isc.frontends.web_unparse import unparse_web
from isc.ir import categories
from isc.ir.web import (
    ApprovedList,
    CategoryAction,
    CategoryRef,
    CustomCategory,
    DecryptCategory,
    HttpsDecryptionPolicy,
    UrlFilteringPolicy,
    UrlPattern,
    WebAction,
    WebPolicy,
)
from strategies import web_policies

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "iwsva-sakura" / "export"


def _reparse(web: WebPolicy) -> WebPolicy | None:
    web2: WebPolicy | None = isc.loads(unparse_web(web), filename="x.ini").web
    return web2


# ---------------------------------------------------------------- round trip


@given(web_policies())
def test_unparse_then_parse_is_the_identity(web: WebPolicy) -> None:
    assert _reparse(web) == web


def test_the_example_export_round_trips() -> None:
    """Everything the example policy export holds, except what unparse_web documents it does
    not write (intscan.ini settings, certificate PEMs)."""
    web = isc.load(str(EXAMPLE)).web
    assert web is not None
    web = attrs.evolve(web, settings=(), certificates=tuple(
        attrs.evolve(c, pem=None) for c in web.certificates))
    assert _reparse(web) == web


def test_empty_policy_round_trips() -> None:
    assert _reparse(WebPolicy()) == WebPolicy()


def test_values_that_need_quoting() -> None:
    odd = ["  leading", "trailing\u3000", '"quoted"', "a ;comment?", "営業部 (東京)", "back\\slash"]
    web = WebPolicy(
        approved_lists=tuple(ApprovedList(n, (UrlPattern("@a.example*"),)) for n in odd),
        url_filtering=(UrlFilteringPolicy("p", 1, exceptions=tuple(odd), notes=" a ;b "),),
    )
    text = unparse_web(web)
    assert 'exceptions = "a ;comment?"' in text
    assert 'notes = " a ;b "' in text
    assert _reparse(web) == web


def test_predefined_category_shadowed_by_a_custom_one_is_written_by_id() -> None:
    web = WebPolicy(
        custom_categories=(CustomCategory("Gambling", (UrlPattern("*casino*"),)),
                           CustomCategory("11", ())),
        url_filtering=(UrlFilteringPolicy("p", 1, categories=(
            CategoryAction(CategoryRef(custom="Gambling"), WebAction.WARN),
            CategoryAction(CategoryRef(id=11), WebAction.BLOCK))),),
    )
    assert 'category "011" = block' in unparse_web(web)
    assert _reparse(web) == web


def test_every_predefined_category_round_trips_by_name() -> None:
    ids = sorted(categories.BY_ID)
    web = WebPolicy(
        url_filtering=(UrlFilteringPolicy("p", 1, categories=tuple(
            CategoryAction(CategoryRef(id=i), WebAction.BLOCK) for i in ids)),),
        https_decryption=(HttpsDecryptionPolicy("d", 1, categories=tuple(
            DecryptCategory(CategoryRef(id=i), i % 2 == 0) for i in ids)),),
    )
    text = unparse_web(web)
    assert all(f'category "{categories.BY_ID[i].name}" = block' in text for i in ids)
    assert _reparse(web) == web


def test_string_entries_that_look_like_comments_or_headers() -> None:
    entries = tuple(UrlPattern(s) for s in ("#frag", ";x", "[a]b", "website: x"))
    web = WebPolicy(tunneling=entries)
    assert _reparse(web) == web


# ---------------------------------------------------------------- robustness

_GARBAGE = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=24),
    st.sampled_from([
        "[", "]", "[url-filtering-policy", '[schedule "x"', '[schedule ""]', "[ \"\\q\"]",
        "priority = 0", "priority = 99999999999999", "priority = x", "global = maybe",
        "account = ip 10.0.0.300", "account = ip-range 10.0.0.9-10.0.0.1",
        "account = ip-subset 10.0.0.0/33", 'account = ldap-user "', "account = host a..b",
        'category "Nope" = block', "category = block", 'category "Gambling" = explode',
        'category "\\x" = block', "days = someday", "hours = 25:00-26:00", "hours = 24:00-01:00",
        "=", '"', "\\", "\r", "\x00", "\ufeff", "schedule = nowhere", "exceptions = nowhere",
        "@", "web-site:", "url-keyword: *", "string: @x", "website: x", "@a:99999*",
        "@[zz::1]*", "@例え..jp*", "decrypt = some", 'decrypt-category "Games" = perhaps',
        "scan = most", "compressed.max-files = -1", "wrs = sometimes", 'app "x" = fly',
        "app = block", "status = lost", "file =", "[digital-certificate]", "[product]",
        "[custom-category \"Gambling\"]", "[approved-list \"dup\"]", "[approved-list \"dup\"]",
        "override-password = ;x", "notes = \"unterminated",
    ]),
)


@given(web_policies(), st.data())
def test_garbage_in_an_export_raises_only_isc_errors(web: WebPolicy, data: st.DataObject
                                                    ) -> None:
    lines = unparse_web(web).split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines)))
        junk = data.draw(_GARBAGE)
        if i < len(lines) and data.draw(st.booleans()):
            j = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:j] + junk + lines[i][j:]
        else:
            lines.insert(i, junk)
    with contextlib.suppress(isc.IscError):
        isc.loads("\n".join(lines), filename="x.ini")


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_any_text_raises_only_isc_errors(text: str) -> None:
    with contextlib.suppress(isc.IscError):
        isc.loads(text, filename="x.ini")


@st.composite
def _noisy_bytes(draw: st.DrawFn) -> bytes:
    text = unparse_web(draw(web_policies()))
    data = bytearray(text.encode(draw(st.sampled_from(["utf-8", "cp932", "euc_jp"])), "ignore"))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(max_size=8))
    return bytes(data)


@given(st.one_of(
    st.binary(max_size=512),
    st.binary(max_size=256).map(lambda b: b"\x1f\x8b" + b),  # looks like gzip
    st.binary(max_size=64).map(lambda b: b"\xef\xbb\xbf[product]\n" + b),
    _noisy_bytes(),
))
def test_any_bytes_raise_only_isc_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy.ini"
        path.write_bytes(data)
        with contextlib.suppress(isc.IscError):
            isc.load(str(path))


# ---------------------------------------------------------------- front-end bugs found here


def test_a_lone_surrogate_is_an_isc_error() -> None:
    """``isc.loads`` encodes the text as UTF-8 before decoding it; a lone surrogate (which
    Python strings may hold) must be reported like any undecodable input (ISC1001)."""
    with pytest.raises(isc.IscError):
        isc.loads("[product]\nname = \ud800\n", filename="x.ini")


@pytest.mark.parametrize("section", ['[custom-category "c"]', '[url-filtering-policy "p"]',
                                     '[approved-file-list "f"]'])
def test_a_line_of_blanks_is_a_blank_line(section: str) -> None:
    """formats.md §1: trailing whitespace is insignificant, so a line of blanks is empty: no
    entry, no key line."""
    body = "priority = 1\n" if "policy" in section else ""
    plain = isc.loads(f"[product]\n{section}\n{body}", filename="x.ini").web
    blanks = isc.loads(f"[product]\n{section}\n \t\n{body}", filename="x.ini").web
    assert blanks == plain
