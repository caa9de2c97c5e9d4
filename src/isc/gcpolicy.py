"""The cyclic garbage collector paused while isc builds a policy's objects.

Loading, optimising and compiling an estate allocate millions of small objects that live
until the command ends. CPython's collector scans its youngest generation every 700
allocations and, as the heap grows, the whole heap again and again: on the large web preset
that was 16.7 s of an 84 s `isc compile` (benchmarks/README.md), for nothing, because
almost none of those objects is garbage. Reference counting still frees everything else at
once; cycles made meanwhile wait for the collector, which runs again as soon as the
outermost pause ends. Streaming work (``isc replay``) is not paused: it makes garbage per
event, and its memory must stay flat.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside; the collector's previous state restored on leaving
    (nested pauses leave it off until the outermost one ends)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def pausing(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside :func:`paused`."""
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return fn(*args, **kwargs)
    return run
