"""Back-ends: IR → target IR → JSON. A registry maps target names to compile functions."""

from __future__ import annotations

TARGETS = ("ztsa-ia", "ems")
