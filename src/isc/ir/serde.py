"""The ZTSA Internet Access document (``isc/ztsa-ia/1``) and the report (``isc/report/1``).

This is the one place the ZTSA IR meets JSON. A :class:`cattrs.Converter` maps every attrs
class of :mod:`isc.ir.ztsa` to a camelCase object whose keys are generated from the field
names; enums are written by value, tuples as lists, a :class:`~isc.ir.ztsa.WeeklySchedule`
as ``{"days": ["mon", ...], "hours": [{"from": "08:30", "to": "12:00"}, ...]}`` and the
:class:`~isc.ir.ztsa.Meta` of an object is flattened into it as ``source``, ``fidelity`` and
(when not empty) ``review``. The shapes are pinned by ``isc/schemas/ztsa-ia-1.schema.json``;
:func:`load_ztsa` validates against it before structuring.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePath
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from isc.diagnostics import Diagnostic, Span
from isc.errors import DocumentError
from isc.ir.common import Difference, Fidelity, Meta, Origin, check_tag, sorted_directions
from isc.ir.export import FATE_CODES, Output, ReportEntry
from isc.ir.jsontext import indented
from isc.ir.ztsa import SCHEMA, WeeklySchedule, ZtsaPolicy
from isc.schemas import validate

__all__ = [
    "REPORT_SCHEMA",
    "SCHEMA",
    "dump_fidelity",
    "dump_report",
    "dump_ztsa",
    "load_fidelity",
    "load_ztsa",
    "make_converter",
]

REPORT_SCHEMA = "isc/report/1"
TARGET = "ztsa-ia"

#: Day names of :attr:`WeeklySchedule.days` (0 = Monday).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: JSON keys that are not the camelCase of their field name.
_RENAMES: Mapping[tuple[type, str], str] = {(ZtsaPolicy, "certificates"): "tlsCertificates"}

#: Keys :class:`Meta` is flattened into.
_META_KEYS = ("source", "fidelity", "directions", "review")


def json_text(doc: Any) -> str:
    """The text of an output document (:func:`isc.ir.jsontext.indented`)."""
    return indented(doc)


def camel(name: str) -> str:
    """``ip_address_groups`` → ``ipAddressGroups``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _key(cls: type, field: str) -> str:
    return _RENAMES.get((cls, field), camel(field))


# ---------------------------------------------------------------------------- schedules


def format_minute(minute: int) -> str:
    """Minutes since midnight as ``HH:MM`` (1440 is ``24:00``)."""
    if not 0 <= minute <= 1440:
        raise ValueError(f"minute {minute} is not within 0..1440")
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_minute(text: str) -> int:
    """``HH:MM`` (``00:00`` to ``24:00``) as minutes since midnight."""
    hours, sep, minutes = text.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit()
            and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time HH:MM")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > 1440:
        raise ValueError(f"{text!r} is not a time between 00:00 and 24:00")
    return value


def _dump_schedule(schedule: WeeklySchedule) -> dict[str, Any]:
    return {
        "days": [DAYS[d] for d in schedule.days],
        "hours": [{"from": format_minute(a), "to": format_minute(b)}
                  for a, b in schedule.intervals],
    }


def _load_schedule(data: Any, _: type) -> WeeklySchedule:
    if not isinstance(data, Mapping):
        raise ValueError("a schedule must be an object")
    extra = set(data) - {"days", "hours"}
    if extra:
        raise ValueError(f"unknown schedule keys {sorted(extra)}")
    days = []
    for day in data["days"]:
        if day not in DAYS:
            raise ValueError(f"{day!r} is not a day ({', '.join(DAYS)})")
        days.append(DAYS.index(day))
    intervals = []
    for hours in data["hours"]:
        if not isinstance(hours, Mapping) or set(hours) != {"from", "to"}:
            raise ValueError('an interval must be {"from": "HH:MM", "to": "HH:MM"}')
        intervals.append((parse_minute(hours["from"]), parse_minute(hours["to"])))
    return WeeklySchedule(tuple(days), tuple(intervals))


# ---------------------------------------------------------------------------- fidelity


def dump_fidelity(fidelity: Fidelity, directions: Iterable[Difference]) -> dict[str, Any]:
    """``fidelity`` and ``directions`` (worst first) as the documents write them."""
    return {"fidelity": fidelity.value,
            "directions": [d.value for d in sorted_directions(directions)]}


def load_fidelity(fidelity: str, directions: Iterable[str] | None
                  ) -> tuple[Fidelity, frozenset[Difference]]:
    """The tag and its directions as written. A document without directions (written before
    they existed) gets what its tag implies, failing closed. A tag that does not summarise
    its directions is an error: the document was edited inconsistently."""
    tag = Fidelity(fidelity)
    found = tag.implied() if directions is None else frozenset(Difference(d) for d in directions)
    check_tag(tag, found)
    return tag, found


# ---------------------------------------------------------------------------- converter


def _has_meta(cls: type) -> bool:
    attrs.resolve_types(cls)
    return any(a.name == "meta" and a.type is Meta for a in attrs.fields(cls))


def _is_object(t: Any) -> bool:
    """An attrs class written with generated camelCase keys."""
    return isinstance(t, type) and attrs.has(t) and t not in (Meta, WeeklySchedule)


@functools.cache
def make_converter() -> cattrs.Converter:
    """The converter between the ZTSA IR and its JSON document (shared; do not modify)."""
    conv = cattrs.Converter(forbid_extra_keys=True, unstruct_collection_overrides={tuple: list})

    def overrides(cls: type) -> dict[str, Any]:
        """``override`` per field: camelCase key, or omitted for the flattened Meta."""
        attrs.resolve_types(cls)
        out: dict[str, Any] = {}
        for a in attrs.fields(cls):
            if a.name == "meta" and a.type is Meta:
                out[a.name] = override(omit=True)
            else:
                key = _key(cls, a.name)
                if key in _META_KEYS and _has_meta(cls):
                    raise TypeError(f"{cls.__name__}.{a.name} collides with a Meta key")
                out[a.name] = override(rename=key)
        return out

    def dump_meta(meta: Meta) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": conv.unstructure(meta.source, Origin | None),
            **dump_fidelity(meta.fidelity, meta.directions),
        }
        if meta.review:
            out["review"] = list(meta.review)
        return out

    def load_meta(data: dict[str, Any]) -> Meta:
        """Pops the flattened Meta keys off ``data``."""
        source = data.pop("source", None)
        fidelity, directions = load_fidelity(data.pop("fidelity", Fidelity.EXACT.value),
                                             data.pop("directions", None))
        review = data.pop("review", [])
        return Meta(
            conv.structure(source, Origin | None),  # type: ignore[arg-type]
            fidelity,
            conv.structure(review, tuple[str, ...]),
            directions,
        )

    def unstructure_factory(cls: type) -> Callable[[Any], dict[str, Any]]:
        fn: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(
            cls, conv, **overrides(cls))
        if not _has_meta(cls):
            return fn

        def unstructure(obj: Any) -> dict[str, Any]:
            out = fn(obj)
            out.update(dump_meta(obj.meta))
            return out

        return unstructure

    def structure_factory(cls: type) -> Callable[[Any, type], Any]:
        fn: Callable[[Any, type], Any] = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=True, **overrides(cls))
        if not _has_meta(cls):
            return fn

        def structure(data: Any, t: type) -> Any:
            if not isinstance(data, Mapping):
                raise TypeError(f"expected an object for {cls.__name__}")
            rest = dict(data)
            meta = load_meta(rest)
            return attrs.evolve(fn(rest, t), meta=meta)

        return structure

    conv.register_unstructure_hook_factory(_is_object, unstructure_factory)
    conv.register_structure_hook_factory(_is_object, structure_factory)
    conv.register_unstructure_hook(WeeklySchedule, _dump_schedule)
    conv.register_structure_hook(WeeklySchedule, _load_schedule)
    return conv


# ---------------------------------------------------------------------------- ZTSA document


def dump_ztsa(output: Output) -> dict[str, Any]:
    """The ``isc/ztsa-ia/1`` document of ``output`` (arrays in IR order: rule order for rules,
    the back-end's sorted order for the rest)."""
    conv = make_converter()
    body: dict[str, Any] = conv.unstructure(output.document, ZtsaPolicy)
    identities = getattr(output, "identities", ())
    return {
        "schema": SCHEMA,
        "sourceProduct": output.source_product,
        **body,
        "identityMapping": [
            {"ldapDn": dn, "ssoName": name, "confirmed": confirmed}
            for dn, name, confirmed in identities
        ],
    }


def load_ztsa(data: dict[str, Any], *, filename: str) -> Output:
    """Read an ``isc/ztsa-ia/1`` document back into an :class:`Output` (``report=()``).

    Raises :class:`~isc.errors.DocumentError` (``ISC1007``) naming the JSON path of the first
    violation of the schema, e.g. ``$.internetAccessRules[3].action``.
    """
    validate(data, "ztsa-ia-1", filename=filename)
    rest = dict(data)
    rest.pop("schema")
    product = rest.pop("sourceProduct")
    mapping = rest.pop("identityMapping")
    try:
        policy = make_converter().structure(rest, ZtsaPolicy)
    except Exception as exc:
        messages = [_cattrs_message(m) for m in cattrs.transform_error(exc, path="$")]
        raise DocumentError(
            messages[0] if messages else f"$: {exc}",
            code="ISC1007",
            span=Span(filename),
            notes=tuple(messages[1:]),
        ) from exc
    identities = tuple((m["ldapDn"], m["ssoName"], m["confirmed"]) for m in mapping)
    return Output(TARGET, policy, source_product=product, identities=identities)


_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")


def _cattrs_message(message: str) -> str:
    """``msg @ $.internet_access_rules[1].action`` → ``$.internetAccessRules[1].action: msg``
    (cattrs names attributes; the document names keys)."""
    text, sep, path = message.rpartition(" @ ")
    if not sep:
        return f"$: {message}"
    path = path.replace("$.certificates", "$.tlsCertificates", 1)
    return _SEGMENT.sub(lambda m: "." + camel(m.group(1)), path) + ": " + text


# ---------------------------------------------------------------------------- report


def _is_absolute(path: str) -> bool:
    return os.path.isabs(path) or bool(PurePath(path).anchor)


def _directory(path: str) -> str:
    """The directory of a file path or of the archive of an ``ARCHIVE:MEMBER`` path."""
    parent = os.path.dirname(path)
    colon = parent.find(":", 2)  # past a drive letter
    return os.path.dirname(parent[:colon]) if colon >= 0 else parent


def portable_paths(paths: Iterable[str]) -> dict[str, str]:
    """Each absolute path of ``paths`` made relative to the directory all of them share
    (``/x/y/policy.ini``, ``/x/y/export.tar.gz:a.ini`` → ``policy.ini``,
    ``export.tar.gz:a.ini``), so that a report does not depend on where the input lies."""
    absolute = sorted(p for p in set(paths) if p and _is_absolute(p))  # a few files, many uses
    if not absolute:
        return {}
    try:
        base = os.path.commonpath([_directory(p) for p in absolute])
    except ValueError:  # different drives
        return {p: PurePath(p).name for p in absolute}
    return {p: PurePath(os.path.relpath(p, base)).as_posix() for p in absolute}


def _origin_json(origin: Origin, paths: Mapping[str, str]) -> dict[str, Any]:
    return {"file": paths.get(origin.file, origin.file), "line": origin.line,
            "kind": origin.kind, "name": origin.name}


def _entry_json(entry: ReportEntry, paths: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": _origin_json(entry.source, paths),
        "fate": entry.fate,
        "fateCode": entry.code,
        "sentence": entry.sentence,
        **dump_fidelity(entry.fidelity, entry.directions),
        "targets": list(entry.targets),
        "reasons": list(entry.reasons),
    }
    if entry.witness is not None:
        out["witness"] = entry.witness
    if entry.witnesses:
        out["witnesses"] = list(entry.witnesses)
    if entry.assumed:
        out["assumed"] = [d.value for d in sorted_directions(entry.assumed)]
    return out


def _diagnostic_json(d: Diagnostic, paths: Mapping[str, str]) -> dict[str, Any]:
    out = dict(d.to_json())
    if d.file is not None:
        out["file"] = paths.get(d.file, d.file)
    return out


def _diagnostic_order(d: dict[str, Any]) -> tuple[str, int, int, str, str]:
    """:func:`isc.diagnostics.sort_key` on the written (portable) fields."""
    return (d["file"] or "", d["line"] or 0, d["column"] or 0, d["code"], d["message"])


def dump_report(output: Output) -> dict[str, Any]:
    """The ``isc/report/1`` document: every source object's fate and fidelity, a summary of
    the fidelity tags, and every diagnostic (absolute paths made relative to the directory
    they share)."""
    paths = portable_paths([e.source.file for e in output.report]
                           + [d.file for d in output.diagnostics if d.file is not None])
    summary: dict[str, int] = {"objects": len(output.report)}
    summary |= {tag.value: 0 for tag in Fidelity}
    fates = dict.fromkeys(FATE_CODES, 0)
    for entry in output.report:
        summary[entry.fidelity.value] += 1
        fates[entry.code] += 1
    return {
        "schema": REPORT_SCHEMA,
        "target": output.target,
        "summary": {**summary, "fates": fates},
        "objects": [_entry_json(e, paths) for e in output.report],
        "diagnostics": sorted((_diagnostic_json(d, paths) for d in output.diagnostics),
                              key=_diagnostic_order),
    }
