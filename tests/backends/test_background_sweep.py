"""The whole-policy sweep starts before per-object fidelity, on the policy as lowered (the
draft), and its answers stand for the policy written: a decision reads an object's source,
never the directions fidelity adds (issue 9)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import isc
from isc.ir.web import WebPolicy
from isc.models import ztsa
from strategies import web_policies

lowering = importlib.import_module("isc.backends.ztsa_ia.lower")
_ALIKE = ztsa.decided_alike
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "iwsva-sakura" / "export"


def _lower_recording(web: WebPolicy, monkeypatch: pytest.MonkeyPatch
                     ) -> tuple[list[Any], list[bool], Any]:
    wholes: list[Any] = []
    alike: list[bool] = []
    real_init, real_alike = lowering.Whole.__init__, ztsa.decided_alike

    def init(self: Any, *args: Any) -> None:
        real_init(self, *args)
        wholes.append(self)

    def recording(old: Any, new: Any) -> bool:
        alike.append(real_alike(old, new))
        return alike[-1]

    monkeypatch.setattr(lowering.Whole, "__init__", init)
    monkeypatch.setattr(lowering.ztsa, "decided_alike", recording)
    policy, *_ = lowering.lower(web, lambda s: s, lowering.Options())
    monkeypatch.undo()
    return wholes, alike, policy


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(web_policies())
def test_the_draft_decides_as_the_policy_written(monkeypatch: pytest.MonkeyPatch,
                                                 web: WebPolicy) -> None:
    monkeypatch.setenv("ISC_JOBS", "1")
    wholes, alike, written = _lower_recording(web, monkeypatch)
    # one Whole, on the draft: the policies decided alike, so no second one was needed
    assert alike == [True] and len(wholes) == 1
    draft = wholes[0]
    assert draft.policy is not written
    again = lowering.Whole(web, written, draft.identity_map)
    assert again.sweep() == draft.sweep()
    probes = [req for req, _, _ in draft.sweep().differing][:20]
    assert again.decide_all(probes) == draft.decide_all(probes)


def test_the_example_takes_the_background_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    web = isc.load(EXAMPLE).web
    assert web is not None
    monkeypatch.setenv("ISC_JOBS", "1")  # the draft's Whole is made here, not in a child
    wholes, alike, _ = _lower_recording(web, monkeypatch)
    assert alike == [True] and len(wholes) == 1


def test_a_policy_that_decides_otherwise_is_swept_again(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Were fidelity ever to change what a decision reads, the sweep is of the policy
    written, not of the draft."""
    web = isc.load(EXAMPLE).web
    assert web is not None
    monkeypatch.setattr(lowering.ztsa, "decided_alike", lambda old, new: False)
    wholes: list[Any] = []
    real_init = lowering.Whole.__init__

    def init(self: Any, *args: Any) -> None:
        real_init(self, *args)
        wholes.append(self)

    monkeypatch.setenv("ISC_JOBS", "1")  # the draft's Whole is made here, not in a child
    monkeypatch.setattr(lowering.Whole, "__init__", init)
    policy, *_ = lowering.lower(web, lambda s: s, lowering.Options())
    # in one process the draft's answers are computed only when read: they never are, and
    # the one Whole is of the policy written
    assert len(wholes) == 1 and _ALIKE(wholes[0].policy, policy)
    monkeypatch.undo()
    assert isc.dumps(isc.compile(isc.load(EXAMPLE), "ztsa-ia")) == isc.dumps(
        _compile_with(monkeypatch, lambda old, new: False))


def _compile_with(monkeypatch: pytest.MonkeyPatch, alike: Any) -> Any:
    monkeypatch.setattr(lowering.ztsa, "decided_alike", alike)
    try:
        return isc.compile(isc.load(EXAMPLE), "ztsa-ia")
    finally:
        monkeypatch.undo()


def test_decided_alike_reads_every_field() -> None:
    """A change in any field but the directions is a policy that may decide otherwise."""
    web = isc.load(EXAMPLE).web
    assert web is not None
    policy, *_ = lowering.lower(web, lambda s: s, lowering.Options())
    assert ztsa.decided_alike(policy, policy)
    import attrs
    for field in attrs.fields(type(policy)):
        objects = getattr(policy, field.name)
        if not objects:
            continue
        first = objects[0]
        name = next(f.name for f in attrs.fields(type(first)) if f.name != "meta")
        value = getattr(first, name)
        if isinstance(value, str):
            changed = attrs.evolve(first, **{name: value + "x"})
        elif isinstance(value, bool):
            changed = attrs.evolve(first, **{name: not value})
        else:
            continue
        other = attrs.evolve(policy, **{field.name: (changed, *objects[1:])})
        assert not ztsa.decided_alike(policy, other), field.name
