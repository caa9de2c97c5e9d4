"""What the front-ends' fast-path tests share: both paths must give the same values (every
attrs field, spans included) or the same diagnostics, on texts that are often broken."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import attrs
from hypothesis import strategies as st

import isc
from isc.errors import IscError
from isc.frontends import _grammar
from isc.frontends._grammar import lark_only


def deep(value: Any) -> Any:
    """``value`` as nested tuples with *every* attrs field, spans included."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (type(value).__name__,
                tuple((f.name, deep(getattr(value, f.name))) for f in fields))
    if isinstance(value, (tuple, list)):
        return tuple(deep(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(deep(v)) for v in value)))
    if isinstance(value, dict):
        return ("dict", tuple((k, deep(v)) for k, v in value.items()))
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.value)
    return value


def outcome(parse: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    try:
        return ("ok", deep(parse(*args, **kwargs)))
    except IscError as exc:
        return ("error", deep(exc.diagnostic()), deep(exc.diagnostics))


def same_on_both_paths(parse: Callable[..., Any], *args: Any, **kwargs: Any
                       ) -> tuple[Any, ...]:
    assert _grammar.FAST_PATH
    fast = outcome(parse, *args, **kwargs)
    with lark_only():
        slow = outcome(parse, *args, **kwargs)
    assert _grammar.FAST_PATH
    assert fast == slow
    return fast


def count_lark_calls(monkeypatch: Any, modules: Iterable[ModuleType]) -> dict[str, int]:
    """Make each module's ``parser`` count the texts every Lark parser is given (by
    ``grammar:start``); returns the counts, filled as the test runs."""
    calls: dict[str, int] = {}

    def counting(name: str, start: str) -> Any:
        real = _grammar.parser(name, start)

        class Counting:
            def parse(self, text: str) -> Any:
                calls[f"{name}:{start}"] = calls.get(f"{name}:{start}", 0) + 1
                return real.parse(text)

        return Counting()

    for module in modules:
        monkeypatch.setattr(module, "parser", counting)
    return calls


def joined(parts: st.SearchStrategy[str], max_size: int) -> st.SearchStrategy[str]:
    """Texts of up to ``max_size`` pieces (``st.text`` takes single characters only)."""
    return st.lists(parts, max_size=max_size).map("".join)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str], nasty: st.SearchStrategy[str]
            ) -> str:
    """``base``, often as it is, else with a few ``nasty`` pieces inserted, replaced or
    cut."""
    text = draw(base)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "replace", "cut"]))
        if how == "insert":
            text = text[:at] + draw(nasty) + text[at:]
        elif how == "replace":
            text = text[:at] + draw(nasty) + text[at + 1:]
        else:
            text = text[:at] + text[at + 1:]
    return text


def load_both(*paths: str) -> Any:
    """``isc.load`` on both paths: the web IR, the mail IR and every diagnostic, in full."""

    def load() -> Any:
        try:
            export = isc.load(*paths)
        except IscError as exc:
            export = getattr(exc, "export", None)
            assert export is not None, exc
        return deep((export.web, export.mail, export.diagnostics))

    fast = load()
    with lark_only():
        slow = load()
    assert fast == slow
    return fast
