"""Time and measure isc's pipeline stage by stage on a large generated IWSVA (or IMSVA) export.

Usage::

    python benchmarks/run.py                                  # 200 policies, 50,000 entries
    python benchmarks/run.py --preset large                   # 2,000 policies, 500,000 entries
    python benchmarks/run.py --policies 50 --entries 5000 --repeat 5
    python benchmarks/run.py --input examples/iwsva-sakura/export.tar.gz
    python benchmarks/run.py --product mail --preset small    # IMSVA rule set -> ems
    python benchmarks/run.py --product mail --input examples/imsva-kaede/export
    python benchmarks/run.py --preset tiny --verify            # also time isc.verify
    python benchmarks/run.py --doubling --entries 16000       # 2,000 -> 4,000 -> ... -> 16,000
    python benchmarks/run.py --preset tiny --redundancy 0.1 --check-decisions 2000

Unless ``--input`` is given, the export is written by ``benchmarks/generate.py`` (in a
subprocess, so its memory does not count) into a temporary directory, or into ``--outdir``.
Then the four public stages run in order, each timed on its own with ``time.perf_counter``::

    export = isc.load(path)          # read + parse + validate
    optimized = isc.optimize(export)  # default pass pipeline
    output = isc.compile(optimized, "ztsa-ia")
    text = isc.dumps(output)          # deterministic, schema-validated JSON

``--verify`` adds a fifth stage, ``isc.verify(export, OUTDIR, samples=N)`` against the
documents just written (writing them into OUTDIR is not timed): what ``isc verify`` does
after loading its input, a fresh compile included.

``--repeat R`` runs the whole pipeline R times (fresh each time; the best and the median are
reported). One more run under ``tracemalloc`` measures each stage's peak of Python-allocated
memory; the process high-water mark (``resource.getrusage(...).ru_maxrss``) is sampled after
each stage of the first, untraced run. Earlier results stay alive while later stages run (as
in ``isc compile``), so a stage's "peak MiB" includes what the stages before it hold.
The web rates are entries/s (URL list entries), policies/s and MB/s (input bytes, 10^6 per
MB), each per stage over its best time.

``--doubling`` runs a series of sizes instead, each in its own ``run.py`` process (so each
size has its own maxrss): the requested size (``--preset`` or the size options), halved
until the next half would be smaller than ``--doubling-from`` (default: the tiny preset),
every size scaled alike. It prints the best seconds per stage at each size and the ratio to
the size before (the target is at most 2.3x per doubling).

``--product mail`` does the same for an IMSVA rule set (``generate.py --product mail``) and
the ``ems`` target (``optimize`` runs the mail passes). Its rates are rules/s, entries/s
(address-group members + keyword expressions + sender entries, counted in the loaded export)
and MB/s (input bytes, 10^6 per MB). ``--profile FILE`` adds one run under cProfile, saves the
statistics to FILE and prints the top functions.

``--redundancy R`` generates the export with injected redundancy (``generate.py --redundancy
R``: known numbers of duplicate and subsumed entries, contained accounts, mergeable and
shadowed policies...; mail: duplicate and subsumed addresses, identical keyword lists,
repeated expressions), listed in ``OUTDIR/redundancy.json``. After the stage table it loads
the export, runs the passes with ``isc.api.optimize_with(export, names, PassContext())``
(``--repeat`` times; the default pipelines, then any registered pass not in them) and prints
per pass its best time and the objects it removed and merged, next to the same for the export
generated without redundancy ("plain"); then per injected kind how many the pass that removes
it (:data:`REMOVED_BY`) removed, told apart from the export's own redundancy by the source
line of each change (``OUTDIR/redundancy-positions.json``). An ``--input`` with a
``redundancy.json`` is measured the same way. ``--check-decisions N`` decides N requests
(messages) built from the export's entries and accounts (addresses and keyword lists) with
the IWSVA (IMSVA) model before and after optimisation and counts those decided differently:
any is an error (exit 1).
"""

from __future__ import annotations

import argparse
import cProfile
import fnmatch
import gc
import json
import math
import os
import platform
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from generate import MAIL_PRESETS, MANIFEST, POSITIONS, URL_LIST_KINDS  # noqa: E402

#: name -> (policies, entries)
PRESETS: dict[str, tuple[int, int]] = {
    "tiny": (20, 2_000),
    "default": (200, 50_000),
    "large": (2_000, 500_000),
}
STAGES: tuple[str, ...] = ("load", "optimize", "compile", "dumps")
#: The optional stage after dumps (``--verify``); not part of the total.
VERIFY = "verify"
#: The largest acceptable growth of a stage's time per doubling of the input.
DOUBLING_TARGET = 2.3
MIB = 1024 * 1024
MB = 1_000_000
#: Preset and target when none is given, per product.
DEFAULT_PRESET = {"web": "default", "mail": "small"}
DEFAULT_TARGET = {"web": "ztsa-ia", "mail": "ems"}

_HEADER = re.compile(r'^\s*\[\s*([^\]"\s]+)\s*(?:"(?:[^"\\]|\\.)*"\s*)?\]\s*$')
#: Sections of the documented list import files (TrustedURLs.ini and the like).
_IMPORT_KINDS = ("allow", "block", "approved")


@dataclass
class StageResult:
    name: str
    seconds: list[float] = field(default_factory=list)
    peak_mib: float | None = None
    """tracemalloc peak while the stage ran (includes what earlier stages still hold)."""
    added_mib: float | None = None
    """The same peak minus what was traced when the stage started."""
    maxrss_mib: float | None = None
    """Process high-water RSS after the stage (first untraced run)."""

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


# ---------------------------------------------------------------------------- input sizing


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp932", "euc_jp"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


#: Files generate.py writes next to an export that are not part of it.
_NOT_EXPORT = (MANIFEST, POSITIONS)


def _texts(path: Path) -> Iterator[bytes]:
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and not p.is_symlink() and p.name not in _NOT_EXPORT:
                yield p.read_bytes()
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as tar:
            for member in tar:
                if member.isfile():
                    fh = tar.extractfile(member)
                    if fh is not None:
                        yield fh.read()
    else:
        yield path.read_bytes()


def count_input(path: Path) -> tuple[int, int]:
    """(url-filtering policies, URL list entries) in an export, by a light textual scan."""
    policies = entries = 0
    for data in _texts(path):
        if b"\x00" in data[:4096]:
            continue
        kind: str | None = None
        for line in _decode(data).splitlines():
            stripped = line.strip()
            if not stripped or stripped[0] in "#;":
                continue
            m = _HEADER.match(line)
            if m:
                kind = m.group(1).lower()
                policies += kind == "url-filtering-policy"
            elif kind in URL_LIST_KINDS or kind in _IMPORT_KINDS:
                entries += 1
    return policies, entries


# ---------------------------------------------------------------------------- measuring


def _maxrss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / MIB if sys.platform == "darwin" else rss / 1024


def _import_isc() -> ModuleType:
    try:
        import isc
    except ImportError:
        sys.path.insert(0, str(REPO / "src"))
        import isc
    missing = [n for n in ("load", "optimize", "compile", "dumps") if not hasattr(isc, n)]
    if missing:
        raise ImportError(f"isc ({getattr(isc, '__file__', '?')}) has no {', '.join(missing)}")
    return isc


@dataclass(frozen=True)
class Stage:
    """One timed step of the pipeline."""

    name: str
    fn: Callable[[Any], Any]
    #: Untimed preparation: given the results of every stage before, the value ``fn`` gets
    #: (without it, ``fn`` gets the result of the stage before).
    setup: Callable[[list[Any]], Any] | None = None


def _pipeline(isc: ModuleType, target: str, *, verify: bool = False,
              verify_samples: int | None = None, workdir: Path | None = None) -> list[Stage]:
    stages = [
        Stage("load", lambda path: isc.load(path)),
        Stage("optimize", lambda export: isc.optimize(export)),
        Stage("compile", lambda export: isc.compile(export, target)),
        Stage("dumps", lambda output: isc.dumps(output)),
    ]
    if verify:
        assert workdir is not None
        samples = verify_samples
        from isc.api import FILENAMES

        def write_outdir(kept: list[Any]) -> tuple[Any, Path]:
            """``isc compile -o OUTDIR``: the document and report.json, for verify."""
            export, _, output, text = kept[:4]
            outdir = workdir / "verify-against"
            outdir.mkdir(parents=True, exist_ok=True)
            (outdir / FILENAMES[target]).write_text(text, encoding="utf-8")
            (outdir / "report.json").write_text(isc.dumps_report(output), encoding="utf-8")
            return export, outdir

        stages.append(Stage(VERIFY, lambda given: isc.verify(given[0], str(given[1]),
                                                             samples=samples),
                            setup=write_outdir))
    return stages


def _run(stages: list[Stage], path: str, results: dict[str, StageResult],
         *, trace: bool, sample_rss: bool, label: str,
         profile: tuple[str, cProfile.Profile] | None = None) -> list[Any]:
    """One pass through the pipeline; returns every stage's result (kept alive throughout).

    Progress goes to stderr as each stage ends, so a slow stage shows which one it is. With
    ``profile`` (stage name, profiler), that stage runs under the profiler and no timing is
    recorded."""
    kept: list[Any] = []
    value: Any = path
    print(f"  {label}:", end="", file=sys.stderr, flush=True)
    for stage in stages:
        name, fn = stage.name, stage.fn
        res = results[name]
        if stage.setup is not None:
            try:
                value = stage.setup(kept)
            except Exception as exc:
                raise StageFailed(name, exc) from exc
        gc.collect()
        if trace:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
        profiler = profile[1] if profile is not None and profile[0] == name else None
        try:
            start = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            try:
                value = fn(value)
            finally:
                if profiler is not None:
                    profiler.disable()
            elapsed = time.perf_counter() - start
        except Exception as exc:
            raise StageFailed(name, exc) from exc
        if trace:
            peak = tracemalloc.get_traced_memory()[1]
            res.peak_mib, res.added_mib = peak / MIB, (peak - base) / MIB
        elif profile is None:  # a profiled run is slower: not a timing
            res.seconds.append(elapsed)
        if sample_rss:
            res.maxrss_mib = _maxrss_mib()
        print(f" {name} {elapsed:.3f}s", end="", file=sys.stderr, flush=True)
        kept.append(value)
    print(file=sys.stderr, flush=True)
    return kept


class StageFailed(Exception):
    def __init__(self, stage: str, exc: BaseException) -> None:
        super().__init__(f"stage {stage!r} failed: {type(exc).__name__}: {exc}")
        self.stage = stage
        self.exc = exc


def _diagnostic_counts(obj: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in getattr(obj, "diagnostics", ()) or ():
        sev = getattr(d, "severity", "?")
        key = str(getattr(sev, "value", sev)).lower()
        counts[key] = counts.get(key, 0) + 1
    return counts


# ---------------------------------------------------------------------------- reporting


def _rate(count: float, seconds: float) -> str:
    if seconds <= 0:
        return "-"
    rate = count / seconds
    if rate >= 100:
        return f"{rate:,.0f}"
    return f"{rate:.1f}" if rate >= 1 else f"{rate:.2g}"


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def table(results: dict[str, StageResult], totals: list[float], policies: int,
          entries: int, input_bytes: int | None = None) -> str:
    """The web table: entries/s, policies/s and (given the input's size) MB/s."""
    rates: list[tuple[str, float]] = [("entries/s", entries), ("policies/s", policies)]
    if input_bytes is not None:
        rates.append(("MB/s", input_bytes / MB))
    return rate_table(results, totals, rates)


def rate_table(results: dict[str, StageResult], totals: list[float],
               rates: list[tuple[str, float]]) -> str:
    """One row per stage and a total row; ``rates`` are (column title, count per run)."""
    head = ("stage", "best s", "median s", *(t for t, _ in rates), "peak MiB", "+MiB",
            "maxrss MiB")
    rows: list[tuple[str, ...]] = [head]
    for name, r in results.items():
        rows.append((name, f"{r.best:.3f}", f"{r.median:.3f}",
                     *(_rate(n, r.best) for _, n in rates), _mib(r.peak_mib),
                     _mib(r.added_mib), _mib(r.maxrss_mib)))
    best, median = min(totals), statistics.median(totals)
    counted = [r for r in results.values() if r.name in STAGES]  # verify is not in the total
    peaks = [r.peak_mib for r in counted if r.peak_mib is not None]
    rss = [r.maxrss_mib for r in counted if r.maxrss_mib is not None]
    rows.append(("total", f"{best:.3f}", f"{median:.3f}", *(_rate(n, best) for _, n in rates),
                 _mib(max(peaks) if peaks else None), "", _mib(max(rss) if rss else None)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for k, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                        strict=True)]
        lines.append("  ".join(cells))
        if k == 0 or k == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _machine() -> str:
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs")


# ---------------------------------------------------------------------------- optimiser

#: Which changes remove each injected kind of redundancy (generate.py ``--redundancy``):
#: (pass, kind of the changed object as an fnmatch pattern, action or ``*``). A pass that
#: has not landed in isc yet simply removes nothing.
REMOVED_BY: dict[str, tuple[str, str, str]] = {
    "duplicate-entries": ("remove-duplicate-entries", "*.entry", "removed"),
    "subsumed-entries": ("remove-subsumed-entries", "*.entry", "removed"),
    "contained-accounts": ("collapse-accounts", "url-filtering-policy.account", "removed"),
    "mergeable-policies": ("merge-url-filter-rules", "url-filtering-policy", "merged"),
    "shadowed-policies": ("remove-shadowed-rules", "url-filtering-policy", "removed"),
    "repeated-decryption-exceptions": ("merge-decryption-policies",
                                       "https-decryption-policy.exception", "removed"),
    "mergeable-decryption-policies": ("merge-decryption-policies", "https-decryption-policy",
                                      "merged"),
    "shadowed-decryption-policies": ("merge-decryption-policies", "https-decryption-policy",
                                     "removed"),
    "duplicate-group-addresses": ("remove-duplicate-mail-entries", "address-group.entry",
                                  "removed"),
    "subsumed-group-addresses": ("remove-subsumed-mail-addresses", "address-group.entry",
                                 "removed"),
    "duplicate-senders": ("remove-duplicate-mail-entries", "*-senders.entry", "removed"),
    "subsumed-senders": ("remove-subsumed-mail-addresses", "*-senders.entry", "removed"),
    "identical-keyword-lists": ("merge-keyword-lists", "keyword-list", "merged"),
    "repeated-expressions": ("remove-duplicate-mail-entries", "keyword-list.expression",
                             "removed"),
}


@dataclass
class Manifest:
    """What generate.py injected: {kind: count}, and where ({kind: {file: [line]}}; None
    when only the counts are known)."""

    counts: dict[str, int]
    positions: dict[str, dict[str, list[int]]] | None = None


def manifest_dir(path: Path) -> Path:
    """Where an input's manifest is: in its folder; for ``OUTDIR.tar.gz`` in ``OUTDIR``
    (generate.py writes it next to the export, not into the archive)."""
    if path.is_dir():
        return path
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if path.name.endswith(suffix):
            return path.with_name(path.name[: -len(suffix)])
    return path.parent


def read_manifest(path: Path) -> Manifest | None:
    """The redundancy manifest of an input, if it has one."""
    folder = manifest_dir(path)
    try:
        counts = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        positions = json.loads((folder / POSITIONS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        positions = None
    return Manifest({str(k): int(v) for k, v in counts.items()}, positions)


def pipeline_names() -> tuple[str, ...]:
    """The default web and mail pipelines, each followed by the passes registered but not
    in it (so a pass that has landed is measured before it joins the default)."""
    from isc import passes

    out: list[str] = []
    for default, registry in ((passes.DEFAULT_PIPELINE, passes.PASSES),
                              (passes.DEFAULT_MAIL_PIPELINE, passes.MAIL_PASSES)):
        out += [*default, *(n for n in registry if n not in default)]
    return tuple(out)


@dataclass
class OptimizerRun:
    """One export optimised with a PassContext: the best seconds per pass over the runs,
    the changes of the first run and its result."""

    seconds: dict[str, float]
    changes: list[Any]
    optimized: Any

    def counts(self, name: str, action: str) -> int:
        return sum(1 for c in self.changes if c.pass_name == name and c.action == action)


def measure_optimizer(export: Any, names: tuple[str, ...], repeat: int) -> OptimizerRun:
    """``isc.api.optimize_with(export, names, ctx)`` ``repeat`` times, each with a fresh
    :class:`~isc.passes.PassContext` (``ctx.seconds``: each pass's time)."""
    from isc.api import optimize_with
    from isc.passes import PassContext

    best: dict[str, float] = {}
    changes: list[Any] = []
    optimized: Any = None
    for k in range(repeat):
        gc.collect()
        ctx = PassContext()
        result = optimize_with(export, names, ctx)
        for name, seconds in ctx.seconds.items():
            best[name] = min(seconds, best.get(name, math.inf))
        if k == 0:
            changes, optimized = list(ctx.changes), result
    return OptimizerRun(best, changes, optimized)


@dataclass
class KindRow:
    """One injected kind: how many, and what the passes removed (or merged away)."""

    kind: str
    injected: int
    removed: int = 0
    """Injected objects of this kind removed by the pass :data:`REMOVED_BY` names."""
    other_passes: int = 0
    """Injected objects of this kind that another pass removed or merged."""
    own: int = 0
    """Objects the mapped pass removed that were not injected: the export's own."""

    @property
    def share(self) -> float | None:
        return None if not self.injected else 100.0 * self.removed / self.injected


def _span_keys(span: Any) -> tuple[str, str]:
    """The last one and two components of a span's file (``lists/x.txt``), the way the
    positions name files; an archive member is shown as ``ARCHIVE:member``."""
    parts = [p for p in re.split(r"[/\\:]", str(getattr(span, "file", ""))) if p]
    return (parts[-1] if parts else ""), "/".join(parts[-2:])


def _maps(kind: str, change: Any, *, action: bool) -> bool:
    pass_name, pattern, wanted = REMOVED_BY.get(kind, ("", "", ""))
    return (change.pass_name == pass_name and fnmatch.fnmatchcase(change.kind, pattern)
            and (not action or wanted in ("*", change.action)))


def attribute(changes: list[Any], manifest: Manifest) -> dict[str, KindRow]:
    """Count the changes per injected kind. With positions, a change counts for the kind
    injected at its source line (by the pass that removes that kind, or by another pass
    when its object kind matches), and a change of a mapped pass elsewhere is the export's
    own; with counts alone, every change of a mapped pass counts as removed."""
    rows = {k: KindRow(k, n) for k, n in manifest.counts.items()}
    left: dict[tuple[str, int], Counter[str]] = {}
    for kind, files in (manifest.positions or {}).items():
        for rel, lines in files.items():
            for line in lines:
                left.setdefault((rel, line), Counter())[kind] += 1
    for c in changes:
        if manifest.positions is None:
            found = [k for k in rows if _maps(k, c, action=True)]
            if found:
                rows[found[0]].removed += 1
            continue
        line = getattr(c.span, "line", 0)
        here = left.get((_span_keys(c.span)[0], line)) or left.get((_span_keys(c.span)[1], line))
        if here:
            mapped = [k for k in rows if here[k] > 0 and _maps(k, c, action=False)]
            if mapped:
                rows[mapped[0]].removed += 1
                here[mapped[0]] -= 1
                continue
            similar = [k for k in rows if here[k] > 0 and fnmatch.fnmatchcase(
                c.kind, REMOVED_BY.get(k, ("", "", ""))[1])]
            if similar:
                rows[similar[0]].other_passes += 1
                here[similar[0]] -= 1
                continue
        found = [k for k in rows if _maps(k, c, action=True)]
        if found:
            rows[found[0]].own += 1
    return rows


def _table(rows: list[list[str]], left: tuple[int, ...] = (0,)) -> str:
    """Rows of cells, columns ``left`` left-aligned, a rule under the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i in left else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def pass_table(names: tuple[str, ...], run: OptimizerRun, plain: OptimizerRun | None) -> str:
    """Per pass that ran: its best time, objects removed and merged (and the same for the
    plain export, when there is one)."""
    head = ["pass", "s", "removed", "merged"]
    if plain is not None:
        head += ["plain s", "removed", "merged"]
    rows = [head]
    ran = [n for n in names if n in run.seconds or (plain and n in plain.seconds)]
    for name in [*ran, "all passes"]:
        cells = []
        for r in (run, plain) if plain is not None else (run,):
            if name == "all passes":
                cells += [f"{sum(r.seconds.values()):.3f}",
                          f"{sum(1 for c in r.changes if c.action == 'removed'):,}",
                          f"{sum(1 for c in r.changes if c.action == 'merged'):,}"]
            elif name in r.seconds:
                cells += [f"{r.seconds[name]:.3f}", f"{r.counts(name, 'removed'):,}",
                          f"{r.counts(name, 'merged'):,}"]
            else:
                cells += ["-", "-", "-"]
        rows.append([name, *cells])
    return _table(rows)


def kind_table(rows: dict[str, KindRow], registered: set[str], positions: bool) -> str:
    head = ["injected kind", "injected", "removed", "%", "other passes",
            "export's own" if positions else "", "pass"]
    out = [head]
    for r in rows.values():
        pass_name = REMOVED_BY.get(r.kind, ("?", "", ""))[0]
        share = r.share
        out.append([r.kind, f"{r.injected:,}", f"{r.removed:,}",
                    "-" if share is None else f"{share:.1f}", f"{r.other_passes:,}",
                    f"{r.own:,}" if positions else "",
                    pass_name + ("" if pass_name in registered else " (not registered)")])
    return _table(out, left=(0, len(head) - 1))


def removed_summary(rows: dict[str, KindRow]) -> str:
    injected = sum(r.injected for r in rows.values())
    removed = sum(r.removed for r in rows.values())
    share = f" ({100.0 * removed / injected:.1f} %)" if injected else ""
    return f"removed {removed:,} of {injected:,} injected{share}"


# ---------------------------------------------------------------------------- decisions


def web_requests(web: Any, count: int, seed: int) -> list[Any]:
    """``count`` requests around the policy's own objects: a URL of one of its list entries
    (:func:`~isc.backends.ztsa_ia.probes.pattern_urls`), the identity of one of its
    accounts (or none), 0-2 of the categories its policies name, an instant at a schedule
    edge (or none)."""
    import random

    from isc.backends.ztsa_ia.probes import account_identities, pattern_urls, schedule_times
    from isc.ir.requests import WebRequest

    rng = random.Random(seed)
    patterns = list(web.tunneling)
    for lst in (web.global_blocking, web.global_trusted):
        if lst is not None:
            patterns += [*lst.entries, *lst.exceptions]
    for c in web.custom_categories:
        patterns += c.entries
    for a in web.approved_lists:
        patterns += a.entries
    identities: list[dict[str, object]] = [{}]
    cats: set[int] = set()
    for p in (*web.url_filtering, *web.https_decryption):
        identities += account_identities(p.accounts)[:-1]
        cats.update(c.category.id for c in p.categories if c.category.id is not None)
    categories = sorted(cats) or [90]
    times = schedule_times(web, {p.schedule for p in web.url_filtering if p.schedule})
    out = []
    for _ in range(count):
        url = (rng.choice(pattern_urls(rng.choice(patterns))) if patterns and rng.random() < 0.9
               else f"https://unlisted-{rng.randrange(1000)}.example/")
        ident = rng.choice(identities)
        out.append(WebRequest(
            url, client=ident.get("client"),  # type: ignore[arg-type]
            user=ident.get("user"),  # type: ignore[arg-type]
            groups=ident.get("groups", ()),  # type: ignore[arg-type]
            categories=tuple(rng.sample(categories, min(len(categories),
                                                        rng.choice((0, 1, 1, 2))))),
            when=rng.choice(times)))
    return out


def mail_messages(mail: Any, count: int, seed: int) -> list[Any]:
    """``count`` messages around the rule set's own objects: senders and recipients from
    its address groups and sender lists (:func:`~isc.backends.ems.probes.pattern_addresses`)
    or internal, LDAP groups of its groups, subjects and bodies from its keyword lists
    (:func:`~isc.backends.ems.probes.keyword_texts`), some attachments and verdicts."""
    import random

    from isc.backends.ems.probes import internal_address, keyword_texts, pattern_addresses
    from isc.ir.mail import PartyKind
    from isc.ir.requests import Attachment, MailMessage

    rng = random.Random(seed)
    members = [p for g in mail.address_groups for p in g.addresses]
    members += [*mail.approved_senders, *mail.blocked_senders]
    addresses = [p.value for p in members if p.kind is PartyKind.ADDRESS]
    ldap = [p.value for p in members if p.kind in (PartyKind.LDAP_GROUP, PartyKind.LDAP_USER)]
    internal = internal_address(mail.internal_domains) or "staff@internal.example"
    lists = [kl for kl in mail.keyword_lists if kl.expressions]

    def address() -> str:
        if addresses and rng.random() < 0.8:
            return str(rng.choice(pattern_addresses(rng.choice(addresses))))
        return internal if rng.random() < 0.5 else f"someone{rng.randrange(100)}@else.example"

    def text() -> str:
        if not lists or rng.random() < 0.2:
            return "nothing to see here"
        kl = rng.choice(lists)
        return str(rng.choice(keyword_texts(kl.match, kl.expressions)))

    out = []
    for _ in range(count):
        recipient = address()
        attachments: tuple[Attachment, ...] = ()
        if rng.random() < 0.3:
            name = rng.choice(("invoice.exe", "report.pdf", "photos.zip", "memo.docm", "a.lnk"))
            attachments = (Attachment(name, content=text(), size=rng.choice((1_000, 3_000_000)),
                                      file_type=rng.choice((None, "EXE", "PDF", "ZIP"))),)
        out.append(MailMessage(
            address(), recipient, recipients=(recipient,), subject=text(), body=text(),
            attachments=attachments, size=rng.choice((2_000, 200_000, 30_000_000)),
            direction=rng.choice((None, "incoming", "outgoing")),
            virus=rng.random() < 0.1, spam_score=rng.choice((None, 1.0, 5.5, 9.5)),
            sender_groups=(rng.choice(ldap),) if ldap and rng.random() < 0.3 else (),
            recipient_groups=(rng.choice(ldap),) if ldap and rng.random() < 0.3 else ()))
    return out


@dataclass
class DecisionCheck:
    """N requests (messages) decided by the source model before and after optimisation."""

    decided: int = 0
    differ: int = 0
    """Decided differently: the action, the decryption (web) or the modifications (mail)."""
    other_object: int = 0
    """Decided alike, but by another object (the one a removed or merged object left)."""
    examples: list[str] = field(default_factory=list)


def check_decisions(before: Any, after: Any, count: int, seed: int, mail: bool
                    ) -> DecisionCheck:
    """Decide ``count`` generated requests (mail: messages) with the IWSVA (IMSVA) model on
    the export before and after optimisation."""
    from isc.models import imsva, iwsva

    check = DecisionCheck()
    if mail:
        if before.mail is None:
            return check
        probes = mail_messages(before.mail, count, seed)
        pairs = ((p, imsva.decide(before.mail, p), imsva.decide(after.mail, p)) for p in probes)
    else:
        if before.web is None:
            return check
        probes = web_requests(before.web, count, seed)
        pairs = ((p, iwsva.decide(before.web, p), iwsva.decide(after.web, p)) for p in probes)
    for probe, a, b in pairs:
        check.decided += 1
        if (a.action, a.decrypted, a.modifications) != (b.action, b.decrypted, b.modifications):
            check.differ += 1
            if len(check.examples) < 5:
                check.examples.append(f"{probe}: {a.action} -> {b.action}")
        elif a.decided_by != b.decided_by:
            check.other_object += 1
    return check


@dataclass
class OptimizerReport:
    names: tuple[str, ...]
    registered: set[str]
    run: OptimizerRun
    plain: OptimizerRun | None = None
    manifest: Manifest | None = None
    kinds: dict[str, KindRow] = field(default_factory=dict)
    decisions: DecisionCheck | None = None

    def to_json(self) -> dict[str, Any]:
        def passes(r: OptimizerRun) -> list[dict[str, Any]]:
            return [{"name": n, "seconds": s, "removed": r.counts(n, "removed"),
                     "merged": r.counts(n, "merged")} for n, s in r.seconds.items()]

        doc: dict[str, Any] = {"passes": passes(self.run)}
        if self.plain is not None:
            doc["plain_passes"] = passes(self.plain)
        if self.manifest is not None:
            doc["injected"] = {k: asdict(r) for k, r in self.kinds.items()}
        if self.decisions is not None:
            doc["decisions"] = asdict(self.decisions)
        return doc


def optimizer_report(isc: ModuleType, path: Path, plain_path: Path | None, repeat: int,
                     check: int | None, seed: int, mail: bool) -> OptimizerReport:
    """Load the input (and the plain export), optimise each ``repeat`` times with a
    PassContext, attribute the changes to the injected kinds, check decisions."""
    from isc import passes

    names = pipeline_names()
    export = isc.load(str(path))
    report = OptimizerReport(names, {*passes.PASSES, *passes.MAIL_PASSES},
                             measure_optimizer(export, names, repeat))
    report.manifest = read_manifest(path)
    if report.manifest is not None:
        report.kinds = attribute(report.run.changes, report.manifest)
    if check:
        report.decisions = check_decisions(export, report.run.optimized, check, seed, mail)
    if plain_path is not None:
        report.plain = measure_optimizer(isc.load(str(plain_path)), names, repeat)
    return report


def print_optimizer(report: OptimizerReport, repeat: int, redundancy: float | None,
                    mail: bool) -> None:
    print()
    print(f"optimiser: isc.api.optimize_with with a PassContext, best of {repeat} run(s) per "
          "export; passes in the order they ran")
    print(pass_table(report.names, report.run, report.plain))
    if report.plain is not None:
        print("plain: the same export generated without --redundancy"
              + (f" (this one: --redundancy {redundancy:g})" if redundancy else ""))
    if report.manifest is not None:
        print()
        positions = report.manifest.positions is not None
        print(f"injected redundancy ({MANIFEST}) and what the passes removed of it:")
        print(kind_table(report.kinds, report.registered, positions))
        print(removed_summary(report.kinds)
              + ("" if positions else f" (no {POSITIONS}: counts include the export's own)"))
        missing = sorted({REMOVED_BY[k][0] for k in report.kinds if k in REMOVED_BY
                          and REMOVED_BY[k][0] not in report.registered})
        if missing:
            print("not registered in isc yet (they remove nothing here): " + ", ".join(missing))
    if report.decisions is not None:
        d = report.decisions
        what = "messages" if mail else "requests"
        print()
        print(f"decisions: {d.decided:,} {what} decided by the source model before and after "
              f"optimisation: {d.differ:,} differ; {d.other_object:,} decided alike by "
              "another object (one a pass kept in place of a removed or merged one)")
        for example in d.examples:
            print(f"  differs: {example}")

# ---------------------------------------------------------------------------- main


@dataclass
class MailCounts:
    """What a loaded mail export holds (counted in the IR, list files included)."""

    rules: int = 0
    addresses: int = 0
    expressions: int = 0
    senders: int = 0
    #: rules left after the optimisation passes (None: they did not run): what the compile
    #: translates and compares, so a doubling series shows whether its work doubled too
    kept: int | None = None

    @property
    def entries(self) -> int:
        return self.addresses + self.expressions + self.senders


def count_mail(export: Any) -> MailCounts:
    mail = getattr(export, "mail", None)
    if mail is None:
        return MailCounts()
    return MailCounts(
        rules=len(mail.rules),
        addresses=sum(len(g.addresses) for g in mail.address_groups),
        expressions=sum(len(k.expressions) for k in mail.keyword_lists),
        senders=len(mail.approved_senders) + len(mail.blocked_senders),
    )


def _generate(outdir: Path, policies: int, entries: int, seed: int, tar: bool,
              mail: tuple[int, int, int, int] | None = None, redundancy: float = 0.0) -> float:
    cmd = [sys.executable, str(HERE / "generate.py"), str(outdir), "--seed", str(seed)]
    if redundancy:
        cmd += ["--redundancy", repr(redundancy)]
    if mail is None:
        cmd[3:3] = ["--policies", str(policies), "--entries", str(entries)]
    else:
        cmd += ["--product", "mail"]
        for flag, value in zip(("--rules", "--addresses", "--expressions", "--senders"), mail,
                               strict=True):
            cmd += [flag, str(value)]
    if tar:
        cmd.append("--tar")
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*")
                   if p.is_file() and p.name not in _NOT_EXPORT)
    return path.stat().st_size


def _print_profile(profiler: cProfile.Profile, path: Path, stage: str, top: int = 25) -> None:
    profiler.dump_stats(str(path))
    for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
        print()
        print(f"cProfile of the {stage} stage, top {top} by {title} (saved to {path}):")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.strip_dirs().sort_stats(key).print_stats(top)


def _verify_summary(verifications: Any) -> list[dict[str, Any]]:
    return [{"document": getattr(v, "document", "?"), "probes": getattr(v, "probes", 0),
             "findings": len(getattr(v, "findings", ())),
             "undeclared": len(getattr(v, "undeclared", ()))} for v in verifications or ()]


# ---------------------------------------------------------------------------- doubling

#: Below this many seconds a stage's time is too short for a meaningful ratio.
RATIO_FLOOR = 0.005
#: The doubling verdict only judges steps whose smaller size took at least this long.
JUDGE_FLOOR = 0.1


def _half(value: int, divisor: int) -> int:
    return 0 if value <= 0 else max(1, round(value / divisor))


def doubling_sizes(size: tuple[int, ...], entries: int, start: int) -> list[tuple[int, ...]]:
    """``size`` and its halves, quarters, ..., smallest first: halved while the half still
    holds at least ``start`` of its ``entries`` (every number in ``size`` is scaled alike,
    rounded, never below 1 unless it is 0)."""
    halvings = 0
    while start > 0 and entries / 2 ** (halvings + 1) >= start:
        halvings += 1
    return [tuple(_half(v, 2 ** j) for v in size) for j in range(halvings, -1, -1)]


def _ratio(now: float, before: float, growth: float) -> float | None:
    """How much ``now`` grew from ``before`` per doubling of the input (``growth`` = the
    input's own growth, 2 for an exact doubling)."""
    if before < RATIO_FLOOR or growth <= 1:
        return None
    return float((now / before) ** (math.log(2) / math.log(growth)))


def doubling_table(docs: list[dict[str, Any]], mail: bool) -> tuple[str, list[str]]:
    """The series table (one row per size) and the steps over :data:`DOUBLING_TARGET`."""
    names = [st["name"] for st in docs[0]["stages"]]
    head = ["entries", *(("rules", "kept") if mail else ("policies",)), "MB"]
    for name in [*names, "total"]:
        head += [f"{name} s", "x"]
    head.append("maxrss MiB")
    rows = [head]
    over: list[str] = []
    previous: dict[str, Any] | None = None
    for doc in docs:
        best = {st["name"]: st["best"] for st in doc["stages"]}
        best["total"] = doc["total_best"]
        if mail:
            kept = doc["counts"].get("kept")
            counted = [f"{doc['counts']['rules']:,}", "-" if kept is None else f"{kept:,}"]
        else:
            counted = [f"{doc['policies']:,}"]
        row = [f"{doc['entries']:,}", *counted, f"{doc['input_bytes'] / MB:,.2f}"]
        for name in [*names, "total"]:
            cell = "-"
            if previous is not None:
                before = {st["name"]: st["best"] for st in previous["stages"]}
                before["total"] = previous["total_best"]
                growth = doc["entries"] / previous["entries"] if previous["entries"] else 0
                ratio = _ratio(best[name], before[name], growth)
                if ratio is not None:
                    flagged = ratio > DOUBLING_TARGET and before[name] >= JUDGE_FLOOR
                    cell = f"{ratio:.2f}" + ("!" if flagged else "")
                    if flagged:
                        over.append(f"{name} {ratio:.2f}x from {previous['entries']:,} to "
                                    f"{doc['entries']:,} entries")
            row += [f"{best[name]:.3f}", cell]
        rss = [st["maxrss_mib"] for st in doc["stages"] if st.get("maxrss_mib") is not None]
        row.append(_mib(max(rss) if rss else None))
        rows.append(row)
        previous = doc
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines), over


def doubling(args: argparse.Namespace, web_size: tuple[int, int],
             mail_size: tuple[int, int, int, int] | None) -> int:
    """``--doubling``: run.py once per size of the series, in a subprocess, then the table."""
    mail = mail_size is not None
    flags: tuple[str, ...]
    if mail_size is not None:
        size: tuple[int, ...] = mail_size
        entries = sum(mail_size[1:])
        tiny = sum(MAIL_PRESETS["tiny"][1:])
        flags = ("--rules", "--addresses", "--expressions", "--senders")
    else:
        size = web_size
        entries = web_size[1]
        tiny = PRESETS["tiny"][1]
        flags = ("--policies", "--entries")
    start = args.doubling_from if args.doubling_from is not None else tiny
    sizes = doubling_sizes(size, entries, start)
    print(f"doubling series ({args.product}): {len(sizes)} size(s), best of {args.repeat} "
          f"run(s) each, one process per size; target <= {DOUBLING_TARGET}x per doubling")
    print(f"  {_machine()}")
    docs: list[dict[str, Any]] = []
    stopped = ""
    with tempfile.TemporaryDirectory(prefix="isc-doubling-") as tmp:
        for k, one in enumerate(sizes):
            out = Path(tmp) / f"size-{k}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--product", args.product,
                   "--seed", str(args.seed), "--repeat", str(args.repeat), "--no-trace",
                   "--until", args.until, "--json", str(out)]
            for flag, value in zip(flags, one, strict=True):
                cmd += [flag, str(value)]
            if args.target:
                cmd += ["--target", args.target]
            if args.tar:
                cmd.append("--tar")
            if args.verify:
                cmd += ["--verify"]
                if args.samples is not None:
                    cmd += ["--samples", str(args.samples)]
            print(f"size {k + 1}/{len(sizes)}: " + ", ".join(
                f"{flag[2:]} {value:,}" for flag, value in zip(flags, one, strict=True)),
                file=sys.stderr, flush=True)
            start_time = time.perf_counter()
            try:
                done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                                      timeout=args.size_timeout, check=False)
            except subprocess.TimeoutExpired:
                stopped = (f"stopped: size {k + 1} did not finish in {args.size_timeout:g} s "
                           f"(--size-timeout)")
                break
            if done.returncode != 0:
                print(done.stdout, end="")
                print(f"run.py: size {k + 1} failed (exit {done.returncode}): "
                      + " ".join(cmd[1:]), file=sys.stderr)
                return done.returncode
            doc = json.loads(out.read_text(encoding="utf-8"))
            doc["wall_seconds"] = time.perf_counter() - start_time
            docs.append(doc)
    print()
    if docs:
        text, over = doubling_table(docs, mail)
        print(text)
        print()
        print("x: growth of the best time per doubling of the entries (\"-\" under "
              f"{RATIO_FLOOR} s); \"!\": over {DOUBLING_TARGET}x, where the smaller size "
              f"took at least {JUDGE_FLOOR} s.")
        print(f"total: {', '.join(STAGES[: STAGES.index(args.until) + 1])}"
              + (" (verify not included)" if args.verify else "")
              + "; maxrss: each size's own process.")
        if len(docs) > 1:
            print("over the target: " + "; ".join(over) if over
                  else f"every stage within {DOUBLING_TARGET}x per doubling")
    if stopped:
        print(stopped)
    if args.json is not None:
        args.json.write_text(json.dumps({
            "machine": _machine(), "date": time.strftime("%Y-%m-%d"),
            "product": args.product, "target_ratio": DOUBLING_TARGET, "stopped": stopped,
            "doubling": docs}, indent=2) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="run.py", description=__doc__.splitlines()[0] if __doc__
                                 else None)
    ap.add_argument("--product", choices=("web", "mail"), default="web",
                    help="web: IWSVA export, ztsa-ia (default); mail: IMSVA rule set, ems")
    mail_sizes = "; ".join(f"{k} {r:,}/{a:,}/{e:,}/{n:,}" for k, (r, a, e, n) in
                           MAIL_PRESETS.items())
    ap.add_argument("--preset", choices=sorted(set(PRESETS) | set(MAIL_PRESETS)), default=None,
                    help="web sizes (policies/entries): tiny 20/2,000; default 200/50,000; "
                         "large 2,000/500,000 (default: default). Mail sizes "
                         f"(rules/addresses/expressions/senders): {mail_sizes} "
                         f"(default: {DEFAULT_PRESET['mail']})")
    ap.add_argument("--policies", type=int, help="URL filtering policies (overrides --preset)")
    ap.add_argument("--entries", type=int, help="URL list entries (overrides --preset)")
    ap.add_argument("--rules", type=int, help="mail: policy rules (overrides --preset)")
    ap.add_argument("--addresses", type=int, help="mail: address-group members")
    ap.add_argument("--expressions", type=int, help="mail: keyword expressions")
    ap.add_argument("--senders", type=int, help="mail: approved + blocked sender entries")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    ap.add_argument("--input", type=Path, help="benchmark this export instead of generating one")
    ap.add_argument("--outdir", type=Path, help="generate into this directory and keep it")
    ap.add_argument("--tar", action="store_true", help="generate OUTDIR.tar.gz and load that")
    ap.add_argument("--target", default=None,
                    help="default ztsa-ia (web) or ems (mail)")
    ap.add_argument("--until", choices=STAGES, default="dumps",
                    help="stop after this stage (e.g. --until optimize skips compile and dumps)")
    ap.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run")
    ap.add_argument("--profile", type=Path, metavar="FILE",
                    help="one more run with the compile stage under cProfile; save the "
                         "statistics to FILE and print the top functions")
    ap.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    ap.add_argument("--verify", action="store_true",
                    help="add a verify stage: isc.verify against the documents just compiled "
                         "(writing them is not timed; not part of the total)")
    ap.add_argument("--samples", type=int, default=None,
                    help="verify: probes per target (default: as isc verify, the sample "
                         "compile swept)")
    ap.add_argument("--doubling", action="store_true",
                    help="run a doubling series up to the requested size (each size in its "
                         "own process) and print the growth per doubling of every stage")
    ap.add_argument("--doubling-from", type=int, metavar="ENTRIES", default=None,
                    help="doubling: the smallest size, in entries (default: the tiny "
                         "preset's: 2,000 web, 290 mail)")
    ap.add_argument("--size-timeout", type=float, metavar="SECONDS", default=None,
                    help="doubling: stop the series when one size takes longer than this")
    ap.add_argument("--redundancy", type=float, metavar="R", default=None,
                    help="generate the export with injected redundancy (generate.py "
                         "--redundancy R, e.g. 0.1), and the same export without it; print "
                         "what each optimisation pass took and removed in both, and how much "
                         "of the injected redundancy it removed (an --input with a "
                         f"{MANIFEST} is measured so too)")
    ap.add_argument("--check-decisions", type=int, metavar="N", default=None,
                    help="decide N generated requests (mail: messages) with the IWSVA "
                         "(IMSVA) model before and after optimisation and count those that "
                         "differ (must be 0; exit 1 otherwise)")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    if args.samples is not None and args.samples < 1:
        ap.error("--samples must be >= 1")
    if args.verify and args.until != "dumps":
        ap.error("--verify needs every stage: do not combine it with --until")
    if args.redundancy is not None and not 0 <= args.redundancy <= 1:
        ap.error("--redundancy must be between 0 and 1")
    if args.redundancy is not None and args.input is not None:
        ap.error(f"--redundancy generates its export; an --input is measured with its own "
                 f"{MANIFEST}, if it has one")
    if args.check_decisions is not None and args.check_decisions < 1:
        ap.error("--check-decisions must be >= 1")
    if args.doubling and (args.redundancy is not None or args.check_decisions is not None):
        ap.error("--redundancy and --check-decisions are not for --doubling")
    if args.doubling:
        for flag, value in (("--input", args.input), ("--outdir", args.outdir),
                            ("--profile", args.profile)):
            if value is not None:
                ap.error(f"--doubling generates its exports: {flag} cannot be used with it")
    elif args.doubling_from is not None or args.size_timeout is not None:
        ap.error("--doubling-from and --size-timeout are for --doubling")
    product: str = args.product
    mail = product == "mail"
    preset = args.preset or DEFAULT_PRESET[product]
    if preset not in (MAIL_PRESETS if mail else PRESETS):
        ap.error(f"--preset {preset} is not a {product} preset")
    if mail and (args.policies is not None or args.entries is not None):
        ap.error("--policies and --entries are for --product web")
    if not mail and any(v is not None for v in (args.rules, args.addresses, args.expressions,
                                                args.senders)):
        ap.error("--rules, --addresses, --expressions and --senders are for --product mail")
    target: str = args.target or DEFAULT_TARGET[product]

    policies, entries = PRESETS["default"] if mail else PRESETS[preset]
    policies = args.policies if args.policies is not None else policies
    entries = args.entries if args.entries is not None else entries
    given = (args.rules, args.addresses, args.expressions, args.senders)
    overridden = any(v is not None for v in given)
    r0, a0, e0, n0 = MAIL_PRESETS[preset] if mail else (0, 0, 0, 0)
    mail_req = (r0 if args.rules is None else args.rules,
                a0 if args.addresses is None else args.addresses,
                e0 if args.expressions is None else args.expressions,
                n0 if args.senders is None else args.senders)
    if args.doubling:
        return doubling(args, (policies, entries), mail_req if mail else None)

    try:
        isc = _import_isc()
    except ImportError as exc:
        print(f"run.py: cannot use isc: {exc}", file=sys.stderr)
        print("run.py: install it (pip install -e .) or run from the repository; "
              "benchmarks/generate.py works without it", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="isc-bench-") as tmp:
        gen_seconds: float | None = None
        if args.input is not None:
            path = args.input
            if not path.exists():
                print(f"run.py: {path} does not exist", file=sys.stderr)
                return 2
            if not mail:
                policies, entries = count_input(path)
            described = f"{path} (given)"
        else:
            outdir = args.outdir or Path(tmp) / "export"
            gen_seconds = _generate(outdir, policies, entries, args.seed, args.tar,
                                    mail_req if mail else None, args.redundancy or 0.0)
            path = outdir.with_name(outdir.name + ".tar.gz") if args.tar else outdir
            described = f"{path} (generated, seed {args.seed})"
            policies += 1  # the Global Policy
        size = _size(path)
        print(f"isc {getattr(isc, '__version__', '?')} benchmark: {described}, "
              f"{size / MIB:,.1f} MiB")
        if mail:
            if args.input is None:
                r, a, e, n = mail_req
                what = (f"{r:,} rules, {a:,} addresses, {e:,} keyword expressions, {n:,} "
                        f"sender entries (preset {preset}"
                        f"{' with overrides' if overridden else ''})")
            else:
                what = "sizes counted after the first load"
            print(f"  {what}; target {target}; best/median of {args.repeat} run(s)")
        else:
            print(f"  {policies:,} url-filtering policies (Global included), {entries:,} URL "
                  f"entries; target {target}; best/median of {args.repeat} run(s)")
        print(f"  {_machine()}; RSS after import: {_maxrss_mib():,.1f} MiB")
        if gen_seconds is not None:
            print(f"  generate.py: {gen_seconds:.2f} s (subprocess, not part of isc)")
        manifest = read_manifest(path)
        if manifest is not None:
            print(f"  with injected redundancy: {sum(manifest.counts.values()):,} objects "
                  f"({manifest_dir(path) / MANIFEST})")

        stages = _pipeline(isc, target, verify=args.verify, verify_samples=args.samples,
                           workdir=Path(tmp))
        if not args.verify:
            stages = stages[: STAGES.index(args.until) + 1]
        results = {stage.name: StageResult(stage.name) for stage in stages}
        totals: list[float] = []
        summary: dict[str, Any] = {}
        counts = MailCounts()
        try:
            for k in range(args.repeat):
                kept = _run(stages, str(path), results, trace=False, sample_rss=k == 0,
                            label=f"run {k + 1}/{args.repeat}")
                totals.append(sum(r.seconds[-1] for r in results.values()
                                  if r.name in STAGES))
                if k == 0:
                    text = kept[min(3, len(kept) - 1)]
                    summary = {
                        "output_bytes": len(text.encode("utf-8")) if isinstance(text, str) else 0,
                        "diagnostics": _diagnostic_counts(kept[min(2, len(kept) - 1)]),
                    }
                    if args.verify:
                        summary["verify"] = _verify_summary(kept[-1])
                    if mail:
                        counts = count_mail(kept[0])
                        optimised = getattr(kept[1], "mail", None) if len(kept) > 1 else None
                        if optimised is not None:
                            counts.kept = len(optimised.rules)
                del kept
            if not args.no_trace:
                tracemalloc.start()
                try:
                    _run(stages, str(path), results, trace=True, sample_rss=False,
                         label="tracemalloc run")
                finally:
                    tracemalloc.stop()
            profiler: cProfile.Profile | None = None
            if args.profile is not None and "compile" in results:
                profiler = cProfile.Profile()
                _run(stages, str(path), results, trace=False, sample_rss=False,
                     label="cProfile run (compile)", profile=("compile", profiler))
        except StageFailed as failed:
            print(file=sys.stderr)
            print(f"run.py: {failed}", file=sys.stderr)
            found = list(getattr(failed.exc, "diagnostics", ()) or ())
            found.sort(key=lambda d: str(getattr(d.severity, "value", d.severity)) != "error")
            for d in found[:10]:
                print(f"  {d}", file=sys.stderr)
            return 1
        report: OptimizerReport | None = None
        if manifest is not None or args.check_decisions is not None:
            plain: Path | None = None
            if args.redundancy:  # the same export without redundancy, for its pass times
                plain = Path(tmp) / "plain"
                _generate(plain, policies - 1, entries, args.seed, False,
                          mail_req if mail else None)
            print("  optimiser runs (PassContext)"
                  + (f", {args.check_decisions:,} decisions checked" if args.check_decisions
                     else ""), file=sys.stderr, flush=True)
            try:
                report = optimizer_report(isc, path, plain, args.repeat, args.check_decisions,
                                          args.seed, mail)
            except Exception as exc:
                print(f"run.py: optimiser report failed: {type(exc).__name__}: {exc}",
                      file=sys.stderr)
                return 1

    print()
    if mail:
        print(rate_table(results, totals, [("rules/s", counts.rules),
                                           ("entries/s", counts.entries),
                                           ("MB/s", size / MB)]))
    else:
        print(table(results, totals, policies, entries, size))
    print()
    if mail:
        print(f"input: {counts.rules:,} rules; {counts.entries:,} entries = {counts.addresses:,} "
              f"address-group members + {counts.expressions:,} keyword expressions + "
              f"{counts.senders:,} sender entries; {size / MB:,.2f} MB")
    diags = ", ".join(f"{n} {k}" for k, n in sorted(summary.get("diagnostics", {}).items()))
    what = f"{summary.get('output_bytes', 0):,} bytes of JSON" if args.until == "dumps" else (
        f"stopped after {args.until}")
    print(f"output: {what}; diagnostics: {diags or 'none'}")
    if args.verify:
        found = summary.get("verify", [])
        print("verify: " + "; ".join(
            f"{v['document']}: {v['probes']:,} probes, {v['findings']:,} differences "
            f"({v['undeclared']:,} undeclared)" for v in found)
              + (f" (--samples {args.samples}" if args.samples is not None
                 else " (isc verify's default sample")
              + "; the total does not include verify)")
    print("peak MiB / +MiB: tracemalloc peak during the stage / above the stage's start "
          "(one extra traced run);\nmaxrss MiB: process high-water RSS after the stage "
          "(first untraced run).")
    if report is not None:
        print_optimizer(report, args.repeat, args.redundancy, mail)
    if profiler is not None and args.profile is not None:
        _print_profile(profiler, args.profile, "compile")
    if args.json is not None:
        doc = {
            "machine": _machine(),
            "date": time.strftime("%Y-%m-%d"),
            "input": str(path),
            "input_bytes": size,
            "policies": policies,
            "entries": entries,
            "repeat": args.repeat,
            "generate_seconds": gen_seconds,
            "stages": [asdict(r) | {"best": r.best, "median": r.median}
                       for r in results.values()],
            "total_best": min(totals),
            "product": product,
            "target": target,
            **summary,
        }
        if mail:
            doc.update(product="mail", target=target, entries=counts.entries,
                       counts=asdict(counts))
            doc.pop("policies")
        if report is not None:
            doc["optimizer"] = report.to_json()
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if report is not None and report.decisions is not None and report.decisions.differ:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
