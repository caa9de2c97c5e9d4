"""The Trend Micro Email Security document (``isc/ems/1``).

The EmS IR meets JSON here, with the conventions of :mod:`isc.ir.serde` (camelCase keys
from :func:`~isc.ir.serde.camel`, enums by value, tuples as lists, :class:`~isc.ir.common.Meta`
flattened into ``source``, ``fidelity`` and ``review``) plus shapes of its own for the mail
classes:

- parties as ``{"type": "address", "value": "*@example.com"}``;
- criteria tagged by ``criterion`` (``message-size``, ``attachment-name``, ``subject``,
  ``spam``, ``graymail`` ...) and modify/monitor actions tagged by ``action``;
- directions in the console's words, ``inbound`` / ``outbound``;
- keyword expressions as EmS-dialect text with ``caseSensitive``, ``score`` and
  ``description``. The AST is not written: :func:`load_ems` re-parses the text with the
  parser it is given (``ir/`` cannot import the front-ends).

Mail classes carry a ``span`` that is never written. Only what EmS can express has a JSON
form: :func:`dump_ems` raises :class:`TypeError` on an IMSVA-only criterion or action, and
the schema ``isc/schemas/ems-1.schema.json`` pins the rest (size comparisons ``gt``/``le``,
no handoff, no quarantine area).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from isc.diagnostics import Span
from isc.errors import DocumentError, IscError
from isc.ir.common import Meta, Origin
from isc.ir.ems import SCHEMA, EmsDmarc, EmsPolicy
from isc.ir.export import Output
from isc.ir.keyword_expr import Node
from isc.ir.mail import (
    Action,
    Archive,
    AttachmentName,
    Bcc,
    Clean,
    Compare,
    Condition,
    DeleteAttachments,
    Direction,
    DlpCondition,
    Encrypt,
    Flag,
    FlagCondition,
    InsertStamp,
    InsertXHeader,
    Intercept,
    InterceptAction,
    KeywordCondition,
    KeywordExpression,
    Measure,
    MessagePart,
    MimeType,
    Notify,
    Party,
    PartyKind,
    Postpone,
    ReceivedTime,
    RouteException,
    SizeCondition,
    SpamCondition,
    TagSubject,
    TrueFileType,
    VirusCondition,
    WebReputationCondition,
)
from isc.ir.serde import camel, dump_fidelity, load_fidelity
from isc.schemas import validate

__all__ = ["SCHEMA", "TARGET", "dump_ems", "load_ems"]

TARGET = "ems"

#: Parses one EmS-dialect keyword expression (``isc.frontends.keywords`` in practice).
ParseExpression = Callable[[str], Node]

_DIRECTIONS = {Direction.INCOMING: "inbound", Direction.OUTGOING: "outbound"}
_DIRECTION_OF = {v: k for k, v in _DIRECTIONS.items()}

#: Flags EmS has as criteria (the others are IMSVA-only: research imsva.md §5.4).
EMS_FLAGS = (Flag.GRAYMAIL, Flag.SOCIAL_ENGINEERING, Flag.PASSWORD_PROTECTED)
_KEYWORD_PARTS = {p.value: p for p in MessagePart}
_MEASURES = {m.value: m for m in Measure}


# ---------------------------------------------------------------------------- parties


def _dump_party(p: Party) -> dict[str, Any]:
    return {"type": p.kind.value, "value": p.value}


def _load_party(data: Mapping[str, Any], _: Any = None) -> Party:
    return Party(PartyKind(data["type"]), data["value"])


def _dump_exception(e: RouteException) -> dict[str, Any]:
    return {"sender": _dump_party(e.sender), "recipient": _dump_party(e.recipient)}


def _load_exception(data: Mapping[str, Any], _: Any = None) -> RouteException:
    return RouteException(_load_party(data["sender"]), _load_party(data["recipient"]))


# ---------------------------------------------------------------------------- criteria


def _dump_condition(c: Condition) -> dict[str, Any]:
    if isinstance(c, SizeCondition):
        if c.op not in (Compare.GT, Compare.LE):
            raise TypeError(f"EmS compares sizes with > or <= only, not {c.op.value}")
        return {"criterion": c.measure.value, "op": c.op.value, "value": c.value,
                "unit": c.unit}
    if isinstance(c, AttachmentName):
        return {"criterion": "attachment-name", "pattern": c.pattern}
    if isinstance(c, TrueFileType):
        return {"criterion": "true-file-type", "fileType": c.file_type}
    if isinstance(c, MimeType):
        return {"criterion": "mime-type", "mimeType": c.mime_type}
    if isinstance(c, KeywordCondition):
        out: dict[str, Any] = {"criterion": c.part.value, "keywordList": c.keyword_list}
        if c.part is MessagePart.HEADER:
            out["headers"] = list(c.headers)
        elif c.headers:
            raise TypeError("only a header criterion names header fields")
        return out
    if isinstance(c, SpamCondition):
        return {"criterion": "spam", "catchRate": c.catch_rate, "threshold": c.threshold}
    if isinstance(c, WebReputationCondition):
        return {"criterion": "web-reputation", "level": c.level, "untested": c.untested,
                "timeOfClick": c.time_of_click}
    if isinstance(c, FlagCondition) and c.flag in EMS_FLAGS:
        return {"criterion": c.flag.value}
    if isinstance(c, DlpCondition):
        return {"criterion": "dlp", "template": c.template}
    if isinstance(c, VirusCondition):
        return {"criterion": "virus", "scan": c.scan, "extensions": list(c.extensions)}
    raise TypeError(f"{type(c).__name__} {c!r} has no EmS criterion")


def _load_condition(data: Mapping[str, Any], _: Any = None) -> Condition:
    tag = data["criterion"]
    if tag in _MEASURES:
        return SizeCondition(_MEASURES[tag], Compare(data["op"]), data["value"], data["unit"])
    if tag in _KEYWORD_PARTS:
        return KeywordCondition(_KEYWORD_PARTS[tag], data["keywordList"],
                                tuple(data.get("headers", ())))
    if tag == "attachment-name":
        return AttachmentName(data["pattern"])
    if tag == "true-file-type":
        return TrueFileType(data["fileType"])
    if tag == "mime-type":
        return MimeType(data["mimeType"])
    if tag == "spam":
        return SpamCondition(data["catchRate"], data["threshold"])
    if tag == "web-reputation":
        return WebReputationCondition(data["level"], data["untested"], data["timeOfClick"])
    if tag == "dlp":
        return DlpCondition(data["template"])
    if tag == "virus":
        return VirusCondition(data["scan"], tuple(data["extensions"]))
    return FlagCondition(Flag(tag))


# ---------------------------------------------------------------------------- actions


def _dump_action(a: Action) -> dict[str, Any]:
    if isinstance(a, DeleteAttachments):
        return {"action": "delete-attachments", "scope": a.scope}
    if isinstance(a, Clean):
        return {"action": "clean", "fallback": a.fallback}
    if isinstance(a, InsertStamp):
        return {"action": "insert-stamp", "stamp": a.stamp}
    if isinstance(a, TagSubject):
        return {"action": "tag-subject", "tag": a.tag}
    if isinstance(a, InsertXHeader):
        return {"action": "insert-x-header", "name": a.name, "value": a.value}
    if isinstance(a, Notify):
        return {"action": "notify", "notification": a.notification}
    if isinstance(a, Bcc):
        return {"action": "bcc", "addresses": list(a.addresses)}
    if isinstance(a, Encrypt):
        return {"action": "encrypt"}
    raise TypeError(f"{type(a).__name__} {a!r} has no EmS action")


def _load_action(data: Mapping[str, Any], _: Any = None) -> Action:
    tag = data["action"]
    if tag == "delete-attachments":
        return DeleteAttachments(data["scope"])
    if tag == "clean":
        return Clean(data["fallback"])
    if tag == "insert-stamp":
        return InsertStamp(data["stamp"])
    if tag == "tag-subject":
        return TagSubject(data["tag"])
    if tag == "insert-x-header":
        return InsertXHeader(data["name"], data["value"])
    if tag == "notify":
        return Notify(data["notification"])
    if tag == "bcc":
        return Bcc(tuple(data["addresses"]))
    if tag == "encrypt":
        return Encrypt()
    raise ValueError(f"unknown action {tag!r}")


def _dump_intercept(i: Intercept) -> dict[str, Any]:
    if i.action is InterceptAction.HANDOFF or i.area is not None:
        raise TypeError("EmS has no handoff and no named quarantine areas")
    return {"action": i.action.value, "recipients": list(i.recipients), "host": i.host,
            "port": i.port}


def _load_intercept(data: Mapping[str, Any], _: Any = None) -> Intercept:
    return Intercept(InterceptAction(data["action"]), None, tuple(data["recipients"]),
                     data["host"], data["port"])


# ---------------------------------------------------------------------------- keywords


def _dump_expression(e: KeywordExpression) -> dict[str, Any]:
    return {"expression": e.text, "caseSensitive": e.case_sensitive, "score": e.score,
            "description": e.description}


# ---------------------------------------------------------------------------- codec
#
# Not a cattrs converter: the shared one in ``serde.py`` binds its attrs-class factories to
# itself, so a copy cannot take mail hooks, and cattrs stays in ``serde.py`` (architecture
# §3.5). This walks the attrs fields with the same conventions: ``camel`` keys, enums by
# value, tuples as lists, Meta flattened, ``span`` never written.


def _dump_dmarc_actions(actions: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"policy": p, "action": a} for p, a in actions]


def _load_dmarc_actions(data: list[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((d["policy"], d["action"]) for d in data)


_CONDITIONS = (SizeCondition, AttachmentName, TrueFileType, MimeType, KeywordCondition,
               SpamCondition, WebReputationCondition, FlagCondition, DlpCondition,
               ReceivedTime, VirusCondition)
_ACTIONS = (DeleteAttachments, Clean, InsertStamp, TagSubject, InsertXHeader, Postpone,
            Notify, Bcc, Archive, Encrypt)

#: Fields written in a shape of their own.
_FIELD_DUMP: Mapping[tuple[type, str], Callable[[Any], Any]] = {
    (EmsDmarc, "actions"): _dump_dmarc_actions}
_FIELD_LOAD: Mapping[tuple[type, str], Callable[[Any], Any]] = {
    (EmsDmarc, "actions"): _load_dmarc_actions}


def _unstructure(value: Any) -> Any:
    if isinstance(value, Party):
        return _dump_party(value)
    if isinstance(value, RouteException):
        return _dump_exception(value)
    if isinstance(value, Intercept):
        return _dump_intercept(value)
    if isinstance(value, KeywordExpression):
        return _dump_expression(value)
    if isinstance(value, _CONDITIONS):
        return _dump_condition(value)
    if isinstance(value, _ACTIONS):
        return _dump_action(value)
    if isinstance(value, Direction):
        return _DIRECTIONS[value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_unstructure(v) for v in value]
    if attrs.has(type(value)):
        return _dump_object(value)
    return value


def _dump_meta(meta: Meta) -> dict[str, Any]:
    source = meta.source
    out: dict[str, Any] = {
        "source": None if source is None else {"file": source.file, "line": source.line,
                                               "kind": source.kind, "name": source.name},
        **dump_fidelity(meta.fidelity, meta.directions),
    }
    if meta.review:
        out["review"] = list(meta.review)
    return out


def _load_meta(data: Mapping[str, Any]) -> Meta:
    s = data["source"]
    source = None if s is None else Origin(s["file"], s["line"], s["kind"], s["name"])
    fidelity, directions = load_fidelity(data["fidelity"], data.get("directions"))
    return Meta(source, fidelity, tuple(data.get("review", ())), directions)


def _dump_object(obj: Any) -> dict[str, Any]:
    cls = type(obj)
    out: dict[str, Any] = {}
    for a in attrs.fields(cls):
        if a.name in ("meta", "span"):
            continue
        value = getattr(obj, a.name)
        special = _FIELD_DUMP.get((cls, a.name))
        out[camel(a.name)] = special(value) if special else _unstructure(value)
    if isinstance(getattr(obj, "meta", None), Meta):
        out.update(_dump_meta(obj.meta))
    return out


_LOADERS: tuple[tuple[Any, Callable[[Any], Any]], ...] = (
    (Party, _load_party),
    (RouteException, _load_exception),
    (Intercept, _load_intercept),
    (Condition, _load_condition),
    (Action, _load_action),
    (Direction, _DIRECTION_OF.__getitem__),
)


def _structure(data: Any, t: Any, expressions: Callable[[Any], KeywordExpression]) -> Any:
    for known, load in _LOADERS:
        if t == known:
            return load(data)
    if t is KeywordExpression:
        return expressions(data)
    origin = typing.get_origin(t)
    if origin is tuple:
        item = typing.get_args(t)[0]
        return tuple(_structure(x, item, expressions) for x in data)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        (other,) = [a for a in typing.get_args(t) if a is not type(None)]
        return _structure(data, other, expressions)
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return t(data)
    if isinstance(t, type) and attrs.has(t):
        return _load_object(t, data, expressions)
    return data


def _load_object(cls: type, data: Mapping[str, Any],
                 expressions: Callable[[Any], KeywordExpression]) -> Any:
    attrs.resolve_types(cls)
    kwargs: dict[str, Any] = {}
    for a in attrs.fields(cls):
        if a.name == "span":
            continue
        if a.name == "meta" and a.type is Meta:
            kwargs["meta"] = _load_meta(data)
            continue
        value = data[camel(a.name)]
        special = _FIELD_LOAD.get((cls, a.name))
        kwargs[a.name] = special(value) if special else _structure(value, a.type, expressions)
    return cls(**kwargs)


# ---------------------------------------------------------------------------- document


def dump_ems(output: Output) -> dict[str, Any]:
    """The ``isc/ems/1`` document of ``output`` (arrays in IR order: rules by direction, rule
    type and order; the back-end's order for the rest). The source product is written once,
    as ``sourceProduct`` (the output's, else the policy's)."""
    policy = output.document
    if not isinstance(policy, EmsPolicy):
        raise TypeError("dump_ems needs an EmS policy")
    body = _dump_object(policy)
    product = body.pop("product")
    return {
        "schema": SCHEMA,
        "sourceProduct": output.source_product if output.source_product is not None
        else product,
        **body,
    }


def load_ems(doc: dict[str, Any], *, filename: str, parse_expression: ParseExpression
             ) -> Output:
    """Read an ``isc/ems/1`` document back into an :class:`Output` (``report=()``).

    Keyword expressions are parsed with ``parse_expression`` (EmS dialect). Raises
    :class:`~isc.errors.DocumentError` (``ISC1007``) naming the JSON path of the first
    schema violation or unparsable expression, e.g. ``$.keywordLists[0].expressions[2]``.
    """
    validate(doc, "ems-1", filename=filename)
    parsed: dict[str, Node] = {}
    for i, lst in enumerate(doc["keywordLists"]):
        for j, e in enumerate(lst["expressions"]):
            text = e["expression"]
            if text in parsed:
                continue
            try:
                parsed[text] = parse_expression(text)
            except IscError as exc:
                raise DocumentError(
                    f"$.keywordLists[{i}].expressions[{j}].expression: {exc.message}",
                    code="ISC1007", span=Span(filename)) from exc
    rest = dict(doc)
    rest.pop("schema")
    product = rest.pop("sourceProduct")
    rest["product"] = product

    def expression(data: Mapping[str, Any]) -> KeywordExpression:
        text = data["expression"]
        return KeywordExpression(text, parsed[text], data["caseSensitive"], data["score"],
                                 data["description"])

    try:
        policy = _load_object(EmsPolicy, rest, expression)
    except (KeyError, TypeError, ValueError) as exc:  # past the schema: inconsistencies only
        raise DocumentError(f"$: {exc}", code="ISC1007", span=Span(filename)) from exc
    return Output(TARGET, policy, source_product=product)
