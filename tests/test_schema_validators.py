"""The compiled schema validator (fastjsonschema) and the reference one (jsonschema) agree.

:func:`isc.schemas.validate` decides with the compiled validator and names violations with
the reference one, so the two must accept exactly the same documents: checked here on the
example outputs, on documents compiled from small generated benchmark exports, and on
mutated copies of both (a required key deleted, an unknown key added, a value of another
type, a string outside its enum or pattern, a duplicated array item). Every rejected
document must give the error text the reference validator alone gives.
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

import isc
from isc import api
from isc.api import to_json
from isc.errors import DocumentError
from isc.schemas import (
    _describe,
    _for_compiler,
    compiled_validator,
    load_schema,
    reference_validator,
    uncompilable_keywords,
    validate,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ("ztsa-ia-1", "ems-1", "report-1", "replay-1")
SCHEMA_OF = {"ztsa-ia.json": "ztsa-ia-1", "ems.json": "ems-1", "report.json": "report-1"}
EXAMPLES = sorted(ROOT.glob("examples/*/expected/*.json"))


def _example_docs() -> list[tuple[str, str, Any]]:
    return [(f"{p.parent.parent.name}/{p.name}", SCHEMA_OF[p.name],
             json.loads(p.read_text(encoding="utf-8"))) for p in EXAMPLES]


def reference_message(document: Any, name: str) -> str | None:
    """What ``validate`` said before the compiled validator: the reference validator's best
    match, described, or ``None`` for a valid document."""
    error = best_match(Draft202012Validator(load_schema(name)).iter_errors(document))
    if error is None:
        return None
    path, message = _describe(error)
    return f"{path}: {message} (schema {name})"


def compiled_accepts(document: Any, name: str) -> bool:
    check = compiled_validator(name)
    assert check is not None
    try:
        check(document)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def validate_message(document: Any, name: str) -> str | None:
    try:
        validate(document, name)
    except DocumentError as exc:
        assert exc.code == "ISC1007"
        return exc.message
    return None


def assert_agree(document: Any, name: str) -> bool:
    """Both validators decide ``document`` alike and ``validate`` words it as the reference
    does; returns whether it is valid."""
    expected = reference_message(document, name)
    assert compiled_accepts(document, name) == (expected is None), expected
    assert validate_message(document, name) == expected
    return expected is None


# ---------------------------------------------------------------------- the schemas compile


@pytest.mark.parametrize("name", SCHEMAS)
def test_shipped_schemas_are_compiled(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert uncompilable_keywords(schema) == []
    assert compiled_validator(name) is not None
    assert compiled_validator(name) is compiled_validator(name)  # compiled once
    assert reference_validator(name) is reference_validator(name)


@pytest.mark.parametrize(("schema", "found"), [
    ({"prefixItems": [{"type": "string"}]}, ["/prefixItems"]),
    ({"type": "object", "unevaluatedProperties": False}, ["/unevaluatedProperties"]),
    ({"properties": {"a": {"$dynamicRef": "#x"}}}, ["/properties/a/$dynamicRef"]),
    ({"items": [{"type": "string"}]}, ["/items: not one schema"]),
    ({"$defs": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a",
                                                              "minLength": 2}}},
     ["/properties/x/minLength: next to $ref"]),
    ({"$ref": "https://example.com/schema"}, ["/$ref: not a local reference"]),
    ({"allOf": [{"dependentRequired": {"a": ["b"]}}]}, ["/allOf/0/dependentRequired"]),
    ({"properties": {"enum": {"type": "string"}}, "enum": ["$ref"], "required": ["const"]},
     []),
])
def test_uncompilable_keywords(schema: dict[str, Any], found: list[str]) -> None:
    assert uncompilable_keywords(schema) == found


def test_const_is_compiled_as_a_one_value_enum() -> None:
    schema = {"type": "object", "properties": {"const": {"const": 1}, "enum": {
        "const": "a", "enum": ["a", "b"], "allOf": [{"type": "string"}]}},
        "$defs": {"x": {"items": {"const": None}}}, "required": ["const"]}
    assert _for_compiler(schema) == {
        "type": "object", "properties": {"const": {"enum": [1]}, "enum": {
            "enum": ["a", "b"], "allOf": [{"type": "string"}, {"enum": ["a"]}]}},
        "$defs": {"x": {"items": {"enum": [None]}}}, "required": ["const"]}
    assert "const" in json.dumps(load_schema("ems-1"))  # the shipped schema is unchanged


def test_uncompiled_schema_falls_back_to_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema the compiled validator cannot take is checked by the reference alone."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "array", "prefixItems": [{"type": "string"}]}
    monkeypatch.setattr("isc.schemas.load_schema", lambda name: schema)
    compiled_validator.cache_clear()
    reference_validator.cache_clear()
    try:
        assert compiled_validator("x") is None
        validate(["a", 1], "x")
        with pytest.raises(DocumentError) as caught:
            validate([1], "x")
        assert caught.value.message == "$[0]: 1 is not of type 'string' (schema x)"
    finally:
        compiled_validator.cache_clear()
        reference_validator.cache_clear()


def test_disagreement_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled says invalid, reference says valid: refused, and the message says why."""
    def reject(document: Any) -> None:
        raise fastjsonschema.JsonSchemaValueException(
            "data.rules[0].name must be string", name="data.rules[0].name")

    monkeypatch.setattr("isc.schemas.compiled_validator", lambda name: reject)
    doc = json.loads((ROOT / "examples/imsva-kaede/expected/ems.json").read_text("utf-8"))
    with pytest.raises(DocumentError) as caught:
        validate(doc, "ems-1", filename="ems.json")
    assert caught.value.code == "ISC1007"
    assert caught.value.message.startswith("$.rules[0].name: data.rules[0].name must be string")
    assert "reference validator accepts it" in caught.value.message


def test_pattern_dollar_is_pythons(monkeypatch: pytest.MonkeyPatch) -> None:
    """jsonschema searches with Python's re, where "$" matches before a final newline;
    fastjsonschema's rewrite to "\\Z" is undone so both accept the same strings."""
    doc = json.loads((ROOT / "examples/iwsva-sakura/expected/report.json").read_text("utf-8"))
    doc["diagnostics"][0]["code"] = "ISC1001\n"
    assert_agree(doc, "report-1")
    doc["diagnostics"][0]["code"] = "ISC10011"
    assert not assert_agree(doc, "report-1")


# ---------------------------------------------------------------------- examples


@pytest.mark.parametrize(("label", "name", "doc"), _example_docs(),
                         ids=[f"{p.parent.parent.name}/{p.name}" for p in EXAMPLES])
def test_examples_agree(label: str, name: str, doc: Any) -> None:
    assert assert_agree(doc, name), label


# ---------------------------------------------------------------------- mutations


_OTHER_VALUES: tuple[Any, ...] = (None, True, False, 0, -1, 7, 1.5, 2.0, "", "text",
                                  "ISC1001", "12:00\n", "24:01", "block", "sha256:00",
                                  [], ["x"], [1], {}, {"k": 1})
_MUTATIONS = ("delete", "add", "retype", "string", "number", "duplicate")


def _nodes(doc: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _nodes(value, (*path, key))
    elif isinstance(doc, list):
        for k, value in enumerate(doc):
            out += _nodes(value, (*path, k))
    return out


def _get(doc: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """One to three mutations of a copy of ``doc``, drawn from ``data``."""
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        nodes = _nodes(doc)
        path = nodes[data.draw(st.integers(0, len(nodes) - 1), label="node")]
        node = _get(doc, path)
        kind = data.draw(st.sampled_from(_MUTATIONS), label="kind")
        parent = _get(doc, path[:-1]) if path else None
        if kind == "delete" and isinstance(node, dict) and node:
            del node[data.draw(st.sampled_from(sorted(node)), label="key")]
        elif kind == "add" and isinstance(node, dict):
            key = data.draw(st.sampled_from(["bogus", "x-extra", "name", "schema", "action",
                                             "fidelity", "ünknown key"]), label="new key")
            node[key] = copy.deepcopy(data.draw(st.sampled_from(_OTHER_VALUES), label="value"))
        elif kind == "duplicate" and isinstance(node, list) and node:
            node.append(copy.deepcopy(node[data.draw(st.integers(0, len(node) - 1))]))
        elif parent is not None:
            if kind == "string":
                value: Any = data.draw(st.sampled_from(
                    ["", "BOGUS", "block ", "Block", "exact\n", "ISC999", "not-a-value",
                     "narrowed", "isc/ztsa-ia/2"]) | st.text(max_size=8), label="string")
            elif kind == "number":
                value = data.draw(st.sampled_from([-1, 0, 1, 1.0, 1.25, 10 ** 12, -0.5,
                                                   True]), label="number")
            else:
                value = data.draw(st.sampled_from(_OTHER_VALUES), label="value")
            parent[path[-1]] = copy.deepcopy(value)  # the constants stay unchanged
    return doc


_EXAMPLE_DOCS = _example_docs()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_examples_agree(data: st.DataObject) -> None:
    _, name, doc = data.draw(st.sampled_from(_EXAMPLE_DOCS), label="document")
    assert_agree(_mutate(doc, data), name)


@functools.cache
def _fastjsonschema_own(name: str) -> Any:
    """fastjsonschema's own compiled validator, its patterns searched as written (as
    :func:`compiled_validator` does)."""
    import re

    check = fastjsonschema.compile(_for_compiler(load_schema(name)), use_default=False,
                                   use_formats=False, detailed_exceptions=False)
    patterns = check.__globals__["REGEX_PATTERNS"]
    for pattern in list(patterns):
        patterns[pattern] = re.compile(pattern)
    return check


def _outcome(check: Any, doc: Any) -> tuple[str, str] | None:
    try:
        check(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        return exc.message, exc.name
    return None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_violations_are_named_as_fastjsonschema_names_them(data: st.DataObject) -> None:
    """``compiled_validator`` rewrites how the generated code names array items (an f-string
    for ``format(**locals())``): the same violation, in the same words, at the same path."""
    _, name, doc = data.draw(st.sampled_from(_EXAMPLE_DOCS), label="document")
    doc = _mutate(doc, data)
    ours = compiled_validator(name)
    assert ours is not None
    assert _outcome(ours, doc) == _outcome(_fastjsonschema_own(name), doc)


# ---------------------------------------------------------------------- generated exports


@pytest.fixture(scope="module")
def generated_docs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Any]]:
    """The documents isc compiles from a small generated web and mail export."""
    tmp = tmp_path_factory.mktemp("bench-export")
    generate = str(ROOT / "benchmarks" / "generate.py")
    subprocess.run([sys.executable, generate, str(tmp / "web"), "--policies", "2",
                    "--entries", "40", "--seed", "3"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, generate, str(tmp / "mail"), "--product", "mail",
                    "--rules", "4", "--addresses", "30", "--expressions", "8", "--senders",
                    "8", "--seed", "3"], check=True, stdout=subprocess.DEVNULL)
    docs: list[tuple[str, Any]] = []
    for folder, target, name in (("web", "ztsa-ia", "ztsa-ia-1"), ("mail", "ems", "ems-1")):
        output = isc.compile(isc.optimize(isc.load(str(tmp / folder))), target)
        docs.append((name, to_json(output)))
        docs.append(("report-1", json.loads(isc.dumps_report(output))))
        # a replay of a few logged requests (and a line that is none) against it
        out = tmp / f"{folder}-out"
        out.mkdir()
        (out / f"{target}.json").write_text(isc.dumps(output), encoding="utf-8")
        (out / "report.json").write_text(isc.dumps_report(output), encoding="utf-8")
        log = tmp / f"{folder}.jsonl"
        log.write_text('{"url": "http://www.example.com/", "client": "10.0.0.1"}\n'
                       '{"sender": "a@example.com", "recipient": "b@example.org"}\n'
                       "# a comment\nnot json\n", encoding="utf-8")
        docs.append(("replay-1", api.replay(isc.load(str(tmp / folder)), str(out),
                                            [str(log)])))
    return docs


def test_generated_documents_agree(generated_docs: list[tuple[str, Any]]) -> None:
    assert {name for name, _ in generated_docs} == set(SCHEMAS)
    for name, doc in generated_docs:
        assert assert_agree(doc, name), name


@settings(max_examples=75, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_generated_documents_agree(generated_docs: list[tuple[str, Any]],
                                           data: st.DataObject) -> None:
    name, doc = data.draw(st.sampled_from(generated_docs), label="document")
    assert_agree(_mutate(doc, data), name)
