"""Every grammar rule that can appear in a parse tree has a transformer method."""

from __future__ import annotations

import pytest
from lark import Lark, Transformer

from isc.frontends import accounts, ini, keywords, mail_addresses, schedules, urls
from isc.frontends._grammar import grammar_dir, grammar_text

#: grammar → (start rules, the transformers that together handle its trees)
HANDLERS: dict[str, tuple[list[str], list[type[Transformer]]]] = {  # type: ignore[type-arg]
    "ini": (["document", "section", "keyline"], [ini._Document, ini._Header, ini._KeyLine]),
    "account": (["account"], [accounts._Account]),
    "schedule": (["days", "hours"], [schedules._Days, schedules._Hours]),
    "url_entry": (["entry"], [urls._Entry]),
    "mail_address": (["address", "domain"], [mail_addresses._Address]),
    "keyword_expr": (["expression"], [keywords._Expression]),
}


def tree_names(name: str, starts: list[str]) -> set[str]:
    parser = Lark(grammar_text(name), parser="lalr", start=starts)
    names = set()
    for rule in parser.rules:
        label = rule.alias or rule.origin.name
        label = getattr(label, "name", label)
        if str(label).startswith("_") or rule.options.expand1:
            continue
        names.add(str(label))
    return names


def test_every_grammar_file_is_covered() -> None:
    files = {p.stem for p in grammar_dir().glob("*.lark")}
    assert files == set(HANDLERS)


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_every_rule_has_a_handler(name: str) -> None:
    starts, transformers = HANDLERS[name]
    missing = sorted(
        rule for rule in tree_names(name, starts)
        if not any(callable(getattr(t, rule, None)) for t in transformers)
    )
    assert missing == [], f"grammars/{name}.lark rules without a handler: {missing}"


def test_the_rule_listing_sees_aliases_and_skips_inlined_rules() -> None:
    names = tree_names("ini", ["document", "section", "keyline"])
    assert {"keyline", "quoted_value", "raw_value", "bare_qualifier"} <= names
    assert "_line" not in names
