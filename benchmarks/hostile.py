#!/usr/bin/env python3
"""Time and memory of every hostile-input case of the corpus (tests/corpus/), each run as
``isc`` in a subprocess, as the tests run it (tests/test_corpus.py). The tests only assert
that each case finishes with the right diagnostics; this prints how long it took and how
much memory it needed, the figures docs/security.md records.

    python benchmarks/hostile.py                 # every case
    python benchmarks/hostile.py keywords patterns   # only these areas
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_corpus import cases, run_case  # noqa: E402


def main(argv: list[str]) -> int:
    areas = set(argv)
    rows = []
    for case in cases():
        if areas and case.parent.name not in areas:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            _, result = run_case(case, Path(tmp))
            took = time.perf_counter() - start
        rows.append((f"{case.parent.name}/{case.name}", took, result.rss_mib, result.returncode))
        print(f"{rows[-1][0]:<60} {took:7.2f} s {result.rss_mib:7.0f} MiB  "
              f"exit {result.returncode}", flush=True)
    if rows:
        slowest = max(rows, key=lambda r: r[1])
        largest = max(rows, key=lambda r: r[2])
        print(f"\n{len(rows)} cases; slowest {slowest[0]} {slowest[1]:.2f} s; "
              f"most memory {largest[0]} {largest[2]:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
