"""unparse_mail is the inverse of the mail front-end (formats.md §4): a generated
``MailPolicy`` written as XML and read back is the same policy."""

from __future__ import annotations

from pathlib import Path

import attrs
from hypothesis import given

import isc
from isc.frontends.mail_unparse import unparse_mail
from isc.ir.mail import MailPolicy
from strategies_mail import SAMPLE_XML, mail_policies

ROOT = Path(__file__).resolve().parents[1]
KAEDE = ROOT / "examples" / "imsva-kaede" / "export"


def _reparse(policy: MailPolicy) -> MailPolicy | None:
    mail: MailPolicy | None = isc.loads(unparse_mail(policy), filename="x.xml").mail
    return mail


@given(mail_policies())
def test_unparse_then_parse_is_the_identity(policy: MailPolicy) -> None:
    assert _reparse(policy) == policy


def test_empty_policy_round_trips() -> None:
    assert _reparse(MailPolicy()) == MailPolicy()


def test_the_formats_sample_round_trips() -> None:
    policy = isc.loads(SAMPLE_XML, filename="Policy.xml").mail
    assert policy is not None and policy.rules
    assert _reparse(policy) == policy


def test_the_example_export_round_trips_with_its_list_files_inlined() -> None:
    """Everything the example holds except imss.ini (not part of the rule set): list files
    come back as inline children."""
    policy = isc.load(str(KAEDE)).mail
    assert policy is not None and policy.rules and policy.settings
    policy = attrs.evolve(policy, settings=())
    text = unparse_mail(policy)
    assert "file=" not in text
    assert _reparse(policy) == policy
