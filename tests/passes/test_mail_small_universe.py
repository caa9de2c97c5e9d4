"""Every mail optimisation pass, and the default mail pipeline, on a small universe,
exhaustively (issue 11): rule sets drawn from the compact vocabulary of strategies_mail
(a few addresses and wildcards, one address group, LDAP groups, three keyword lists, rules
that repeat each other, twins and catch-alls planted), and every message of the universe
(each sender, recipient, direction, subject and verdict below) decided by the IMSVA model
before and after must get the same action and modifications."""

from __future__ import annotations

import itertools

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isc.ir.mail import MailPolicy
from isc.ir.requests import MailMessage
from isc.models import imsva
from isc.passes import DEFAULT_MAIL_PIPELINE, MAIL_PASSES, PassContext, run_mail_pipeline
from pass_checks import mail_size
from strategies_mail import optimisable_mail_policies

SENDERS = ("ceo@example.co.jp", "staff@example.co.jp", "a@b.example.co.jp",
           "sales@partner.example", "z@other.example")
RECIPIENTS = ("ceo@example.co.jp", "sales@partner.example", "z@other.example")
DIRECTIONS = (None, "incoming", "outgoing")
SUBJECTS = ("", "社外秘", "confidential 社外秘 社外秘")
VERDICTS = ({}, {"spam_score": 9.0}, {"virus": True})
GROUPS = ((), ("CN=Sales,DC=example",))

MESSAGES = [MailMessage(s, r, subject=subject, direction=d, sender_groups=g, **v)
            for s, r, d, subject, v, g in itertools.product(
                SENDERS, RECIPIENTS, DIRECTIONS, SUBJECTS, VERDICTS, GROUPS)]
NAMES = [*MAIL_PASSES, "default mail pipeline"]


@st.composite
def universes(draw: st.DrawFn) -> MailPolicy:
    """The planted policies, some rules then given another rule's route or intercept: near
    twins that a pass must not take for twins."""
    mail = draw(optimisable_mail_policies(compact=True))
    rules = list(mail.rules)
    for i, r in enumerate(rules):
        if rules and draw(st.integers(0, 3)) == 0:
            other = rules[draw(st.integers(0, len(rules) - 1))]
            if draw(st.booleans()):
                rules[i] = attrs.evolve(r, route=other.route)
            else:
                rules[i] = attrs.evolve(r, intercept=other.intercept, actions=other.actions)
    return attrs.evolve(mail, rules=tuple(rules))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mail=universes())
def test_every_message_of_the_universe_decides_alike(name: str, mail: MailPolicy) -> None:
    ctx = PassContext()
    out = (run_mail_pipeline(mail, DEFAULT_MAIL_PIPELINE, ctx)
           if name == "default mail pipeline" else MAIL_PASSES[name](mail, ctx))
    assert mail_size(out) <= mail_size(mail)
    for m in MESSAGES:
        before, after = imsva.decide(mail, m), imsva.decide(out, m)
        assert (after.action, after.modifications) == (before.action, before.modifications), m
