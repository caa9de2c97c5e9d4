"""Deciding many probes on both cores (the whole-policy sweep of an estate).

:func:`split` applies a function to the two contiguous halves of a list of items, the
second in a forked child process, and returns the two results in the order of the halves,
so that what follows can merge exactly what one process would have computed: the output
does not depend on the number of cores. The child inherits the parent's indexes (copy on write)
and sends its results back pickled through a pipe.

It falls back to one process when forking is unavailable or unsafe (no ``os.fork``, other
threads running, ``ISC_JOBS=1``), when the work is small, and when the child fails for
any reason: never a different result, at worst the time of one process.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Below this many items one process is faster than forking and pickling.
MIN_SPLIT: Final = 20_000


def jobs() -> int:
    """How many processes to use: ``ISC_JOBS`` if set (1 turns the split off), else 2 when
    the machine has two cores or more."""
    value = os.environ.get("ISC_JOBS", "").strip()
    if value.isdigit() and int(value) >= 1:
        return min(int(value), 2)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _can_fork() -> bool:
    # forking with other threads alive can leave a lock held forever in the child
    return hasattr(os, "fork") and sys.platform != "win32" and threading.active_count() == 1


def split(fn: Callable[[Sequence[T]], R], items: Sequence[T], *,
          min_split: int | None = None) -> list[tuple[int, R]]:
    """``[(0, fn(items))]``, or ``[(0, fn(first half)), (h, fn(second half))]`` (``h``
    where the second half starts), the second half in a child process when that pays.
    ``fn`` folds a run of items into one result that must pickle (keep it small: it is
    sent back); each half runs in its own process, so ``fn`` must not depend on side
    effects of the other half."""
    least = MIN_SPLIT if min_split is None else min_split
    if len(items) < max(least, 2) or jobs() < 2 or not _can_fork():
        return [(0, fn(items))]
    half = len(items) // 2
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return [(0, fn(items))]
    if pid == 0:  # the child: compute the second half, send it, and leave at once
        status = 1
        try:
            os.close(read)
            data = pickle.dumps(fn(items[half:]), pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)  # no atexit handlers, no flushing of the parent's buffers
    os.close(write)
    first = fn(items[:half])
    chunks: list[bytes] = []
    with os.fdopen(read, "rb") as src:
        while chunk := src.read(1 << 20):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return [(0, first), (half, fn(items[half:]))]
    try:
        second: R = pickle.loads(b"".join(chunks))
    except Exception:  # a child that died half-way: compute it here
        return [(0, first), (half, fn(items[half:]))]
    return [(0, first), (half, second)]


def map_items(fn: Callable[[T], R], items: Sequence[T], *, min_split: int | None = None,
              alternate: bool = False) -> list[R]:
    """``[fn(x) for x in items]``, the halves on both cores (:func:`split`), the results in
    the order of ``items``. ``alternate`` gives every other item to each process (where
    expensive items come in runs)."""
    order = list(range(len(items)))
    if alternate:
        order = order[0::2] + order[1::2]
    out: list[Any] = [_UNSET] * len(items)
    for start, part in split(lambda idx: [fn(items[i]) for i in idx], order,
                             min_split=min_split):
        for j, result in enumerate(part):
            out[order[start + j]] = result
    assert _UNSET not in out
    return out


_UNSET: Final = object()
