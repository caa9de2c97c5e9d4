"""Output documents are written by orjson; the standard encoder must agree byte for byte."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isc.ir.jsontext import compact, has_hard_float, indented_bytes, loads
from isc.ir.serde import json_text

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1), _TEXT,
                    st.floats(allow_nan=False))
_DOCS = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)), max_leaves=20)


def _standard(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@settings(max_examples=500, deadline=None)
@given(_DOCS)
def test_orjson_writes_what_the_standard_encoder_writes(doc: Any) -> None:
    assert json_text(doc) == _standard(doc)


def test_what_orjson_refuses_is_written_by_the_standard_encoder() -> None:
    for doc in ({"a": "\ud800"}, {"n": 2**70}, [{"x": []}, {}], [1e-7, float("inf")]):
        assert json_text(doc) == _standard(doc)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.floats(allow_nan=False),
                          st.integers(-10, 10).map(lambda n: n / 4)), max_size=6))
def test_floats_as_scores_and_sizes_take_the_fast_path_and_agree(values: list[float]) -> None:
    doc = {"spamScore": values, "x": [{"y": v} for v in values]}
    assert json_text(doc) == _standard(doc)


def _standard_compact(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


@settings(max_examples=500, deadline=None)
@given(_DOCS)
def test_the_compact_form_fingerprints_hash_is_the_standard_encoders(doc: Any) -> None:
    assert compact(doc) == _standard_compact(doc)
    if not has_hard_float(doc):  # what object_fingerprints passes once per document
        assert compact(doc, checked=True) == _standard_compact(doc)


def test_what_orjson_refuses_in_the_compact_form_is_written_by_the_standard_encoder() -> None:
    for doc in ({"n": 2**70}, {1: "int key"}, [1e-7, float("inf")]):
        assert compact(doc) == _standard_compact(doc)
    with pytest.raises(UnicodeEncodeError):  # as the standard encoder fails on it
        compact({"a": "\ud800"})


@settings(max_examples=200, deadline=None)
@given(_DOCS)
def test_the_bytes_compile_writes_are_the_text_encoded(doc: Any) -> None:
    assert indented_bytes(doc) == json_text(doc).encode("utf-8")


_READ = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), _TEXT, st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner,
                                                                          max_size=4)),
    max_leaves=20)


@settings(max_examples=500, deadline=None)
@given(_READ, st.booleans(), st.booleans())
def test_reading_gives_what_the_standard_parser_gives(doc: Any, indent: bool, ascii_: bool
                                                      ) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_, indent=2 if indent else None)
    want = json.loads(text)
    for data in (text, text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        got = loads(data)
        assert got == want and repr(got) == repr(want)  # 1 and 1.0, -0.0 and 0.0 apart


def test_what_orjson_reads_otherwise_or_refuses_is_read_by_the_standard_parser() -> None:
    for text in ("123456789012345678901234567890", '{"n": -98765432109876543210}',
                 "[NaN, Infinity]", '"\\ud800"', '{"a": 1, "a": 2}', "[1e300, 9.3e18]",
                 "18446744073709551615", "-9223372036854775809"):
        assert repr(loads(text)) == repr(json.loads(text))
        assert repr(loads(text.encode())) == repr(json.loads(text))
    with pytest.raises(UnicodeDecodeError):  # as decoding the bytes always failed
        loads(b'["\xff"]')
    with pytest.raises(json.JSONDecodeError):  # the standard parser's error, as before
        loads("[1, 2,]")
