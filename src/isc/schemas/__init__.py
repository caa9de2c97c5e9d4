"""JSON Schemas (draft 2020-12) of isc's output documents, shipped inside the package.

``ztsa-ia-1`` describes ``ztsa-ia.json`` (``"schema": "isc/ztsa-ia/1"``), ``ems-1``
describes ``ems.json`` (``"schema": "isc/ems/1"``), ``report-1`` describes ``report.json``
(``"schema": "isc/report/1"``).
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from isc.diagnostics import Span
from isc.errors import DocumentError

__all__ = ["json_path", "load_schema", "validate"]

_SUFFIX = ".schema.json"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema called ``name`` (``"ztsa-ia-1"``, ``"ems-1"`` or ``"report-1"``, suffix
    optional).

    The returned dict is shared: do not modify it.
    """
    filename = name if name.endswith(_SUFFIX) else name + _SUFFIX
    resource = resources.files(__name__).joinpath(filename)
    if not resource.is_file():
        raise KeyError(f"no schema named {name!r}")
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def json_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """``$.a[3].b``: a JSON path for ``parts`` (keys that are not identifiers are quoted)."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


def _describe(error: ValidationError) -> tuple[str, str]:
    """The JSON path of ``error`` and its message; an unexpected or missing key is named in
    the path itself (``$.rules[0].bogus``)."""
    parts: list[str | int] = list(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {})) if isinstance(
            error.schema, dict) else set()
        extra = sorted(k for k in instance if k not in allowed)
        if extra:
            return json_path([*parts, extra[0]]), "unknown key " + ", ".join(
                json.dumps(k, ensure_ascii=False) for k in extra)
    required = error.validator_value
    if error.validator == "required" and isinstance(instance, dict) and isinstance(
            required, list):
        missing = [k for k in required if k not in instance]
        if missing:
            return json_path([*parts, missing[0]]), "required key is missing"
    return json_path(parts), error.message


def validate(document: Any, name: str, *, filename: str | None = None) -> None:
    """Check ``document`` against the schema ``name``.

    Raises :class:`~isc.errors.DocumentError` (``ISC1007``) whose message starts with the JSON
    path of the best-matching violation, e.g. ``$.internetAccessRules[3].action: ...``.
    """
    error = best_match(_validator(name).iter_errors(document))
    if error is None:
        return
    path, message = _describe(error)
    raise DocumentError(
        f"{path}: {message} (schema {name})",
        code="ISC1007",
        span=Span(filename) if filename is not None else None,
    )
