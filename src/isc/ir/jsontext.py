"""JSON text of isc's documents, written by orjson where it spells exactly what the standard
encoder would (a large estate's documents are 10^8 bytes, and the standard encoder's
indenting path is pure Python; fingerprinting calls the compact form once per object).

The standard encoder stands in for what orjson refuses (a lone surrogate, an integer beyond
64 bits), and tests require both to write the same bytes. Both write a finite float as its
shortest round-trip digits and differ only in how they spell an exponent (and orjson writes
no infinity), so a document with such a float is written by the standard encoder.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: A float's repr both encoders write alike: digits, a point, digits.
_PLAIN_FLOAT = re.compile(r"-?\d+\.\d+")
_INDENTED = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def has_hard_float(doc: Any) -> bool:
    """Is there a float the two encoders write differently: one with an exponent, or not
    finite? (A spam score or a witness message's 4.0 is not.)"""
    stack: list[Any] = [[doc]]
    pop, push = stack.pop, stack.append
    while stack:
        x = pop()
        # exact types first: a document is 10^7 plain strings, numbers, dicts and lists
        for v in x.values() if type(x) is dict else x:
            t = type(v)
            if t is str or t is int or t is bool or v is None:
                continue
            if t is dict or t is list or t is tuple:
                push(v)
            elif isinstance(v, float):
                if not _PLAIN_FLOAT.fullmatch(repr(v)):
                    return True
            elif isinstance(v, dict | list | tuple):
                push(v)
    return False


def indented(doc: Any) -> str:
    """Two-space indent, sorted keys, UTF-8 characters as they are, a final newline."""
    if not has_hard_float(doc):
        try:
            return orjson.dumps(doc, option=_INDENTED | orjson.OPT_APPEND_NEWLINE
                                ).decode("utf-8")
        except orjson.JSONEncodeError:
            pass
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def indented_bytes(doc: Any) -> bytes:
    """:func:`indented` encoded as UTF-8, without a text copy of an estate's document."""
    if not has_hard_float(doc):
        try:
            return orjson.dumps(doc, option=_INDENTED | orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:
            pass
    return indented(doc).encode("utf-8")


def compact(value: Any, *, checked: bool = False) -> bytes:
    """No whitespace, sorted keys, UTF-8 (what a fingerprint hashes). ``checked``: the
    caller has seen that no hard float is in ``value`` (once for a whole document)."""
    if checked or not has_hard_float(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return json.dumps(value, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


#: A run of digits orjson may read otherwise than the standard parser: an integer beyond 64
#: bits becomes a float there.
_LONG_DIGITS = re.compile(r"[0-9]{19}")


def loads(text: str) -> Any:
    """``json.loads(text)``, by orjson where it reads the same values (a given estate's
    documents are 10^8 bytes): anything orjson refuses, and any text with a run of 19
    digits, goes to the standard parser, whose errors and limits then apply as they are."""
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)
