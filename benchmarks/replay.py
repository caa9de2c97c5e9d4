"""Benchmark of ``isc replay`` (issue 13): log lines per second end to end and peak memory,
against the compiled policy of a generated preset.

For each size, this generates a preset export (``generate.py``), compiles it with the
``isc`` CLI, writes a log of that many lines (requests drawn from the policy's own probe
pool, so that logs repeat themselves as real ones do), and times ``isc replay`` in a child
process: wall time, lines per second and the child's peak RSS. Memory should stay flat from
10^5 to 10^6 lines (the replay streams). Mail messages come from the probe pool without its
messages of hundreds of recipients (probes of recipient-count criteria, not traffic).

    python benchmarks/replay.py --product web --format syslog --lines 100000 1000000
    python benchmarks/replay.py --product web --format json --lines 100000
    python benchmarks/replay.py --product mail --format imsva --lines 100000 1000000

Formats: web ``syslog`` (IWSVA access tracking) or ``json`` (isc's JSON lines, every field
stated, so every event is decided); mail ``imsva`` (polevt and msgtra, two lines a message)
or ``json``.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import logwriters  # noqa: E402


def _export(product: str, where: Path, seed: int) -> Path:
    out = where / f"{product}-export"
    argv = [sys.executable, str(HERE / "generate.py"), str(out), "--seed", str(seed)]
    if product == "mail":
        argv += ["--product", "mail"]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return out


def _compile(export: Path, where: Path) -> Path:
    out = where / "out"
    subprocess.run([sys.executable, "-m", "isc", "compile", str(export), "-o", str(out), "-q"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def _log(product: str, fmt: str, export: Path, out: Path, lines: int, where: Path,
         seed: int) -> Path:
    import isc
    from isc.backends.ems.probes import policy_pool as mail_pool
    from isc.backends.ztsa_ia.probes import policy_pool as web_pool

    rng = random.Random(seed)
    policy = isc.load(str(export))
    path = where / f"{product}-{fmt}-{lines}.log"
    with path.open("w", encoding="utf-8") as f:
        if product == "web":
            pool = [logwriters.timed(r) for r in web_pool(policy.web, limit=5000, seed=seed)]
            for n in range(1, lines + 1):
                r = rng.choice(pool)
                f.write((logwriters.access_line(r, n) if fmt == "syslog"
                         else logwriters.web_json_line(r)) + "\n")
        else:
            doc = isc.load(str(out / "ems.json")).document
            # the probe pool's messages of 999 recipients (for recipient-count criteria)
            # are not traffic: a logged message has a few recipients
            pool = [logwriters.settled(m)
                    for m in mail_pool(policy.mail, doc, limit=3000, seed=seed)
                    if len(m.recipients) <= 10]
            if fmt == "json":
                for _ in range(lines):
                    f.write(logwriters.mail_json_line(rng.choice(pool)) + "\n")
            else:
                # polevt and msgtra in one interleaved stream is not how IMSVA writes them:
                # two files, each message's lines near in time
                path = where / f"mail-imsva-{lines}"
                path.mkdir()
                with (path / "polevt.imss.20261130.0001").open("w", encoding="utf-8") as p, \
                        (path / "msgtra.imss.20261130.0001").open("w", encoding="utf-8") as t:
                    for n in range(1, lines // 2 + 1):
                        m = rng.choice(pool)
                        p.write(logwriters.polevt_line(m, n) + "\n")
                        t.write(logwriters.msgtra_line(m, n) + "\n")
    return path


#: Runs ``isc replay`` in this child and reports its own peak RSS (the compile child's
#: must not count).
_CHILD = ("import resource, sys\n"
          "from isc.cli import main\n"
          "rc = main(sys.argv[1:])\n"
          "sys.stderr.write(f'\\nMAXRSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
          "sys.exit(rc)\n")


def _replay(export: Path, out: Path, log: Path) -> tuple[float, float, dict[str, object]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, "replay", str(export), "--against",
                           str(out), "--log", str(log), "--format", "json", "-q"],
                          check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"isc replay failed: {done.stderr[-2000:]}")
    rss = int(done.stderr.rsplit("MAXRSS ", 1)[1].split()[0])
    return seconds, rss / 1024, json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--product", choices=("web", "mail"), default="web")
    ap.add_argument("--format", choices=("syslog", "json", "imsva"), default=None)
    ap.add_argument("--lines", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    fmt = args.format or ("syslog" if args.product == "web" else "imsva")
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        export = _export(args.product, where, args.seed)
        out = _compile(export, where)
        print(f"{args.product} default preset, {fmt} logs")
        print("| lines | seconds | lines/s | peak RSS MiB | buckets |")
        print("|---|---|---|---|---|")
        for n in args.lines:
            log = _log(args.product, fmt, export, out, n, where, args.seed)
            seconds, rss, doc = _replay(export, out, log)
            events = doc["events"]
            assert isinstance(events, dict)
            buckets = ", ".join(f"{v} {k}" for k, v in events.items() if v)
            print(f"| {n:,} | {seconds:.2f} | {n / seconds:,.0f} | {rss:,.0f} | {buckets} |",
                  flush=True)


if __name__ == "__main__":
    main()
