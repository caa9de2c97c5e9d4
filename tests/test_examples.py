"""The bundled example: golden output, determinism, and verification against the models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import isc
from golden import check_golden, write_outdir
from isc.ir.common import Fidelity
from isc.ir.export import Output
from isc.ir.ztsa import RuleAction

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "iwsva-sakura"
EXPECTED = EXAMPLE / "expected"


@pytest.fixture(scope="module")
def compiled() -> tuple[isc.Export, Output]:
    export = isc.optimize(isc.load(str(EXAMPLE / "export.tar.gz")))
    return export, isc.compile(export, "ztsa-ia")


def _golden(name: str, text: str, update: bool) -> None:
    check_golden(EXPECTED / name, text, update)


def test_golden_ztsa(compiled: tuple[isc.Export, Output], update_golden: bool) -> None:
    _golden("ztsa-ia.json", isc.dumps(compiled[1]), update_golden)


def test_golden_report(compiled: tuple[isc.Export, Output], update_golden: bool) -> None:
    _golden("report.json", isc.dumps_report(compiled[1]), update_golden)


def test_directory_and_archive_give_the_same_output(compiled: tuple[isc.Export, Output]
                                                    ) -> None:
    from_dir = isc.compile(isc.optimize(isc.load(str(EXAMPLE / "export"))), "ztsa-ia")
    assert isc.dumps(from_dir) == isc.dumps(compiled[1])
    assert isc.dumps_report(from_dir) == isc.dumps_report(compiled[1])


def test_every_file_of_the_example_is_accounted_for(compiled: tuple[isc.Export, Output]
                                                    ) -> None:
    kinds = {Path(f.rel).name: f.kind for f in compiled[0].files}
    assert kinds["policy.ini"] == "web-policy"
    assert kinds["custom-categories-sjis.ini"] == "web-policy"
    assert kinds["TrustedURLs.ini"] == "url-list"
    assert kinds["intscan.ini"] == "ini-config"
    assert kinds["corp-root.pem"] == "PEM certificate"
    assert kinds["sakura.pac"] == "unrecognised"
    encodings = {Path(f.rel).name: f.encoding for f in compiled[0].files}
    assert encodings["custom-categories-sjis.ini"] == "cp932"


def test_load_of_emit_is_identity(compiled: tuple[isc.Export, Output], tmp_path: Path) -> None:
    path = tmp_path / "ztsa-ia.json"
    path.write_text(isc.dumps(compiled[1]), encoding="utf-8")
    loaded = isc.load(str(path))
    assert isinstance(loaded, Output)
    assert loaded.document == compiled[1].document
    assert loaded.identities == compiled[1].identities
    assert isc.dumps(attrs.evolve(compiled[1], report=())) == isc.dumps(loaded)


def test_verify_finds_no_undeclared_difference(compiled: tuple[isc.Export, Output],
                                               tmp_path: Path) -> None:
    export, output = compiled
    (result,) = isc.verify(export, str(write_outdir(tmp_path, output)))
    assert result.target == "ztsa-ia" and not result.edits
    assert result.findings, "the example has declared differences"
    assert result.undeclared == ()


def test_verify_catches_a_perturbed_translation(compiled: tuple[isc.Export, Output],
                                                tmp_path: Path) -> None:
    export, output = compiled
    rules = output.document.internet_access_rules
    index = next(i for i, r in enumerate(rules)
                 if r.action is RuleAction.BLOCK and r.enabled and r.url_categories
                 and r.meta.fidelity in (Fidelity.EXACT, Fidelity.NARROWED))
    broken = attrs.evolve(rules[index], action=RuleAction.ALLOW)
    doc = attrs.evolve(output.document,
                       internet_access_rules=rules[:index] + (broken,) + rules[index + 1:])
    given = attrs.evolve(output, document=doc)
    (result,) = isc.verify(export, str(write_outdir(tmp_path, output, given)))
    assert result.edits.changed == (f"internet-access-rule:{broken.name}",)
    bad = result.undeclared
    assert bad, "a block rule turned into allow must be caught"
    f = bad[0]
    assert f.source.action != f.target.action and f.compiled is not None
    assert f.edited == (f"internet-access-rule:{broken.name}",)
    assert f.probe.url.startswith(("http://", "https://"))

def test_output_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    outs = []
    for seed in ("0", "12345"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "isc", "compile", str(EXAMPLE / "export"),
                        "-o", str(out)], check=True, env=env, capture_output=True)
        outs.append(((out / "ztsa-ia.json").read_bytes(), (out / "report.json").read_bytes()))
    assert outs[0] == outs[1]
    doc = json.loads(outs[0][0])
    assert doc["schema"] == "isc/ztsa-ia/1"
