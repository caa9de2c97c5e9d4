"""JSON Schemas (draft 2020-12) of isc's output documents, shipped inside the package.

``ztsa-ia-1`` describes ``ztsa-ia.json`` (``"schema": "isc/ztsa-ia/1"``), ``ems-1``
describes ``ems.json`` (``"schema": "isc/ems/1"``), ``report-1`` describes ``report.json``
(``"schema": "isc/report/1"``).

Validation has two validators (:func:`validate`):

- a **compiled** one (``fastjsonschema``: the schema turned into Python source once per
  process, at first use), which only says valid or invalid, and fast: every document
  goes through it;
- the **reference** one (``jsonschema.Draft202012Validator``), which runs only when the
  compiled one rejects a document, to name the violation. The messages are therefore the
  reference's, whichever validator runs first.

fastjsonschema implements drafts 04 to 2019-09, not 2020-12. The shipped schemas use only
keywords that mean the same in 2020-12 and in draft 07 (:data:`COMPILED_KEYWORDS`; ``$ref``
is a local JSON pointer such as ``#/$defs/rule``, without sibling assertions; ``items`` is
one schema, never an array). A schema that uses another keyword is not compiled and every
document is checked with the reference validator alone (:func:`compiled_validator` returns
``None`` then, and a test keeps the shipped schemas compiled). ``pattern`` uses Python's
``re.search``, as ``jsonschema`` does: fastjsonschema rewrites an unescaped ``$`` to ``\\Z``,
so its regular expressions are replaced with the patterns compiled unchanged.

The compiled validator is built without fastjsonschema's detailed exceptions (which embed
each subschema's text at every check: a third of the code and four times the memory to
compile it), and so from a copy of the schema where each ``const`` is the equivalent
one-value ``enum`` (fastjsonschema cannot word a ``const`` violation without the details).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:  # imported when first needed: most runs never name a violation
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from isc.diagnostics import Span
from isc.errors import DocumentError

__all__ = [
    "COMPILED_KEYWORDS",
    "compiled_validator",
    "json_path",
    "load_schema",
    "reference_validator",
    "uncompilable_keywords",
    "validate",
]

_SUFFIX = ".schema.json"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Keywords whose draft 2020-12 meaning fastjsonschema's draft 2019/07 code generator
#: implements exactly as ``jsonschema`` does (checked by tests/test_schema_validators.py).
COMPILED_KEYWORDS = frozenset({
    # identifiers and annotations
    "$schema", "$id", "$comment", "$defs", "title", "description", "examples",
    # references (local JSON pointers only, see uncompilable_keywords)
    "$ref",
    # any instance
    "type", "enum", "const", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    # objects
    "properties", "required", "additionalProperties", "minProperties", "maxProperties",
    # arrays ("items" with a single schema)
    "items", "uniqueItems", "minItems", "maxItems",
    # strings and numbers
    "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf",
})
#: Keywords whose value is a map of names to subschemas.
_SCHEMA_MAPS = frozenset({"properties", "$defs"})
#: Keywords whose value is one subschema.
_SUBSCHEMAS = frozenset({"items", "additionalProperties", "not", "if", "then", "else"})
#: Keywords whose value is a list of subschemas.
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
#: Keywords that may stand next to ``$ref`` (annotations only: draft 07 ignores siblings).
_REF_SIBLINGS = frozenset({"$ref", "$comment", "description", "title", "examples"})


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


def _walk(schema: Any, pointer: str) -> Iterator[str]:
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        yield f"{pointer or '/'}: not a schema"
        return
    if "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            yield f"{pointer}/$ref: not a local reference"
        for key in sorted(set(schema) - _REF_SIBLINGS):
            yield f"{pointer}/{key}: next to $ref"
    for key, value in schema.items():
        where = f"{pointer}/{key}"
        if key not in COMPILED_KEYWORDS:
            yield where
        elif key in _SCHEMA_MAPS:
            if not isinstance(value, dict):
                yield f"{where}: not an object"
                continue
            for sub, subschema in value.items():
                yield from _walk(subschema, f"{where}/{sub}")
        elif key in _SUBSCHEMAS:
            if key == "items" and not isinstance(value, (dict, bool)):
                yield f"{where}: not one schema"
                continue
            yield from _walk(value, where)
        elif key in _SCHEMA_LISTS:
            if not isinstance(value, list):
                yield f"{where}: not an array"
                continue
            for k, subschema in enumerate(value):
                yield from _walk(subschema, f"{where}/{k}")
        elif key == "$schema" and pointer:
            yield f"{where}: not at the root"


def _for_compiler(schema: Any) -> Any:
    """A copy of ``schema`` with every ``const: X`` as ``enum: [X]`` (or, next to an
    ``enum``, as ``allOf: [{enum: [X]}]``): the same meaning, in what fastjsonschema can
    compile without detailed exceptions. Only schema positions are rewritten, never a
    property named ``const``."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _for_compiler(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMAS:
            out[key] = _for_compiler(value)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_for_compiler(sub) for sub in value]
        elif key != "const":
            out[key] = value
    if "const" in schema:
        if "enum" in schema:
            out["allOf"] = [*out.get("allOf", []), {"enum": [schema["const"]]}]
        else:
            out["enum"] = [schema["const"]]
    return out


def uncompilable_keywords(schema: dict[str, Any]) -> list[str]:
    """JSON pointers of what keeps ``schema`` from the compiled validator (empty if none)."""
    return list(_walk(schema, ""))


@functools.cache
def reference_validator(name: str) -> Draft202012Validator:
    """The ``jsonschema`` validator of the schema ``name`` (the schema is checked first)."""
    from jsonschema import Draft202012Validator

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


#: ``"text {name}".format(**locals())`` in fastjsonschema's generated code (the text holds
#: no quote but escaped ones; the fields are plain names).
_FORMAT_LOCALS = re.compile(r'"((?:[^"\\]|\\.)*)"\.format\(\*\*locals\(\)\)')


@functools.cache
def compiled_validator(name: str) -> Callable[[Any], Any] | None:
    """The compiled validator of the schema ``name``, built at its first use; ``None`` when
    the schema uses a keyword outside :data:`COMPILED_KEYWORDS`.

    It returns when a document is valid and raises
    :class:`fastjsonschema.JsonSchemaValueException` at its first violation."""
    schema = load_schema(name)
    if uncompilable_keywords(schema):
        return None
    code = fastjsonschema.compile_to_code(_for_compiler(schema), use_default=False,
                                          use_formats=False, detailed_exceptions=False)
    # The generated code names each array item for its messages with
    # ``"...[{i}]".format(**locals())``, once per item: copying a large validator's locals
    # made checking an estate's report take seconds. An f-string names it alike.
    code = _FORMAT_LOCALS.sub(r'f"\1"', code)
    root = re.search(r"^def (validate\w*)\(", code, re.MULTILINE)
    if root is None:
        return None
    namespace: dict[str, Any] = {}
    exec(compile(code, f"<compiled schema {name}>", "exec"), namespace)
    check: Callable[[Any], Any] = namespace[root.group(1)]
    # fastjsonschema searches with "$" rewritten to "\Z"; jsonschema searches with the
    # pattern as written (in Python's re, "$" also matches before a final newline). Use
    # the patterns as written, so both validators accept the same strings.
    patterns = namespace.get("REGEX_PATTERNS", {})  # absent when the schema has none
    if not isinstance(patterns, dict):
        return None
    for pattern in list(patterns):
        patterns[pattern] = re.compile(pattern)
    return check


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


def _compiled_path(exc: fastjsonschema.JsonSchemaValueException) -> str:
    """Where fastjsonschema's violation is, as ``$.rules[0].action``: its ``name``
    (``data.rules[0].action``), or else the start of its message (``data.rules[0].action
    must be ...``)."""
    text = exc.name or (exc.message or "").split(" must ", 1)[0]
    return "$" + text[len("data"):] if text.startswith("data") else "$"


def validate(document: Any, name: str, *, filename: str | None = None) -> None:
    """Check ``document`` against the schema ``name``.

    Raises :class:`~isc.errors.DocumentError` (``ISC1007``) whose message starts with the JSON
    path of the best-matching violation, e.g. ``$.internetAccessRules[3].action: ...``.

    The compiled validator decides; only a document it rejects goes through the reference
    validator, which names the violation. Should the reference accept what the compiled one
    rejected, the document is refused all the same (a message saying so).
    """
    check = compiled_validator(name)
    rejected: fastjsonschema.JsonSchemaValueException | None = None
    if check is not None:
        try:
            check(document)
        except fastjsonschema.JsonSchemaValueException as exc:
            rejected = exc
        except Exception:  # a crash of the compiled code: the reference decides
            rejected = None
        else:
            return
    from jsonschema.exceptions import best_match

    span = Span(filename) if filename is not None else None
    error = best_match(reference_validator(name).iter_errors(document))
    if error is None:
        if rejected is None:
            return
        raise DocumentError(
            f"{_compiled_path(rejected)}: {rejected.message} (schema {name}: the compiled "
            "validator rejects the document but the reference validator accepts it; isc "
            "refuses a document the two do not agree on)",
            code="ISC1007", span=span)
    path, message = _describe(error)
    raise DocumentError(f"{path}: {message} (schema {name})", code="ISC1007", span=span)
