"""Fuzzing (docs/security.md): near-valid lines for every grammar and the mail XML, and
mutations of the
bundled examples, loaded *and compiled*. Only ``isc.IscError`` may come out; nothing may run
away. CI runs a bounded budget; a long run is::

    ISC_FUZZ_GRAMMAR=10000 ISC_FUZZ_EXPORTS=2000 HYPOTHESIS_PROFILE=dev \\
        python -m pytest tests/test_fuzz.py -p no:cacheprovider -q

which prints the slowest case and the peak memory of each test at the end (the numbers
docs/security.md records).
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import isc
from isc.diagnostics import Span
from isc.frontends.accounts import parse_account
from isc.frontends.ini import parse_document
from isc.frontends.keywords import parse_expression
from isc.frontends.mail_addresses import parse_address, parse_domain
from isc.frontends.schedules import parse_days, parse_hours
from isc.frontends.urls import parse_url_entry

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR_EXAMPLES = int(os.environ.get("ISC_FUZZ_GRAMMAR", "300"))
EXPORT_EXAMPLES = int(os.environ.get("ISC_FUZZ_EXPORTS", "6"))
SPAN = Span("fuzz", 1, 1)

#: The slowest case seen and its input, per test, printed at the end of a run.
SLOWEST: dict[str, tuple[float, str]] = {}


def _timed(name: str, what: str, call: Callable[[], Any]) -> None:
    start = time.perf_counter()
    with contextlib.suppress(isc.IscError):
        call()
    took = time.perf_counter() - start
    if took > SLOWEST.get(name, (0.0, ""))[0]:
        SLOWEST[name] = (took, what[:200])


def teardown_module() -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, (took, what) in sorted(SLOWEST.items()):
        print(f"\nfuzz {name}: slowest case {took:.3f} s ({what!r}); peak RSS {peak:.0f} MiB")


# ---------------------------------------------------------------------- near-valid lines

#: Pieces each grammar is made of, to build lines that are nearly right.
PIECES: dict[str, list[str]] = {
    "url": ["web-site:", "url-keyword:", "string:", "@", "*", "?", "%2a", "%3f", "http://",
            "https://", "www.", "example", ".com", ":8080", "/path", "?q=1", "[", "]", "::",
            " ", "ｗｗｗ", "日本", "\\", "#", ";", "%", "a" * 40],
    "account": ["ip ", "ip-range ", "ip-subset ", "ldap-user ", "ldap-group ", "host ", "10.",
                "0.", "255", "/24", "/255.255.255.0", "-", "::1", "2001:db8::", "CN=", ",DC=",
                "\"", " ", "%eth0", "99999", "x"],
    "days": ["mon", "tue", "sun", ",", "-", " ", "monday", "月", "8", "all", "weekdays"],
    "hours": ["08:00", "-", "17:30", ",", "24:00", "25:61", ":", " ", "0", "12"],
    "address": ["user", "@", "*", ".", "example.com", "*.", "+", "\"", " ", "日本", "<", ">",
                "-", "a" * 30, "@@"],
    "keyword": ["a", "(", ")", "|", "*", "+", "?", "{3}", "{D}", "{WORD}", "[a-z]", "[^0-9]",
                "\\w", "\\s", "\\b", "\\x41", " .AND. ", " .OR. ", " .NOT. ", ".WILD. ",
                ".REG. ", "\"", "社外秘", "[[:alpha:]]", "$", "^", ".", "\\"],
    "ini": ["[", "]", "url-filtering-policy", "\"A\"", " = ", "priority", "1", "account",
            "category", "\"Games\"", "block", "\n", "#", ";", "global", "yes", "\\", "\t"],
    "xml": ["<imss-policy>", "</imss-policy>", "<rule name=\"R\" order=\"1\" type=\"other\">",
            "</rule>", "<route type=\"incoming\"/>", "<conditions match=\"any\">",
            "</conditions>", "<attachment-name>*.exe</attachment-name>", "<actions>",
            "<intercept action=\"delete\"/>", "</actions>", "<address-group name=\"G\">",
            "<address>a@b.example</address>", "</address-group>", "<", ">", "&", "&amp;",
            "<!DOCTYPE x>", "<?xml version=\"1.0\"?>", "\"", "=", "/>", "\n", "日本"],
}

PARSERS: dict[str, Callable[[str], object]] = {
    "url": lambda t: parse_url_entry(t, SPAN),
    "account": lambda t: parse_account(t, SPAN),
    "days": lambda t: parse_days(t, SPAN),
    "hours": lambda t: parse_hours(t, SPAN),
    "address": lambda t: (parse_address(t, SPAN), parse_domain(t.split("@")[-1], SPAN)),
    "keyword": lambda t: parse_expression(t, SPAN),
    "ini": lambda t: parse_document(t, "fuzz.ini"),
    "xml": lambda t: isc.loads(t, filename="Policy.xml"),
}


def near_valid(grammar: str) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(PIECES[grammar]),
                      st.text(min_size=1, max_size=3,
                              alphabet=st.characters(blacklist_categories=("Cs",))))
    return st.lists(piece, max_size=24).map("".join)


@pytest.mark.parametrize("grammar", sorted(PARSERS))
def test_near_valid_lines_raise_only_isc_errors(grammar: str) -> None:
    @settings(max_examples=GRAMMAR_EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(near_valid(grammar))
    def run(text: str) -> None:
        _timed(f"grammar {grammar}", text, lambda: PARSERS[grammar](text))

    run()


# ---------------------------------------------------------------------- mutated examples

EXAMPLES = {
    "web": ROOT / "examples" / "iwsva-sakura" / "export",
    "mail": ROOT / "examples" / "imsva-kaede" / "export",
}


@st.composite
def _mutated(draw: st.DrawFn, product: str) -> dict[str, bytes]:
    """The example's files with a few byte- and line-level mutations in one or two of them."""
    root = EXAMPLES[product]
    files = {p.relative_to(root).as_posix(): p.read_bytes()
             for p in sorted(root.rglob("*")) if p.is_file()}
    for name in draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=2,
                              unique=True)):
        data = bytearray(files[name])
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data)))
            kind = draw(st.sampled_from(["flip", "insert", "delete", "dup-line", "cut"]))
            if kind == "flip" and at < len(data):
                data[at] ^= 1 << draw(st.integers(0, 7))
            elif kind == "insert":
                data[at:at] = draw(st.one_of(
                    st.binary(max_size=8),
                    st.sampled_from([b"\n[", b"*", b"\x00", b"\xff\xfe", b"<!ENTITY x>",
                                     b"=", b"\"", b"9" * 40, b"\n\n", b"]]>", b"&amp;"])))
            elif kind == "delete":
                del data[at:at + draw(st.integers(1, 16))]
            elif kind == "dup-line":
                start = data.rfind(b"\n", 0, at) + 1
                end = data.find(b"\n", at)
                end = len(data) if end < 0 else end + 1
                data[end:end] = data[start:end]
            elif kind == "cut":
                del data[at:]
        files[name] = bytes(data)
    return files


def _load_and_compile(files: dict[str, bytes], tmp: Path) -> None:
    for name, data in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    export = isc.load(str(tmp))
    export = isc.optimize(export)
    for target in (["ztsa-ia"] if export.web is not None else []) + (
            ["ems"] if export.mail is not None else []):
        isc.dumps(isc.compile(export, target))


@pytest.mark.parametrize("product", sorted(EXAMPLES))
def test_mutated_examples_load_and_compile_or_raise_isc_errors(product: str,
                                                               tmp_path: Path) -> None:
    counter = iter(range(10**9))

    @settings(max_examples=EXPORT_EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_mutated(product))
    def run(files: dict[str, bytes]) -> None:
        tmp = tmp_path / str(next(counter))
        tmp.mkdir()
        _timed(f"export {product}", ",".join(sorted(files)),
               lambda: _load_and_compile(files, tmp))

    run()
