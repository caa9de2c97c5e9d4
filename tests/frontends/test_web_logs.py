"""Web log lines for ``isc replay`` (spec logs.md §1 IWSVA syslog, §3 isc's JSON lines).

The IWSVA lines are written to the layouts of logs.md §1 (the public ELK parser's grok
patterns); one is the sample line a public SIEM parser quotes verbatim."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.frontends.web_logs import (
    MAIL_ACTIONS,
    WEB_ACTIONS,
    parse_iwsva_line,
    parse_json_line,
)
from isc.ir import categories
from isc.ir.events import (
    WEB_UNKNOWNS,
    MailEvent,
    NotARequest,
    Recorded,
    Unreadable,
    WebEvent,
    Where,
)
from isc.ir.requests import WebRequest

FILE = "access.log"
JST = dt.timezone(dt.timedelta(hours=9))

HEAD = "<134>iwsva01: <Tue, 05 Dec 2023 10:00:01,JST> "
ACCESS_TAG = "[EVT_URL_ACCESS_TRACKING|LOG_INFO] Access tracking log "
MALWARE_TAG = "[EVT_VIRUS|LOG_CRIT] Virus/Malware log "
CC_TAG = "[EVT_CCCA|LOG_WARNING] C&C callback log "


def fields(**values: str) -> str:
    return ",".join(f"tk_{k}={v}" for k, v in values.items())


def access_fields(**override: str) -> dict[str, str]:
    """Every field of the access-tracking layout, in its order (logs.md §1)."""
    f = dict(username="alice", url="http://example.com/a,b/c.html?x=1,2", size="1234",
             date_field="2023-12-05 10:00:01+09:00", protocol="http",
             mime_content="text/html", server="iwsva01", client_ip="192.0.2.10",
             server_ip="203.0.113.5", domain="example.com", path="a,b/c.html",
             file_name="c.html", operation="GET", uid="1159564668-d32bfc31cafb9b079c18",
             category="46", category_type="0")
    f.update(override)
    return f


def malware_fields(**override: str) -> dict[str, str]:
    f = dict(username="alice", date_field="2023-12-05 10:00:01+09:00", protocol="http",
             url="http://bad.example/dl/eicar.com", malicious_entity="Eicar_test_file",
             file_name="eicar.com", entity_name="EICAR", action="quarantine",
             scan_type="virus", blocked_by="Virus Scan", rule_name="Global Policy",
             opp_id="0", group_name="Sales", category="3", uid="0123-abcd")
    f.update(override)
    return f


def cc_fields(**override: str) -> dict[str, str]:
    f = dict(username="alice", date_field="2023-12-05 10:00:01+09:00", protocol="http",
             url="http://cc.example/beacon?id=1", domain="cc.example", device_name="PC01",
             rule_name="Global C&C", group_name="Sales", client_ip="192.0.2.10",
             server_ip="198.51.100.7", destination_port="80", ccca_source="1",
             risk_level="2", filter_action="1")
    f.update(override)
    return f


def web(line: str, n: int = 7) -> WebEvent:
    event = parse_iwsva_line(n, line, FILE)
    assert isinstance(event, WebEvent), event
    assert event.where == Where(FILE, n)
    return event


def unreadable(line: str, n: int = 7) -> Unreadable:
    event = parse_iwsva_line(n, line, FILE)
    assert isinstance(event, Unreadable), event
    assert event.where == Where(FILE, n)
    assert event.reason
    return event


# ---------------------------------------------------------------- the three log types


def test_access_tracking_every_field() -> None:
    e = web(HEAD + ACCESS_TAG + fields(**access_fields()))
    assert e.log == "access"
    assert e.request == WebRequest(
        url="http://example.com/a,b/c.html?x=1,2", client="192.0.2.10", user="alice",
        categories=(46,), when=dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=JST))
    assert e.request.when is not None and e.request.when.tzinfo == JST
    assert e.unknown == {"groups", "file-type"}
    assert e.recorded is None  # access tracking records no action
    assert e.who == "alice"


def test_the_public_sample_line() -> None:
    # quoted verbatim by a public SIEM parser: a relay prefix, IP user identification
    line = ("10.20.1.122:34970 : local0.info iwsva1.dpt.gov.tr: <Tue, 08 Oct 2013 14:32:16,"
            "EEST> [EVT_URL_ACCESS_TRACKING|LOG_INFO] Access tracking log "
            "tk_username=10.10.11.39,tk_url=http://haber10.com/images/news/100x75/421378.jpg,"
            "tk_size=0,tk_date_field=2013-10-08 14:32:16+0300,tk_protocol=http,"
            "tk_mime_content=unknown/unknown,tk_server=iwsva1.dpt.gov.tr,"
            "tk_client_ip=10.10.11.39,tk_server_ip=176.53.59.192,tk_domain=haber10.com,"
            "tk_path=images/news/100x75/421378.jpg,tk_file_name=421378.jpg,tk_operation=GET,"
            "tk_uid=1159564668-d32bfc31cafb9b079c18,tk_category=46,tk_category_type=0")
    e = web(line, 1)
    assert e.log == "access"
    assert e.request.url == "http://haber10.com/images/news/100x75/421378.jpg"
    assert e.request.user is None  # an IP address is no user name
    assert e.request.client == "10.10.11.39"
    assert e.request.categories == (46,)
    assert e.request.when == dt.datetime(2013, 10, 8, 14, 32, 16,
                                         tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert e.unknown == {"user", "file-type"}  # no user: no groups to miss
    assert e.who == "10.10.11.39"


def test_malware_every_field() -> None:
    e = web(HEAD + MALWARE_TAG + fields(**malware_fields()))
    assert e.log == "malware"
    assert e.request.url == "http://bad.example/dl/eicar.com"
    assert e.request.user == "alice"
    assert e.request.client is None  # the malware layout has no client IP
    # its tk_category is the virus category, not the URL's
    assert e.request.categories == ()
    assert e.request.when == dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=JST)
    assert e.unknown == {"groups", "file-type", "categories", "client"}
    # quarantined by the virus scanner: a block, but not the models' decision
    assert e.recorded == Recorded("block", "Virus Scan", "quarantine", comparable=False)
    assert e.who == "alice"


def test_malware_with_an_ip_user_names_the_client() -> None:
    e = web(HEAD + MALWARE_TAG + fields(**malware_fields(username="192.0.2.77")))
    assert e.request.client == "192.0.2.77" and e.request.user is None
    assert "client" not in e.unknown and "user" in e.unknown
    assert e.who == "192.0.2.77"


@pytest.mark.parametrize(("action", "blocked_by", "rule", "recorded"), [
    ("quarantine", "Virus Scan", "Global Policy",
     Recorded("block", "Virus Scan", "quarantine", comparable=False)),
    ("Deleted", "Virus Scan", "r", Recorded("block", "Virus Scan", "Deleted", False)),
    ("pass", "Spyware Scan", "r", Recorded("allow", "Spyware Scan", "pass", False)),
    ("clean", "Virus Scan", "r", Recorded(None, "Virus Scan", "clean", False)),
    # a URL filtering or blocking cause is one the model decides: compared
    ("block", "URL Filtering", "Sales policy",
     Recorded("block", "URL Filtering", "block", comparable=True)),
    ("Blocked", "url_blocking", "r", Recorded("block", "url_blocking", "Blocked", True)),
    ("monitor", "URL filter", "r", Recorded("monitor", "URL filter", "monitor", True)),
    # words no model action has: nothing to compare, even from URL filtering
    ("frobnicate", "URL Filtering", "r", Recorded(None, "URL Filtering", "frobnicate", False)),
    # no tk_blocked_by: the rule name says who
    ("block", "#null#", "Global Policy", Recorded("block", "Global Policy", "block", False)),
])
def test_malware_recorded_actions(action: str, blocked_by: str, rule: str,
                                  recorded: Recorded) -> None:
    line = HEAD + MALWARE_TAG + fields(**malware_fields(action=action, blocked_by=blocked_by,
                                                        rule_name=rule))
    assert web(line).recorded == recorded


def test_malware_without_an_action_records_nothing() -> None:
    e = web(HEAD + MALWARE_TAG + fields(**malware_fields(action="#null#")))
    assert e.log == "malware" and e.recorded is None


def test_cc_callback_every_field() -> None:
    e = web(HEAD + CC_TAG + fields(**cc_fields()))
    assert e.log == "cc-callback"
    assert e.request == WebRequest(
        url="http://cc.example/beacon?id=1", client="192.0.2.10", user="alice",
        when=dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=JST))
    assert e.unknown == {"groups", "file-type", "categories"}
    # a C&C verdict is outside the models: never compared
    assert e.recorded == Recorded("block", "Global C&C", "1", comparable=False)


@pytest.mark.parametrize(("value", "action"), [
    ("0", "allow"), ("1", "block"), ("2", "monitor"),  # the ELK parser's table
    ("Block", "block"), ("log", "monitor"), ("pass", "allow"), ("Authorize", "allow"),
    ("7", None),
])
def test_cc_filter_actions(value: str, action: str | None) -> None:
    rec = web(HEAD + CC_TAG + fields(**cc_fields(filter_action=value))).recorded
    assert rec == Recorded(action, "Global C&C", value, comparable=False)


def test_type_from_fields_without_a_tag() -> None:
    assert web(fields(**access_fields())).log == "access"
    assert web(fields(**malware_fields())).log == "malware"
    assert web(fields(**cc_fields())).log == "cc-callback"


def test_fields_win_over_the_tag() -> None:
    e = web(HEAD + ACCESS_TAG + fields(**malware_fields()))
    assert e.log == "malware"


# ---------------------------------------------------------------- field values


def test_commas_inside_the_url() -> None:
    url = "http://example.com/list,of,things?a=1,2,3&tk=4,tk_x"
    e = web(HEAD + ACCESS_TAG + fields(**access_fields(url=url)))
    assert e.request.url == url
    assert e.request.client == "192.0.2.10"


def test_null_fields_are_absent() -> None:
    line = HEAD + ACCESS_TAG + fields(**access_fields(
        username="#null#", client_ip="#null#", category="#null#", date_field="#null#"))
    e = web(line)
    assert e.request.user is None and e.request.client is None
    assert e.request.categories == ()
    # no tk_date_field: the IWSVA header stamp (its zone abbreviation dropped)
    assert e.request.when == dt.datetime(2023, 12, 5, 10, 0, 1)
    assert e.unknown == {"user", "client", "categories", "file-type"}
    assert e.who == ""


def test_empty_and_dash_fields_are_absent() -> None:
    e = web(HEAD + ACCESS_TAG + fields(**access_fields(username="", client_ip="-")))
    assert e.request.user is None and e.request.client is None


@pytest.mark.parametrize("cut", ["category", "client_ip", "date_field", "size"])
def test_missing_trailing_fields(cut: str) -> None:
    every = access_fields()
    names = list(every)
    kept = {k: every[k] for k in names[:names.index(cut)]}
    e = web(HEAD + ACCESS_TAG + fields(**kept))
    assert e.log == "access"
    assert e.request.url == every["url"]
    assert "categories" in e.unknown
    assert ("client" in e.unknown) == (cut != "category")
    if cut in ("date_field", "size"):  # the header's stamp stands in
        assert e.request.when == dt.datetime(2023, 12, 5, 10, 0, 1)


def test_missing_trailing_fields_without_a_tag() -> None:
    e = web("<134>iwsva01: " + fields(username="bob", url="http://example.org/"))
    assert e.log == "access"
    assert e.request == WebRequest(url="http://example.org/", user="bob")
    assert e.unknown == {"groups", "when", "categories", "client", "file-type"}


def test_unknown_extra_fields_are_ignored() -> None:
    f = access_fields()
    line = (HEAD + ACCESS_TAG + "tk_future=1,2," + fields(**f)
            + ",tk_new_field=x,tk_other=#null#")
    plain = web(HEAD + ACCESS_TAG + fields(**f))
    assert web(line).request == plain.request
    assert web(line).unknown == plain.unknown


def test_the_first_of_a_repeated_field_wins() -> None:
    line = HEAD + ACCESS_TAG + fields(**access_fields()) + ",tk_url=http://other.example/"
    assert web(line).request.url == "http://example.com/a,b/c.html?x=1,2"


@pytest.mark.parametrize("user", [
    "山田太郎",
    "CN=山田 太郎,OU=営業部,DC=example,DC=co,DC=jp",  # an LDAP name, commas and all
    "EXAMPLE\\yamada",
    "yamada@example.co.jp",
])
def test_user_names(user: str) -> None:
    e = web(HEAD + ACCESS_TAG + fields(**access_fields(username=user)))
    assert e.request.user == user
    assert e.who == user
    assert e.request.client == "192.0.2.10"


@pytest.mark.parametrize(("value", "cats"), [
    ("46", (46,)),
    ("46;47", (46, 47)),
    ("46,47", (46, 47)),
    ("46; #null#;", (46,)),
    ("0", (0,)),          # TMUFE "Unknown" is an answer, not a missing one
    ("999", (999,)),      # an ID isc does not know is kept: the appliance said so
    ("Gambling", ("Gambling",)),
    ("abc", ()),
    ("12345678901234567890", ()),
])
def test_categories(value: str, cats: tuple[str | int, ...]) -> None:
    e = web(HEAD + ACCESS_TAG + fields(**access_fields(category=value)))
    assert e.request.categories == cats
    assert ("categories" in e.unknown) == (not cats)


@pytest.mark.parametrize(("url", "protocol", "full"), [
    ("example.com:443", "https", "https://example.com:443"),
    ("example.com/a", "HTTP", "http://example.com/a"),
    ("example.com/a", "#null#", "http://example.com/a"),
    ("example.com/a", "ftp", "http://example.com/a"),
    ("https://example.com/a", "http", "https://example.com/a"),  # a scheme is kept
])
def test_urls_without_a_scheme(url: str, protocol: str, full: str) -> None:
    e = web(HEAD + ACCESS_TAG + fields(**access_fields(url=url, protocol=protocol)))
    assert e.request.url == full


# ---------------------------------------------------------------- time


def _tz(hours: int, minutes: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes))


@pytest.mark.parametrize(("value", "when"), [
    ("2023-12-05 10:00:01", dt.datetime(2023, 12, 5, 10, 0, 1)),
    ("2023/12/05 10:00:01", dt.datetime(2023, 12, 5, 10, 0, 1)),
    ("2023-12-05T10:00:01", dt.datetime(2023, 12, 5, 10, 0, 1)),
    ("2023/1/5 9:00:01", dt.datetime(2023, 1, 5, 9, 0, 1)),
    ("2023-12-05 10:00:01+09:00", dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=_tz(9))),
    ("2023-12-05 10:00:01+0900", dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=_tz(9))),
    ("2023/12/05 10:00:01 GMT+09:00", dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=_tz(9))),
    ("2023/12/05 10:00:01 GMT+9", dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=_tz(9))),
    ("2023-12-05 10:00:01 -05:30", dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=_tz(-5, -30))),
    ("2023-12-05 10:00:01Z", dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=dt.UTC)),
    ("2023-12-05 10:00:01 GMT", dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=dt.UTC)),
    ("2023-12-05 10:00:01.250", dt.datetime(2023, 12, 5, 10, 0, 1, 250000)),
    ("2023-12-05 10:00:01 JST", dt.datetime(2023, 12, 5, 10, 0, 1)),  # abbreviation dropped
    ("Tue, 05 Dec 2023 10:00:01,JST", dt.datetime(2023, 12, 5, 10, 0, 1)),
    ("05 Dec 2023 10:00:01 +0900", dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=_tz(9))),
])
def test_date_field_formats(value: str, when: dt.datetime) -> None:
    # no header stamp, so the time can only come from tk_date_field
    e = web(ACCESS_TAG + fields(**access_fields(date_field=value)))
    assert e.request.when == when
    assert e.request.when is not None and e.request.when.utcoffset() == when.utcoffset()
    assert "when" not in e.unknown


@pytest.mark.parametrize("value", [
    "2023-13-05 10:00:01", "2023-02-30 10:00:01", "2023-12-05 25:00:00",
    "2023-12-05", "10:00:01", "yesterday", "2023-12-05 10:00:01 +25:00",
    "2023-12-05 10:00:01 in the morning", "1701770401",
])
def test_unusable_date_fields_leave_the_time_unknown(value: str) -> None:
    e = web(ACCESS_TAG + fields(**access_fields(date_field=value)))
    assert e.request.when is None
    assert "when" in e.unknown


def test_a_line_without_any_time() -> None:
    f = access_fields()
    del f["date_field"]
    e = web("<134>iwsva01: <no date> " + ACCESS_TAG + fields(**f))
    assert e.request.when is None
    assert e.unknown == {"when", "groups", "file-type"}


@pytest.mark.parametrize(("prefix", "when"), [
    # <PRI>HOSTNAME: <TAG>, the layout of logs.md §1
    ("<134>iwsva01: <Tue, 05 Dec 2023 10:00:01,JST> ", dt.datetime(2023, 12, 5, 10, 0, 1)),
    # no <PRI>
    ("iwsva01: <Tue, 05 Dec 2023 10:00:01,JST> ", dt.datetime(2023, 12, 5, 10, 0, 1)),
    # a BSD syslog stamp has no year, hence no weekday: not used
    ("Dec  5 10:00:01 iwsva01 iwsva01: <x> ", None),
    ("<134>Dec  5 10:00:01 iwsva01: ", None),
    # the BSD stamp before IWSVA's own dated tag: the tag's date
    ("Dec  5 10:00:01 relay <134>iwsva01: <Tue, 05 Dec 2023 10:00:01,JST> ",
     dt.datetime(2023, 12, 5, 10, 0, 1)),
    # RFC 5424: an ISO stamp with its offset
    ("<134>1 2023-12-05T10:00:01.123+09:00 iwsva01 iwsva - - - ",
     dt.datetime(2023, 12, 5, 10, 0, 1, 123000, tzinfo=JST)),
    # a relay's prefix
    ("10.20.1.122:34970 : local0.info iwsva01: <Tue, 05 Dec 2023 10:00:01,+0900> ",
     dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=JST)),
    # nothing before the tag, nothing at all
    ("", None),
])
@pytest.mark.parametrize("tagged", [True, False])
def test_syslog_prefixes(prefix: str, when: dt.datetime | None, tagged: bool) -> None:
    f = access_fields()
    del f["date_field"]
    e = web(prefix + (ACCESS_TAG if tagged else "") + fields(**f))
    assert e.log == "access"
    assert e.request.url == f["url"]
    assert e.request.when == when
    assert ("when" in e.unknown) == (when is None)


def test_the_date_field_wins_over_the_header() -> None:
    e = web("<134>1 2020-01-01T00:00:00Z h a - - - " + ACCESS_TAG + fields(**access_fields()))
    assert e.request.when == dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=JST)


# ---------------------------------------------------------------- not requests


@pytest.mark.parametrize(("line", "reason"), [
    ("<134>iwsva01: <Tue, 05 Dec 2023 10:00:01,JST> [EVT_PERFORMANCE|LOG_INFO] Performance "
     "log tk_server=iwsva01,tk_date_field=2023-12-05 10:00:01,tk_metric_id=3,"
     "tk_metric_value=42", "performance"),
    ("<134>iwsva01: <Tue, 05 Dec 2023 10:00:01,JST> [EVT_SYSEVENT_SERVICE_NOTICE|LOG_NOTICE]"
     " Service notice The HTTP service started", "system event"),
    ("<134>iwsva01: <x> [EVT_SYSEVENT_AU_SUCC|LOG_INFO] admin logged on tk_username=admin",
     "system event"),
    ("tk_server=iwsva01,tk_date_field=2023-12-05 10:00:01,tk_metric_id=3,tk_metric_value=4",
     "performance"),
    ("<134>iwsva01: <x> [EVT_UPDATE|LOG_INFO] Pattern updated", "EVT_UPDATE"),
    ("<134>iwsva01: <x> [EVT_UPDATE|LOG_INFO] Pattern updated tk_pattern=1.2,tk_engine=3",
     "tk_engine, tk_pattern"),
])
def test_not_requests(line: str, reason: str) -> None:
    event = parse_iwsva_line(3, line, FILE)
    assert isinstance(event, NotARequest), event
    assert event.where == Where(FILE, 3)
    assert event.log == "iwsva"
    assert reason in event.reason


def test_a_blank_line_is_no_request() -> None:
    assert parse_iwsva_line(9, "  ", FILE) == NotARequest(Where(FILE, 9), "iwsva", "blank")


# ---------------------------------------------------------------- unreadable


@pytest.mark.parametrize(("line", "reason"), [
    ("hello world", "not an IWSVA syslog line"),
    ('{"url": "http://example.com/"}', "not an IWSVA syslog line"),
    ("\x00\x01\x02garbage\xff", "not an IWSVA syslog line"),
    # cut inside the header
    ("<134>iwsva01: <Tue, 05 Dec 2023 10:00:01,JST> [EVT_URL_ACC", "not an IWSVA syslog"),
    # cut inside a field name
    (HEAD + ACCESS_TAG + "tk_username=alice,tk_ur", "truncated"),
    (HEAD + ACCESS_TAG + fields(username="alice", url="http://a.example/") + ",tk_si",
     "truncated"),
    (HEAD + ACCESS_TAG + fields(username="alice", url="http://a.example/") + ",tk",
     "truncated"),
    # a request tag with nothing after it
    (HEAD + ACCESS_TAG, "without tk_ fields"),
    (HEAD + ACCESS_TAG + "tk_username=alice", "access line without a URL (tk_url absent)"),
    (HEAD + CC_TAG + fields(username="alice", date_field="2023-12-05 10:00:01"),
     "cc-callback line without a URL"),
    # request fields without a URL, and no tag to say which log: a truncated request
    ("<134>iwsva01: " + fields(username="alice", date_field="2023-12-05 10:00:01"),
     "a request line without tk_url"),
    # no usable URL
    (HEAD + ACCESS_TAG + fields(**access_fields(url="")), "without a URL (tk_url empty)"),
    (HEAD + ACCESS_TAG + fields(**access_fields(url="#null#")), "without a URL"),
    (HEAD + MALWARE_TAG + fields(username="a", action="block"), "tk_url absent"),
    (HEAD + ACCESS_TAG + fields(**access_fields(url="http://exa mple.com/")), "blank"),
    (HEAD + ACCESS_TAG + fields(**access_fields(url="http:///path")), "has no host"),
    (HEAD + ACCESS_TAG + fields(**access_fields(url="http://a.example:99999/")),
     "out of range"),
    (HEAD + ACCESS_TAG + fields(**access_fields(url="gopher://a.example/")),
     "not http, https or ftp"),
    (HEAD + ACCESS_TAG + fields(**access_fields(url="http://[::1/")), "malformed"),
    # a client address cut short, or not an address
    (HEAD + ACCESS_TAG + fields(**access_fields(client_ip="10.0.0")), "the client '10.0.0'"),
    (HEAD + CC_TAG + fields(**cc_fields(client_ip="no client!")), "cc-callback line: the "
                                                                   "client"),
])
def test_unreadable(line: str, reason: str) -> None:
    event = unreadable(line, 12)
    assert reason in event.reason, event.reason


@given(st.text(max_size=300))
def test_never_raises(text: str) -> None:
    event = parse_iwsva_line(1, text, FILE)
    assert isinstance(event, WebEvent | NotARequest | Unreadable)
    if isinstance(event, WebEvent):
        assert event.unknown <= set(WEB_UNKNOWNS)


@given(st.lists(st.sampled_from(["tk_url=", "tk_username=", ",", "tk_", "http://", "a.b",
                                 "#null#", " ", "[EVT_X|Y]", "<1>", "2023-12-05 10:00:01",
                                 "tk_action=", "tk_category=", "9", ";", "=", "\t"]),
                max_size=25))
def test_never_raises_on_near_lines(parts: list[str]) -> None:
    event = parse_iwsva_line(1, "".join(parts), FILE)
    assert isinstance(event, WebEvent | NotARequest | Unreadable)


# ---------------------------------------------------------------- round trip

_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
_URL_CHARS = "abcxyzABC0129-._~,;=&%/!$'()*+:@"
_USER_CHARS = "abcXYZ019 ._-\\@,=山田太郎営業"
_OFFSETS = [None, 0, 9 * 60, -5 * 60, 5 * 60 + 30, -(3 * 60 + 30)]


@st.composite
def _urls(draw: st.DrawFn) -> str:
    host = ".".join(draw(st.lists(_LABEL, min_size=1, max_size=3)))
    path = draw(st.text(_URL_CHARS, max_size=30))
    query = draw(st.one_of(st.just(""), st.text(_URL_CHARS + "?", max_size=20).map(
        lambda q: "?" + q)))
    return f"{draw(st.sampled_from(['http', 'https']))}://{host}/{path}{query}"


def _plain_user(u: str) -> bool:
    if u != u.strip() or u.lower() in ("#null#", "-") or ",tk_" in u:
        return False
    try:
        ipaddress.ip_address(u)
    except ValueError:
        return True
    return False


@st.composite
def _times(draw: st.DrawFn) -> tuple[str, dt.datetime]:
    naive = draw(st.datetimes(min_value=dt.datetime(2000, 1, 1),
                              max_value=dt.datetime(2099, 12, 31))).replace(microsecond=0)
    sep = draw(st.sampled_from(["-", "/"]))
    text = naive.strftime(f"%Y{sep}%m{sep}%d %H:%M:%S")
    offset = draw(st.sampled_from(_OFFSETS))
    if offset is None:
        return text, naive
    sign = "-" if offset < 0 else "+"
    h, m = divmod(abs(offset), 60)
    style = draw(st.sampled_from(["{s}{h:02}:{m:02}", "{s}{h:02}{m:02}",
                                  " GMT{s}{h:02}:{m:02}", " {s}{h:02}:{m:02}"]))
    tz = dt.timezone(dt.timedelta(minutes=offset))
    return text + style.format(s=sign, h=h, m=m), naive.replace(tzinfo=tz)


@given(url=_urls(),
       user=st.one_of(st.none(), st.text(_USER_CHARS, min_size=1, max_size=20)
                      .filter(_plain_user)),
       client=st.one_of(st.none(), st.ip_addresses().map(str)),
       cats=st.lists(st.sampled_from(sorted(categories.BY_ID)), unique=True, max_size=3),
       sep=st.sampled_from([";", ","]),
       time=st.one_of(st.none(), _times()),
       tagged=st.booleans())
def test_access_fields_round_trip(url: str, user: str | None, client: str | None,
                                  cats: list[int], sep: str,
                                  time: tuple[str, dt.datetime] | None, tagged: bool) -> None:
    f: dict[str, str] = {}
    if user is not None:
        f["username"] = user
    f["url"] = url
    f["size"] = "0"
    if time is not None:
        f["date_field"] = time[0]
    f["protocol"] = url.split(":")[0]
    if client is not None:
        f["client_ip"] = client
    f["domain"] = url.split("/")[2]
    if cats:
        f["category"] = sep.join(map(str, cats))
    f["category_type"] = "0"
    prefix = "<134>iwsva01: <x> " + (ACCESS_TAG if tagged else "")
    e = web(prefix + fields(**f))
    assert e.log == "access"
    r = e.request
    assert r.url == url
    assert r.user == user
    assert r.client == client
    assert r.categories == tuple(cats)
    assert r.groups == () and r.file_type is None and r.decrypted is None
    if time is None:
        assert r.when is None
    else:
        assert r.when == time[1]
        assert r.when is not None and r.when.utcoffset() == time[1].utcoffset()
    expected = {"file-type", "groups" if user is not None else "user"}
    expected |= {n for n, missing in (("when", time is None), ("categories", not cats),
                                      ("client", client is None)) if missing}
    assert e.unknown == expected
    assert e.who == (user or client or "")


# ---------------------------------------------------------------- JSON lines


def jweb(data: dict[str, Any] | str, n: int = 4) -> WebEvent:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    event = parse_json_line(n, text, "req.jsonl")
    assert isinstance(event, WebEvent), event
    assert event.where == Where("req.jsonl", n) and event.log == "json"
    return event


def jmail(data: dict[str, Any], n: int = 4) -> MailEvent:
    event = parse_json_line(n, json.dumps(data, ensure_ascii=False), "mail.jsonl")
    assert isinstance(event, MailEvent), event
    assert event.where == (Where("mail.jsonl", n),) and event.log == "json"
    return event


def jbad(text: str, n: int = 4) -> str:
    event = parse_json_line(n, text, "x.jsonl")
    assert isinstance(event, Unreadable), event
    assert event.where == Where("x.jsonl", n)
    return event.reason


def test_json_web_every_field() -> None:
    e = jweb({"url": "https://example.com/a", "client": "192.0.2.1", "user": "山田",
              "groups": ["Sales"], "categories": ["Gambling", 46],
              "when": "2023-12-05T10:00:01+09:00", "decrypted": True, "fileType": "EXE",
              "recorded": {"action": "block", "by": "Sales policy"}})
    assert e.request == WebRequest(
        url="https://example.com/a", client="192.0.2.1", user="山田", groups=("Sales",),
        categories=("Gambling", 46), when=dt.datetime(2023, 12, 5, 10, 0, 1, tzinfo=JST),
        decrypted=True, file_type="EXE")
    assert e.unknown == frozenset()
    assert e.recorded == Recorded("block", "Sales policy", "block", comparable=True)
    assert e.who == "山田"


@pytest.mark.parametrize(("data", "unknown"), [
    ({"url": "http://a.example/"}, {"when", "categories", "client", "user", "file-type"}),
    # a user without groups: their groups are not known
    ({"url": "http://a.example/", "user": "bob"},
     {"when", "categories", "client", "groups", "file-type"}),
    ({"url": "http://a.example/", "user": "bob", "groups": []},
     {"when", "categories", "client", "file-type"}),
    # null is a known "none", except for a time
    ({"url": "http://a.example/", "user": None, "client": None, "fileType": None,
      "categories": [], "when": None}, {"when"}),
])
def test_json_web_unknowns(data: dict[str, Any], unknown: set[str]) -> None:
    e = jweb(data)
    assert e.unknown == unknown
    assert e.recorded is None


def test_json_web_one_category_alone() -> None:
    assert jweb({"url": "http://a.example/", "categories": 46}).request.categories == (46,)


def test_json_recorded_forms() -> None:
    e = jweb({"url": "http://a.example/", "recorded": {"action": "Monitor", "by": None,
                                                      "comparable": False}})
    assert e.recorded == Recorded("monitor", None, "Monitor", comparable=False)
    e = jweb({"url": "http://a.example/", "recorded": {"action": None}})
    assert e.recorded == Recorded(None, None, "", comparable=True)
    assert jweb({"url": "http://a.example/", "recorded": None}).recorded is None


def test_json_mail_every_field() -> None:
    e = jmail({"sender": "a@example.com", "recipients": ["b@example.jp", "c@example.jp"],
               "subject": "見積", "body": "hi", "headers": [["X-A", "1"]],
               "attachments": [{"name": "a.exe", "fileType": "EXE", "content": ""}],
               "direction": "incoming", "size": 10, "virus": True, "when": 600,
               "clientIp": "192.0.2.1", "messageId": "0A1B-2C",
               "recorded": {"action": "quarantine", "by": "Virus rule"}})
    m = e.message
    assert m.recipient == "b@example.jp"  # the first of recipients
    assert m.recipients == ("b@example.jp", "c@example.jp")
    assert m.subject == "見積" and m.virus and m.direction == "incoming"
    assert e.message_id == "0A1B-2C"
    assert e.unknown == frozenset()
    assert e.recorded == Recorded("quarantine", "Virus rule", "quarantine", comparable=True)


@pytest.mark.parametrize(("extra", "unknown"), [
    ({}, {"body", "attachments", "attachment-content", "headers", "verdicts", "when",
          "client"}),
    ({"body": "", "headers": [], "attachments": [], "spamScore": 0.5, "when": 1,
      "clientIp": "192.0.2.1"}, set()),
    ({"attachments": [{"name": "a.zip"}]},
     {"body", "attachment-content", "headers", "verdicts", "when", "client"}),
    ({"sea": False}, {"body", "attachments", "attachment-content", "headers", "when",
                      "client"}),
])
def test_json_mail_unknowns(extra: dict[str, Any], unknown: set[str]) -> None:
    e = jmail({"sender": "a@example.com", "recipient": "b@example.com", **extra})
    assert e.unknown == unknown
    assert e.message.recipient == "b@example.com"


@pytest.mark.parametrize(("text", "reason"), [
    ("", "blank"), ("   ", "blank"), ("# converted from squid", "comment"),
    ("  # indented", "comment"),
])
def test_json_blanks_and_comments(text: str, reason: str) -> None:
    assert parse_json_line(2, text, "x.jsonl") == NotARequest(Where("x.jsonl", 2), "json",
                                                              reason)


@pytest.mark.parametrize(("text", "reason"), [
    ('{"url": "http://a.example/"', "not JSON"),
    ("{'url': 'http://a.example/'}", "not JSON"),
    ("not json", "not JSON"),
    ("[" * 100_000, "not JSON"),
    ("[1, 2]", "not a JSON object but an array"),
    ('"http://a.example/"', "not a JSON object but a string"),
    ("null", "not a JSON object but null"),
    ("{}", "neither 'url'"),
    ('{"user": "bob"}', "neither 'url'"),
    ('{"url": "http://a.example/", "sender": "a@b.c"}', "both"),
    ('{"url": "http://a.example/", "method": "GET"}', "unknown key 'method'"),
    ('{"url": 5}', "request.url"),
    ('{"url": "http://a.example/", "when": "monday"}', "not an ISO date-time"),
    ('{"url": "http://a.example/", "groups": "Sales"}', "request.groups"),
    ('{"url": "http://a.example/", "categories": ["Gamblin"]}', "unknown URL category"),
    ('{"url": "http://a.example/", "categories": [999]}', "unknown URL category 999"),
    ('{"url": "http://a b/"}', "blank"),
    ('{"url": "gopher://a.example/"}', "not http, https or ftp"),
    ('{"url": "http://a.example/", "client": "1.2.3"}', "client"),
    ('{"url": "http://a.example/", "recorded": {"action": "deny"}}', "not an action"),
    ('{"url": "http://a.example/", "recorded": {"by": "x"}}', "missing 'action'"),
    ('{"url": "http://a.example/", "recorded": {"action": "block", "why": 1}}',
     "unknown key 'why'"),
    ('{"url": "http://a.example/", "recorded": "block"}', "recorded: not a JSON object"),
    ('{"url": "http://a.example/", "recorded": {"action": "block", "by": 3}}',
     "recorded.by"),
    ('{"url": "http://a.example/", "recorded": {"action": 1}}', "recorded.action"),
    ('{"url": "http://a.example/", "recorded": {"action": "block", "comparable": "y"}}',
     "recorded.comparable"),
    ('{"sender": "a@b.c"}', "missing 'recipient'"),
    ('{"sender": "a@b.c", "recipients": []}', "missing 'recipient'"),
    ('{"sender": "a@b.c", "recipient": "d@e.f", "direction": "sideways"}',
     "unknown mail direction"),
    ('{"sender": "a@b.c", "recipient": "d@e.f", "spamScore": "high"}', "spamScore"),
    ('{"sender": "a@b.c", "recipient": "d@e.f", "messageId": 5}', "messageId"),
    ('{"sender": "a@b.c", "recipient": "d@e.f", "recorded": {"action": "block"}}',
     "not an action"),
    ('{"sender": "a@b.c", "recipient": "d@e.f", "attachments": [{"size": 1}]}',
     "missing 'name'"),
])
def test_json_unreadable(text: str, reason: str) -> None:
    assert reason in jbad(text, 8)


@given(st.text(max_size=200))
def test_json_never_raises(text: str) -> None:
    event = parse_json_line(1, text, "x.jsonl")
    assert isinstance(event, WebEvent | MailEvent | NotARequest | Unreadable)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(
                        ["url", "sender", "recipient", "recipients", "user", "groups",
                         "categories", "when", "recorded", "action", "attachments",
                         "headers", "name", "messageId", "direction"]), inner, max_size=4),
                    max_leaves=12))
def test_json_never_raises_on_near_objects(data: Any) -> None:
    event = parse_json_line(1, json.dumps(data), "x.jsonl")
    assert isinstance(event, WebEvent | MailEvent | NotARequest | Unreadable)


# ---------------------------------------------------------------- vocabularies


def test_action_vocabularies_are_the_models() -> None:
    from isc.backends.ems.fidelity import ACCESS_LEVEL as MAIL_LEVEL
    from isc.backends.ztsa_ia.fidelity import ACCESS_LEVEL as WEB_LEVEL

    assert set(WEB_ACTIONS) == set(WEB_LEVEL)
    assert set(MAIL_ACTIONS) == set(MAIL_LEVEL)


@pytest.mark.parametrize(("file_name", "mime", "page"), [
    ("#null#", "text/html", True),
    ("#null#", "application/json; charset=utf-8", True),
    ("c.html", "text/html", False),            # a named file: its true type is unknown
    ("#null#", "application/octet-stream", False),
    ("#null#", "image/png", False),            # images may be blocked by true file type
    ("#null#", "#null#", False),
])
def test_a_page_has_no_file_type_to_know(file_name: str, mime: str, page: bool) -> None:
    event = web(ACCESS_TAG + fields(**access_fields(file_name=file_name, mime_content=mime)))
    assert ("file-type" in event.unknown) is not page
    assert event.request.file_type is None
