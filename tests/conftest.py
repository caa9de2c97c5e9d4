"""Shared test set-up: hypothesis profiles, the golden-file flag, tests/ and benchmarks/ on
sys.path (benchmarks/logwriters.py writes the log lines both replay tests and the replay
benchmark use)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent / "benchmarks"))

settings.register_profile(
    "ci", deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def split_parts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many parts each call of ``isc.workers.split`` returned in this process, in
    order (halves, or runs while a server's other side worked)."""
    from isc import workers

    parts: list[int] = []
    real = workers.split

    def counting(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        parts.append(len(found))
        return found

    monkeypatch.setattr(workers, "split", counting)
    return parts
