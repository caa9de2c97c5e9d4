"""What the optimisation-pass tests compare: a pass keeps every decision of the source
model (web: the action and the HTTPS decryption; mail: the whole decision, and the plain
oracle agrees)."""

from __future__ import annotations

from collections.abc import Iterable

from isc.ir.mail import MailPolicy
from isc.ir.requests import MailMessage, WebRequest
from isc.ir.web import WebPolicy
from isc.models import imsva, iwsva
from isc.models.reference.mail import imsva_decide


def web_decisions(web: WebPolicy, requests: Iterable[WebRequest]
                  ) -> list[tuple[str, bool | None]]:
    """Action and decryption of each request."""
    return [(d.action, d.decrypted) for d in (iwsva.decide(web, r) for r in requests)]


def same_mail_decision(before: MailPolicy, after: MailPolicy, message: MailMessage) -> None:
    want = imsva.decide(before, message)
    assert imsva.decide(after, message) == want, message
    # the plain oracle agrees (no index hides a difference)
    assert imsva_decide(after, message) == want, message
