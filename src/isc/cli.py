"""The ``isc`` command: a thin shell over :mod:`isc.api` (spec interface.md)."""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import json
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from isc import api
from isc.backends import ems as ems_backend
from isc.backends.ems import fidelity as mail_fidelity
from isc.backends.ems import probes as mail_probes
from isc.backends.ztsa_ia import FILENAME
from isc.backends.ztsa_ia.fidelity import classify, covers
from isc.backends.ztsa_ia.probes import policy_pool
from isc.diagnostics import Diagnostic, Severity
from isc.errors import IscError
from isc.ir.common import Fidelity, Meta
from isc.ir.ems import EmsPolicy
from isc.ir.export import Export, Output
from isc.ir.requests import Decision, MailMessage, WebRequest
from isc.ir.ztsa import ZtsaPolicy

ZTSA = "ztsa-ia"
EMS = ems_backend.NAME
_FILENAMES = {ZTSA: FILENAME, EMS: ems_backend.FILENAME}

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
    e.add_argument("--recipient", help="the recipient to evaluate for (default: first To/Cc)")
    e.add_argument("--virus", action="store_true", help="scanner verdict: the message is infected")
    e.add_argument("--spam-score", type=float, help="scanner verdict: spam score (0-10)")
    e.add_argument("--graymail", action="store_true", help="scanner verdict: graymail")
    e.add_argument("--wrs-level", choices=("low", "medium", "high", "untested"),
                   help="scanner verdict: rating of the riskiest URL")
    e.add_argument("--sea", action="store_true",
                   help="scanner verdict: social engineering attack")
    e.add_argument("--dlp-template", action="append", default=[],
                   help="scanner verdict: a DLP template that hits (repeatable)")
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
    harmless = ems_backend.HARMLESS_DROPS if output.target == ems_backend.NAME \
        else _HARMLESS_DROPS
    problems = []
    for e in output.report:
        weakening = e.fidelity is Fidelity.BROADENED or (
            e.fidelity is Fidelity.DROPPED and e.source.kind not in harmless)
        if not weakening:
            continue
        where = f"{e.source.file}:{e.source.line}:1" if e.source.file else "isc"
        msg = (f"{where}: error[ISC3007]: --never-broaden: {e.source.kind} "
               f"\"{e.source.name}\" is {e.fidelity.value}")
        if e.witness and "request" in e.witness:
            req = e.witness["request"]
            msg += (f"; witness: {req['url']} (client {req.get('client')}) is "
                    f"{e.witness['source']} in the source, {e.witness['target']} in the target")
        elif e.witness and "message" in e.witness:
            m = e.witness["message"]
            msg += (f"; witness: mail {m.get('sender') or '<>'} → {m.get('recipient')} is "
                    f"{_action_of(e.witness.get('source'))} in the source, "
                    f"{_action_of(e.witness.get('target'))} in the target")
        elif e.reasons:
            msg += f"; {e.reasons[0]}"
        problems.append(msg)
    return problems


def _action_of(decision: object) -> str:
    if isinstance(decision, dict):
        return str(decision.get("action"))
    return str(decision)



# ---------------------------------------------------------------------- commands


def _targets(export: Export, wanted: str) -> list[str]:
    """The targets to compile: as ``--target`` says, or whichever the input has policy for."""
    have = ([ZTSA] if export.web is not None else []) + ([EMS] if export.mail is not None else [])
    if wanted == "all":
        if not have:
            raise IscError("the input has no web or mail policy to compile", code="ISC1009")
        return have
    if wanted not in have:
        product = "web" if wanted == ZTSA else "mail"
        raise IscError(f"the input has no {product} policy to compile for {wanted}",
                       code="ISC1009")
    return [wanted]


def cmd_compile(args: argparse.Namespace) -> int:
    export = _load_export(args)
    targets = _targets(export, args.target)
    if not args.no_optimize:
        export = api.optimize(export)
    outputs = [api.compile(export, t, identity_map=_identity_map(args.identity_map))
               for t in targets]
    diags = api.merged_diagnostics(outputs)
    _print_diagnostics([d for d in diags if d.severity is not Severity.NOTE],
                       args.format, export.texts, sys.stderr)
    outdir = Path(args.output)
    texts = [(_FILENAMES[o.target], api.dumps(o)) for o in outputs]
    texts.append(("report.json", api.dumps_report(*outputs)))
    written = [name for name, text in texts if write_atomic(outdir / name, text)]
    for o in outputs:
        counts = Counter(e.fidelity.value for e in o.report)
        summary = ", ".join(f"{counts[t.value]} {t.value}" for t in Fidelity if counts[t.value])
        print(f"{o.target}: {len(o.report)} source objects: {summary}")
    print(f"wrote {', '.join(written) or 'nothing (unchanged)'} in {outdir}")
    if args.never_broaden:
        problems = [p for o in outputs for p in _broadening(o)]
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
    targets = _targets(export, "all") if export.web is not None or export.mail is not None else []
    if targets:
        diags = list(api.merged_diagnostics([api.compile(export, t) for t in targets]))
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
    if export.mail is not None:
        _inspect_mail(export)
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


def _inspect_mail(export: Export) -> None:
    mail = export.mail
    assert mail is not None
    counts: Counter[str] = Counter()
    counts["internal-addresses domain"] = len(mail.internal_domains)
    counts["address-group"] = len(mail.address_groups)
    counts["keyword-list"] = len(mail.keyword_lists)
    counts["keyword expression"] = sum(len(k.expressions) for k in mail.keyword_lists)
    counts["stamp"] = len(mail.stamps)
    counts["notification"] = len(mail.notifications)
    for rule in mail.rules:
        counts[f"mail-rule ({rule.type.value}, route {rule.route.type.value})"] += 1
    counts["approved-senders entry"] = len(mail.approved_senders)
    counts["blocked-senders entry"] = len(mail.blocked_senders)
    if mail.sender_filtering is not None:
        counts["sender-filtering approved-ip"] = len(mail.sender_filtering.approved_ips)
        counts["sender-filtering blocked-ip"] = len(mail.sender_filtering.blocked_ips)
    counts["dmarc"] = int(mail.dmarc is not None)
    counts["dkim-enforcement domain"] = (len(mail.dkim_enforcement.domains)
                                         if mail.dkim_enforcement else 0)
    counts["imss.ini key"] = len(mail.settings)
    product = " ".join(x for x in (mail.product, mail.version) if x)
    print(f"mail product: {product or 'unknown'}")
    for kind, n in sorted(counts.items()):
        if n:
            print(f"  {kind}: {n}")


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


def _load_output(outdir: str, target: str = ZTSA) -> Output:
    path = Path(outdir)
    if path.is_dir():
        path = path / _FILENAMES[target]
    result = api.load(str(path))
    if not isinstance(result, Output) or result.target != target:
        raise IscError(f"{path} is not an isc {target} document", code="ISC1007")
    return result



def _describe(d: Decision) -> str:
    if d.decided_by is None:
        return f"{d.action} (default)"
    by = d.decided_by
    where = f" at {by.file}:{by.line}" if by.file else ""
    return f"{d.action} by {by.kind} \"{by.name}\"{where}"


def _message(args: argparse.Namespace) -> MailMessage:
    return MailMessage.from_eml(args.mail, recipient=args.recipient, direction=args.direction,
                                virus=args.virus, spam_score=args.spam_score,
                                graymail=args.graymail, wrs_level=args.wrs_level, sea=args.sea,
                                dlp_templates=tuple(args.dlp_template))


def cmd_explain(args: argparse.Namespace) -> int:
    if not args.url and not args.mail:
        raise IscError("explain needs --url URL or --mail FILE.eml", code="ISC1009")
    if args.url and args.mail:
        raise IscError("explain takes --url or --mail, not both", code="ISC1009")
    export = _load_export(args)
    source: Decision
    target: Decision | None
    if args.mail:
        message = _message(args)
        source = api.decide_mail(export, message)
        target = (api.decide_mail(_load_output(args.against, EMS), message)
                  if args.against else None)
    else:
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
        if source.modifications:
            print(f"  modifications: {', '.join(source.modifications)}")
        if target is not None:
            print(f"target: {_describe(target)}")
            if target.modifications:
                print(f"  modifications: {', '.join(target.modifications)}")
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


def verify_mail(export: Export, output: Output, messages: Iterable[MailMessage]
                ) -> list[tuple[MailMessage, Decision, Decision, Fidelity]]:
    """Messages decided differently in a way no fidelity tag declares."""
    doc = output.document
    assert isinstance(doc, EmsPolicy) and export.mail is not None
    tags: dict[str, list[Fidelity]] = {}
    by_source: dict[tuple[str, str], list[Fidelity]] = {}
    for rule in doc.rules:
        tags.setdefault(rule.name, []).append(rule.meta.fidelity)
        if rule.meta.source is not None:
            by_source.setdefault((rule.meta.source.kind, rule.meta.source.name),
                                 []).append(rule.meta.fidelity)
    for e in output.report:
        by_source.setdefault((e.source.kind, e.source.name), []).append(e.fidelity)
    by_kind: dict[str, list[Fidelity]] = {}
    for e in output.report:
        by_kind.setdefault(e.source.kind, []).append(e.fidelity)
    undeclared: list[tuple[MailMessage, Decision, Decision, Fidelity]] = []
    for m in messages:
        s = api.decide_mail(export, m)
        t = api.decide_mail(output, m)
        diff = mail_fidelity.classify(s, t)
        if diff is Fidelity.EXACT:
            continue
        declared: list[Fidelity] = []
        for d in (s, t):
            if d.decided_by is None:
                continue
            declared += tags.get(d.decided_by.name, [])
            declared += by_source.get((d.decided_by.kind, d.decided_by.name), [])
            for kind in _MAIL_KINDS.get(d.decided_by.kind, ()):
                declared += by_kind.get(kind, [])
        for name in _applied_rules(s.trace + t.trace):  # rules that applied, not deciding
            declared += by_source.get(("mail-rule", name), []) + tags.get(name, [])
        if any("approved sender" in line for line in s.trace + t.trace):
            declared += by_kind.get("approved-senders.entry", [])
        for mod in {mod.partition(":")[0] for mod in s.modifications + t.modifications}:
            declared += by_kind.get(mod, []) if mod in _MAIL_KINDS else []
        if not any(mail_fidelity.covers(tag, diff) for tag in declared):
            undeclared.append((m, s, t, diff))
    return undeclared


#: Model ``decided_by`` kinds → the report kinds of the source objects they stand for
#: (global settings are named differently on the two sides, so any entry of the kind counts).
_MAIL_KINDS: dict[str, tuple[str, ...]] = {
    "blocked-ip": ("sender-filtering.blocked-ip", "sender-filtering.approved-ip"),
    "blocked-sender": ("blocked-senders.entry",),
    "dkim-enforcement": ("dkim-enforcement",),
    "dkim-verification": ("dkim-enforcement",),
    "dmarc": ("dmarc",),
}

_TRACE_RULE = re.compile(r"rule ('.*'|\".*\"): [a-z-]+$")


def _applied_rules(trace: Iterable[str]) -> list[str]:
    """Rule names in a mail model's trace (``... rule 'NAME': action``)."""
    names = []
    for line in trace:
        m = _TRACE_RULE.search(line)
        if m:
            with contextlib.suppress(ValueError, SyntaxError):
                names.append(str(ast.literal_eval(m.group(1))))
    return names


def cmd_verify(args: argparse.Namespace) -> int:
    export = _load_export(args)
    if export.web is None and export.mail is None:
        raise IscError("the input has no web or mail policy to verify", code="ISC1009")
    progress = sys.stderr.isatty()
    bad_total = 0
    if export.web is not None:
        output = _with_report(_load_output(args.against), Path(args.against))
        requests = policy_pool(export.web, limit=args.samples, seed=args.seed)
        requests += _extra_requests(args.requests)
        if progress:
            print(f"verifying {len(requests)} requests…", file=sys.stderr)
        bad = verify(export, output, requests)
        for req, s, t, diff in bad[:20]:
            print(f"error[ISC3008]: {req.url} (client {req.client}, user {req.user}, "
                  f"categories {list(req.categories)}): source {_describe(s)}; target "
                  f"{_describe(t)}; {diff.value}, not declared by any fidelity tag")
        print(f"isc verify: {len(requests)} requests, {len(bad)} undeclared difference(s)")
        bad_total += len(bad)
    if export.mail is not None:
        output = _with_report(_load_output(args.against, EMS), Path(args.against))
        doc = output.document
        assert isinstance(doc, EmsPolicy)
        messages = mail_probes.policy_pool(export.mail, doc, limit=args.samples,
                                           seed=args.seed)
        if progress:
            print(f"verifying {len(messages)} messages…", file=sys.stderr)
        mbad = verify_mail(export, output, messages)
        for m, s, t, diff in mbad[:20]:
            print(f"error[ISC3008]: mail {m.sender or '<>'} → {m.recipient} "
                  f"{json.dumps(mail_fidelity.message_json(m), ensure_ascii=False)}: "
                  f"source {_describe(s)}; target {_describe(t)}; {diff.value}, "
                  f"not declared by any fidelity tag")
        print(f"isc verify: {len(messages)} messages, {len(mbad)} undeclared difference(s)")
        bad_total += len(mbad)
    return EXIT_GATE if bad_total else EXIT_OK



def _with_report(output: Output, outdir: Path) -> Output:
    """Dropped objects are only in report.json; verify needs their tags too."""
    import attrs

    from isc.ir.common import Origin
    from isc.ir.export import ReportEntry

    path = outdir / "report.json" if outdir.is_dir() else outdir.parent / "report.json"
    if not path.is_file():
        return output
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
