"""The public API (spec interface.md): load, loads, optimize, compile, dumps, decide_*.

This module and :mod:`isc.cli` are the only ones that see front-ends, passes and back-ends.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import attrs

from isc import backends, workers
from isc import replay as replaying
from isc.backends import ems, ztsa_ia
from isc.backends.ems import fidelity as mail_fidelity
from isc.backends.ems import verify as mail_verify
from isc.backends.ems.probes import policy_pool as mail_pool
from isc.backends.verification import Edits, Verification
from isc.backends.ztsa_ia import fidelity as web_fidelity
from isc.backends.ztsa_ia import verify as web_verify
from isc.backends.ztsa_ia.probes import policy_pool as web_pool
from isc.diagnostics import Diagnostic, Severity, Span, sort_key
from isc.errors import DocumentError, IscError, ParseError
from isc.frontends import _text, containers
from isc.frontends.ini import BROKEN_HEADER, parse_document
from isc.frontends.keywords import parse_expression
from isc.frontends.logs import read_logs
from isc.frontends.mail import MailBuilder, is_imss_ini, looks_like_mail_list
from isc.frontends.web import WebBuilder, classify
from isc.gcpolicy import pausing
from isc.ir.ems import SCHEMA as EMS_SCHEMA
from isc.ir.ems import EmsPolicy
from isc.ir.export import Export, Output, SourceFile
from isc.ir.fingerprint import content_hash, document_fingerprint, object_fingerprints
from isc.ir.jsontext import indented_bytes
from isc.ir.jsontext import loads as json_loads
from isc.ir.keyword_expr import Dialect, Node
from isc.ir.requests import Decision, MailMessage, WebRequest
from isc.ir.serde import REPORT_SCHEMA, dump_report, dump_ztsa, json_text, load_ztsa
from isc.ir.serde_ems import dump_ems, load_ems
from isc.ir.ztsa import SCHEMA as ZTSA_SCHEMA
from isc.ir.ztsa import ZtsaPolicy
from isc.models import ems as ems_model
from isc.models import imsva, iwsva, ztsa
from isc.models.index import PerObject
from isc.passes import (
    DEFAULT_MAIL_PIPELINE,
    DEFAULT_PIPELINE,
    MAIL_PASSES,
    PASSES,
    PassContext,
    run_mail_pipeline,
    run_pipeline,
)
from isc.schemas import validate

#: The document each target writes in OUTDIR.
FILENAMES = {ztsa_ia.NAME: ztsa_ia.FILENAME, ems.NAME: ems.FILENAME}

_INI_HEADER = re.compile(r"^[ \t]*\[[^\]\r\n]+\][ \t]*\r?$", re.MULTILINE)


def _kind_of(data: bytes, given: bool = False) -> str:
    """What a member is, by what its content starts with (never by a comment inside it):
    ``json``, ``xml``, ``pem``, ``binary`` or ``text``. UTF-16 and UTF-32 are text. A file
    the user named, or one that starts like an INI policy or list import file, is never
    ``binary``: it is decoded, and bytes that do not decode are an error (``ISC1001``)."""
    head = _text.head_text(data).lstrip(" \t\r\n\ufeff")
    ini = _text.starts_like_ini(data)
    if head.startswith("{"):
        return "json"
    if head.startswith("<"):
        return "text" if ini else "xml"  # a list import file may have a title "<...>"
    if head.startswith("-----BEGIN"):
        return "pem"
    if (b"\x00" in data[:4096] and _text.unicode_form(data) is None and not ini
            and not given):
        return "binary"
    return "text"


@pausing
def load(*paths: str, encoding: str | None = None,
         limit: int = containers.DEFAULT_LIMIT) -> Any:
    """Read InterScan exports (files, directories, archives; both products mixed) into an
    :class:`Export`, or isc output documents (``ztsa-ia.json`` or its folder) into an
    :class:`Output`. Raises :class:`IscError` listing every error found."""
    diags: list[Diagnostic] = []
    members = containers.read_inputs(list(paths), containers.Limits(limit, limit), diags)
    if not members and not any(d.severity is Severity.ERROR for d in diags):
        raise IscError(f"no input files found in {', '.join(paths) or '(no input)'}",
                       code="ISC1009", span=Span(paths[0]) if paths else None)
    return _load_members(members, diags, encoding)


def loads(text: str, *, filename: str, kind: str | None = None) -> Any:
    """One document from a string (``kind``: ``ini`` or ``json``; default: by content)."""
    member = containers.Member(filename, PurePosixPath(filename).name,
                               text.encode("utf-8", "surrogatepass"))
    return _load_members([member], [], "utf-8")


def _load_members(members: list[containers.Member], diags: list[Diagnostic],
                  encoding: str | None) -> Any:
    builder = WebBuilder()
    mail = MailBuilder()
    files: list[SourceFile] = []
    texts: dict[str, str] = {}
    outputs: list[Output] = []
    by_path = {m.rel: m.data for m in members} | {m.display: m.data for m in members}
    kinds = [_kind_of(m.data, m.given) for m in members]
    # XML rule sets first: the list files they name are mail lists, whatever they look like
    added = {i: mail.add_xml(m.data, m.display, by_path.get, rel=m.rel, encoding=encoding)
             for i, m in enumerate(members) if kinds[i] == "xml"}
    for i, m in enumerate(members):
        # a list file a rule set names is text, whatever its first line looks like
        # (a keyword list may start with "{D}" or "<")
        named = kinds[i] != "xml" and (m.display in mail.lists or m.rel in mail.lists)
        kind = "text" if named else kinds[i]
        recognised = kind
        try:
            if kind == "json":
                doc = _json(m)
                schema = doc.get("schema") if isinstance(doc, dict) else None
                if schema == ZTSA_SCHEMA:
                    outputs.append(load_ztsa(doc, filename=m.display))
                    recognised = "ztsa-ia document"
                elif schema == EMS_SCHEMA:
                    outputs.append(load_ems(doc, filename=m.display,
                                            parse_expression=_ems_expression))
                    recognised = "ems document"
                elif schema == REPORT_SCHEMA:
                    recognised = "isc report"
                else:
                    recognised = "unrecognised"
            elif kind == "text":
                text, enc = _text.decode(m.data, m.display, encoding)
                texts[m.display] = text
                listed = mail.lists.get(m.display) or mail.lists.get(m.rel)
                if listed:
                    recognised = listed
                elif _INI_HEADER.search(text) or _opens_like_ini(text):
                    ini = parse_document(text, m.display)
                    if classify(ini) == "ini-config" and is_imss_ini(ini):
                        recognised = mail.add_ini(ini)
                    else:
                        recognised = builder.add_document(ini, by_path.get)
                elif looks_like_mail_list(text):
                    recognised = "mail list (unreferenced)"
                    diags.append(Diagnostic.at(
                        "ISC2016", Severity.WARNING, "an address or domain list no rule set "
                        "refers to; read, but it has no effect", Span(m.display),
                        ("name it in a file attribute of the XML rule set",)))
                else:
                    recognised = "unrecognised"
                files.append(SourceFile(m.display, recognised, enc, len(m.data), m.rel,
                                        content_hash(m.data)))
                if recognised == "unrecognised":
                    diags.append(Diagnostic.at("ISC2008", Severity.WARNING,
                                               "not an InterScan file isc knows; not read",
                                               Span(m.display)))
                continue
            elif kind == "xml":
                result = added[i]
                if result.text is not None:
                    texts[m.display] = result.text
                files.append(SourceFile(m.display, result.kind, result.encoding, len(m.data),
                                        m.rel, content_hash(m.data)))
                continue
            elif kind == "pem":
                recognised = "PEM certificate"
                if b"-----BEGIN CERTIFICATE-----" not in m.data:
                    recognised = "unrecognised"
                    diags.append(Diagnostic.at("ISC2008", Severity.WARNING,
                                               "a PEM file with no certificate; not read",
                                               Span(m.display)))
            else:
                recognised = "unrecognised"
                diags.append(Diagnostic.at("ISC2008", Severity.WARNING,
                                           "a binary file isc does not know; not read",
                                           Span(m.display)))
        except IscError as exc:
            diags.append(exc.diagnostic())
        files.append(SourceFile(m.display, recognised, None, len(m.data), m.rel,
                                content_hash(m.data)))
    if outputs and not builder.touched and not mail.touched:
        _raise_errors(diags)
        return outputs[0]
    web = builder.finish()
    mail_policy = mail.finish()
    diags.extend(builder.diagnostics)
    diags.extend(mail.diagnostics)
    diags.sort(key=sort_key)
    export = Export(web=web, mail=mail_policy, files=tuple(files), diagnostics=tuple(diags),
                    texts=texts)
    _raise_errors(diags, export)
    return export


def _opens_like_ini(text: str) -> bool:
    """Does the first line that is not blank or a comment open a section header, closed or
    not? Such a file is policy, and its broken header an error at its line."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", ";")):
            return bool(BROKEN_HEADER.match(stripped))
    return False


def _ems_expression(text: str) -> Node:
    return parse_expression(text, dialect=Dialect.EMS)


#: How deep an isc document may nest. Its own documents nest about 8 levels; the limit keeps a
#: hostile one (50,000 levels) from exhausting the stack in the parser or the validator.
JSON_DEPTH = 64
_DEEP = object()  # what json.loads gave when it ran out of stack


def _json(m: containers.Member) -> Any:
    try:
        doc = json_loads(m.data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", 0)
        col = getattr(exc, "colno", 0)
        raise DocumentError(f"not valid JSON: {exc}", span=Span(m.display, line, col)) from exc
    except RecursionError:
        doc = _DEEP
    if doc is _DEEP or _too_deep(doc):
        raise DocumentError(f"the JSON document nests deeper than {JSON_DEPTH} levels; no isc "
                            "document does", code="ISC4009", span=Span(m.display)) from None
    return doc


def _too_deep(value: Any, limit: int = JSON_DEPTH) -> bool:
    """Does ``value`` nest deeper than ``limit``? (Level by level: no recursion to exhaust,
    and only containers are kept.)"""
    level = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        deeper: list[Any] = []
        for item in level:
            deeper += [c for c in (item.values() if isinstance(item, dict) else item)
                       if isinstance(c, dict | list)]
        level, depth = deeper, depth + 1
    return False


def _raise_errors(diags: list[Diagnostic], export: Export | None = None) -> None:
    errors = [d for d in diags if d.severity is Severity.ERROR]
    if not errors:
        return
    first = errors[0]
    exc = ParseError(
        f"{len(errors)} error(s) in the input; the first: {first.message}",
        code=first.code,
        span=Span(first.file or "", first.line or 0, first.column or 0) if first.file else None,
        diagnostics=tuple(diags),
    )
    exc.export = export  # type: ignore[attr-defined]
    raise exc


@pausing
def optimize(export: Export, passes: tuple[str, ...] | list[str] | None = None, *,
             progress: Callable[[str], None] | None = None) -> Export:
    """Run the default pipelines (or the named passes) over the export's web and mail
    policies. Pass names are those of :data:`isc.passes.PASSES` (web) and
    :data:`isc.passes.MAIL_PASSES` (mail). ``progress`` is told each pass as it starts."""
    names = tuple(passes) if passes is not None else None
    unknown = [n for n in names or () if n not in PASSES and n not in MAIL_PASSES]
    if unknown:
        raise ValueError(f"unknown pass {unknown[0]!r}; known: "
                         f"{', '.join([*PASSES, *MAIL_PASSES])}")
    return optimize_with(export, names, PassContext(progress=progress))


def optimize_with(export: Export, names: tuple[str, ...] | None, ctx: PassContext) -> Export:
    """:func:`optimize` with the caller's context (the benchmark reads each pass's time)."""
    web, mail = export.web, export.mail
    web_names = DEFAULT_PIPELINE if names is None else tuple(n for n in names if n in PASSES)
    mail_names = (DEFAULT_MAIL_PIPELINE if names is None else
                  tuple(n for n in names if n in MAIL_PASSES))
    ran: tuple[str, ...] = ()
    if web is not None:
        web = run_pipeline(web, web_names, ctx)
        ran += web_names
    if mail is not None:
        mail = run_mail_pipeline(mail, mail_names, ctx)
        ran += mail_names
    return attrs.evolve(export, web=web, mail=mail, optimized=True,
                        passes=export.passes + ran, changes=export.changes + tuple(ctx.changes),
                        diagnostics=tuple(sorted(export.diagnostics + tuple(ctx.diagnostics),
                                                 key=sort_key)))


@pausing
def compile(export: Export, target: str = "ztsa-ia", *,
            identity_map: dict[str, str] | None = None,
            progress: Callable[[str], None] | None = None, witnesses: bool = True) -> Output:
    """Translate an export for ``target``: ``ztsa-ia`` (its web policy) or ``ems`` (its mail
    policy). ``progress`` is told each stage as it starts. ``witnesses=False`` leaves out
    what only a reader of the report needs: each entry's witnesses shown in the whole
    policy and the fidelity diagnostics (``ISC3001``-``ISC3004``); the document, every
    tag and every direction are the same (``verify`` compiles so)."""
    if target not in backends.TARGETS:
        raise IscError(f"unknown or unsupported target {target!r}; known: "
                       f"{', '.join(backends.TARGETS)}", code="ISC1009")
    table = export.rels()  # asked once per source object: not a scan of the files each time

    def rel(display: str) -> str:
        return table.get(display, display)

    if target == ems.NAME:
        if export.mail is None:
            raise IscError("the input has no mail policy to compile for ems", code="ISC1009")
        out = ems.compile_mail(export.mail, rel,
                               ems.Options(parse_expression=_ems_expression,
                                           progress=progress, witnesses=witnesses))
    else:
        if export.web is None:
            raise IscError("the input has no web policy to compile for ztsa-ia",
                           code="ISC1009")
        out = ztsa_ia.compile_web(export.web, rel,
                                  ztsa_ia.Options(identity_map=dict(identity_map or {}),
                                                  progress=progress, witnesses=witnesses))
    diags = tuple(sorted(export.diagnostics + out.diagnostics, key=sort_key))
    return attrs.evolve(out, diagnostics=diags, files=tuple(
        (f.path, f.rel or f.path) for f in export.files), input=export.fingerprint(),
        optimized=export.optimized, passes=export.passes, changes=export.changes)


def merged_diagnostics(outputs: list[Output]) -> tuple[Diagnostic, ...]:
    """The diagnostics of several outputs of one export, each once, in order."""
    return tuple(sorted({d: None for o in outputs for d in o.diagnostics}, key=sort_key))


#: The JSON of each live output: ``compile`` writes it and fingerprints it for report.json,
#: and an estate's document is 10^6 objects. Callers must not modify what they get.
_DOCUMENTS: PerObject[Output, dict[str, Any]] = PerObject()


@pausing
def to_json(output: Output) -> dict[str, Any]:
    return _DOCUMENTS.get(output, _to_json)


def _to_json(output: Output, *, check: bool = True) -> dict[str, Any]:
    doc = dump_ems(output) if output.target == ems.NAME else dump_ztsa(output)
    if check:
        validate(doc, _SCHEMA_NAMES[output.target])
    return doc


#: The shipped schema each target's document is validated against.
_SCHEMA_NAMES = {ems.NAME: "ems-1", ztsa_ia.NAME: "ztsa-ia-1"}


@pausing
def documents(*outputs: Output) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """What ``compile`` writes of one export's outputs: each target's document (by file
    name) and the report, as :func:`to_json` and :func:`report_json` make them, each
    validated against its schema. The documents are validated in a second process, where
    there is one, while this one makes the report (an estate's validations take a second or
    more); either way, an invalid document raises here."""
    # kept where to_json finds them (the report fingerprints them), until checked
    docs = {o: _DOCUMENTS.get(o, functools.partial(_to_json, check=False)) for o in outputs}
    try:
        with workers.Server(functools.partial(_check_documents, [
                (doc, _SCHEMA_NAMES[o.target]) for o, doc in docs.items()]),
                _checked) as checking:
            checking.ask(None)
            try:
                report = report_json(*outputs)
            except Exception:
                checking.answer()  # an invalid document is the error to report, if any
                raise
            checking.answer()
    except BaseException:
        for o in docs:  # never left for to_json to hand out unchecked
            _DOCUMENTS.discard(o)
        raise
    return {FILENAMES[o.target]: doc for o, doc in docs.items()}, report


def _check_documents(docs: list[tuple[dict[str, Any], str]]) -> None:
    for doc, schema in docs:
        validate(doc, schema)


def _checked(state: None, request: None) -> None:
    return None


def dumps(output: Output) -> str:
    """The output document as deterministic JSON text (schema-validated)."""
    return dumps_document(to_json(output))


def dumps_report(output: Output, *more: Output) -> str:
    """report.json: every source object's fate and fidelity, and every diagnostic, citing
    files by their path inside the input (as the target documents do). Several outputs of
    one export (``compile --target all``) share one report. It also records what ``verify``
    needs to know what it checks: the isc version, the input's fingerprint, the options,
    and the documents it belongs with, with a fingerprint of each emitted object."""
    return dumps_document(report_json(output, *more))


@pausing
def report_json(output: Output, *more: Output) -> dict[str, Any]:
    """The document :func:`dumps_report` writes."""
    outputs = (output, *more)
    rel = dict(f for o in outputs for f in o.files)
    merged = attrs.evolve(
        output, target="+".join(o.target for o in outputs),
        report=tuple(e for o in outputs for e in o.report),
        diagnostics=tuple(attrs.evolve(d, file=rel.get(d.file, d.file)) if d.file else d
                          for d in merged_diagnostics(list(outputs))))
    doc = dump_report(merged)
    doc.update(provenance(outputs))
    validate(doc, "report-1")
    return doc


def provenance(outputs: tuple[Output, ...] | list[Output]) -> dict[str, Any]:
    """The report's record of how its documents were made (``isc``, ``input``,
    ``options``, ``documents``)."""
    fingerprint, files = outputs[0].input
    identities = sorted({(dn, name) for o in outputs for dn, name, confirmed in o.identities
                         if confirmed})
    out: dict[str, Any] = {
        "isc": {"version": _version()},
        "input": {"fingerprint": fingerprint,
                  "files": [{"path": p, "sha256": h} for p, h in files]},
        "options": {"optimize": outputs[0].optimized,
                    "passes": list(outputs[0].passes),
                    "identityMap": [{"ldapDn": dn, "ssoName": name} for dn, name in identities]},
        "documents": {
            FILENAMES[o.target]: {"schema": doc["schema"],
                                  "fingerprint": document_fingerprint(doc),
                                  "objects": object_fingerprints(doc)}
            for o in outputs for doc in (to_json(o),)},
    }
    if outputs[0].optimized:
        out["optimization"] = optimization(outputs[0])
    sweeps = [{"target": o.target, **dict(o.sweep)} for o in outputs if o.sweep]
    if sweeps:
        out["sweep"] = sweeps
    return out


def optimization(output: Output) -> dict[str, Any]:
    """report.json ``optimization``: per pass that ran, how many objects it removed and
    merged; and every change, with the source positions of both objects."""
    rel = dict(output.files)

    def at(kind: str | None, name: str | None, span: Span | None) -> dict[str, Any]:
        return {"kind": kind, "name": name,
                "file": rel.get(span.file, span.file) if span is not None else "",
                "line": span.line if span is not None else 0}

    counts = Counter((c.pass_name, c.action) for c in output.changes)
    return {
        "passes": [{"name": n, "removed": counts[n, "removed"], "merged": counts[n, "merged"]}
                   for n in output.passes],
        "changes": [{"pass": c.pass_name, "action": c.action, **at(c.kind, c.name, c.span),
                     "reason": c.reason,
                     "kept": at(c.kept_kind, c.kept_name, c.kept_span)
                     if c.kept_kind is not None else None}
                    for c in output.changes],
    }


def dumps_document(doc: dict[str, Any]) -> str:
    """A document of :func:`to_json` or :func:`report_json` as the deterministic JSON text
    isc writes (:func:`dumps` and :func:`dumps_report` are this of those)."""
    return json_text(doc)


def document_bytes(doc: dict[str, Any]) -> bytes:
    """:func:`dumps_document` encoded as UTF-8: what ``compile`` writes (an estate's
    documents are 10^8 bytes; no text copy of them is made)."""
    return indented_bytes(doc)


def decide_web(policy: Export | Output, request: WebRequest) -> Decision:
    """Decide a web request with the source model (an Export) or the target model (an Output)."""
    if isinstance(policy, Output):
        if not isinstance(policy.document, ZtsaPolicy):
            raise IscError("decide_web needs a ztsa-ia document", code="ISC1009")
        return ztsa.decide(policy.document, request,
                           {dn: name for dn, name, _ in policy.identities})
    if policy.web is None:
        raise IscError("the export has no web policy", code="ISC1009")
    return iwsva.decide(policy.web, request)


def decide_mail(policy: Export | Output, message: MailMessage) -> Decision:
    """Decide a message with the source model (an Export: IMSVA / IMSS) or the target model
    (an Output: Email Security)."""
    if isinstance(policy, Output):
        if not isinstance(policy.document, EmsPolicy):
            raise IscError("decide_mail needs an ems document", code="ISC1009")
        return ems_model.decide(policy.document, message)
    if policy.mail is None:
        raise IscError("the export has no mail policy", code="ISC1009")
    return imsva.decide(policy.mail, message)


# ---------------------------------------------------------------------- verify


@pausing
def verify(export: Export, against: str, *, samples: int | None = None, seed: int = 0,
           requests: tuple[WebRequest, ...] | list[WebRequest] = (), force: bool = False,
           progress: Callable[[str, int], None] | None = None,
           stages: Callable[[str], None] | None = None) -> list[Verification]:
    """Check the documents in ``against`` (an OUTDIR, or one document in it) against the
    export they were compiled from: one :class:`Verification` per target the export has.

    The documents are judged on their own merits: isc compiles the export again (with the
    options report.json records) and decides many probes with the source, the given
    documents and the fresh compile. A difference is declared only where the given
    document decides like the compiled one and a deciding object of the compiled one
    declares that direction; every difference an edited, added or deleted object makes is
    reported. Refuses (``ISC3015``) documents compiled from another input, or without a
    report.json, unless ``force``. ``progress(target, probes)`` is called before each
    target's probes are decided; ``stages`` is told each pass and compile stage as it
    starts.
    """
    where = Path(against)
    outdir = where if where.is_dir() else where.parent
    report = _read_report(outdir / "report.json")
    notes: list[str] = []
    fingerprint, files = export.fingerprint()
    if report is None:
        if not force:
            raise IscError(f"{outdir}: no report.json: isc cannot tell what was compiled, so "
                           "it cannot tell a translation's declared differences from edits "
                           "(compile again, or use --force to count every difference as "
                           "undeclared)", code="ISC3015", span=Span(str(outdir)))
        notes.append("no report.json: isc cannot check that the output was compiled from "
                     "this input")
    else:
        recorded = report.get("input", {}).get("fingerprint")
        if recorded != fingerprint:
            message = _input_mismatch(report, fingerprint, files)
            if not force:
                raise IscError(message + " (use --force to verify anyway)", code="ISC3015",
                               span=Span(str(outdir / "report.json")))
            notes.append(message)
        version = report.get("isc", {}).get("version")
        if version != _version():
            notes.append(f"report.json was written by isc {version}; this is isc {_version()}")
    options = (report or {}).get("options", {})
    passes = options.get("passes")
    base = (optimize(export, passes if isinstance(passes, list) and passes else None,
                     progress=stages)
            if options.get("optimize", True) else export)
    identity = {m["ldapDn"]: m["ssoName"] for m in options.get("identityMap", [])}
    out = []
    for target, policy in ((ztsa_ia.NAME, base.web), (ems.NAME, base.mail)):
        if policy is None:
            continue
        name = FILENAMES[target]
        path = where if where.is_file() and where.name == name else outdir / name
        if not path.is_file():
            raise IscError(f"{path}: no {target} document to verify the "
                           f"{'web' if target == ztsa_ia.NAME else 'mail'} policy against",
                           code="ISC1009", span=Span(str(path)))
        raw = _json(containers.Member(str(path), name, path.read_bytes()))
        given: Output | None = None
        if not isinstance(raw, dict) or raw.get("schema") != _SCHEMAS[target]:
            given = _given(path, target)  # not this target's document: said before compiling
        # what verify reads of the compile is its documents, tags and directions, never the
        # witnesses the report shows (seconds at an estate's size)
        compiled = compile(base, target, identity_map=identity, progress=stages,
                           witnesses=False)
        compiled_json = to_json(compiled)
        # the same JSON is the same document (load ∘ emit = id, a property test): an
        # unedited estate's document is not read into objects again (seconds at 10^5)
        if given is None:
            given = compiled if raw == compiled_json else _given(path, target)
        fresh = object_fingerprints(compiled_json)
        edits = Edits.between(object_fingerprints(raw), fresh)
        doc_notes = list(notes)
        recorded_doc = (report or {}).get("documents", {}).get(name)
        if report is not None and (recorded_doc is None or recorded_doc.get("objects") != fresh):
            doc_notes.append(f"isc {_version()} does not compile this input into the {name} "
                             "that report.json records (another isc version or edited "
                             "options): differences are judged against what it compiles now")
        # the same JSON: by load ∘ emit = id, the given document is the compiled one
        out.append(_verify_target(base, target, given, compiled, edits, samples, seed,
                                  requests, name, doc_notes, progress, raw == compiled_json))
    return out


#: The ``schema`` each target's document names.
_SCHEMAS = {ztsa_ia.NAME: ZTSA_SCHEMA, ems.NAME: EMS_SCHEMA}


def _given(path: Path, target: str) -> Output:
    """The document at ``path`` read as ``target``'s (``ISC1007`` if it is not one)."""
    given = load(str(path))
    if not isinstance(given, Output) or given.target != target:
        raise IscError(f"{path} is not an isc {target} document", code="ISC1007")
    return given


def _verify_target(base: Export, target: str, given: Output, compiled: Output, edits: Edits,
                   samples: int | None, seed: int,
                   requests: tuple[WebRequest, ...] | list[WebRequest],
                   name: str, notes: list[str], progress: Callable[[str, int], None] | None,
                   unchanged: bool) -> Verification:
    # the default pool is the one compile swept: an unedited document's findings there are
    # what the sweep found (decision 159)
    reuse = unchanged and samples is None and seed == 0
    found: tuple[int, list[Any]] | None
    probes: list[Any] = []
    decide: Callable[[], Any]
    if target == ztsa_ia.NAME:
        web = base.web
        assert web is not None
        found = web_verify.verify_swept(web, given, compiled, edits, requests) if reuse else None
        if found is None:
            probes = web_pool(web, limit=samples, seed=seed)
            probes += web_verify.edit_probes(given, compiled, edits) + list(requests)
            decide = functools.partial(web_verify.verify, web, given, compiled, edits, probes)
    else:
        mail = base.mail
        assert mail is not None and isinstance(compiled.document, EmsPolicy)
        found = mail_verify.verify_swept(mail, given, compiled, edits) if reuse else None
        if found is None:
            probes = mail_pool(mail, compiled.document,
                               **({} if samples is None else {"limit": samples}), seed=seed)
            probes += mail_verify.edit_probes(mail, given, compiled, edits)
            decide = functools.partial(mail_verify.verify, mail, given, compiled, edits,
                                       probes)
    count = found[0] if found is not None else len(probes)
    if progress is not None:
        progress(target, count)
    findings = found[1] if found is not None else list(decide())
    return Verification(target, name, count, tuple(findings), edits, tuple(notes))


# ---------------------------------------------------------------------- replay


def replay(export: Export, against: str, logs: list[str] | tuple[str, ...], *,
           sample: int | None = None, seed: int = 0, force: bool = False,
           progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Decide every event of the appliance logs ``logs`` (files, ``.gz`` files, directories)
    with the source model (``export``, as the appliance runs it) and the target model (the
    documents in the OUTDIR ``against``, as they will be deployed): the ``isc/replay/1``
    document (:mod:`isc.replay`). Refuses (``ISC3015``) documents compiled from another
    input, unless ``force``. ``progress(lines)`` is told the lines read now and then."""
    where = Path(against)
    outdir = where if where.is_dir() else where.parent
    report = _read_report(outdir / "report.json")
    fingerprint, files = export.fingerprint()
    if report is not None and report.get("input", {}).get("fingerprint") != fingerprint \
            and not force:
        raise IscError(_input_mismatch(report, fingerprint, files)
                       + " (use --force to replay anyway)", code="ISC3015",
                       span=Span(str(outdir)))
    sides: dict[str, replaying.Side] = {}
    documents = []
    for target in (ztsa_ia.NAME, ems.NAME):
        name = FILENAMES[target]
        path = outdir / name
        if not path.is_file():
            continue
        given = load(str(path))
        if not isinstance(given, Output) or given.target != target:
            raise IscError(f"{path} is not an isc {target} document", code="ISC1007")
        documents.append(name)
        if target == ztsa_ia.NAME and export.web is not None:
            assert isinstance(given.document, ZtsaPolicy)
            web = export.web
            sides["web"] = replaying.Side(
                functools.partial(_decide_pair, functools.partial(iwsva.decide, web),
                                  functools.partial(decide_web, given)),
                web_fidelity.differences,
                functools.partial(_always, replaying.web_reads(web, given.document)),
                functools.partial(_always, replaying.web_reads(web, None)))
        if target == ems.NAME and export.mail is not None:
            mail = export.mail
            assert isinstance(given.document, EmsPolicy)
            sides["mail"] = replaying.Side(
                functools.partial(_decide_pair, functools.partial(imsva.decide, mail),
                                  functools.partial(decide_mail, given)),
                mail_fidelity.differences, replaying.mail_reads(mail, given.document),
                replaying.mail_reads(mail, None))
    if not sides:
        raise IscError(f"{outdir}: no document of a policy the input has (compile it first)",
                       code="ISC1009", span=Span(str(outdir)))
    run = replaying.Replay(sides.get("web"), sides.get("mail"), sample=sample, seed=seed)
    for n, event in enumerate(read_logs(list(logs)), 1):
        run.add(event)
        if progress is not None and n % 10_000 == 0:
            progress(n)
    run.finish()
    result = {**run.json(), "input": {"fingerprint": fingerprint, "documents": documents}}
    validate(result, "replay-1")
    return result


def _always(value: frozenset[str], _probe: Any) -> frozenset[str]:
    return value


def _decide_pair(source: Callable[[Any], Decision], target: Callable[[Any], Decision],
                 probe: Any) -> tuple[Decision, Decision]:
    return source(probe), target(probe)


def _read_report(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        doc = _json(containers.Member(str(path), path.name, path.read_bytes()))
    except OSError as exc:
        raise IscError(f"{path}: cannot read the report: {exc.strerror}", code="ISC1009",
                       span=Span(str(path))) from exc
    except DocumentError as exc:
        raise IscError(f"{path}: not an isc report: {exc.message}", code=exc.code,
                       span=Span(str(path))) from exc
    if not isinstance(doc, dict) or doc.get("schema") != REPORT_SCHEMA:
        raise IscError(f"{path}: not an isc report (no \"schema\": \"isc/report/1\")",
                       code="ISC1007", span=Span(str(path)))
    return doc


def _input_mismatch(report: dict[str, Any], fingerprint: str,
                    files: tuple[tuple[str, str], ...]) -> str:
    """Which input report.json was compiled from, which this is, and the files that differ."""
    recorded = report.get("input", {})
    if not recorded.get("fingerprint"):
        return ("report.json records no input fingerprint (written before isc recorded one): "
                "compile again")
    then = {f["path"]: f["sha256"] for f in recorded.get("files", [])
            if isinstance(f, dict) and "path" in f and "sha256" in f}
    now = dict(files)
    changed = sorted(p for p in then.keys() & now.keys() if then[p] != now[p])
    gone = sorted(then.keys() - now.keys())
    new = sorted(now.keys() - then.keys())
    what = "; ".join(x for x in (
        f"changed: {', '.join(changed[:5])}" if changed else "",
        f"not in this input: {', '.join(gone[:5])}" if gone else "",
        f"new in this input: {', '.join(new[:5])}" if new else "") if x)
    return (f"the output was compiled from another input: report.json records input "
            f"{recorded['fingerprint']}, this input is {fingerprint}"
            + (f" ({what})" if what else ""))


def _version() -> str:
    from isc import __version__

    return __version__
