"""Deciding on both cores gives exactly what one process gives (issue 9)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

import isc
from isc import workers
from isc.backends import comparison

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "iwsva-sakura" / "export"


def _fold(part: list[int] | tuple[int, ...]) -> list[int]:
    return [x * x for x in part]


def test_a_split_returns_both_halves_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", "2")
    items = list(range(101))
    parts = workers.split(_fold, items, min_split=2)
    assert [start for start, _ in parts] == [0, 50]
    assert [x for _, part in parts for x in part] == [x * x for x in items]


def test_map_items_keeps_the_order_of_the_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", "2")
    items = list(range(101))
    for alternate in (False, True):
        assert workers.map_items(lambda x: x * x, items, min_split=2,
                                 alternate=alternate) == [x * x for x in items]
    assert workers.map_items(lambda x: x, [], min_split=2) == []


def test_one_job_or_little_work_stays_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", "1")
    assert workers.split(_fold, list(range(10)), min_split=2) == [(0, _fold(list(range(10))))]
    monkeypatch.setenv("ISC_JOBS", "2")
    assert len(workers.split(_fold, list(range(10)))) == 1  # under MIN_SPLIT


def test_a_failing_child_is_done_again_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", "2")
    parent = os.getpid()

    def fold(part: list[int] | tuple[int, ...]) -> list[int]:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return _fold(part)

    parts = workers.split(fold, list(range(20)), min_split=2)
    assert [x for _, part in parts for x in part] == [x * x for x in range(20)]


def test_two_cores_write_the_same_documents(
        monkeypatch: pytest.MonkeyPatch) -> None:
    export = isc.load(EXAMPLE)

    def documents(jobs: str, min_split: int) -> tuple[str, str]:
        monkeypatch.setenv("ISC_JOBS", jobs)
        monkeypatch.setattr(workers, "MIN_SPLIT", min_split)
        monkeypatch.setattr(comparison, "_MIN_SPLIT", min_split)
        out = isc.compile(export, "ztsa-ia")
        return isc.dumps(out), isc.dumps_report(out)

    calls: list[int] = []
    real = workers.split

    def counting(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(len(result))
        return result

    monkeypatch.setattr(importlib.import_module("isc.backends.ztsa_ia.lower").workers,
                        "split", counting)
    one = documents("1", 2)
    assert calls and set(calls) == {1}
    calls.clear()
    two = documents("2", 2)
    # the fidelity stage, the sweep and the witnesses in the whole policy split
    assert len(calls) == 3 and set(calls) == {2}
    assert one == two


def test_verify_on_two_cores_finds_the_same(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    export = isc.load(EXAMPLE)
    out = isc.compile(export, "ztsa-ia")
    (tmp_path / "ztsa-ia.json").write_text(isc.dumps(out), encoding="utf-8")
    (tmp_path / "report.json").write_text(isc.dumps_report(out), encoding="utf-8")
    monkeypatch.setattr(workers, "MIN_SPLIT", 2)

    def findings(jobs: str) -> list[object]:
        monkeypatch.setenv("ISC_JOBS", jobs)
        (result,) = isc.verify(export, str(tmp_path))
        return [(f.probe, f.source, f.target, f.directions, f.declared) for f in result.findings]

    one, two = findings("1"), findings("2")
    assert one and one == two
