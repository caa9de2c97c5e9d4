"""Deciding many probes on both cores (the whole-policy sweep of an estate).

:func:`split` applies a function to the two contiguous halves of a list of items, the
second in a forked child process, and returns the two results in the order of the halves,
so that what follows can merge exactly what one process would have computed: the output
does not depend on the number of cores. The child inherits the parent's indexes (copy on write)
and sends its results back pickled through a pipe.

It falls back to one process when forking is unavailable or unsafe (no ``os.fork``, other
threads running, ``ISC_JOBS=1``), when the work is small, and when the child fails for
any reason: never a different result, at worst the time of one process.

While the other core is taken by a :class:`Server` (its child still computing an answer
for this process, or, in that child, its parent still at work), :func:`split` works here,
a run of items at a time, and splits what is left once the core is free: two processes
busy on two cores run each 30 % slower than one alone, a third would only add to that.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, Final, Generic, TypeVar

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


def can_serve() -> bool:
    """Would a :class:`Server` start a child now (rather than answer in this process)?"""
    return jobs() >= 2 and _can_fork()


def _can_fork() -> bool:
    # forking with other threads alive can leave a lock held forever in the child
    return hasattr(os, "fork") and sys.platform != "win32" and threading.active_count() == 1


#: The buffer of each end of a pipe that carries a server's answers.
_PIPE_BUFFER: Final = 1 << 20

#: While the other core is taken, :func:`split` works on runs of 1/RUNS of the items.
RUNS: Final = 32


def _readable(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True  # a closed pipe: nobody is working at its other end


class _Core:
    """Whether the other core is taken by a :class:`Server`: here, its child is computing
    an answer; in that child, its parent is at work (it says when it waits)."""

    def __init__(self) -> None:
        #: this process's servers whose child is alive
        self.servers: list[Server[Any, Any, Any]] = []
        #: in a server's child: the pipe on which the parent says it waits, and whether it
        #: has said so since the last answer
        self.idle_fd = -1
        self.parent_idle = False

    def taken(self) -> bool:
        if self.idle_fd >= 0:
            if not self.parent_idle and _readable(self.idle_fd):
                self.parent_idle = True
            return not self.parent_idle
        return any(s._working() for s in self.servers)

    def answered(self) -> None:
        """In a server's child, an answer was sent: the parent is at work again (a wait
        it announced before is over)."""
        while _readable(self.idle_fd):
            if not os.read(self.idle_fd, 4096):
                break
        self.parent_idle = False


_CORE = _Core()


def split(fn: Callable[[Sequence[T]], R], items: Sequence[T], *,
          min_split: int | None = None) -> list[tuple[int, R]]:
    """``[(0, fn(items))]``, or ``[(0, fn(first half)), (h, fn(second half))]`` (``h``
    where the second half starts), the second half in a child process when that pays.
    While the other core is taken (module doc), runs of items come first, each computed
    here: ``[(0, fn(run)), (k, fn(next run)), ..., (h, fn(second half))]``. ``fn`` folds a
    run of items into one result that must pickle (keep it small: it is sent back); each
    part may run in its own process, so ``fn`` must not depend on side effects of another
    part. Callers merge the parts in order."""
    least = MIN_SPLIT if min_split is None else min_split
    if len(items) < max(least, 2) or jobs() < 2 or not _can_fork():
        return [(0, fn(items))]
    parts: list[tuple[int, R]] = []
    start = 0
    run = max(len(items) // RUNS, 1)
    while _CORE.taken():
        if len(items) - start < max(least, 2):
            return [*parts, (start, fn(items[start:]))]
        parts.append((start, fn(items[start:start + run])))
        start += run
    if start:
        return parts + [(start + offset, result) for offset, result in
                        split(fn, items[start:], min_split=min_split)]
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


S = TypeVar("S")
Q = TypeVar("Q")


class Server(Generic[S, Q, R]):
    """Work started now in a forked child and answered later: the whole-policy sweep runs
    while this process computes per-object fidelity, so neither waits for the other.

    The child builds its state once (``setup()``) and answers each request with
    ``handle(state, request)``, in the order asked. Requests and answers travel pickled
    through pipes; the child may split its own work with :func:`split`.

    Without a child (``ISC_JOBS=1``, no fork, other threads running) every answer is
    computed here, when it is read. When the child fails in any way (dies, raises, sends
    something unreadable), the answer it owed and every later one are computed here too:
    never a different answer, at worst the time of one process. :meth:`close` ends the
    child; use the server in a ``with`` block so that an error here ends it as well."""

    def __init__(self, setup: Callable[[], S], handle: Callable[[S, Q], R]) -> None:
        self._setup = setup
        self._handle = handle
        self._state: list[S] = []
        #: asked, not yet answered, oldest first
        self._asked: list[Q] = []
        #: answers read from the child before they were wanted (see :meth:`ask`)
        self._read: list[R] = []
        self._pid = 0
        self._to = self._from = self._idle = -1
        self._answers: BinaryIO | None = None
        if can_serve():
            self._start()

    def _start(self) -> None:
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        idle_r, idle_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (req_r, req_w, rep_r, rep_w, idle_r, idle_w):
                os.close(fd)
            return
        if pid == 0:  # the child: answer until the parent closes its end
            status = 1
            try:
                for fd in (req_w, rep_r, idle_w):
                    os.close(fd)
                _CORE.servers = []
                _CORE.idle_fd, _CORE.parent_idle = idle_r, False
                state = self._setup()
                out = os.fdopen(rep_w, "wb", buffering=_PIPE_BUFFER)
                while (message := _receive(req_r)) is not None:
                    try:
                        answer = self._handle(state, pickle.loads(message))
                    except Exception:  # the parent computes it and sees the error itself
                        out.write(b"e")
                    else:
                        out.write(b"k")
                        # pickled straight into the pipe, never held whole: an estate's
                        # answer is tens of MB, and the child's peak memory is set here
                        pickle.dump(answer, out, pickle.HIGHEST_PROTOCOL)
                        del answer
                    out.flush()
                    _CORE.answered()
                status = 0
            finally:
                os._exit(status)
        for fd in (req_r, rep_w, idle_r):
            os.close(fd)
        os.set_blocking(idle_w, False)  # a full pipe already says the parent waits
        self._pid, self._to, self._from, self._idle = pid, req_w, rep_r, idle_w
        self._answers = os.fdopen(rep_r, "rb", buffering=_PIPE_BUFFER)
        _CORE.servers.append(self)

    def _working(self) -> bool:
        """Is the child computing an answer not yet sent?"""
        return bool(self._pid) and len(self._read) < len(self._asked) \
            and not _readable(self._from)

    def ask(self, request: Q) -> None:
        """Queue a request; the child starts on it at once. Answers still owed are read
        first (a child blocked writing a large answer would never read a new request)."""
        if self._pid:
            while len(self._read) < len(self._asked) and self._pid:
                self._collect()
            if self._pid:
                try:
                    _send(self._to, pickle.dumps(request, pickle.HIGHEST_PROTOCOL))
                except OSError:
                    self._stop()
        self._asked.append(request)

    def answer(self) -> R:
        """The answer to the oldest request not yet answered."""
        if not self._asked:
            raise IndexError("no request is waiting for an answer")
        if not self._read and self._pid:
            if self._working():  # this process waits: the child may use the other core
                with contextlib.suppress(OSError):
                    os.write(self._idle, b"w")
            self._collect()
        request = self._asked.pop(0)
        if self._read:
            return self._read.pop(0)
        if not self._state:
            self._state.append(self._setup())
        return self._handle(self._state[0], request)

    def _collect(self) -> None:
        """Read the child's next answer; on any failure stop using the child."""
        try:
            if self._answers is None or self._answers.read(1) != b"k":
                raise OSError("the child did not answer")
            self._read.append(pickle.load(self._answers))
        except Exception:
            self._stop()

    def _stop(self) -> None:
        if not self._pid:
            return
        for fd in (self._to, self._idle):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._answers is not None:  # it owns the answers' end of the pipe
            with contextlib.suppress(OSError):
                self._answers.close()
            self._answers = None
        if self in _CORE.servers:
            _CORE.servers.remove(self)
        with contextlib.suppress(OSError):
            os.kill(self._pid, signal.SIGKILL)  # a child still working is not waited for
        with contextlib.suppress(OSError):
            os.waitpid(self._pid, 0)
        self._pid = 0
        self._to = self._from = self._idle = -1

    @property
    def forked(self) -> bool:
        """Whether a child is (still) answering."""
        return bool(self._pid)

    def close(self) -> None:
        """End the child (it is killed if it is still working)."""
        self._stop()

    def __enter__(self) -> Server[S, Q, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _send(fd: int, data: bytes) -> None:
    """One message: its length, then its bytes."""
    for part in (len(data).to_bytes(8, "little"), data):
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks: list[bytes] = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int) -> bytes | None:
    """One message, or None at the end of the pipe."""
    head = _read_exactly(fd, 8)
    if head is None:
        return None
    return _read_exactly(fd, int.from_bytes(head, "little"))
