"""``verify`` of an unedited document reuses what compile's sweep decided (issue 9): the
findings are exactly those of deciding the whole pool again, and any edit, of a value or of a
tag alone, makes verify decide everything."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import isc
from isc.backends.ztsa_ia import verify as web_verify

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "iwsva-sakura" / "export"
api = importlib.import_module("isc.api")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated export of 12 policies and 1,500 entries (the benchmark's generator)."""
    out = tmp_path_factory.mktemp("gen") / "export"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(out),
                    "--policies", "12", "--entries", "1500", "--seed", "5"], check=True,
                   capture_output=True)
    return out


def _outdir(export: isc.Export, where: Path, target: str = "ztsa-ia") -> Path:
    out = isc.compile(isc.optimize(export), target)
    where.mkdir(parents=True, exist_ok=True)
    (where / f"{target}.json").write_text(isc.dumps(out), encoding="utf-8")
    (where / "report.json").write_text(isc.dumps_report(out), encoding="utf-8")
    return where


def _findings(export: isc.Export, outdir: Path, **kwargs: Any
              ) -> tuple[int, list[tuple[Any, ...]]]:
    (result,) = isc.verify(export, str(outdir), **kwargs)
    return result.probes, [(f.probe, f.source, f.target, f.directions, f.declared, f.compiled,
                            f.edited) for f in result.findings]


def _recount(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each time verify asks for the reuse: whether it got it."""
    calls: list[int] = []
    real = web_verify.verify_swept

    def counting(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(api.web_verify, "verify_swept", counting)
    return calls


@pytest.mark.parametrize("which", ["example", "generated"])
def test_reused_findings_equal_deciding_the_pool_again(
        which: str, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = isc.load(EXAMPLE if which == "example" else generated)
    outdir = _outdir(export, tmp_path / "out")
    calls = _recount(monkeypatch)
    extra = [isc.WebRequest("http://www.example.com/", client="10.1.2.3")]
    fast = _findings(export, outdir, requests=extra)
    assert calls == [True]
    monkeypatch.setattr(api.web_verify, "verify_swept", lambda *a, **k: None)
    slow = _findings(export, outdir, requests=extra)
    assert fast == slow
    assert fast[1], "the example and the generated export both have declared differences"
    # the premise of the reuse: the document read back is the compiled one
    given = isc.load(str(outdir / "ztsa-ia.json"))
    assert isinstance(given, isc.Output)
    assert given.document == isc.compile(isc.optimize(export), "ztsa-ia").document


MAIL_EXAMPLE = ROOT / "examples" / "imsva-kaede" / "export"


@pytest.mark.parametrize("which", ["example", "generated"])
def test_mail_reused_findings_equal_deciding_the_pool_again(
        which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if which == "example":
        source = MAIL_EXAMPLE
    else:
        source = tmp_path / "gen"
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(source),
                        "--product", "mail", "--rules", "20", "--addresses", "400",
                        "--expressions", "60", "--senders", "120", "--seed", "4"],
                       check=True, capture_output=True)
    export = isc.load(source)
    outdir = _outdir(export, tmp_path / "out", "ems")
    calls: list[bool] = []
    real = api.mail_verify.verify_swept

    def counting(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(api.mail_verify, "verify_swept", counting)
    fast = _findings(export, outdir)
    assert calls == [True]
    monkeypatch.setattr(api.mail_verify, "verify_swept", lambda *a, **k: None)
    slow = _findings(export, outdir)
    assert fast == slow
    assert fast[1], "both rule sets have differences in their pool"


def _verify_edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   edit: Callable[[list[dict[str, Any]]], object]) -> tuple[Any, list[bool]]:
    """verify of the example's compiled OUTDIR after ``edit(internetAccessRules)``."""
    export = isc.load(EXAMPLE)
    outdir = _outdir(export, tmp_path / "out")
    path = outdir / "ztsa-ia.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc["internetAccessRules"])
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    calls = _recount(monkeypatch)
    (result,) = isc.verify(export, str(outdir))
    return result, calls


def test_reordered_rules_make_verify_decide_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rules swapped: no object changed (no edit), but the document decides otherwise."""
    def swap(rules: list[dict[str, Any]]) -> None:
        rules[0], rules[-1] = rules[-1], rules[0]

    result, calls = _verify_edited(tmp_path, monkeypatch, swap)
    assert calls == [] and not result.edits  # not even asked: the documents differ
    assert any(f.compiled is not None for f in result.findings)


def test_an_edited_tag_alone_makes_verify_decide_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names: list[str] = []

    def retag(rules: list[dict[str, Any]]) -> None:
        tagged = next(r for r in rules if r.get("fidelity") not in (None, "exact"))
        tagged["fidelity"] = "exact"
        tagged.pop("directions", None)
        names.append(tagged["name"])

    result, calls = _verify_edited(tmp_path, monkeypatch, retag)
    assert calls == []
    assert result.edits.changed == (f"internet-access-rule:{names[0]}",)
    # the whole pool was decided again with the given document
    assert result.probes > len(result.findings) > 0


def _loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files verify reads into an Output (api.load), by name."""
    read: list[str] = []
    real = api.load

    def counting(*paths: str, **kwargs: Any) -> Any:
        read.extend(Path(p).name for p in paths)
        return real(*paths, **kwargs)

    monkeypatch.setattr(api, "load", counting)
    return read


def test_an_unedited_document_is_not_read_again(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The same JSON is the same document (load ∘ emit = id): verify decides with the
    compiled one; an edited document is read, and decides as itself."""
    export = isc.load(EXAMPLE)
    outdir = _outdir(export, tmp_path / "out")
    read = _loads(monkeypatch)
    (unedited,) = isc.verify(export, str(outdir))
    assert read == [] and not unedited.edits
    path = outdir / "ztsa-ia.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc_value = [doc["urlDenyList"][0]["value"]]
    doc["urlDenyList"] = doc["urlDenyList"][1:]
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    (edited,) = isc.verify(export, str(outdir))
    assert read == ["ztsa-ia.json"]
    # the edit is found, and the requests around it are decided besides the pool
    assert edited.edits.deleted == ("url-deny-list:" + doc_value[0],)
    assert edited.probes > unedited.probes


def test_another_document_is_refused_before_compiling(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    export = isc.load(EXAMPLE)
    outdir = _outdir(export, tmp_path / "out")
    # the mail example's document where the web one should be
    mail = isc.compile(isc.optimize(isc.load(MAIL_EXAMPLE)), "ems")
    (outdir / "ztsa-ia.json").write_text(isc.dumps(mail), encoding="utf-8")
    compiled: list[str] = []
    real = api.compile
    monkeypatch.setattr(api, "compile", lambda *a, **k: compiled.append("x") or real(*a, **k))
    with pytest.raises(isc.IscError) as info:
        isc.verify(export, str(outdir), force=True)
    assert info.value.diagnostic().code == "ISC1007" and compiled == []


@pytest.mark.parametrize(("example", "target"), [("iwsva-sakura", "ztsa-ia"),
                                                 ("imsva-kaede", "ems")])
def test_verify_compiles_without_witnesses_and_reads_the_same(
        example: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify`` compiles without showing witnesses in the whole policy: the document,
    every entry's tag and directions and the sweep are those of a full compile, only the
    witnesses and the fidelity diagnostics are left out; and verify's findings are those it
    makes from a full compile."""
    export = isc.optimize(isc.load(ROOT / "examples" / example / "export"))
    full = isc.compile(export, target)
    bare = isc.compile(export, target, witnesses=False)
    assert isc.dumps(bare) == isc.dumps(full)
    assert bare.sweep == full.sweep and bare.swept == full.swept
    assert [(e.source, e.code, e.fidelity, e.targets, e.directions) for e in bare.report] == \
        [(e.source, e.code, e.fidelity, e.targets, e.directions) for e in full.report]
    # what the bare compile shows (a per-type reorder's witness, set by the sweep) is the
    # full compile's; the rest is left out
    shown = [(b.witness, f.witness) for b, f in zip(bare.report, full.report, strict=True)
             if b.witness is not None]
    assert all(b == f for b, f in shown)
    assert len(shown) < sum(e.witness is not None for e in full.report)
    fidelity = {"ISC3001", "ISC3002", "ISC3003", "ISC3004"}
    assert any(d.code in fidelity for d in full.diagnostics)
    assert [d for d in full.diagnostics if d.code not in fidelity] == list(bare.diagnostics)
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / f"{target}.json").write_text(isc.dumps(full), encoding="utf-8")
    (outdir / "report.json").write_text(isc.dumps_report(full), encoding="utf-8")
    raw = isc.load(ROOT / "examples" / example / "export")
    # the compile's own sweep (its default), and a sample verify decides itself
    quick = [isc.verify(raw, str(outdir)), isc.verify(raw, str(outdir), samples=40)]
    real = api.compile
    monkeypatch.setattr(api, "compile", lambda *a, **k: real(*a, **{**k, "witnesses": True}))
    assert [isc.verify(raw, str(outdir)), isc.verify(raw, str(outdir), samples=40)] == quick
    assert any(v.findings for found in quick for v in found)
