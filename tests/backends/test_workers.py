"""Deciding on both cores gives exactly what one process gives (issue 9)."""

from __future__ import annotations

import importlib
import os
import time
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
        monkeypatch: pytest.MonkeyPatch, split_parts: list[int]) -> None:
    export = isc.load(EXAMPLE)

    def documents(jobs: str, min_split: int) -> tuple[str, str]:
        monkeypatch.setenv("ISC_JOBS", jobs)
        monkeypatch.setattr(workers, "MIN_SPLIT", min_split)
        monkeypatch.setattr(comparison, "_MIN_SPLIT", min_split)
        out = isc.compile(export, "ztsa-ia")
        return isc.dumps(out), isc.dumps_report(out)

    calls = split_parts
    servers: list[bool] = []
    real_server = workers.Server

    def server(*args: object, **kwargs: object) -> object:
        made = real_server(*args, **kwargs)  # type: ignore[arg-type]
        servers.append(made.forked)
        return made

    lower = importlib.import_module("isc.backends.ztsa_ia.lower")
    monkeypatch.setattr(lower.workers, "Server", server)
    one = documents("1", 2)
    # the fidelity stage, the sweep and the witnesses in the whole policy, all here
    assert calls and set(calls) == {1} and servers == [False]
    calls.clear()
    servers.clear()
    two = documents("2", 2)
    # the fidelity stage splits here (in runs while the server holds the other core); the
    # sweep and the witnesses run in the server
    assert len(calls) == 1 and calls[0] >= 2 and servers == [True]
    assert one == two


def _pids(part: list[int] | tuple[int, ...]) -> list[tuple[int, int]]:
    time.sleep(0.02)  # a run long enough for the other process to say it waits
    return [(os.getpid(), x) for x in part]


def _split_here(state: int, n: int) -> list[tuple[int, list[tuple[int, int]]]]:
    return workers.split(_pids, list(range(n)), min_split=2)


def test_split_works_in_runs_here_while_a_server_child_works(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", "2")
    items = list(range(64))
    with workers.Server(lambda: 0, lambda state, seconds: time.sleep(seconds)) as server:
        server.ask(5.0)  # the child holds the other core for longer than the split takes
        parts = workers.split(_pids, items, min_split=2)
        assert len(parts) > 2  # runs, in order, each computed here
        assert [x for _, part in parts for _, x in part] == items
        assert {pid for _, part in parts for pid, _ in part} == {os.getpid()}
        server.close()
    parts = workers.split(_pids, items, min_split=2)  # the other core is free: halves
    assert [start for start, _ in parts] == [0, 32]
    assert len({pid for _, part in parts for pid, _ in part}) == 2


def test_a_server_child_splits_only_while_its_parent_waits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", "2")
    with workers.Server(lambda: 0, _split_here) as server:
        server.ask(64)
        time.sleep(3)  # this process is busy: the child computes every run itself
        busy = server.answer()
        server.ask(64)  # this process waits at once: the child splits what is left
        waiting = server.answer()
    for parts in (busy, waiting):
        assert [x for _, part in parts for _, x in part] == list(range(64))
    assert len({pid for _, part in busy for pid, _ in part}) == 1
    assert len({pid for _, part in waiting for pid, _ in part}) == 2


def _square_all(state: int, request: tuple[int, ...]) -> list[int]:
    return [x * x + state for x in request]


def test_a_server_answers_in_the_order_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    for jobs in ("1", "2"):
        monkeypatch.setenv("ISC_JOBS", jobs)
        with workers.Server(lambda: 1, _square_all) as server:
            assert server.forked is (jobs == "2")
            server.ask((1, 2))
            server.ask(tuple(range(50_000)))  # an answer larger than a pipe holds
            assert server.answer() == [2, 5]
            server.ask((3,))
            assert server.answer() == [x * x + 1 for x in range(50_000)]
            assert server.answer() == [10]
            with pytest.raises(IndexError):
                server.answer()
        assert not server.forked


def test_a_failing_server_is_answered_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", "2")
    parent = os.getpid()

    def raising(state: int, request: tuple[int, ...]) -> list[int]:
        if os.getpid() != parent and request == (2,):
            raise RuntimeError("the child fails")
        return _square_all(state, request)

    def dying(state: int, request: tuple[int, ...]) -> list[int]:
        if os.getpid() != parent:
            os._exit(3)
        return _square_all(state, request)

    def failing_setup() -> int:
        if os.getpid() != parent:
            raise RuntimeError("no state in the child")
        return 1

    for setup, handle in ((lambda: 1, raising), (lambda: 1, dying), (failing_setup, _square_all)):
        with workers.Server(setup, handle) as server:
            assert server.forked
            for request in ((1,), (2,), (3,)):
                server.ask(request)
            assert [server.answer() for _ in range(3)] == [[2], [5], [10]]
            server.ask((4,))
            assert server.answer() == [17]


def test_an_error_here_is_the_error_of_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", "2")

    def broken(state: int, request: tuple[int, ...]) -> list[int]:
        raise ValueError(f"bad request {request}")

    with workers.Server(lambda: 1, broken) as server:
        server.ask((1,))
        with pytest.raises(ValueError, match="bad request"):
            server.answer()


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
