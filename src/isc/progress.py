"""What a long command is doing, for a person watching a terminal.

One status line on stderr, rewritten in place (``\\r`` and erase-line), cleared when the
command ends, so that it never mixes with diagnostics or summaries. It is shown only when
stderr is a terminal and ``--quiet`` was not given: a pipe, a log file or CI sees nothing
of it. Updates are throttled, so that reporting never costs more than the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

#: Seconds between two rewrites of the line (a count may be told millions of times).
_INTERVAL = 0.1


class Progress:
    """The status line of one command (``isc compile``, ``verify``, ``report``)."""

    def __init__(self, stream: TextIO, enabled: bool, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.enabled = enabled
        self.clock = clock
        self.shown = False
        self.last = float("-inf")
        self.text = ""

    @classmethod
    def for_stream(cls, stream: TextIO, quiet: bool = False) -> Progress:
        """Shown on ``stream`` only when it is a terminal and not ``quiet``."""
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):  # closed or not a file
            tty = False
        return cls(stream, tty and not quiet)

    def stage(self, text: str) -> None:
        """A new stage begins: always shown (stages are few)."""
        self._show(text, force=True)

    def count(self, text: str, done: int, total: int | None = None) -> None:
        """Progress inside a stage: ``done`` of ``total`` (throttled)."""
        shown = f"{text} {done:,}" + (f"/{total:,}" if total else "")
        self._show(shown, force=total is not None and done >= total)

    def done(self) -> None:
        """Clear the line: what follows starts on a clean line."""
        if self.enabled and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def _show(self, text: str, force: bool) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and now - self.last < _INTERVAL:
            return
        self.last = now
        self.text = text
        self.stream.write(f"\r\x1b[Kisc: {text}…")
        self.stream.flush()
        self.shown = True


__all__ = ["Progress"]
