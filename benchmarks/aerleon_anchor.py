"""Side-by-side anchor: Aerleon's ``aclgen`` and ``isc compile`` on inputs of the same size.

Usage::

    pip install -e '.[bench]'                           # Aerleon (never a runtime dependency)
    python benchmarks/aerleon_anchor.py --preset tiny     # 2,000 entries
    python benchmarks/aerleon_anchor.py --preset default  # 50,000 entries
    python benchmarks/aerleon_anchor.py --entries 10000 --repeat 3 --json anchor.json

For N entries (``--entries``, or the URL entries of a ``run.py`` preset) it writes

- an Aerleon policy: ``policies/pol/isc_anchor.pol``, one Juniper filter whose first term
  denies TCP to ``HTTP`` and ``HTTPS`` from ``BENCH_SOURCES``, then an accept-all term; the
  definitions ``def/NETWORK.net`` (``BENCH_SOURCES``: exactly N distinct IPv4 host addresses,
  none adjacent, so no address collapsing can shrink the list) and ``def/SERVICES.svc``;
- an IWSVA export with ``benchmarks/generate.py`` (N URL entries; the preset's number of
  policies, or ``--policies``);

then times, each in a subprocess with a fresh output directory, ``aclgen --base_directory
policies --definitions_directory def --output_directory OUT --max_renderers 1`` (one process,
as isc) and ``isc compile EXPORT -o OUT --target ztsa-ia``, and prints both times (best of
``--repeat``, process start-up included on both sides) and the ratio isc/aerleon. Writing
the inputs is not timed.

The two tools do different work: aclgen renders one address list into a vendor filter,
isc parses a whole policy, lowers it and checks every object against models of both
products. The ratio is an anchor for how isc's cost grows and compares, not a like-for-like
race. If Aerleon is not installed, the script says how to install it and exits 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from run import PRESETS  # noqa: E402

#: The network object holding the N addresses.
NETWORK = "BENCH_SOURCES"
POLICY_NAME = "isc_anchor"
FILTER_NAME = "isc-anchor"
#: The first address; entry i is FIRST + 2 * i (10.0.0.0/8 holds 8,388,608 of them).
FIRST = 10 << 24
MAX_ENTRIES = 1 << 23
INSTALL_HINT = ("Aerleon is not installed: pip install -e '.[bench]' (or pip install "
                "'aerleon>=1.9'), or give --aclgen PATH")


@dataclass(frozen=True)
class AerleonInput:
    """Where :func:`write_aerleon_policy` wrote the policy."""

    base_directory: Path
    """``--base_directory`` of aclgen: holds ``pol/isc_anchor.pol``."""
    definitions_directory: Path
    """``--definitions_directory``: ``NETWORK.net`` and ``SERVICES.svc``."""
    policy: Path
    network: Path
    entries: int


def address(i: int) -> str:
    """Entry ``i`` of ``BENCH_SOURCES``: 10.0.0.0/32, 10.0.0.2/32, ... (never adjacent)."""
    value = FIRST + 2 * i
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}/32"


def write_aerleon_policy(directory: Path, entries: int) -> AerleonInput:
    """Write the Aerleon policy and definitions for ``entries`` addresses under
    ``directory`` (``policies/pol/isc_anchor.pol``, ``def/NETWORK.net``,
    ``def/SERVICES.svc``)."""
    if not 1 <= entries <= MAX_ENTRIES:
        raise ValueError(f"entries must be 1..{MAX_ENTRIES:,}, not {entries:,}")
    base = directory / "policies"
    defs = directory / "def"
    (base / "pol").mkdir(parents=True, exist_ok=True)
    defs.mkdir(parents=True, exist_ok=True)
    network = defs / "NETWORK.net"
    with network.open("w", encoding="ascii", newline="\n") as out:
        out.write(f"# {entries:,} host addresses, written by benchmarks/aerleon_anchor.py\n")
        out.write(f"{NETWORK} =\n")
        for i in range(entries):
            out.write(f"    {address(i)}\n")
    (defs / "SERVICES.svc").write_text("HTTP = 80/tcp\nHTTPS = 443/tcp\n", encoding="ascii")
    policy = base / "pol" / f"{POLICY_NAME}.pol"
    policy.write_text(f"""header {{
  comment:: "isc benchmark anchor: {entries} source addresses"
  target:: juniper {FILTER_NAME} inet
}}

term deny-bench-sources {{
  source-address:: {NETWORK}
  destination-port:: HTTP HTTPS
  protocol:: tcp
  action:: deny
}}

term accept-the-rest {{
  action:: accept
}}
""", encoding="ascii")
    return AerleonInput(base, defs, policy, network, entries)


def find_aclgen(given: str | None) -> list[str] | None:
    """The command that runs aclgen: ``--aclgen``, ``aclgen`` on PATH or next to this
    Python, or ``python -m aerleon``; ``None`` if Aerleon is nowhere."""
    if given:
        return [given]
    for candidate in (shutil.which("aclgen"), Path(sys.executable).parent / "aclgen"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    if importlib.util.find_spec("aerleon") is not None:
        return [sys.executable, "-m", "aerleon"]
    return None


def find_isc(given: str | None) -> list[str]:
    """The command that runs isc: ``--isc``, ``isc`` next to this Python or on PATH, or
    ``python -m isc``."""
    if given:
        return given.split()
    for candidate in (Path(sys.executable).parent / "isc", shutil.which("isc")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    return [sys.executable, "-m", "isc"]


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "?"


def aerleon_version(aclgen: list[str]) -> str:
    """Aerleon's version, asked of the Python that runs ``aclgen`` (its shebang)."""
    python = aclgen[0] if len(aclgen) > 1 else None
    if python is None:
        try:
            with open(aclgen[0], "rb") as fh:
                first = fh.readline(512).decode("utf-8", "replace")
        except OSError:
            return "?"
        if not first.startswith("#!"):
            return "?"
        python = first[2:].strip().split()[0] if first[2:].strip() else None
    if python is None:
        return "?"
    try:
        done = subprocess.run([python, "-c", "from importlib.metadata import version; "
                                             "print(version('aerleon'))"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return done.stdout.strip() or "?" if done.returncode == 0 else "?"


@dataclass
class Timing:
    seconds: list[float]
    timed_out: bool = False

    @property
    def best(self) -> float:
        return min(self.seconds)


def timed(cmd: list[str], log: Path, timeout: float | None) -> float | None:
    """Run ``cmd`` (output to ``log``); its wall time, or ``None`` after ``timeout``.
    Raises :class:`RuntimeError` if it fails."""
    with log.open("wb") as out:
        start = time.perf_counter()
        try:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return None
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {done.returncode}):\n  "
                           + "\n  ".join(tail))
    return elapsed


def _fresh(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def _generate(outdir: Path, policies: int, entries: int, seed: int) -> None:
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(outdir), "--policies",
                    str(policies), "--entries", str(entries), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)


def _elapsed(seconds: float | None, timeout: float | None) -> str:
    return f"{seconds:.3f} s" if seconds is not None else f"> {timeout:g} s (timed out)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="aerleon_anchor.py",
                                 description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--preset", choices=sorted(PRESETS), default=None,
                    help="run.py's web preset: its URL entries and policies "
                         "(tiny 2,000, default 50,000, large 500,000 entries; default: tiny)")
    ap.add_argument("--entries", type=int, help="entries on both sides (overrides --preset)")
    ap.add_argument("--policies", type=int,
                    help="URL filtering policies of the isc export (default: the preset's, "
                         "or 1 per 250 entries with --entries)")
    ap.add_argument("--seed", type=int, default=1, help="generate.py seed (default 1)")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs of each tool (default 1)")
    ap.add_argument("--timeout", type=float, metavar="SECONDS",
                    help="give up on a run of either tool after this long")
    ap.add_argument("--workdir", type=Path, help="write the inputs and outputs here and keep "
                                                 "them (default: a temporary directory)")
    ap.add_argument("--aclgen", help="the aclgen executable (default: aclgen on PATH or next "
                                     "to this Python, else python -m aerleon)")
    ap.add_argument("--isc", help="the isc command (default: isc next to this Python or on "
                                  "PATH, else python -m isc)")
    ap.add_argument("--write-only", action="store_true",
                    help="write the Aerleon policy (and the isc export) into --workdir and "
                         "stop; Aerleon is not needed")
    ap.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    if args.write_only and args.workdir is None:
        ap.error("--write-only needs --workdir")
    preset = args.preset or "tiny"
    policies, entries = PRESETS[preset]
    if args.entries is not None:
        if not 1 <= args.entries <= MAX_ENTRIES:
            ap.error(f"--entries must be 1..{MAX_ENTRIES:,}")
        entries = args.entries
        if args.preset is None:
            policies = max(1, entries // 250)
    if args.policies is not None:
        policies = args.policies
    sized = (f"preset {preset}" if args.entries is None and args.policies is None
             else "custom size")

    aclgen = find_aclgen(args.aclgen)
    if aclgen is None and not args.write_only:
        print(f"aerleon_anchor.py: {INSTALL_HINT}", file=sys.stderr)
        return 2
    isc = find_isc(args.isc)

    with tempfile.TemporaryDirectory(prefix="isc-anchor-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        aer = write_aerleon_policy(work / "aerleon", entries)
        export = work / "isc-export"
        _generate(export, policies, entries, args.seed)
        prepared = time.perf_counter() - start
        if args.write_only:
            print(f"wrote {aer.policy} and {aer.network} ({entries:,} addresses), and the isc "
                  f"export {export} ({policies:,} policies + Global, {entries:,} entries)")
            return 0
        assert aclgen is not None
        print(f"anchor ({sized}): {entries:,} entries on both sides; best of {args.repeat} "
              f"run(s); {platform.python_version()} on {platform.system()} "
              f"{platform.machine()}, {os.cpu_count()} CPUs")
        aer_version = aerleon_version(aclgen)
        print(f"  aerleon {aer_version}: {' '.join(aclgen)} (Juniper filter, one "
              f"term whose source-address {NETWORK} holds {entries:,} addresses)")
        print(f"  isc {_version('isc')}: {' '.join(isc)} compile --target ztsa-ia (IWSVA "
              f"export by generate.py: {policies:,} policies + Global, {entries:,} URL "
              f"entries, seed {args.seed})")
        print(f"  inputs written in {prepared:.2f} s (not timed)")
        runs = {"aerleon": Timing([]), "isc": Timing([])}
        rendered = 0
        try:
            for k in range(args.repeat):
                out = _fresh(work / "aerleon-out")
                aer_s = timed([*aclgen, "--base_directory", str(aer.base_directory),
                               "--definitions_directory", str(aer.definitions_directory),
                               "--output_directory", str(out), "--max_renderers", "1"],
                              work / "aclgen.log", args.timeout)
                if aer_s is None:
                    runs["aerleon"].timed_out = True
                else:
                    runs["aerleon"].seconds.append(aer_s)
                    acl = out / f"{POLICY_NAME}.jcl"
                    if not acl.is_file():
                        raise RuntimeError(f"aclgen wrote no {acl} (see {work / 'aclgen.log'})")
                    rendered = sum(line.strip().endswith("/32;") for line in
                                   acl.read_text(encoding="utf-8").splitlines())
                out = _fresh(work / "isc-out")
                isc_s = timed([*isc, "compile", str(export), "-o", str(out), "--target",
                               "ztsa-ia"], work / "isc.log", args.timeout)
                if isc_s is None:
                    runs["isc"].timed_out = True
                else:
                    runs["isc"].seconds.append(isc_s)
                    if not (out / "ztsa-ia.json").is_file():
                        raise RuntimeError(f"isc compile wrote no ztsa-ia.json (see "
                                           f"{work / 'isc.log'})")
                print(f"  run {k + 1}/{args.repeat}: aclgen {_elapsed(aer_s, args.timeout)}, "
                      f"isc {_elapsed(isc_s, args.timeout)}", file=sys.stderr, flush=True)
        except RuntimeError as exc:
            print(f"aerleon_anchor.py: {exc}", file=sys.stderr)
            return 1

        print()
        print(f"{'tool':<8}  {'best s':>9}  {'median s':>9}  {'entries/s':>10}")
        for tool, t in runs.items():
            if t.seconds:
                print(f"{tool:<8}  {t.best:>9.3f}  {statistics.median(t.seconds):>9.3f}  "
                      f"{entries / t.best:>10,.0f}")
            else:
                print(f"{tool:<8}  {'> ' + format(args.timeout, 'g'):>9}  {'-':>9}  {'-':>10}")
        aer_t, isc_t = runs["aerleon"], runs["isc"]
        ratio: float | None = None
        if aer_t.seconds and isc_t.seconds:
            ratio = isc_t.best / aer_t.best
            print(f"ratio isc/aerleon: {ratio:.1f}x")
        elif aer_t.seconds:
            print(f"ratio isc/aerleon: > {args.timeout / aer_t.best:.1f}x (isc timed out)")
        elif isc_t.seconds:
            print(f"ratio isc/aerleon: < {isc_t.best / args.timeout:.2f}x (aclgen timed out)")
        if rendered and rendered != entries:
            print(f"note: the rendered filter lists {rendered:,} /32 addresses, not {entries:,}")
        if args.json is not None:
            args.json.write_text(json.dumps({
                "date": time.strftime("%Y-%m-%d"),
                "machine": f"Python {platform.python_version()} on {platform.system()} "
                           f"{platform.machine()}, {os.cpu_count()} CPUs",
                "entries": entries, "policies": policies, "seed": args.seed,
                "aerleon": {"version": aer_version, "seconds": aer_t.seconds,
                            "timed_out": aer_t.timed_out, "rendered_addresses": rendered},
                "isc": {"version": _version("isc"), "seconds": isc_t.seconds,
                        "timed_out": isc_t.timed_out},
                "ratio": ratio,
            }, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
