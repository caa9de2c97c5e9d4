"""The ``isc`` command: a thin shell over :mod:`isc.api` (spec interface.md)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from isc import api
from isc.backends.ztsa_ia import FILENAME
from isc.backends.ztsa_ia.fidelity import classify, covers
from isc.backends.ztsa_ia.probes import policy_pool
from isc.diagnostics import Diagnostic, Severity
from isc.errors import IscError
from isc.ir.common import Fidelity, Meta
from isc.ir.export import Export, Output
from isc.ir.requests import Decision, WebRequest
from isc.ir.ztsa import ZtsaPolicy

EXIT_OK = 0
EXIT_GATE = 1
EXIT_INPUT = 2

#: Dropped kinds whose loss cannot let anything through that the source stopped.
_HARMLESS_DROPS = frozenset({"x-forwarded-for", "pac-file", "user-identification",
                             "approved-file-list", "schedule", "default",
                             "global-url-blocking.exception"})


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # usage errors exit 2 with one line, no traceback
        self.print_usage(sys.stderr)
        print(f"isc: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="isc", description="InterScan-to-SaaS policy compiler")
    p.add_argument("--version", action="version", version=f"isc {_version()}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("inputs", nargs="+", metavar="INPUT")
        sp.add_argument("--encoding", help="encoding of every text input (default: detect)")
        sp.add_argument("--format", choices=("text", "json"), default="text",
                        help="diagnostics as text or one JSON object per line")
        sp.add_argument("--limit-mb", type=int, default=512,
                        help="size limit of an archive, member or file (default 512 MiB)")

    c = sub.add_parser("compile", help="translate an export and write the target documents")
    common(c)
    c.add_argument("-o", "--output", default="isc-out", metavar="OUTDIR")
    c.add_argument("--target", choices=("ztsa-ia", "ems", "all"), default="all")
    c.add_argument("--no-optimize", action="store_true")
    c.add_argument("--never-broaden", action="store_true",
                   help="fail (exit 1) if any object must let through what the source stopped")
    c.add_argument("--identity-map", metavar="FILE",
                   help="JSON object or CSV lines mapping LDAP DNs to SSO user/group names")
    ch = sub.add_parser("check", help="parse, validate and translate; print every diagnostic")
    common(ch)
    i = sub.add_parser("inspect", help="what each file is, and how many objects of each kind")
    common(i)
    e = sub.add_parser("explain", help="which object decides a request, source and target")
    common(e)
    e.add_argument("--url")
    e.add_argument("--client")
    e.add_argument("--user")
    e.add_argument("--group", action="append", default=[])
    e.add_argument("--category", action="append", default=[])
    e.add_argument("--when", help="ISO date-time; default: every schedule active")
    e.add_argument("--file-type")
    e.add_argument("--decrypted", choices=("yes", "no"))
    e.add_argument("--mail", metavar="FILE.eml")
    e.add_argument("--direction", choices=("incoming", "outgoing"))
    e.add_argument("--against", metavar="OUTDIR")
    v = sub.add_parser("verify", help="compare source and compiled decisions on many requests")
    common(v)
    v.add_argument("--against", required=True, metavar="OUTDIR")
    v.add_argument("--samples", type=int, default=4000)
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--requests", metavar="FILE", help="JSON lines of extra requests")
    return p


def _version() -> str:
    from isc import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = sys.stderr
    try:
        return int(_COMMANDS[args.command](args))
    except IscError as exc:
        diags = list(exc.diagnostics) or [exc.diagnostic()]
        export = getattr(exc, "export", None)
        _print_diagnostics(diags, args.format, export.texts if export else {}, out)
        if not exc.diagnostics:
            return EXIT_INPUT
        errors = sum(1 for d in diags if d.severity is Severity.ERROR)
        print(f"isc: {errors} error(s); nothing written", file=out)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130


# ---------------------------------------------------------------------- helpers


def _load_export(args: argparse.Namespace) -> Export:
    result = api.load(*args.inputs, encoding=args.encoding, limit=args.limit_mb * 1024 * 1024)
    if not isinstance(result, Export):
        raise IscError("expected an InterScan export, found an isc output document",
                       code="ISC1009")
    return result


def _print_diagnostics(diags: Iterable[Diagnostic], fmt: str, texts: dict[str, str],
                       out: TextIO) -> None:
    for d in diags:
        if fmt == "json":
            print(d.to_json_line(), file=out)
            continue
        line = None
        if d.file in texts and d.line:
            lines = texts[d.file].splitlines()
            if 0 < d.line <= len(lines):
                line = lines[d.line - 1]
        print(d.render(line), file=out)


def write_atomic(path: Path, text: str) -> bool:
    """Replace ``path`` with ``text`` atomically, and only if the content changes."""
    data = text.encode("utf-8")
    with contextlib.suppress(OSError):
        if path.read_bytes() == data:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def _identity_map(path: str | None) -> dict[str, str]:
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise IscError(f"cannot read identity map: {exc.strerror}", code="ISC1009") from exc
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IscError(f"identity map is not valid JSON: {exc}", code="ISC1007") from exc
        return {str(k): str(v) for k, v in data.items()}
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            dn, sep, name = line.rpartition(";") if ";" in line else line.rpartition("\t")
            if not sep:
                raise IscError(f"identity map line needs 'DN;name': {line!r}", code="ISC1002")
            out[dn.strip()] = name.strip()
    return out


def _broadening(output: Output) -> list[str]:
    problems = []
    for e in output.report:
        weakening = e.fidelity is Fidelity.BROADENED or (
            e.fidelity is Fidelity.DROPPED and e.source.kind not in _HARMLESS_DROPS)
        if not weakening:
            continue
        where = f"{e.source.file}:{e.source.line}:1" if e.source.file else "isc"
        msg = (f"{where}: error[ISC3007]: --never-broaden: {e.source.kind} "
               f"\"{e.source.name}\" is {e.fidelity.value}")
        if e.witness:
            req = e.witness["request"]
            msg += (f"; witness: {req['url']} (client {req.get('client')}) is "
                    f"{e.witness['source']} in the source, {e.witness['target']} in the target")
        elif e.reasons:
            msg += f"; {e.reasons[0]}"
        problems.append(msg)
    return problems


# ---------------------------------------------------------------------- commands


def cmd_compile(args: argparse.Namespace) -> int:
    export = _load_export(args)
    if args.target == "ems":
        raise IscError("the ems target is not part of this version", code="ISC1009")
    if not args.no_optimize:
        export = api.optimize(export)
    output = api.compile(export, "ztsa-ia", identity_map=_identity_map(args.identity_map))
    _print_diagnostics([d for d in output.diagnostics if d.severity is not Severity.NOTE],
                       args.format, export.texts, sys.stderr)
    outdir = Path(args.output)
    written = []
    for name, text in ((FILENAME, api.dumps(output)), ("report.json", api.dumps_report(output))):
        if write_atomic(outdir / name, text):
            written.append(name)
    counts = Counter(e.fidelity.value for e in output.report)
    summary = ", ".join(f"{counts[t.value]} {t.value}" for t in Fidelity if counts[t.value])
    print(f"{len(output.report)} source objects: {summary}")
    print(f"wrote {', '.join(written) or 'nothing (unchanged)'} in {outdir}")
    if args.never_broaden:
        problems = _broadening(output)
        if problems:
            for p in problems:
                print(p, file=sys.stderr)
            print(f"isc: --never-broaden: {len(problems)} object(s) would broaden access",
                  file=sys.stderr)
            return EXIT_GATE
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    export = _load_export(args)
    diags = list(export.diagnostics)
    if export.web is not None:
        diags = list(api.compile(export, "ztsa-ia").diagnostics)
    _print_diagnostics(diags, args.format, export.texts, sys.stderr)
    counts = Counter(d.severity.value for d in diags)
    print(f"isc: {counts['error']} error(s), {counts['warning']} warning(s), "
          f"{counts['note']} note(s)", file=sys.stderr)
    return EXIT_INPUT if counts["error"] else EXIT_OK


def cmd_inspect(args: argparse.Namespace) -> int:
    export = _load_export(args)
    for f in export.files:
        enc = f" ({f.encoding})" if f.encoding else ""
        print(f"{f.path}: {f.kind}{enc}, {f.size} bytes")
    web = export.web
    if web is None:
        return EXIT_OK
    counts: Counter[str] = Counter()
    counts["schedule"] = len(web.schedules)
    counts["custom-category"] = len(web.custom_categories)
    counts["approved-list"] = len(web.approved_lists)
    counts["approved-file-list"] = len(web.approved_file_lists)
    counts["url-filtering-policy"] = len(web.url_filtering)
    counts["https-decryption-policy"] = len(web.https_decryption)
    counts["atp-policy"] = len(web.atp)
    counts["application-control-policy"] = len(web.app_control)
    counts["digital-certificate"] = len(web.certificates)
    counts["https-tunneling entry"] = len(web.tunneling)
    for lst, name in ((web.global_blocking, "global-url-blocking"),
                      (web.global_trusted, "global-trusted-urls")):
        if lst is not None:
            counts[f"{name} entry"] = len(lst.entries)
            counts[f"{name} exception"] = len(lst.exceptions)
    for o in web.others:
        counts[f"{o.kind} (no ZTSA counterpart)"] += 1
    counts["configuration key"] = len(web.settings)
    counts["configuration key with no policy meaning"] = sum(
        1 for s in web.settings if s.meaning is None)
    product = " ".join(x for x in (web.product, web.version) if x)
    print(f"product: {product or 'unknown'}")
    for kind, n in sorted(counts.items()):
        if n:
            print(f"  {kind}: {n}")
    return EXIT_OK


def _request(args: argparse.Namespace) -> WebRequest:
    when = None
    if args.when:
        try:
            when = dt.datetime.fromisoformat(args.when)
        except ValueError as exc:
            raise IscError(f"--when: not an ISO date-time: {args.when!r}",
                           code="ISC1006") from exc
    decrypted = None if args.decrypted is None else args.decrypted == "yes"
    return WebRequest(args.url, client=args.client, user=args.user, groups=tuple(args.group),
                      categories=tuple(args.category), when=when, decrypted=decrypted,
                      file_type=args.file_type)


def _load_output(outdir: str) -> Output:
    path = Path(outdir)
    if path.is_dir():
        path = path / FILENAME
    result = api.load(str(path))
    if not isinstance(result, Output):
        raise IscError(f"{path} is not an isc ztsa-ia document", code="ISC1007")
    return result


def _describe(d: Decision) -> str:
    if d.decided_by is None:
        return f"{d.action} (default)"
    by = d.decided_by
    where = f" at {by.file}:{by.line}" if by.file else ""
    return f"{d.action} by {by.kind} \"{by.name}\"{where}"


def cmd_explain(args: argparse.Namespace) -> int:
    if args.mail:
        raise IscError("explain --mail needs the mail front-end, not part of this version",
                       code="ISC1009")
    if not args.url:
        raise IscError("explain needs --url URL (or --mail FILE.eml)", code="ISC1009")
    export = _load_export(args)
    req = _request(args)
    source = api.decide_web(export, req)
    target = api.decide_web(_load_output(args.against), req) if args.against else None
    if args.format == "json":
        doc: dict[str, Any] = {"source": source.to_json()}
        if target is not None:
            doc["target"] = target.to_json()
        print(json.dumps(doc, ensure_ascii=False, sort_keys=True))
    else:
        print(f"source: {_describe(source)}")
        if target is not None:
            print(f"target: {_describe(target)}")
    return EXIT_OK


def _extra_requests(path: str | None) -> list[WebRequest]:
    if not path:
        return []
    out = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise IscError(f"cannot read {path}: {exc.strerror}", code="ISC1009") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            when = dt.datetime.fromisoformat(d["when"]) if d.get("when") else None
            out.append(WebRequest(d["url"], client=d.get("client"), user=d.get("user"),
                                  groups=tuple(d.get("groups", ())),
                                  categories=tuple(d.get("categories", ())), when=when,
                                  decrypted=d.get("decrypted"), file_type=d.get("fileType")))
        except (ValueError, KeyError, TypeError) as exc:
            raise IscError(f"{path}:{n}: not a request: {exc}", code="ISC1007") from exc
    return out


def verify(export: Export, output: Output, requests: Iterable[WebRequest]
           ) -> list[tuple[WebRequest, Decision, Decision, Fidelity]]:
    """Requests decided differently in a way no fidelity tag declares."""
    doc = output.document
    assert isinstance(doc, ZtsaPolicy)
    tags: dict[tuple[str, str], list[Fidelity]] = {}
    by_source: dict[tuple[str, str], list[Fidelity]] = {}
    named: list[tuple[str, str, Meta]] = [
        ("url-allow-list", e.value, e.meta) for e in doc.url_allow_list]
    named += [("url-deny-list", e.value, e.meta) for e in doc.url_deny_list]
    named += [("internet-access-rule", r.name, r.meta) for r in doc.internet_access_rules]
    named += [("inspection-exception", e.domain, e.meta) for e in doc.inspection_exceptions]
    for kind, name, meta in named:
        tags.setdefault((kind, name), []).append(meta.fidelity)
        if meta.source is not None:
            key = (meta.source.kind, meta.source.name)
            by_source.setdefault(key, []).append(meta.fidelity)
    for e in output.report:
        by_source.setdefault((e.source.kind, e.source.name), []).append(e.fidelity)
    undeclared: list[tuple[WebRequest, Decision, Decision, Fidelity]] = []
    assert export.web is not None
    for req in requests:
        s = api.decide_web(export, req)
        t = api.decide_web(output, req)
        diff = classify(s.action, t.action)
        if diff is Fidelity.EXACT:
            continue
        declared: list[Fidelity] = []
        if t.decided_by is not None:
            declared += tags.get((t.decided_by.kind, t.decided_by.name), [])
        if s.decided_by is not None:
            declared += by_source.get((s.decided_by.kind, s.decided_by.name), [])
        if not any(covers(tag, diff) for tag in declared):
            undeclared.append((req, s, t, diff))
    return undeclared


def cmd_verify(args: argparse.Namespace) -> int:
    export = _load_export(args)
    output = _load_output(args.against)
    report = Path(args.against) / "report.json"
    if report.is_file():
        output = _with_report(output, report)
    if export.web is None:
        raise IscError("the input has no web policy to verify", code="ISC1009")
    requests = policy_pool(export.web, limit=args.samples, seed=args.seed)
    requests += _extra_requests(args.requests)
    progress = sys.stderr.isatty()
    if progress:
        print(f"verifying {len(requests)} requests…", file=sys.stderr)
    bad = verify(export, output, requests)
    for req, s, t, diff in bad[:20]:
        print(f"error[ISC3008]: {req.url} (client {req.client}, user {req.user}, "
              f"categories {list(req.categories)}): source {_describe(s)}; target "
              f"{_describe(t)}; {diff.value}, not declared by any fidelity tag")
    print(f"isc verify: {len(requests)} requests, {len(bad)} undeclared difference(s)")
    return EXIT_GATE if bad else EXIT_OK


def _with_report(output: Output, path: Path) -> Output:
    """Dropped objects are only in report.json; verify needs their tags too."""
    import attrs

    from isc.ir.common import Origin
    from isc.ir.export import ReportEntry

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = tuple(
            ReportEntry(Origin(o["source"]["file"], o["source"]["line"], o["source"]["kind"],
                               o["source"]["name"]), o["fate"], Fidelity(o["fidelity"]))
            for o in data.get("objects", []))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IscError(f"{path}: not an isc report: {exc}", code="ISC1007") from exc
    return attrs.evolve(output, report=entries)


_COMMANDS = {
    "compile": cmd_compile,
    "check": cmd_check,
    "inspect": cmd_inspect,
    "explain": cmd_explain,
    "verify": cmd_verify,
}
