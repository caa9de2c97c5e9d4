"""The JSON form of requests and messages (report witnesses, ``isc explain --request`` /
``--message``, ``verify --requests``): load ∘ dump = id, defaults are not written, and a bad
object is a ValueError naming the key."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.ir.requests import (
    Attachment,
    MailMessage,
    WebRequest,
    message_from_json,
    message_to_json,
    request_from_json,
    request_to_json,
)
from isc.ir.web import WebPolicy
from isc.models.iwsva import predefined_ids
from strategies import web_policies, web_requests
from strategies_mail import mail_messages, mail_policies


@given(data=st.data())
def test_web_request_round_trips(data: st.DataObject) -> None:
    web: WebPolicy = data.draw(web_policies())
    request = data.draw(web_requests(web))
    text = json.dumps(request_to_json(request), ensure_ascii=False)
    back = request_from_json(json.loads(text))
    # categories are written as names where they name the same TMUFE category
    assert back.parsed == request.parsed
    assert (back.client, back.user, back.groups, back.when, back.decrypted, back.file_type) == (
        request.client, request.user, request.groups, request.when, request.decrypted,
        request.file_type)
    assert predefined_ids(back) == predefined_ids(request)


@given(data=st.data())
def test_mail_message_round_trips(data: st.DataObject) -> None:
    policy = data.draw(mail_policies())
    message = data.draw(mail_messages(policy))
    assert message_from_json(json.loads(json.dumps(message_to_json(message)))) == message


def test_defaults_are_not_written() -> None:
    assert request_to_json(WebRequest("http://a.example/")) == {"url": "http://a.example/"}
    r = WebRequest("https://a.example/", client="10.0.0.1", categories=(82, "Games"),
                   when=dt.datetime(2024, 1, 1, 9, 30), decrypted=False)
    assert request_to_json(r) == {"url": "https://a.example/", "client": "10.0.0.1",
                                  "categories": ["Hacking", "Games"],
                                  "when": "2024-01-01T09:30:00", "decrypted": False}
    m = MailMessage("a@x.example", "b@y.example", attachments=(Attachment("a.exe"),),
                    spam_score=7.5)
    assert message_to_json(m) == {"sender": "a@x.example", "recipient": "b@y.example",
                                  "spamScore": 7.5, "attachments": [{"name": "a.exe"}]}


@pytest.mark.parametrize(("data", "words"), [
    ([], "$: not a JSON object"),
    ({}, "missing 'url'"),
    ({"url": "http://a/", "clinet": "x"}, "unknown key 'clinet'"),
    ({"url": 5}, "$.url: not a valid str"),
    ({"url": "http://a/", "groups": "g"}, "$.groups: not a valid list of strings"),
    ({"url": "http://a/", "when": "yesterday"}, "$.when: not an ISO date-time"),
    ({"url": "http://a/", "decrypted": "yes"}, "$.decrypted: not a valid bool"),
])
def test_a_bad_request_names_the_key(data: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("$", r"\$").replace(".", r"\.")):
        request_from_json(data)


@pytest.mark.parametrize(("data", "words"), [
    ({"sender": "a@b"}, "missing 'recipient'"),
    ({"sender": "a@b", "recipient": "c@d", "spamScore": "high"}, "$.spamScore"),
    ({"sender": "a@b", "recipient": "c@d", "attachments": [{"size": 1}]},
     "$.attachments[0]: missing 'name'"),
    ({"sender": "a@b", "recipient": "c@d", "headers": [["X-A"]]}, "$.headers"),
    ({"sender": "a@b", "recipient": "c@d", "virus": 1}, "$.virus: not a valid bool"),
])
def test_a_bad_message_names_the_key(data: Any, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        message_from_json(data)
    assert words in str(caught.value)
