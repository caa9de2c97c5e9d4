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


def web_size(web: WebPolicy) -> int:
    """Objects a console would hold: list entries, accounts, policies, list references."""
    lists = [*web.custom_categories, *web.approved_lists]
    n = sum(len(x.entries) for x in lists) + len(web.tunneling) + len(lists)
    for gl in (web.global_blocking, web.global_trusted):
        if gl is not None:
            n += len(gl.entries) + len(gl.exceptions)
    for p in (*web.url_filtering, *web.https_decryption, *web.atp, *web.app_control):
        n += 1 + len(p.accounts)
    n += sum(len(p.exceptions) for p in (*web.url_filtering, *web.https_decryption, *web.atp))
    return n


def mail_size(mail: MailPolicy) -> int:
    """Objects a console would hold: group members, sender entries, keyword lists and
    their expressions, rules and their parties and conditions."""
    n = sum(1 + len(g.addresses) for g in mail.address_groups)
    n += len(mail.approved_senders) + len(mail.blocked_senders)
    n += sum(1 + len(k.expressions) for k in mail.keyword_lists)
    n += sum(1 + len(r.route.senders) + len(r.route.recipients) + len(r.route.exceptions)
             + len(r.conditions) for r in mail.rules)
    return n


def reachable(edges: list[list[int]], start: int) -> set[int]:
    """The nodes reachable from ``start`` along ``edges`` (start included)."""
    seen, todo = {start}, [start]
    while todo:
        for w in edges[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen
