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


#: From this magnitude a float orjson gives may have been an integer literal (beyond 64 bits
#: orjson reads one as a float; the standard parser as an int).
_INT_LIMIT = float(2**63)


def loads(data: bytes | str) -> Any:
    """``json.loads(data)`` (bytes: UTF-8, a BOM allowed), by orjson where it reads the same
    values (a given estate's documents are 10^8 bytes). What orjson refuses, and anything
    holding a float from 2^63 up (which may have been a longer integer), is read by the
    standard parser, whose values, errors and limits then apply as they are."""
    body = data[3:] if isinstance(data, bytes) and data.startswith(_BOM) else data
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    else:
        if not _has_huge_float(value):
            return value
    return json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)


_BOM = b"\xef\xbb\xbf"


def _has_huge_float(value: Any) -> bool:
    if type(value) is float:
        return abs(value) >= _INT_LIMIT
    stack: list[Any] = [value] if type(value) in (dict, list) else []
    pop, push = stack.pop, stack.append
    while stack:
        x = pop()
        for v in x.values() if type(x) is dict else x:
            t = type(v)
            if t is dict or t is list:
                push(v)
            elif t is float and abs(v) >= _INT_LIMIT:
                return True
    return False
