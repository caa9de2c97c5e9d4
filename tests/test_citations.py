"""Messages cite only documents shipped with isc: the repository's ``docs/`` tree.

A citation has one form everywhere: ``docs/PATH.md §N`` (for example
``docs/targets/ems.md §2.7``), where ``PATH.md`` is a file under ``docs/`` and ``N`` is the
number of one of its headings. Checked in what the bundled examples emit (report reasons
and sentences, diagnostics, ``review`` notes), in one parse error's notes, and statically
in every string literal of ``src/isc`` (docstrings excepted).
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import isc
from golden import json_strings
from isc.errors import ParseError
from isc.frontends.keywords import parse_expression

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "isc"
EXAMPLES = {"ztsa-ia": ROOT / "examples" / "iwsva-sakura" / "export",
            "ems": ROOT / "examples" / "imsva-kaede" / "export"}

#: Anything that names a Markdown document.
_MD = re.compile(r"[\w./-]*\.md\b")
#: The one citation form: ``docs/PATH.md §N``.
_CITATION = re.compile(r"docs/(?P<path>[\w./-]+\.md) §(?P<section>\d+(?:\.\d+)*)")
#: A section sign before a number: a section reference, which must belong to a citation.
_SECTION = re.compile(r"§\s*\d")
_HEADING = re.compile(r"^#+ (\d+(?:\.\d+)*)\.? ", re.MULTILINE)


@functools.cache
def _sections(path: str) -> frozenset[str] | None:
    """The heading numbers of ``docs/PATH``; None if it is no file under ``docs/``."""
    file = (DOCS / path).resolve()
    if not file.is_relative_to(DOCS.resolve()) or not file.is_file():
        return None
    return frozenset(_HEADING.findall(file.read_text(encoding="utf-8")))


def citation_problems(text: str) -> list[str]:
    """What is wrong with the document citations in ``text`` (empty when nothing is)."""
    problems: list[str] = []
    if "research" in text and ".md" in text:
        problems.append("cites research notes, which are not shipped")
    cited: list[tuple[int, int]] = []
    for m in _CITATION.finditer(text):
        cited.append(m.span())
        sections = _sections(m["path"])
        if sections is None:
            problems.append(f"docs/{m['path']} is not a file under docs/")
        elif m["section"] not in sections:
            problems.append(f"docs/{m['path']} has no section §{m['section']}")

    def inside(start: int) -> bool:
        return any(a <= start < b for a, b in cited)

    problems += [f"{m[0]!r} is not cited as docs/PATH.md §N"
                 for m in _MD.finditer(text) if not inside(m.start())]
    problems += [f"section reference {m[0]!r} outside a docs/PATH.md §N citation"
                 for m in _SECTION.finditer(text) if not inside(m.start())]
    return problems


# ------------------------------------------------------------------ the checker itself


@pytest.mark.parametrize("text", [
    "x (docs/targets/ems.md §2.6)",
    "TMUFE IDs: docs/formats/web.md §9.2",
    "see docs/semantics.md §7.2 and docs/architecture.md §1.4",
    "no citation at all",
])
def test_good_citations_pass(text: str) -> None:
    assert citation_problems(text) == []


@pytest.mark.parametrize("text", [
    "x (research imsva.md §5.4)",
    "x (research imsva.md §6, targets.md §2.7)",
    "x (semantics.md §5)",
    "x (docs/targets/ems.md)",
    "x (docs/targets/ems.md §99)",
    "x (docs/targets/nope.md §1)",
    "x (docs/../README.md §1)",
    "x (docs/targets/ems.md §2.6, §2.7)",
])
def test_bad_citations_fail(text: str) -> None:
    assert citation_problems(text)


# ------------------------------------------------------------------ what isc emits


def _reviews(value: Any) -> Iterator[str]:
    """Every string under a ``review`` key, anywhere in an emitted document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "review":
                yield from json_strings(item)
            else:
                yield from _reviews(item)
    elif isinstance(value, list):
        for item in value:
            yield from _reviews(item)




@functools.cache
def _messages(target: str) -> tuple[str, ...]:
    output = isc.compile(isc.optimize(isc.load(str(EXAMPLES[target]))), target)
    report = json.loads(isc.dumps_report(output))
    document = json.loads(isc.dumps(output))
    texts: list[str] = []
    for entry in report["objects"]:
        texts += entry["reasons"]
        texts += [entry["sentence"]] if "sentence" in entry else []
    for diag in report["diagnostics"]:
        texts += [diag["message"], *diag["notes"]]
    texts += _reviews(document)
    return tuple(texts)


@pytest.mark.parametrize("target", sorted(EXAMPLES))
def test_emitted_messages_cite_only_shipped_docs(target: str) -> None:
    texts = _messages(target)
    assert texts, "the example emits messages"
    bad = {text: problems for text in texts if (problems := citation_problems(text))}
    assert not bad, bad


def test_emitted_messages_do_cite_shipped_docs() -> None:
    """The mail example has objects that do not migrate; their reasons cite the docs."""
    cited = [text for text in _messages("ems") if _CITATION.search(text)]
    assert cited


def test_word_boundary_error_cites_shipped_docs() -> None:
    with pytest.raises(ParseError) as caught:
        parse_expression(r"a\bb")
    notes = caught.value.notes
    assert any(_CITATION.search(note) for note in notes), notes
    for text in (caught.value.message, *notes):
        assert citation_problems(text) == [], text


# ------------------------------------------------------------------ the source


def _literals(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """String constants that are not docstrings, with their line numbers."""
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            yield node.lineno, node.value


def test_source_literals_cite_only_shipped_docs() -> None:
    bad: list[str] = []
    seen = 0
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, text in _literals(tree):
            if ".md" not in text and not _SECTION.search(text) and "research" not in text:
                continue
            seen += 1
            problems = citation_problems(text)
            bad += [f"{path.relative_to(ROOT)}:{line}: {problem}: {text!r}"
                    for problem in problems]
    assert seen, "the source cites the docs somewhere"
    assert not bad, "\n".join(bad)
