"""The ``isc`` command: a thin shell over :mod:`isc.api` (spec interface.md)."""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as dt
import difflib
import functools
import json
import os
import re
import signal
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from isc import api, gcpolicy, passes, runbook
from isc import replay as replaying
from isc.backends import ems as ems_backend
from isc.backends.verification import Finding, Verification
from isc.backends.ztsa_ia.fidelity import describe_request
from isc.diagnostics import CODES, Diagnostic, Severity, Span
from isc.errors import IscError
from isc.frontends.mail_addresses import parse_address
from isc.ir import categories
from isc.ir.common import DIRECTION_ORDER, Difference, Fidelity
from isc.ir.export import FATE_CODES, Export, Output, ReportEntry
from isc.ir.requests import (
    Decision,
    MailMessage,
    WebRequest,
    message_from_json,
    message_to_json,
    request_from_json,
    request_problem,
    request_to_json,
)
from isc.ir.web import AccountKind
from isc.models.iwsva import ldap_name
from isc.progress import Progress

ZTSA = "ztsa-ia"
EMS = ems_backend.NAME
_FILENAMES = api.FILENAMES
_RUNBOOK = "runbook.html"

EXIT_OK = 0
EXIT_GATE = 1
EXIT_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 2 with one line (a JSON object with ``--format json``), never a
    traceback; ``commands`` holds the subcommand parsers for "did you mean" hints."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, _Parser] = {}
        self.json_errors = False

    def error(self, message: str) -> NoReturn:
        if self.json_errors:
            usage = " ".join(self.format_usage().split())
            print(_json({"usage": usage, "error": message}), file=sys.stderr)
        else:
            self.print_usage(sys.stderr)
            print(f"isc: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


_EPILOG = """\
Run 'isc COMMAND --help' for the options of a command. Without a command, isc prints this
help and exits 2.

exit status: 0 success; 1 a gate failed (compile --never-broaden, verify found an undeclared
difference); 2 bad input or usage (the message names the file and line)."""

_INPUTS_HELP = ("InterScan export: a directory, .tar, .tar.gz/.tgz or single file "
                "(several may be given, web and mail mixed)")


def _parser() -> _Parser:
    p = _Parser(prog="isc", description="InterScan-to-SaaS policy compiler", epilog=_EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"isc {_version()}",
                   help="print the version of isc and exit")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser,
                           metavar="COMMAND", title="commands",
                           help="what to do (see 'isc COMMAND --help')")

    def common(name: str, what: str, fmt: str, inputs: str = "+") -> _Parser:
        sp: _Parser = sub.add_parser(name, help=what, description=what)
        p.commands[name] = sp
        sp.add_argument("inputs", nargs=inputs, metavar="INPUT", help=_INPUTS_HELP)
        sp.add_argument("--encoding", metavar="ENC",
                        help="encoding of every text input (default: detect UTF-8 with or "
                             "without BOM, Shift_JIS/CP932, EUC-JP)")
        sp.add_argument("--format", choices=("text", "json"), default="text",
                        help=f"text, or json: {fmt} (default: text)")
        sp.add_argument("--limit-mb", type=_counted(1, 1 << 20), default=512, metavar="MB",
                        help="size limit of an archive, member or file in MiB (default: 512)")
        _quiet(sp)
        return sp

    c = common("compile", "translate an export and write the target documents",
               "diagnostics and summaries as one JSON object per line")
    c.add_argument("-o", "--output", default="isc-out", metavar="OUTDIR",
                   help="directory for ztsa-ia.json, ems.json, report.json and "
                        "runbook.html, created if needed; the isc document of a target not "
                        "compiled this time is removed (default: isc-out)")
    c.add_argument("--target", choices=("ztsa-ia", "ems", "all"), default="all",
                   help="ztsa-ia (web), ems (mail) or all: every target the input has "
                        "policy for (default: all)")
    c.add_argument("--no-optimize", action="store_true",
                   help="skip the optimisation passes (every source object is translated "
                        "as written)")
    c.add_argument("--passes", type=_pass_names, metavar="A,B,C",
                   help="run only these optimisation passes, in this order (comma-separated "
                        "names, web and mail; 'isc inspect --passes' lists them); default: "
                        "the default pipelines")
    c.add_argument("--never-broaden", action="store_true",
                   help="fail (exit 1, ISC3007) on every object that lets through something "
                        "the source stopped (a 'broadened' direction, whatever its tag); "
                        "without it, compile only warns")
    c.add_argument("--no-runbook", action="store_true",
                   help="do not write OUTDIR/runbook.html (the migration runbook; 'isc report' "
                        "renders it later); an older one isc wrote is removed")
    c.add_argument("--identity-map", metavar="FILE",
                   help="UTF-8 file mapping LDAP DNs to SSO user/group names for ztsa-ia: a "
                        "JSON object {\"DN\": \"name\"}, or lines of CSV (DN,name; quote a DN "
                        "with commas), DN;name or DN<TAB>name; '#' starts a comment line")
    common("check", "parse, validate and translate; print every diagnostic, write nothing",
           "diagnostics and the closing summary as one JSON object per line")
    i = common("inspect", "what each file is, and how many objects of each kind",
               "diagnostics of a broken input as one JSON object per line", inputs="*")
    i.add_argument("--passes", action="store_true",
                   help="list the optimisation passes, one line each, in default order "
                        "(no INPUT needed)")
    e = common("explain", "which object decides a request or message, in source and target",
               "the decisions as one JSON object on stdout, errors as JSON lines")
    e.add_argument("--url", help="the URL of the web request to decide")
    e.add_argument("--client", metavar="IP", help="the client IP address of the request")
    e.add_argument("--user", help="the request's LDAP user DN or name")
    e.add_argument("--group", action="append", default=[],
                   help="an LDAP group DN or name of the user (repeatable)")
    e.add_argument("--category", action="append", default=[],
                   help="a predefined category of the URL, by IWSVA name, ZTSA name or TMUFE "
                        "ID (repeatable; none given: Untested)")
    e.add_argument("--when", help="ISO date-time; default: every schedule active")
    e.add_argument("--file-type", metavar="TYPE",
                   help="the true file type of the download (e.g. exe, zip)")
    e.add_argument("--decrypted", choices=("yes", "no"),
                   help="whether HTTPS is decrypted (default: the policy's HTTPS rules decide)")
    e.add_argument("--request", metavar="JSON",
                   help="the web request as a JSON object, as report.json witnesses and "
                        "verify --requests write it ({\"url\": ..., \"client\": ..., ...}); "
                        "@FILE reads it from FILE")
    e.add_argument("--mail", metavar="FILE.eml", help="the message to decide (RFC 5322 file)")
    e.add_argument("--message", metavar="JSON",
                   help="the message as a JSON object, as report.json witnesses write it "
                        "({\"sender\": ..., \"recipient\": ..., ...}); @FILE reads it from FILE")
    e.add_argument("--direction", choices=("incoming", "outgoing"),
                   help="the message's direction (default: the internal addresses decide)")
    e.add_argument("--recipient", help="the recipient to evaluate for (default: first To/Cc)")
    e.add_argument("--virus", action="store_true", help="scanner verdict: the message is infected")
    e.add_argument("--spam-score", type=_score, metavar="SCORE",
                   help="scanner verdict: spam score (0-10)")
    e.add_argument("--graymail", action="store_true", help="scanner verdict: graymail")
    e.add_argument("--wrs-level", choices=("low", "medium", "high", "untested"),
                   help="scanner verdict: rating of the riskiest URL")
    e.add_argument("--sea", action="store_true",
                   help="scanner verdict: social engineering attack")
    e.add_argument("--dlp-template", action="append", default=[], metavar="NAME",
                   help="scanner verdict: a DLP template that hits (repeatable)")
    e.add_argument("--against", metavar="OUTDIR",
                   help="also decide with the compiled document in OUTDIR (or that file)")
    v = common("verify", "compare source and compiled decisions on many requests",
               "diagnostics, progress and summaries as one JSON object per line")
    v.add_argument("--against", required=True, metavar="OUTDIR",
                   help="the output of isc compile to check (directory or document)")
    v.add_argument("--samples", type=_counted(1, 10_000_000), default=None, metavar="N",
                   help="how many requests or messages to generate per target (default: the "
                        "sample compile swept: for web, one per object plus 4000; for mail, "
                        "3000)")
    v.add_argument("--seed", type=_counted(0, 2**63 - 1), default=0, metavar="S",
                   help="seed of the generator, for a reproducible sample (default: 0)")
    v.add_argument("--force", action="store_true",
                   help="verify even an output compiled from another input, or one without "
                        "report.json (every difference the other input makes is reported)")
    v.add_argument("--requests", metavar="FILE",
                   help="JSON lines of extra web requests, each {\"url\", \"client\", "
                        "\"user\", \"groups\", \"categories\", \"when\", \"decrypted\", "
                        "\"fileType\"}")
    rp = common("replay", "decide appliance log events with the source and the target model",
                "the replay document (isc/replay/1) on stdout, diagnostics as JSON lines")
    rp.add_argument("--against", required=True, metavar="OUTDIR",
                    help="the output of isc compile whose documents decide as the target")
    rp.add_argument("--log", required=True, action="extend", nargs="+", metavar="FILE",
                    help="IWSVA syslog, IMSVA polevt/msgtra or isc JSON request lines: files, "
                         ".gz files or directories of rotated files (the kind is read from "
                         "each file's content)")
    rp.add_argument("-o", "--output", metavar="FILE",
                    help="write the replay document (JSON, isc/replay/1) to FILE, replaced "
                         "atomically")
    rp.add_argument("--fail-on", choices=("broadened", "narrowed", "any"),
                    help="exit 1 when an event was decided so: broadened (let through what "
                         "the source stopped), narrowed, or any difference")
    rp.add_argument("--sample", type=_counted(1, 10_000_000), metavar="N",
                    help="decide a seeded random sample of N request events (every line is "
                         "still read and counted); the result says so")
    rp.add_argument("--seed", type=_counted(0, 2**63 - 1), default=0, metavar="S",
                    help="seed of --sample (default: 0)")
    rp.add_argument("--force", action="store_true",
                    help="replay against documents compiled from another input")
    r: _Parser = sub.add_parser(
        "report", help="render an OUTDIR of isc compile as a migration runbook",
        description="render the documents and report.json of an OUTDIR of isc compile as a "
                    "runbook: what needs a person first, then every object to re-create, in "
                    "each console's order")
    p.commands["report"] = r
    r.add_argument("outdir", metavar="OUTDIR", help="the output directory of isc compile")
    r.add_argument("-o", "--output", metavar="FILE",
                   help="write the runbook to FILE (replaced atomically); default: stdout")
    r.add_argument("--format", choices=tuple(runbook.FORMATS), default="md",
                   help="md (Markdown, for tickets and wikis), csv (one row per object, "
                        "UTF-8 with BOM, for spreadsheets) or html (one self-contained page "
                        "with filters, search and done boxes) (default: md)")
    _quiet(r)
    r.add_argument("--since", metavar="OLD_OUTDIR",
                   help="an OUTDIR of an earlier compile: mark the objects added, changed "
                        "and removed since, and list only those")
    return p


def _quiet(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("-q", "--quiet", action="store_true",
                    help="no status line on the terminal (it is shown only when stderr is a "
                         "terminal, and never with --format json)")


def _progress(args: argparse.Namespace) -> Progress:
    """The status line of a long command: on a terminal, in text mode, unless --quiet."""
    return Progress.for_stream(sys.stderr, quiet=args.quiet or getattr(args, "format", "")
                               == "json")


def _pass_names(text: str) -> tuple[str, ...]:
    """An argparse type: comma-separated pass names, each known."""
    known = [*passes.PASSES, *passes.MAIL_PASSES]
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise argparse.ArgumentTypeError("no pass named (use --no-optimize to run none)")
    for n in names:
        if n not in known:
            hint = difflib.get_close_matches(n, known, n=1, cutoff=0.5)
            raise argparse.ArgumentTypeError(
                f"unknown pass {n!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                + "; 'isc inspect --passes' lists them")
    return names


def _counted(low: int, high: int) -> Any:
    """An argparse type: a whole number (ASCII digits) from ``low`` to ``high``."""
    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?[0-9]{1,19}", text.strip()):
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
        n = int(text)
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"{n} is out of range {low}..{high}")
        return n
    return parse


def _score(text: str) -> float:
    """An argparse type: a spam score, a finite number from 0 to 10."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 10.0:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text} is not a score from 0 to 10")
    return value


def _version() -> str:
    from isc import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv:
        # Help is what a person typing "isc" wants; exit 2 because no command ran.
        parser.print_help(sys.stdout)
        print("isc: error: a command is required", file=sys.stderr)
        return EXIT_INPUT
    json_mode = _json_requested(argv)
    for p in (parser, *parser.commands.values()):
        p.json_errors = json_mode
    _check_command(parser, argv)
    args, extras = parser.parse_known_args(argv)
    if extras:
        sp = parser.commands.get(args.command, parser)
        sp.error("unrecognized arguments: " + " ".join(_with_hint(sp, x) for x in extras))
    out = sys.stderr
    try:
        # a command builds one policy's objects and writes them: no collector scans of a
        # heap that is not garbage (isc.gcpolicy); replay streams, so it keeps collecting
        with contextlib.nullcontext() if args.command == "replay" else gcpolicy.paused():
            return int(_COMMANDS[args.command](args))
    except IscError as exc:
        diags = list(exc.diagnostics) or [exc.diagnostic()]
        export = getattr(exc, "export", None)
        texts = exc.texts if isinstance(exc, _FileError) else export.texts if export else {}
        _print_diagnostics(diags, args.format, texts, out)
        if not exc.diagnostics:
            return EXIT_INPUT
        errors = sum(1 for d in diags if d.severity is Severity.ERROR)
        _say(args, f"isc: {errors} error(s); nothing written",
             {"summary": "error", "command": args.command, "errors": errors}, out)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in isc: say so plainly, never a traceback
        if os.environ.get("ISC_DEBUG"):
            raise
        _say(args, f"isc: internal error: {type(exc).__name__}: {exc}. This is a bug in isc, "
                   "not a problem of the input; the command did not finish. Report it with "
                   "the input (ISC_DEBUG=1 shows where it happened)",
             {"summary": "internal-error", "command": args.command,
              "error": f"{type(exc).__name__}: {exc}"}, out)
        return EXIT_INPUT


def run() -> NoReturn:
    """The ``isc`` command (and ``python -m isc``): :func:`main`, then exit at once.

    A command's policy objects live until it ends, and tearing an estate's heap down object
    by object took seconds (1.95 s after a 27 s mail compile, and another second freeing
    the documents as ``compile`` returned): so once the output is flushed the process ends
    without that, and ``compile`` and ``verify`` end it themselves once they have said
    everything (:func:`_done`). Nothing is lost: files are written and closed first, no
    atexit handler or thread is left to run, and child processes have been waited for.
    Should flushing fail (a closed pipe), the exit is the usual one, so that Python reports
    it as before."""
    global _QUICK_EXIT
    _QUICK_EXIT = True
    try:
        code = main()
    finally:
        _QUICK_EXIT = False  # only a test's os._exit comes back here
    _exit_now(code)


#: Set while :func:`run` runs :func:`main`: a command may end the process (:func:`_done`).
_QUICK_EXIT = False


def _exit_now(code: int) -> NoReturn:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        raise SystemExit(code) from None
    os._exit(code)


def _done(code: int, status: Progress | None = None) -> int:
    """The last step of a command that built an estate's objects: under :func:`run` the
    process ends here, its output flushed and its status line cleared, before those
    objects are freed one by one; otherwise ``code`` is returned."""
    if _QUICK_EXIT:
        if status is not None:
            status.done()
        _exit_now(code)
    return code


# ---------------------------------------------------------------------- usage hints


def _json_requested(argv: Sequence[str]) -> bool:
    """``--format json`` on the command line, known before parsing so that even a usage
    error comes out as JSON."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--format=json" or (arg == "--format" and argv[i + 1: i + 2] == ["json"]):
            return True
    return False


def _check_command(parser: _Parser, argv: Sequence[str]) -> None:
    """The first word must be a command (or an option of isc itself): otherwise a usage error
    naming the closest command, or saying where a command's option goes."""
    first = argv[0]
    if first.startswith("-"):
        word = first.partition("=")[0]
        own = [s for a in parser._actions for s in a.option_strings]
        if word in own or (word.startswith("--") and any(s.startswith(word) for s in own)):
            return
        command = next((a for a in argv if a in parser.commands), "COMMAND")
        parser.error(f"{first} is an option of a command and goes after it: "
                     f"isc {command} {first} ...")
    if first in parser.commands:
        return
    hint = difflib.get_close_matches(first, list(parser.commands), n=1, cutoff=0.5)
    did = f"; did you mean '{hint[0]}'?" if hint else ""
    parser.error(f"unknown command '{first}'{did} (commands: {', '.join(parser.commands)})")


def _with_hint(parser: argparse.ArgumentParser, arg: str) -> str:
    """``arg`` followed by the closest option of ``parser`` if it looks like a misspelt one."""
    if not arg.startswith("-"):
        return arg
    options = [s for a in parser._actions for s in a.option_strings]
    hint = difflib.get_close_matches(arg.partition("=")[0], options, n=1, cutoff=0.6)
    return f"{arg} (did you mean {hint[0]}?)" if hint else arg


# ---------------------------------------------------------------------- helpers


class _FileError(IscError):
    """Errors in a file named by an option (``--identity-map``, ``--requests``), carrying its
    text so that each diagnostic is shown with its source line."""

    def __init__(self, diagnostics: Sequence[Diagnostic], path: str, text: str) -> None:
        first = diagnostics[0]
        super().__init__(first.message, code=first.code, diagnostics=tuple(diagnostics))
        self.texts = {path: text}


def _json(obj: Mapping[str, object]) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def _say(args: argparse.Namespace, text: str, obj: Mapping[str, object],
         out: TextIO | None = None) -> None:
    """Print ``text`` for a person, or ``obj`` as one JSON line with ``--format json``."""
    print(_json(obj) if args.format == "json" else text, file=out)


#: ``[FILE[:LINE:COL]: ]severity[CODE]: message``, as the gates of compile and verify print.
_RENDERED = re.compile(r"(?:(?P<file>.+?)(?::(?P<line>\d+):(?P<col>\d+))?: )?"
                       r"(?P<sev>error|warning|note)\[(?P<code>ISC\d{4})\]: (?P<msg>.*)",
                       re.DOTALL)


def _say_rendered(args: argparse.Namespace, text: str, out: TextIO | None = None) -> None:
    """A gate's finding, already rendered as text: with ``--format json`` it is printed as
    the JSON object of that diagnostic, so JSON output stays JSON lines only."""
    if args.format != "json":
        print(text, file=out)
        return
    m = _RENDERED.fullmatch(text)
    if m is None or m["code"] not in CODES:
        print(_json({"message": text}), file=out)
        return
    file = None if m["file"] in (None, "isc") else m["file"]
    d = Diagnostic(m["code"], Severity(m["sev"]), m["msg"], file,
                   int(m["line"]) if m["line"] else None, int(m["col"]) if m["col"] else None)
    print(d.to_json_line(), file=out)


def _load_export(args: argparse.Namespace, status: Progress | None = None) -> Export:
    if status is not None:
        status.stage(f"reading {len(args.inputs)} input(s)")
    result = api.load(*args.inputs, encoding=args.encoding, limit=args.limit_mb * 1024 * 1024)
    if not isinstance(result, Export):
        raise IscError("expected an InterScan export, found an isc output document",
                       code="ISC1009")
    return result


def _print_diagnostics(diags: Iterable[Diagnostic], fmt: str, texts: Mapping[str, str],
                       out: TextIO) -> None:
    split: dict[str, list[str]] = {}  # each file split once: an estate has 10^5 diagnostics
    for d in diags:
        if fmt == "json":
            print(d.to_json_line(), file=out)
            continue
        line = None
        if d.file is not None and d.file in texts and d.line:
            lines = split.get(d.file)
            if lines is None:
                lines = split[d.file] = texts[d.file].splitlines()
            if 0 < d.line <= len(lines):
                line = lines[d.line - 1]
        print(d.render(line), file=out)


def _read_option_file(path: str, what: str) -> str:
    """The UTF-8 text (BOM allowed) of a file named by an option; errors name the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise IscError(f"cannot read {what}: {exc.strerror or exc}", code="ISC1009",
                       span=Span(path)) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise IscError(f"{what} is not UTF-8 (byte offset {exc.start})", code="ISC1001",
                       span=Span(path, line, col)) from exc


# ---------------------------------------------------------------------- output files


def _output_error(path: Path, message: str) -> IscError:
    return IscError(message, code="ISC1014", span=Span(str(path)))


def _is_isc_document(path: Path) -> bool:
    """A JSON object whose ``schema`` starts with ``isc/``: a document isc wrote."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return False
    return isinstance(data, dict) and str(data.get("schema", "")).startswith("isc/")


def _prepare_outdir(outdir: Path, keep: Iterable[str], *, runbook: bool = True) -> list[Path]:
    """Create OUTDIR; return the stale target documents in it (those of targets not compiled
    this time, and with ``runbook`` false an older runbook.html). Refuses, before anything
    is written, a path that is not a directory and a name compile writes or removes that
    holds something other than isc's own file: compile owns its documents in OUTDIR, and
    nothing else."""
    if os.path.lexists(outdir) and not outdir.is_dir():
        raise _output_error(outdir, "the output path exists and is not a directory; "
                                    "choose another -o OUTDIR")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(outdir, f"cannot create the output directory: "
                                    f"{exc.strerror or exc}") from exc
    stale = []
    for name in sorted(set(_FILENAMES.values()) - set(keep)):
        path = outdir / name
        if not os.path.lexists(path):
            continue
        if not (path.is_file() and _is_isc_document(path)):
            raise _output_error(path, f"not an isc document; compile removes a stale {name} "
                                      f"only if isc wrote it: move the file away or choose "
                                      f"another -o OUTDIR")
        stale.append(path)
    page = outdir / _RUNBOOK
    if os.path.lexists(page):
        if not (page.is_file() and _is_isc_runbook(page)):
            if runbook:
                raise _output_error(page, f"not a runbook isc wrote; compile replaces "
                                          f"{_RUNBOOK} only if isc wrote it: move the file "
                                          f"away, choose another -o OUTDIR or add --no-runbook")
        elif not runbook:
            stale.append(page)  # it describes an older compile
    return stale


def _is_isc_runbook(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(2000).decode("utf-8", "replace")
    except OSError:
        return False
    return runbook.is_runbook(head)


def _stage(path: Path, data: bytes) -> str:
    """Write ``data`` to a new temporary file next to ``path``; return its name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~umask)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


#: What :func:`write_files` writes to a path: the text, its bytes, or a function making
#: either when the file's turn comes.
Content = str | bytes | Callable[[], "str | bytes"]


def write_files(files: Sequence[tuple[Path, Content]], remove: Sequence[Path] = ()
                ) -> list[Path]:
    """Replace each path whose content changes, atomically, then remove ``remove``; return the
    paths written. Every new content is staged in a temporary file first, so a full disk or a
    missing permission fails before any document is replaced or removed. A content given as
    a function is made when its turn comes and dropped once staged, so that an estate's
    documents are not all held at once. An OSError becomes ``ISC1014``."""
    for path, _ in files:
        if os.path.lexists(path) and (path.is_symlink() or not path.is_file()):
            # refused before anything is written: the documents are replaced as one set
            raise _output_error(path, "exists and is not a regular file; move it away or "
                                      "choose another -o OUTDIR")
    changed: list[Path] = []
    staged: list[tuple[str, Path]] = []
    where = Path(".")
    try:
        for path, content in files:
            made = content() if callable(content) else content
            data = made if isinstance(made, bytes) else made.encode("utf-8")
            del made
            if _holds(path, data):
                continue
            changed.append(path)
            where = path
            path.parent.mkdir(parents=True, exist_ok=True)
            staged.append((_stage(path, data), path))
            del data
        # SIGINT and SIGTERM wait until the whole set is in place (or nothing is)
        with _signals_deferred():
            for path in remove:
                where = path
                path.unlink()
            while staged:
                tmp, where = staged[0]
                os.replace(tmp, where)
                staged.pop(0)
    except BaseException as exc:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _output_error(where, f"cannot write: {exc.strerror or exc}") from exc
        raise
    return changed


def _holds(path: Path, data: bytes) -> bool:
    """Does the file at ``path`` hold exactly ``data``? (Its size first: an estate's
    document is not read back to learn that it changed.)"""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs (a signal that arrives meanwhile is
    delivered after it)."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM ends isc as SIGINT does: by an exception, so that staged files are removed."""
    raise SystemExit(128 + signum)


def write_atomic(path: Path, text: str) -> bool:
    """Replace ``path`` with ``text`` atomically, and only if the content changes."""
    return bool(write_files([(path, text)]))


# ---------------------------------------------------------------------- identity map


@dataclasses.dataclass(frozen=True)
class IdentityMap:
    """``--identity-map FILE``: LDAP DN → SSO name, with the line of each mapping."""

    path: str
    text: str
    names: dict[str, str]
    lines: dict[str, int]


def _identity_map(path: str | None) -> IdentityMap | None:
    """Read ``--identity-map FILE``: a JSON object, or lines of CSV (RFC 4180, two fields),
    ``DN;name`` or ``DN<TAB>name``; ``#`` lines and blank lines are skipped. Every bad line
    is an error at FILE:LINE, all of them reported at once."""
    if not path:
        return None
    text = _read_option_file(path, "identity map")
    is_json = text.lstrip()[:1] in ("{", "[")
    entries, errors = _identity_json(path, text) if is_json else _identity_lines(path, text)
    seen: dict[str, tuple[str, str, int]] = {}  # comparable DN → (DN, name, line)
    for dn, name, n, col in entries:
        first = seen.setdefault(ldap_name(dn), (dn, name, n))
        if first[1] != name:
            errors.append(Diagnostic("ISC1007" if is_json else "ISC1002", Severity.ERROR,
                                     f"'{dn}' is mapped to '{name}' here and to '{first[1]}' "
                                     f"at line {first[2]}", path, n, col))
    if errors:
        raise _FileError(errors, path, text)
    return IdentityMap(path, text, {dn: name for dn, name, _ in seen.values()},
                       {dn: n for dn, _, n in seen.values()})


#: (DN, SSO name, line, column) of each mapping, and the errors found.
_Mappings = tuple[list[tuple[str, str, int, int]], list[Diagnostic]]


def _identity_json(path: str, text: str) -> _Mappings:
    try:
        data = json.loads(text, object_pairs_hook=lambda pairs: pairs)
    except json.JSONDecodeError as exc:
        return [], [Diagnostic("ISC1007", Severity.ERROR,
                               f"identity map is not valid JSON: {exc.msg}", path,
                               exc.lineno, exc.colno)]
    if not isinstance(data, list) or text.lstrip()[:1] != "{":
        return [], [Diagnostic("ISC1007", Severity.ERROR, "identity map must be a JSON object "
                               '{"DN": "SSO name", ...}', path, 1, 1)]
    entries: list[tuple[str, str, int, int]] = []
    errors: list[Diagnostic] = []
    for dn, name in data:
        key = re.search(re.escape(json.dumps(dn, ensure_ascii=False)) + r"\s*:", text) or \
            re.search(re.escape(json.dumps(dn)) + r"\s*:", text)
        at = key.start() if key else 0
        n, col = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        if not isinstance(name, str) or not name.strip() or not dn.strip():
            errors.append(Diagnostic("ISC1007", Severity.ERROR,
                                     f"identity map: {json.dumps(dn, ensure_ascii=False)} must "
                                     f"map a DN to a non-empty SSO name string", path, n, col))
            continue
        entries.append((dn.strip(), name.strip(), n, col))
    return entries, errors


def _identity_lines(path: str, text: str) -> _Mappings:
    entries: list[tuple[str, str, int, int]] = []
    errors: list[Diagnostic] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = _identity_fields(line)
        if isinstance(fields, str):
            errors.append(Diagnostic("ISC1002", Severity.ERROR, fields, path, n, 1))
        else:
            entries.append((fields[0], fields[1], n, 1))
    return entries, errors


def _identity_fields(line: str) -> tuple[str, str] | str:
    """(DN, name) of one line, or what is wrong with it."""
    if not line.startswith('"') and (";" in line or "\t" in line):
        dn, _, name = line.rpartition(";") if ";" in line else line.rpartition("\t")
    else:
        # A quoted DN may also be followed by ';' or a tab; the problem shown is the CSV one.
        problems = []
        for delimiter in (",", ";", "\t") if line.startswith('"') else (",",):
            try:
                row = next(csv.reader([line], delimiter=delimiter, strict=True,
                                      skipinitialspace=True))
            except csv.Error as exc:
                problems.append(f"not a CSV line: {exc}")
                continue
            if len(row) == 2:
                break
            problems.append(f"expected two CSV fields, DN and SSO name; found {len(row)} "
                            "(quote a DN that contains commas: "
                            "\"CN=Sales,OU=Groups,DC=example\",Sales)")
        else:
            return problems[0]
        dn, name = row
    if not dn.strip() or not name.strip():
        return "a mapping needs a DN and an SSO name, neither empty"
    return dn.strip(), name.strip()


def _ldap_spellings(export: Export) -> dict[str, str]:
    """Comparable form → the spelling the export uses, of every LDAP account of a rule."""
    web = export.web
    if web is None:
        return {}
    accounts = [a for rules in (web.url_filtering, web.https_decryption, web.atp,
                                web.app_control) for r in rules for a in r.accounts]
    return {ldap_name(a.value): a.value for a in accounts
            if a.kind in (AccountKind.LDAP_USER, AccountKind.LDAP_GROUP)}


def _identity_names(imap: IdentityMap | None, export: Export) -> dict[str, str]:
    """The mapping as ``isc.compile`` takes it, each DN spelt as the export spells it, so that
    case and blanks around commas do not matter (as for the IWSVA model's LDAP match)."""
    if imap is None:
        return {}
    spelt = _ldap_spellings(export)
    return {spelt.get(ldap_name(dn), dn): name for dn, name in imap.names.items()}


def _unused_mappings(imap: IdentityMap | None, outputs: Sequence[Output]) -> list[Diagnostic]:
    """A warning for each mapping that no translated rule uses (``Output.identities`` lists
    the DNs of the rules' LDAP accounts)."""
    if imap is None or not imap.names:
        return []
    if not any(o.target == ZTSA for o in outputs):
        return [Diagnostic("ISC3005", Severity.WARNING,
                           "the identity map is not used: it names SSO users and groups for "
                           "ztsa-ia, which this run does not compile", imap.path)]
    used = {ldap_name(dn) for o in outputs if o.target == ZTSA for dn, _, _ in o.identities}
    return [Diagnostic("ISC3005", Severity.WARNING,
                       f"identity map: '{dn}' matches no LDAP account of a translated rule; "
                       f"its mapping to '{name}' is not used", imap.path, imap.lines[dn], 1)
            for dn, name in imap.names.items() if ldap_name(dn) not in used]


def _broadened(outputs: Sequence[Output]) -> list[tuple[Output, ReportEntry]]:
    """Every object whose directions include ``broadened``, whatever its tag (semantics.md
    §5), each once."""
    out = []
    seen: set[tuple[str, str, str, int]] = set()
    for o in outputs:
        for e in o.report:
            key = (e.source.kind, e.source.name, e.source.file, e.source.line)
            if Difference.BROADENED in e.directions and key not in seen:
                seen.add(key)
                out.append((o, e))
    return out


def _broadening(found: list[tuple[Output, ReportEntry]]) -> list[Diagnostic]:
    """What ``--never-broaden`` refuses: one ``ISC3007`` per object, with its witness (and
    the command that replays it) or its reason."""
    out = []
    for o, e in found:
        shown = {rel: display for display, rel in o.files}  # as the user named the file
        msg = (f"{e.source.kind} \"{e.source.name}\" lets through what the source "
               f"stopped (tag {e.fidelity.value})")
        notes = []
        witness = e.witness if e.witness and e.witness.get("direction") == "broadened" \
            else None
        if witness is not None:
            msg += f"; witness: {_witness_words(witness)}"
            notes.append(f"replay: isc explain INPUT... --against OUTDIR {_replay(witness)}")
            if witness.get("scope") == "isolated":
                notes.append("the witness shows it for this object alone; in the whole "
                             "policy another object decides that "
                             + ("request" if "request" in witness else "message"))
        else:
            why = next((r for r in e.reasons if "let through" in r or "lets through" in r),
                       e.reasons[0] if e.reasons else "")
            if why:
                msg += f"; {why}"
        out.append(Diagnostic("ISC3007", Severity.ERROR, f"--never-broaden: {msg}",
                              shown.get(e.source.file, e.source.file) or None,
                              e.source.line or None, 1 if e.source.line else None,
                              tuple(notes)))
    return out


def _witness_words(witness: Mapping[str, Any]) -> str:
    """A report witness in words: the request or message, then the two decisions."""
    if "request" in witness:
        what = describe_request(witness["request"])
    else:
        m = witness.get("message", {})
        what = f"mail {m.get('sender') or '<>'} → {m.get('recipient')}"
        if m.get("subject"):
            what += f" \"{str(m['subject'])[:40]}\""
    source, target = str(witness.get("source")), str(witness.get("target"))
    if source == target and "sourceDecision" in witness:  # the modifications differ: name them
        mods = [set(witness.get(k, {}).get("modifications", []))
                for k in ("sourceDecision", "targetDecision")]
        only = [sorted(mods[0] - mods[1]), sorted(mods[1] - mods[0])]
        source += f" with {', '.join(only[0])}" if only[0] else ""
        target += f" with {', '.join(only[1])}" if only[1] else ""
    return f"{what} is {source} in the source, {target} in the target"


def _replay(witness: Mapping[str, Any]) -> str:
    """The ``isc explain`` option that replays a witness."""
    if "request" in witness:
        return f"--request '{json.dumps(witness['request'], ensure_ascii=False)}'"
    return f"--message '{json.dumps(witness.get('message', {}), ensure_ascii=False)}'"


def _broadening_warning(args: argparse.Namespace,
                        found: list[tuple[Output, ReportEntry]]) -> None:
    """Without ``--never-broaden``: one warning line saying what lets through what the source
    stopped, so that a fail-open never passes unseen."""
    def named(e: ReportEntry) -> str:
        w = e.witness
        example = (f" (e.g. {_witness_words(w)})" if w and w.get("direction") == "broadened"
                   else "")
        return f"{e.source.kind} \"{e.source.name}\"{example}"

    def witnessed(item: tuple[Output, ReportEntry]) -> bool:
        w = item[1].witness
        return bool(w and w.get("direction") == "broadened")

    # those a request or message shows come first: they are the most telling
    first = [named(e) for _, e in sorted(found, key=lambda x: not witnessed(x))[:3]]
    more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
    _say(args, f"isc: warning: {len(found)} object(s) let through some of what the source "
               f"stopped: {'; '.join(first)}{more}. Every witness and reason is in "
               "report.json; --never-broaden makes this an error",
         {"summary": "broadened", "objects": len(found), "first": first}, sys.stderr)


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
    status = _progress(args)
    try:
        return _compile(args, status)
    finally:
        status.done()


def _compile(args: argparse.Namespace, status: Progress) -> int:
    if args.passes is not None and args.no_optimize:
        raise IscError("--passes and --no-optimize contradict each other", code="ISC1009")
    export = _load_export(args, status)
    targets = _targets(export, args.target)
    imap = _identity_map(args.identity_map)
    names = _identity_names(imap, export)
    if not args.no_optimize:
        export = api.optimize(export, args.passes, progress=status.stage)
    outputs = [api.compile(export, t, identity_map=names, progress=status.stage)
               for t in targets]
    diags = [d for d in api.merged_diagnostics(outputs) if d.severity is not Severity.NOTE]
    texts = dict(export.texts)
    if imap is not None:
        texts[imap.path] = imap.text
    status.done()  # the status line never mixes with what is printed
    _print_diagnostics(diags + _unused_mappings(imap, outputs), args.format, texts, sys.stderr)
    status.stage("writing the documents")
    outdir = Path(args.output)
    documents, report = api.documents(*outputs)
    # each file made when its turn comes and dropped once staged (write_files), the page
    # first while nothing else is held: an estate's peak memory is set here
    docs: list[tuple[str, Content]] = []
    if not args.no_runbook:
        docs.append((_RUNBOOK, lambda: runbook.to_html_bytes(
            runbook.build_from(report, documents))))
    docs += [(n, functools.partial(api.document_bytes, d)) for n, d in documents.items()]
    docs.append(("report.json", lambda: api.document_bytes(report)))
    stale = _prepare_outdir(outdir, [_FILENAMES[o.target] for o in outputs],
                            runbook=not args.no_runbook)
    shown = [*documents, "report.json", _RUNBOOK]  # the order a person reads them in
    written = sorted((p.name for p in write_files([(outdir / n, text) for n, text in docs],
                                                  stale)), key=shown.index)
    status.done()
    for o in outputs:
        counts = Counter(e.fidelity.value for e in o.report)
        fates = Counter(e.code for e in o.report)
        summary = ", ".join(f"{counts[t.value]} {t.value}" for t in Fidelity if counts[t.value])
        if fates["no-action"]:  # settings that decide nothing are not work to do
            summary += f" ({fates['no-action']} of them need no action)"
        _say(args, f"{o.target}: {len(o.report)} source objects: {summary}",
             {"summary": "compile", "target": o.target, "objects": len(o.report),
              "fidelity": {t.value: counts[t.value] for t in Fidelity},
              "fates": {c: fates[c] for c in FATE_CODES}})
    removed = [p.name for p in stale]
    _say(args, f"wrote {', '.join(written) or 'nothing (unchanged)'} in {outdir}"
         + (f"; removed {', '.join(removed)} (not compiled this time)" if removed else ""),
         {"summary": "wrote", "outdir": str(outdir), "written": written, "removed": removed})
    found = _broadened(outputs)
    if found and args.never_broaden:
        _print_diagnostics(_broadening(found), args.format, texts, sys.stderr)
        _say(args, f"isc: --never-broaden: {len(found)} object(s) would broaden access",
             {"summary": "never-broaden", "broadening": len(found)}, sys.stderr)
        return _done(EXIT_GATE, status)
    if found:
        _broadening_warning(args, found)
    return _done(EXIT_OK, status)



def cmd_check(args: argparse.Namespace) -> int:
    export = _load_export(args)
    diags = list(export.diagnostics)
    if export.web is None and export.mail is None:
        # nothing isc read is policy: say so as compile would, never "0 errors"
        diags.append(Diagnostic("ISC1009", Severity.ERROR,
                                "the input has no web or mail policy: no file isc read holds "
                                "any (see the warnings above)", args.inputs[0]))
    else:
        diags = list(api.merged_diagnostics([api.compile(export, t)
                                             for t in _targets(export, "all")]))
    _print_diagnostics(diags, args.format, export.texts, sys.stderr)
    counts = Counter(d.severity.value for d in diags)
    _say(args, f"isc: {counts['error']} error(s), {counts['warning']} warning(s), "
         f"{counts['note']} note(s)",
         {"summary": "check", "errors": counts["error"], "warnings": counts["warning"],
          "notes": counts["note"]}, sys.stderr)
    return EXIT_INPUT if counts["error"] else EXIT_OK



def cmd_inspect(args: argparse.Namespace) -> int:
    if args.passes:
        for name, (product, line) in passes.describe().items():
            default = "" if passes.is_default(name) else " (not run by default)"
            print(f"{name:34} {product:4}  {line}{default}")
        if not args.inputs:
            return EXIT_OK
    elif not args.inputs:
        raise IscError("inspect needs an INPUT (or --passes)", code="ISC1009")
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


def _category_problem(value: object) -> str | None:
    """What is wrong with a request's predefined category, or None if isc knows it by IWSVA
    name, ZTSA name or TMUFE ID. An unknown one would silently count as Untested."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return f"a category is a name or TMUFE ID, not {json.dumps(value, ensure_ascii=False)}"
    if categories.lookup(value) is not None:
        return None
    if isinstance(value, str) and categories.ztsa_name(value) is not None:
        return None
    if isinstance(value, int) or value.strip().isdigit():
        return f"unknown URL category ID {str(value).strip()} (TMUFE IDs: docs/formats/web.md §9.2)"
    hints = _close_categories(value)
    hint = (f"; did you mean {' or '.join(repr(h) for h in hints)}?" if hints
            else "; use an IWSVA name, a ZTSA name or a TMUFE ID (docs/formats/web.md §9.2)")
    return f"unknown URL category {value!r}{hint}"


def _close_categories(name: str) -> list[str]:
    """Up to three known category names closest to ``name`` (IWSVA and ZTSA spellings)."""
    names = [n for c in categories.CATEGORIES for n in (c.name, c.old_name, c.ztsa_name) if n]
    by_lower = {n.lower(): n for n in (*names, *categories.ZTSA_NAMES)}
    hits = [by_lower[h] for h in difflib.get_close_matches(name.strip().lower(), list(by_lower),
                                                           n=3, cutoff=0.6)]
    best = categories.suggest(name)
    return list(dict.fromkeys(([best] if best else []) + hits))[:3]


def _request(args: argparse.Namespace) -> WebRequest:
    problems = [p for p in map(_category_problem, args.category) if p]
    if problems:
        raise IscError(f"--category: {problems[0]}", code="ISC2004", diagnostics=tuple(
            Diagnostic("ISC2004", Severity.ERROR, f"--category: {p}") for p in problems))
    when = None
    if args.when:
        try:
            when = dt.datetime.fromisoformat(args.when)
        except ValueError as exc:
            raise IscError(f"--when: not an ISO date-time: {args.when!r}",
                           code="ISC1006") from exc
    decrypted = None if args.decrypted is None else args.decrypted == "yes"
    return _checked(WebRequest(args.url, client=args.client, user=args.user,
                               groups=tuple(args.group), categories=tuple(args.category),
                               when=when, decrypted=decrypted, file_type=args.file_type),
                    "--url / --client")


def _checked(request: WebRequest, where: str) -> WebRequest:
    """A request whose URL and client address are what they claim (ISC1006 otherwise)."""
    problem = request_problem(request)
    if problem is not None:
        raise IscError(f"{where}: {problem}", code="ISC1006")
    return request


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
    if args.recipient is not None:
        try:  # a plain address, as a mail server would take it
            parse_address(args.recipient, Span("--recipient", 0, 1), wildcards=False)
        except IscError as exc:
            raise IscError(f"--recipient: {exc.message}", code=exc.code) from exc
    return MailMessage.from_eml(args.mail, recipient=args.recipient, direction=args.direction,
                                virus=args.virus, spam_score=args.spam_score,
                                graymail=args.graymail, wrs_level=args.wrs_level, sea=args.sea,
                                dlp_templates=tuple(args.dlp_template))


def _json_option(option: str, value: str) -> Any:
    """The JSON object of ``--request`` / ``--message`` (``@FILE``: read from FILE)."""
    text = _read_option_file(value[1:], option) if value.startswith("@") else value
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise IscError(f"{option}: not JSON: {exc.msg} at column {exc.colno}",
                       code="ISC1007") from exc


def _request_json(value: str) -> WebRequest:
    data = _json_option("--request", value)
    cats = data.get("categories", []) if isinstance(data, dict) else []
    problems = [p for p in map(_category_problem, cats if isinstance(cats, list) else []) if p]
    if problems:
        raise IscError(f"--request: {problems[0]}", code="ISC2004")
    try:
        request = request_from_json(data, "--request")
    except ValueError as exc:
        raise IscError(str(exc), code="ISC1007") from exc
    return _checked(request, "--request")


def _message_json(value: str) -> MailMessage:
    try:
        return message_from_json(_json_option("--message", value), "--message")
    except ValueError as exc:
        raise IscError(str(exc), code="ISC1007") from exc


def cmd_explain(args: argparse.Namespace) -> int:
    given = [o for o, v in (("--url", args.url), ("--request", args.request),
                            ("--mail", args.mail), ("--message", args.message)) if v]
    if len(given) != 1:
        raise IscError("explain needs exactly one of --url URL, --request JSON, --mail "
                       "FILE.eml or --message JSON" + (f" (given: {', '.join(given)})"
                                                        if given else ""), code="ISC1009")
    export = _load_export(args)
    source: Decision
    target: Decision | None
    if args.mail or args.message:
        message = _message(args) if args.mail else _message_json(args.message)
        source = api.decide_mail(export, message)
        target = (api.decide_mail(_load_output(args.against, EMS), message)
                  if args.against else None)
    else:
        req = _request(args) if args.url else _request_json(args.request)
        source = api.decide_web(export, req)
        target = api.decide_web(_load_output(args.against), req) if args.against else None
    merged = _merged_into(args.against, target) if target is not None else []
    if args.format == "json":
        doc: dict[str, Any] = {"source": source.to_json()}
        if target is not None:
            doc["target"] = target.to_json()
            if merged:
                doc["target"]["mergedFrom"] = merged
        print(json.dumps(doc, ensure_ascii=False, sort_keys=True))
    else:
        print(f"source: {_describe(source)}")
        if source.modifications:
            print(f"  modifications: {', '.join(source.modifications)}")
        if target is not None:
            print(f"target: {_describe(target)}")
            if target.modifications:
                print(f"  modifications: {', '.join(target.modifications)}")
            for m in merged:
                print(f"  also from {m['kind']} \"{m['name']}\" at {m['file']}:{m['line']} "
                      f"(merged into it by {m['pass']})")
    return EXIT_OK


def _merged_into(against: str, target: Decision) -> list[dict[str, Any]]:
    """The source objects an optimisation pass merged into the one the target's deciding
    object came from (report.json ``optimization``), so that explain names every source
    object a merged target object stands for; merges of merges are followed."""
    by = target.decided_by
    where = Path(against)
    report = (where if where.is_dir() else where.parent) / "report.json"
    if by is None or not by.file or not report.is_file():
        return []
    try:
        doc = json.loads(report.read_text(encoding="utf-8"))
        changes = doc.get("optimization", {}).get("changes", [])
    except (OSError, ValueError, AttributeError):
        return []  # explain still answers; verify is where a damaged report is an error
    into: dict[tuple[object, object], list[dict[str, Any]]] = {}
    for c in changes if isinstance(changes, list) else []:
        kept = c.get("kept") if isinstance(c, dict) else None
        if c.get("action") == "merged" and isinstance(kept, dict):
            into.setdefault((kept.get("file"), kept.get("line")), []).append(c)
    out: list[dict[str, Any]] = []
    todo: list[tuple[object, object]] = [(by.file, by.line)]
    seen: set[tuple[object, object]] = set()
    while todo:
        key = todo.pop(0)
        if key in seen:
            continue
        seen.add(key)
        for c in into.get(key, []):
            out.append({k: c.get(k) for k in ("kind", "name", "file", "line", "pass")})
            todo.append((c.get("file"), c.get("line")))
    return out



def cmd_report(args: argparse.Namespace) -> int:
    status = _progress(args)
    status.stage(f"reading {args.outdir}" + (f" and {args.since}" if args.since else ""))
    try:
        text = runbook.render(args.outdir, args.format, args.since)
    finally:
        status.done()
    if args.output:
        write_files([(Path(args.output), text)])
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    status = _progress(args)
    try:
        export = _load_export(args, status)
        status.stage("replaying")
        result = api.replay(export, args.against, args.log, sample=args.sample,
                            seed=args.seed, force=args.force,
                            progress=lambda n: status.count("replaying: events", n))
    finally:
        status.done()
    text = api.dumps_document(result)
    if args.output:
        write_files([(Path(args.output), text)])
    if args.format == "json" and not args.output:
        sys.stdout.write(text)
    else:
        for line in replaying.summary(result):
            print(line)
        if args.output:
            print(f"  wrote {args.output}")
    failed = replaying.failing(result, args.fail_on)
    if failed:
        _say(args, f"isc replay: --fail-on {args.fail_on}: such events exist",
             {"summary": "fail-on", "failOn": args.fail_on}, sys.stderr)
    return EXIT_GATE if failed else EXIT_OK


def _extra_requests(path: str | None) -> list[WebRequest]:
    """The requests of ``verify --requests FILE``, one JSON object per line (the form
    report.json witnesses have); every bad line is an error at FILE:LINE, all of them
    reported at once."""
    if not path:
        return []
    text = _read_option_file(path, "the requests file")
    out, errors = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            cats = d.get("categories", []) if isinstance(d, dict) else []
            if isinstance(cats, str | int) and not isinstance(cats, bool):
                cats = d["categories"] = [cats]
            bad = [(c, p) for c, p in ((c, _category_problem(c))
                                       for c in (cats if isinstance(cats, list) else [])) if p]
            for c, problem in bad:
                col = line.find(json.dumps(c, ensure_ascii=False)) + 1 or 1
                errors.append(Diagnostic("ISC2004", Severity.ERROR, problem, path, n, col))
            if not bad:
                request = request_from_json(d, "request")
                unfit = request_problem(request)
                if unfit is not None:
                    raise ValueError(unfit)
                out.append(request)
        except json.JSONDecodeError as exc:
            errors.append(Diagnostic("ISC1007", Severity.ERROR, f"not a request: {exc.msg}",
                                     path, n, exc.colno))
        except ValueError as exc:
            errors.append(Diagnostic("ISC1007", Severity.ERROR, f"not a request: {exc}",
                                     path, n, 1))
    if errors:
        raise _FileError(errors, path, text)
    return out


def cmd_verify(args: argparse.Namespace) -> int:
    status = _progress(args)
    try:
        export = _load_export(args, status)
    finally:
        status.done()
    if export.web is None and export.mail is None:
        raise IscError("the input has no web or mail policy to verify", code="ISC1009")
    requests = _extra_requests(args.requests)

    def progress(target: str, count: int) -> None:
        what = "requests" if target == ZTSA else "messages"
        if args.format == "json":
            _say(args, "", {"progress": "verify", "target": target, what: count}, sys.stderr)
        else:
            status.stage(f"verifying {_FILENAMES[target]}: {count:,} {what}")

    shown = sys.stderr.isatty() and not args.quiet
    try:
        results = api.verify(export, args.against, samples=args.samples, seed=args.seed,
                             requests=requests, force=args.force,
                             progress=progress if shown else None, stages=status.stage)
    finally:
        status.done()
    undeclared = 0
    for v in results:
        for note in v.notes:
            _say(args, f"isc verify: {v.document}: note: {note}",
                 {"summary": "verify-note", "document": v.document, "note": note}, sys.stderr)
        if v.edits:
            words = v.edits.words()
            _print_diagnostics([Diagnostic(
                "ISC3016", Severity.WARNING,
                f"{v.document}: {len(words)} object(s) differ from what isc compiles from this "
                f"input: " + "; ".join(words[:10]) + ("; …" if len(words) > 10 else ""),
                str(Path(args.against) / v.document) if Path(args.against).is_dir()
                else args.against)], args.format, {}, sys.stderr)
        bad = v.undeclared
        for f in bad[:20]:
            _print_diagnostics([_finding(v, f)], args.format, {}, sys.stdout)
        what = "requests" if v.target == ZTSA else "messages"
        counts = v.counts()
        _say(args, f"isc verify: {v.document}: {v.probes} {what}, {len(v.findings)} "
                   f"decided differently; declared: {_counts(counts['declared'])}; "
                   f"undeclared: {_counts(counts['undeclared'])}"
                   + (f"; {len(v.edits.keys)} object(s) edited" if v.edits else ""),
             {"summary": "verify", "target": v.target, what: v.probes,
              "differences": len(v.findings), "undeclared": len(bad),
              "directions": counts, "edited": list(v.edits.words())})
        undeclared += len(bad)
    return _done(EXIT_GATE if undeclared else EXIT_OK, status)


def _counts(by_direction: Mapping[str, int]) -> str:
    shown = [f"{by_direction[d.value]} {d.value}" for d in DIRECTION_ORDER
             if by_direction.get(d.value)]
    return ", ".join(shown) or "none"


def _finding(v: Verification, f: Finding[Any]) -> Diagnostic:
    """One undeclared difference as ``ISC3008``, with the probe as JSON to replay."""
    if v.target == ZTSA:
        probe = {"request": request_to_json(f.probe)}
        what = describe_request(probe["request"])
    else:
        probe = {"message": message_to_json(f.probe)}
        m = probe["message"]
        what = f"mail {m.get('sender') or '<>'} → {m.get('recipient')}"
    replay = _replay(probe)
    directions = ", ".join(d.value for d in DIRECTION_ORDER if d in f.undeclared)
    if f.compiled is not None:
        why = (f"changed by the edited object(s) {', '.join(f.edited[:3])}; as compiled: "
               f"{_describe(f.compiled)}")
    else:
        why = "not declared by a fidelity tag of the objects that decided it"
    return Diagnostic("ISC3008", Severity.ERROR,
                      f"{v.document}: {what}: source {_describe(f.source)}; target "
                      f"{_describe(f.target)}; {directions}, {why}", notes=(
                          f"replay: isc explain INPUT... --against OUTDIR {replay}",))


_COMMANDS = {
    "compile": cmd_compile,
    "check": cmd_check,
    "inspect": cmd_inspect,
    "explain": cmd_explain,
    "verify": cmd_verify,
    "report": cmd_report,
    "replay": cmd_replay,
}
