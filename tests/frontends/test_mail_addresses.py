"""Mail addresses with wildcards (formats.md §5, research imsva.md §1.2 and the IMSS KB list
of §3.1): the documented valid and invalid forms are the test table."""

from __future__ import annotations

import pytest
from hypothesis import given

from isc.diagnostics import Span
from isc.errors import ParseError
from isc.frontends.mail_addresses import (
    looks_like_address_or_domain,
    parse_address,
    parse_domain,
)
from strategies_mail import addresses, sender_addresses

SPAN = Span("policy.xml", 7, 20)

# ---------------------------------------------------------------- route addresses (§1.2)


@pytest.mark.parametrize(("text", "canonical"), [
    ("*@*", "*@*"),
    ("name@*", "name@*"),
    ("*@domain.tld", "*@domain.tld"),
    ("name@*.tld", "name@*.tld"),
    ("*@*.tld", "*@*.tld"),
    ("*@*.company.com", "*@*.company.com"),
    ("name@domain.tld", "name@domain.tld"),
    ("Taro.Yamada@Example.CO.JP", "Taro.Yamada@example.co.jp"),
    ("社長@例え.JP", "社長@例え.jp"),
    ("  padded@example.com\t", "padded@example.com"),
    ("*", "*@*"),
])
def test_documented_valid_forms(text: str, canonical: str) -> None:
    assert parse_address(text) == canonical


@pytest.mark.parametrize(("text", "message", "column"), [
    ("name@domain.*.tld", "a wildcard can only stand for the leftmost labels", 12),
    ("name@domain.*", "a wildcard cannot stand for the top-level domain", 12),
    ("*name@domain.tld", "wildcards must appear alone", 0),
    ("name*@domain.tld", "wildcards must appear alone", 4),
    ("na*me@domain.tld", "wildcards must appear alone", 2),
    ("name@*domain.tld", "wildcards must appear alone", 5),
    ("name@dom*.tld", "wildcards must appear alone", 8),
    ("name@*.*.tld", "a wildcard can only stand for the leftmost labels", 7),
])
def test_documented_invalid_forms(text: str, message: str, column: int) -> None:
    with pytest.raises(ParseError) as info:
        parse_address(text, SPAN)
    assert info.value.code == "ISC1011"
    assert message in info.value.message
    assert text in info.value.message
    assert info.value.span == Span("policy.xml", 7, 20 + column)


@pytest.mark.parametrize(("text", "message", "column"), [
    ("", "empty address", 0),
    ("name", "no '@'", 4),
    ("name@", "incomplete address", 5),
    ("@example.com", "nothing before '@'", 0),
    ("a@@example.com", "more than one '@'", 2),
    ("a b@example.com", "blank inside an address", 1),
    ("a@example..com", "empty domain label", 10),
    ("a@example.com.", "empty domain label", 13),
    ("a@exa\x01mple.com", "control character U+0001", 5),
])
def test_other_malformed_addresses(text: str, message: str, column: int) -> None:
    with pytest.raises(ParseError) as info:
        parse_address(text, SPAN)
    assert info.value.code == "ISC1011"
    assert message in info.value.message
    assert info.value.span is not None and info.value.span.column == 20 + column


def test_the_column_counts_leading_blanks() -> None:
    with pytest.raises(ParseError) as info:
        parse_address("   *name@x.jp", SPAN)
    assert info.value.span == Span("policy.xml", 7, 23)


def test_without_a_span_the_column_is_in_the_text() -> None:
    with pytest.raises(ParseError) as info:
        parse_address("name@domain.*")
    assert info.value.span is not None and info.value.span.column == 13


# ---------------------------------------------------------------- sender lists (§3.1, KB)


@pytest.mark.parametrize("text", [
    "user@example.com", "*@example.com", "user@*.com", "user@*.example.com", "user@*",
    "*@*.example.com",
])
def test_kb_accepted_sender_forms(text: str) -> None:
    assert parse_address(text, sender_list=True) == text


@pytest.mark.parametrize(("text", "message"), [
    ("*", "'*' is not allowed in a sender list"),
    ("*@*", "'*@*' is not allowed in a sender list"),
    ("user@example.*", "a wildcard cannot stand for the top-level domain"),
    ("*user@example.com", "wildcards must appear alone"),
])
def test_kb_rejected_sender_forms(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_address(text, SPAN, sender_list=True)
    assert info.value.code == "ISC1011"
    assert message in info.value.message


def test_star_forms_are_fine_outside_sender_lists() -> None:
    assert parse_address("*@*") == "*@*"
    assert parse_address("*") == "*@*"


# ---------------------------------------------------------------- single addresses


def test_single_addresses_refuse_wildcards() -> None:
    assert parse_address("audit@Example.jp", wildcards=False) == "audit@example.jp"
    with pytest.raises(ParseError) as info:
        parse_address("*@example.jp", SPAN, wildcards=False)
    assert info.value.code == "ISC1011" and "not a wildcard" in info.value.message
    assert info.value.span is not None and info.value.span.column == 20


# ---------------------------------------------------------------- domains


@pytest.mark.parametrize(("text", "wildcard", "canonical"), [
    ("Example.CO.JP", False, "example.co.jp"),
    ("*.example.co.jp", True, "*.example.co.jp"),
    ("*", True, "*"),
    ("例え.jp", False, "例え.jp"),
])
def test_domains(text: str, wildcard: bool, canonical: str) -> None:
    assert parse_domain(text, wildcard=wildcard) == canonical


@pytest.mark.parametrize(("text", "wildcard", "message"), [
    ("*.example.com", False, "without wildcards"),
    ("example.*", True, "top-level domain"),
    ("ex*ample.com", True, "wildcards must appear alone"),
    ("a..b", True, "empty domain label"),
    ("a@b.c", True, "unexpected '@'"),
    ("", True, "empty domain"),
])
def test_malformed_domains(text: str, wildcard: bool, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_domain(text, SPAN, wildcard=wildcard)
    assert info.value.code == "ISC1011"
    assert message in info.value.message


@pytest.mark.parametrize(("text", "expected"), [
    ("ceo@example.co.jp", True), ("*@*.example.com", True), ("bank.example", True),
    ("*.example.com", True), ("localhost", False), ("function FindProxyForURL(url) {", False),
    ("hello world", False), ("", False), ("*@domain.*", False),
])
def test_what_looks_like_a_list_entry(text: str, expected: bool) -> None:
    assert looks_like_address_or_domain(text) is expected


# ---------------------------------------------------------------- properties


@given(addresses)
def test_canonical_form_is_a_fixed_point(address: str) -> None:
    assert parse_address(address) == address
    local, _, domain = address.rpartition("@")
    assert parse_address(f" {local}@{domain.upper()} ") == address


@given(sender_addresses)
def test_every_generated_sender_address_is_accepted_in_a_sender_list(address: str) -> None:
    assert parse_address(address, sender_list=True) == address
