"""``api.documents``: what ``compile`` writes, each document validated in a second process
while this one makes the report; the same documents and report as ``to_json`` and
``report_json``, and an invalid document still refused."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

import isc
from isc.errors import DocumentError

api = importlib.import_module("isc.api")
ROOT = Path(__file__).resolve().parents[1]


def _outputs() -> list[Any]:
    export = isc.optimize(isc.load(ROOT / "examples" / "iwsva-sakura" / "export",
                                   ROOT / "examples" / "imsva-kaede" / "export"))
    return [isc.compile(export, "ztsa-ia"), isc.compile(export, "ems")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_documents_are_those_of_to_json_and_report_json(
        jobs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISC_JOBS", jobs)
    outputs = _outputs()
    servers: list[bool] = []
    real = api.workers.Server

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            servers.append(self.forked)

    monkeypatch.setattr(api.workers, "Server", Recording)
    docs, report = api.documents(*outputs)
    # the check ran in a second process where there can be one
    assert servers == [jobs == "2"]
    monkeypatch.setattr(api.workers, "Server", real)
    assert list(docs) == ["ztsa-ia.json", "ems.json"]
    again = _outputs()
    assert docs == {name: api.to_json(o) for name, o in zip(docs, again, strict=True)}
    assert report == api.report_json(*again)
    assert api.dumps_document(report) == api.dumps_report(*again)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_invalid_document_is_refused_and_not_kept(
        jobs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check runs beside the report, but an invalid document raises as before, and
    ``to_json`` never hands it out unchecked afterwards."""
    monkeypatch.setenv("ISC_JOBS", jobs)
    outputs = _outputs()
    real = api.dump_ems

    def broken(output: Any) -> dict[str, Any]:
        doc = real(output)
        doc["rules"] = "not a list"
        return doc

    monkeypatch.setattr(api, "dump_ems", broken)
    with pytest.raises(DocumentError):
        api.documents(*outputs)
    with pytest.raises(DocumentError):
        api.to_json(outputs[1])
    assert api.to_json(outputs[0])["schema"] == "isc/ztsa-ia/1"  # the valid one is fine
