"""IMSVA mail logs (spec logs.md §2): polevt and msgtra lines, action bits, the join.

Every line here is written field by field to the layouts of logs.md §2 (the addresses,
IDs and hosts are made up; 192.0.2.0/24 and 2001:db8::/32 are documentation ranges)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.frontends.mail_logs import (
    MailJoiner,
    PolicyEvent,
    Tracking,
    parse_msgtra,
    parse_polevt,
    parse_time,
    recorded_from_bits,
    true_file_type,
)
from isc.ir.events import MAIL_UNKNOWNS, Recorded, Unreadable, Where
from isc.ir.requests import Attachment

POLEVT = "polevt.imss.20240501.0001"
MSGTRA = "msgtra.imss.20240501.0001"
ID = "A1B2C3D4-E5F6-A7B8-C9D0-E1F2A3B4C5D6"
ID2 = "B1B2C3D4-E5F6-A7B8-C9D0-E1F2A3B4C5D6"
ID3 = "C1B2C3D4-E5F6-A7B8-C9D0-E1F2A3B4C5D6"
NOTHING = "0" * 16
DELIVERED = "00100000000000000"
QUARANTINED = "01000000000000000"
ALWAYS_UNKNOWN = {"body", "attachment-content", "headers"}


def bits(*positions: int, length: int = 17) -> str:
    """A bitmask with the 1-based ``positions`` set."""
    return "".join("1" if i in positions else "0" for i in range(1, length + 1))


def polevt(*, time: str = "2024/05/01 09:15:42 GMT+09:00", mid: str = ID,
           sender: str = "alice@example.com", rcpts: str = "bob@example.jp",
           subject: str = "Quarterly report", direction: str = "1", rule: str = "",
           filters: str = NOTHING, size: str = "51.122070", actions: str = DELIVERED,
           score: str = "0.000000", attachment: tuple[str, str] | None = None,
           extra: int = 4) -> str:
    """A polevt line: the 12 fields of logs.md, fields 13-16 (13 and 14 are [U] numbers)
    and ``extra`` unknown trailing fields, as IMSVA writes some 40."""
    fields = [time, mid, sender, rcpts, subject, direction, rule, filters, "", size, actions,
              score, "0", "0", *(attachment or ("", ""))]
    return "\t".join(fields + ["0"] * extra)


def msgtra(*, kind: str = "NormalTransac", mid: str = ID, sender: str = "alice@example.com",
           rcpts: str = "bob@example.jp", subject: str = "Quarterly report",
           host: str = "mta.example.com[192.0.2.10]", actions: str = DELIVERED,
           time: str = "2024 May  1 09:15:41 +09:00", extra: int = 6) -> str:
    """A msgtra line: fields 1-16 of logs.md and ``extra`` unknown trailing fields."""
    fields = [kind, time, "2024/05/01 09:15:42 +09:00", "2024 May  1 09:15:43 +09:00",
              "20240501001542.XYZ@example.com", mid, "4B2C9D1E0F", "2", sender, rcpts,
              subject, host, "[192.0.2.20]:25", "250 2.0.0 Ok: queued", "sent", actions]
    return "\t".join(fields + ["0"] * extra)


def read_polevt(line: str, n: int = 1) -> PolicyEvent:
    record = parse_polevt(n, line, POLEVT)
    assert isinstance(record, PolicyEvent), record
    return record


def read_msgtra(line: str, n: int = 1) -> Tracking:
    record = parse_msgtra(n, line, MSGTRA)
    assert isinstance(record, Tracking), record
    return record


# ---------------------------------------------------------------------- polevt fields


def test_polevt_every_field() -> None:
    line = polevt(rcpts="bob@example.jp; carol@example.jp;;", rule="Inbound Attachments",
                  filters=bits(1, 3, 10, length=16), size="1984.576172",
                  actions=bits(1, 10), score="7.808000",
                  attachment=("invoice.exe", "Windows 32-bit EXE"))
    e = read_polevt(line, 7)
    assert e == PolicyEvent(
        where=Where(POLEVT, 7), message_id=ID,
        time=datetime(2024, 5, 1, 9, 15, 42, tzinfo=timezone(timedelta(hours=9))),
        sender="alice@example.com", recipients=("bob@example.jp", "carol@example.jp"),
        subject="Quarterly report", direction="incoming", rule="Inbound Attachments",
        filter_bits=bits(1, 3, 10, length=16), size=round(Decimal("1984.576172") * 1024),
        action_bits=bits(1, 10), spam_score=7.808, attachment_name="invoice.exe",
        attachment_type="Windows 32-bit EXE")
    assert e.filters == ("virus", "attachment", "web reputation")
    assert e.recorded == Recorded("delete", by="Inbound Attachments",
                                  raw=bits(1, 10) + " (deleted, notification)")


def test_polevt_null_fields_are_absent() -> None:
    line = "\t".join(["#null#", ID, "#null#", "#null#", "#null#", "#null#", "#null#",
                      "#null#", "#null#", "#null#", "#null#", "#null#", "#null#", "#null#",
                      "#null#", "#null#"])
    assert read_polevt(line) == PolicyEvent(where=Where(POLEVT, 1), message_id=ID)


def test_polevt_missing_trailing_fields() -> None:
    # 4 fields hold the message ID, sender and recipients: enough.
    e = read_polevt(f"2024/05/01 09:15:42 GMT+09:00\t{ID}\talice@example.com\tbob@example.jp")
    assert (e.message_id, e.sender, e.recipients) == (ID, "alice@example.com",
                                                      ("bob@example.jp",))
    assert (e.subject, e.direction, e.rule, e.filter_bits, e.size, e.action_bits,
            e.spam_score, e.attachment_name) == ("", None, None, None, None, None, None, None)
    # Cut after the action bits (field 11).
    e = read_polevt("\t".join(polevt().split("\t")[:11]))
    assert (e.action_bits, e.size, e.spam_score) == (DELIVERED, 52349, None)


def test_polevt_unknown_trailing_fields() -> None:
    e = read_polevt(polevt(extra=30) + "\tsomething new\t<x@y>\t\t")
    assert e == read_polevt(polevt(extra=0))


def test_polevt_japanese_subject_kept_as_written() -> None:
    e = read_polevt(polevt(subject="【重要】 会議のお知らせ ", rcpts="山田@例え.jp"))
    assert e.subject == "【重要】 会議のお知らせ "
    assert e.recipients == ("山田@例え.jp",)


@pytest.mark.parametrize(("written", "direction"), [
    ("1", "incoming"), ("2", "outgoing"), ("0", None), ("3", None), ("", None),
    ("#null#", None), (" 2 ", "outgoing"),
])
def test_polevt_direction(written: str, direction: str | None) -> None:
    assert read_polevt(polevt(direction=written)).direction == direction


@pytest.mark.parametrize(("kb", "size"), [
    ("51.122070", 52349),      # 52348.999... bytes, as IMSVA rounds to 6 decimals
    ("0.000000", 0), ("1", 1024), ("0.5", 512), ("1.", 1024), (".25", 256),
    ("6426.144531", 6580372), ("0.000977", 1),   # 1 byte
])
def test_polevt_size_kb_to_bytes(kb: str, size: int) -> None:
    assert read_polevt(polevt(size=kb)).size == size


def test_polevt_sender_forms() -> None:
    assert read_polevt(polevt(sender="<>")).sender == ""
    assert read_polevt(polevt(sender="<alice@example.com>")).sender == "alice@example.com"
    assert read_polevt(polevt(rcpts="<bob@example.jp>;#null#")).recipients == (
        "bob@example.jp",)


@pytest.mark.parametrize(("written", "expected"), [
    ("2024/05/01 09:15:42 GMT+09:00",
     datetime(2024, 5, 1, 9, 15, 42, tzinfo=timezone(timedelta(hours=9)))),
    ("2024/05/01 09:15:42 GMT-05:30",
     datetime(2024, 5, 1, 9, 15, 42, tzinfo=timezone(-timedelta(hours=5, minutes=30)))),
    ("2024/05/01 09:15:42 GMT", datetime(2024, 5, 1, 9, 15, 42, tzinfo=UTC)),
    ("2024/05/01 09:15:42", datetime(2024, 5, 1, 9, 15, 42)),
    ("2024 May  1 09:15:42 +09:00",
     datetime(2024, 5, 1, 9, 15, 42, tzinfo=timezone(timedelta(hours=9)))),
    ("2024 oct 18 23:59:59 -0100",
     datetime(2024, 10, 18, 23, 59, 59, tzinfo=timezone(-timedelta(hours=1)))),
    ("2024/02/30 09:15:42 GMT+09:00", None),
    ("2024/05/01 09:15:42 GMT+24:00", None),
    ("2024 Foo 01 09:15:42 +09:00", None),
    ("yesterday", None),
])
def test_parse_time(written: str, expected: datetime | None) -> None:
    assert parse_time(written) == expected


# ---------------------------------------------------------------------- unreadable lines


@pytest.mark.parametrize(("line", "reason"), [
    ("", "polevt: 1 field, a policy event has at least 4"),
    (f"2024/05/01 09:15:42 GMT+09:00\t{ID}\talice@example.com",
     "polevt: 3 fields, a policy event has at least 4"),
    ("garbage ☃ not a log line", "polevt: 1 field, a policy event has at least 4"),
    ("a\tb\tc\td\te", "polevt field 1 (time): 'a' is not a time"),
    (polevt(mid=""), "polevt field 2 (message ID): empty"),
    (polevt(mid="A1B2 C3D4"), "polevt field 2 (message ID): 'A1B2 C3D4' is not a message ID"),
    (polevt(filters="0100"), "polevt field 8 (filter bits): '0100' is not 16 binary digits"),
    (polevt(filters="01000000000000x0"), "polevt field 8 (filter bits)"),
    (polevt(actions=DELIVERED + "0"), "polevt field 11 (action bits): '001000000000000000' "
                                      "is not 17 binary digits"),
    (polevt(size="51,12"), "polevt field 10 (size): '51,12' is not a decimal number of KB"),
    (polevt(size="-3"), "polevt field 10 (size)"),
    (polevt(size="nan"), "polevt field 10 (size)"),
    (polevt(size="1e9"), "polevt field 10 (size)"),
    (polevt(size="9" * 100), "polevt field 10 (size): '" + "9" * 40 + "…'"),
    (polevt(score="high"), "polevt field 12 (spam score): 'high' is not a decimal number"),
    (polevt(score="inf"), "polevt field 12 (spam score)"),
    # A line cut inside the action bitmask.
    (polevt()[: polevt().index(DELIVERED) + 5], "polevt field 11 (action bits): '00100'"),
])
def test_polevt_unreadable(line: str, reason: str) -> None:
    result = parse_polevt(42, line, POLEVT)
    assert isinstance(result, Unreadable)
    assert result.where == Where(POLEVT, 42)
    assert result.reason.startswith(reason), result.reason


@pytest.mark.parametrize(("line", "reason"), [
    ("NormalTransac\tx", "msgtra: 2 fields, a message transaction has at least 10"),
    ("\t".join(msgtra().split("\t")[:9]),
     "msgtra: 9 fields, a message transaction has at least 10"),
    ("完全な ゴミ\t" * 12, "msgtra field 1 (transaction type): '完全な ゴミ' is not a "
                        "transaction type"),
    (msgtra(mid=""), "msgtra field 6 (message ID): empty"),
    (msgtra(actions="0010"), "msgtra field 16 (action bits): '0010' is not 17 binary digits"),
])
def test_msgtra_unreadable(line: str, reason: str) -> None:
    result = parse_msgtra(9, line, MSGTRA)
    assert isinstance(result, Unreadable)
    assert result.where == Where(MSGTRA, 9)
    assert result.reason.startswith(reason), result.reason


@given(st.text(max_size=300))
def test_readers_never_raise(text: str) -> None:
    for parse in (parse_polevt, parse_msgtra):
        result = parse(3, text, "f")
        assert result.where == Where("f", 3)


# ---------------------------------------------------------------------- msgtra fields


def test_msgtra_every_field() -> None:
    t = read_msgtra(msgtra(kind="QuarantineTransac", rcpts="bob@example.jp;carol@example.jp",
                           actions=QUARANTINED), 5)
    assert t == Tracking(
        where=Where(MSGTRA, 5), transaction="QuarantineTransac", message_id=ID,
        time=datetime(2024, 5, 1, 9, 15, 41, tzinfo=timezone(timedelta(hours=9))),
        internet_message_id="20240501001542.XYZ@example.com", sender="alice@example.com",
        recipients=("bob@example.jp", "carol@example.jp"), subject="Quarterly report",
        client_host="mta.example.com[192.0.2.10]", client_ip="192.0.2.10",
        action_bits=QUARANTINED)
    assert t.recorded == Recorded("quarantine", raw=QUARANTINED + " (quarantined)")


def test_msgtra_null_and_missing_fields() -> None:
    fields = ["DeleteTransac", "#null#", "#null#", "#null#", "#null#", "#null#", "#null#",
              "#null#", "#null#", "#null#"]
    t = read_msgtra("\t".join(fields))
    assert t == Tracking(where=Where(MSGTRA, 1), transaction="DeleteTransac", message_id="")
    assert t.recorded is None


def test_msgtra_unknown_trailing_fields_and_japanese_subject() -> None:
    t = read_msgtra(msgtra(subject="お見積りの件", extra=40) + "\tnew\tfields")
    assert t.subject == "お見積りの件"
    assert t == read_msgtra(msgtra(subject="お見積りの件", extra=0))


@pytest.mark.parametrize(("host", "ip"), [
    ("mta.example.com[192.0.2.10]", "192.0.2.10"),
    ("unknown[2001:db8::1]", "2001:db8::1"),
    ("mx.example.com[IPv6:2001:DB8::1]", "2001:db8::1"),
    ("[192.0.2.20]:25", "192.0.2.20"),
    ("mta.example.com", None),
    ("mta.example.com[999.0.2.10]", None),
    ("#null#", None),
])
def test_msgtra_client_ip(host: str, ip: str | None) -> None:
    assert read_msgtra(msgtra(host=host)).client_ip == ip


# ---------------------------------------------------------------------- action bits


@pytest.mark.parametrize(("positions", "action"), [
    ((1,), "delete"),
    ((2,), "quarantine"),
    ((3,), "deliver"),
    ((5,), "change-recipient"),
    ((13,), "handoff"),
    ((5, 3), "change-recipient"),
    ((13, 5, 3), "handoff"),
    ((2, 13, 5, 3), "quarantine"),
    ((1, 2, 3), "delete"),
    ((3, 4, 6, 7, 8, 9, 10, 12, 14), "deliver"),   # modifications do not change the action
])
def test_action_bits_to_action(positions: tuple[int, ...], action: str) -> None:
    recorded = recorded_from_bits(bits(*positions), "Rule A")
    assert recorded is not None
    assert (recorded.action, recorded.by, recorded.comparable) == (action, "Rule A", True)
    assert recorded.raw.startswith(bits(*positions) + " (")


def test_action_bits_names_in_raw() -> None:
    recorded = recorded_from_bits(bits(3, 4, 8, 14, 16), None)
    assert recorded == Recorded(
        "deliver", raw=bits(3, 4, 8, 14, 16)
        + " (delivered, archived, tagged subject, X-header, bit 16)")


@pytest.mark.parametrize(("positions", "action"), [
    ((11,), None), ((3, 11), "deliver"), ((1, 11), "delete"),
    ((), None), ((8,), None), ((4, 10), None),
])
def test_action_bits_not_comparable(positions: tuple[int, ...], action: str | None) -> None:
    """Cleaned is the scanner's doing; no action bit leaves nothing to compare."""
    recorded = recorded_from_bits(bits(*positions), None)
    assert recorded is not None
    assert (recorded.action, recorded.comparable) == (action, False)


def test_no_action_bits_no_record() -> None:
    assert recorded_from_bits(None, "Rule") is None


@pytest.mark.parametrize(("description", "file_type"), [
    ("Windows 32-bit EXE", "EXE"), ("Executable (DLL)", "EXE"), ("7-Zip", "7Z"),
    ("ZIP", "ZIP"), ("GZIP", "GZIP"), ("Microsoft Word 2007 document", "DOCX"),
    ("Microsoft Word 97-2003", "DOC"), ("Adobe Portable Document Format (PDF)", "PDF"),
    ("JPEG image", "JPEG"), ("Windows Shortcut", "LNK"), ("Quick Time Media", None),
    ("", None), (None, None),
])
def test_true_file_type(description: str | None, file_type: str | None) -> None:
    assert true_file_type(description) == file_type


# ---------------------------------------------------------------------- joining


def test_join_polevt_and_msgtra() -> None:
    joiner = MailJoiner()
    assert joiner.add(read_msgtra(msgtra(), 3)) == []
    assert joiner.add(read_polevt(polevt(score="2.5"), 8)) == []
    [event] = joiner.flush()
    assert event.where == (Where(MSGTRA, 3), Where(POLEVT, 8))
    assert (event.log, event.message_id) == ("imsva", ID)
    m = event.message
    assert (m.sender, m.recipient, m.recipients, m.subject) == (
        "alice@example.com", "bob@example.jp", ("bob@example.jp",), "Quarterly report")
    assert (m.size, m.direction, m.client_ip, m.spam_score) == (52349, "incoming",
                                                                 "192.0.2.10", 2.5)
    assert m.when == 9 * 60 + 15        # the msgtra time, 09:15:41, is the earliest
    assert (m.virus, m.graymail, m.wrs_level, m.attachments) == (False, False, None, ())
    assert event.unknown == ALWAYS_UNKNOWN | {"attachments"}
    assert event.recorded == Recorded("deliver", raw=DELIVERED + " (delivered)")
    assert len(joiner) == 0 and joiner.flush() == []


def test_join_two_rules_of_one_message() -> None:
    joiner = MailJoiner()
    for n, line in enumerate([
        polevt(rule="Tag external", actions=bits(8), rcpts="bob@example.jp"),
        polevt(rule="Block executables", filters=bits(1, 3, 10, 15, length=16),
               actions=bits(2, 10), rcpts="Bob@example.jp;carol@example.jp",
               attachment=("setup.exe", "Windows 32-bit EXE"), score="9.1"),
        polevt(rule="Archive all", actions=bits(3, 4),
               attachment=("notes.txt", "Quick Time Media")),
    ], 1):
        assert joiner.add(read_polevt(line, n)) == []
    assert joiner.add(read_msgtra(msgtra(kind="QuarantineTransac", actions=QUARANTINED,
                                         host="#null#"))) == []
    [event] = joiner.flush()
    assert len(event.where) == 4
    assert event.recorded == Recorded("quarantine", by="Block executables",
                                      raw=bits(2, 10) + " (quarantined, notification)")
    m = event.message
    assert m.recipients == ("bob@example.jp", "carol@example.jp")
    assert (m.virus, m.graymail, m.wrs_level, m.spam_score) == (True, True, "high", 9.1)
    assert m.attachments == (Attachment("setup.exe", file_type="EXE"),
                             Attachment("notes.txt"))
    assert event.unknown == ALWAYS_UNKNOWN | {"client"}


def test_join_cleaned_is_not_comparable() -> None:
    joiner = MailJoiner()
    joiner.add(read_polevt(polevt(rule="Virus", filters=bits(1, length=16),
                                  actions=bits(3, 11))))
    joiner.add(read_msgtra(msgtra()))
    [event] = joiner.flush()
    assert event.recorded is not None
    assert (event.recorded.action, event.recorded.comparable) == ("deliver", False)


def test_msgtra_only_message_lacks_verdicts() -> None:
    joiner = MailJoiner()
    joiner.add(read_msgtra(msgtra(kind="DeleteTransac", actions=bits(1))))
    [event] = joiner.flush()
    assert event.unknown == ALWAYS_UNKNOWN | {"verdicts", "attachments"}
    assert event.recorded == Recorded("delete", raw=bits(1) + " (deleted)")
    assert (event.message.direction, event.message.size, event.message.spam_score) == (
        None, 0, None)


def test_polevt_only_without_time_or_client() -> None:
    joiner = MailJoiner()
    joiner.add(read_polevt(polevt(time="#null#")))
    [event] = joiner.flush()
    assert event.unknown == ALWAYS_UNKNOWN | {"attachments", "when", "client"}
    assert event.message.when is None
    assert event.unknown <= set(MAIL_UNKNOWNS)


def test_line_without_message_id_is_its_own_message() -> None:
    joiner = MailJoiner()
    t = read_msgtra(msgtra(mid="#null#"))
    assert t.message_id == ""
    [event] = joiner.add(t)
    assert (event.message_id, event.where) == ("", (t.where,))
    assert len(joiner) == 0


def test_eviction_over_the_bound() -> None:
    joiner = MailJoiner(bound=2)
    assert joiner.add(read_polevt(polevt(mid=ID), 1)) == []
    assert joiner.add(read_polevt(polevt(mid=ID2), 2)) == []
    assert joiner.add(read_msgtra(msgtra(mid=ID), 3)) == []   # joins, pending stays 2
    [evicted] = joiner.add(read_polevt(polevt(mid=ID3), 4))
    assert (evicted.message_id, evicted.where) == (ID, (Where(MSGTRA, 3), Where(POLEVT, 1)))
    assert len(joiner) == 2
    # A later line of the evicted ID starts a new message, which evicts the next oldest.
    [evicted] = joiner.add(read_polevt(polevt(mid=ID), 5))
    assert evicted.message_id == ID2
    assert [e.message_id for e in joiner.flush()] == [ID3, ID]


def test_flush_in_first_seen_order() -> None:
    joiner = MailJoiner()
    for n, mid in enumerate([ID3, ID, ID3, ID2, ID], 1):
        joiner.add(read_polevt(polevt(mid=mid), n))
    events = joiner.flush()
    assert [e.message_id for e in events] == [ID3, ID, ID2]
    assert [[w.line for w in e.where] for e in events] == [[1, 3], [2, 5], [4]]


def test_max_lines_per_message() -> None:
    joiner = MailJoiner(max_lines=2)
    assert joiner.add(read_polevt(polevt(), 1)) == []
    [event] = joiner.add(read_polevt(polevt(), 2))
    assert [w.line for w in event.where] == [1, 2]
    assert len(joiner) == 0


def test_bad_bounds() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MailJoiner(bound=0)


# ---------------------------------------------------------------------- round trip

_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ids = st.builds(lambda parts: "-".join(parts), st.tuples(*(
    st.text(_ID_CHARS, min_size=n, max_size=n) for n in (8, 4, 4, 4, 12))))
addresses = st.builds("{}@{}.{}".format,
                      st.text("abcdefghijklmnopqrstuvwxyz0123456789._-+", min_size=1,
                              max_size=12),
                      st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1,
                              max_size=12),
                      st.sampled_from(["com", "jp", "co.jp", "example"]))
#: Free text as a field holds it: no TAB (the separator), never the word for absent.
free_text = st.text(st.characters(blacklist_characters="\t", blacklist_categories=("Cs",)),
                    max_size=40).filter(lambda s: s.strip() != "#null#")
names = free_text.map(str.strip).filter(bool)
offsets = st.integers(-12 * 4, 14 * 4).map(lambda q: timedelta(minutes=15 * q))
times = st.builds(lambda dt, off: dt.replace(tzinfo=timezone(off)),
                  st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(
                      lambda d: d.replace(microsecond=0)), offsets)
bitmasks = st.integers(0, 16).flatmap(lambda n: st.text("01", min_size=n, max_size=n))
absent = st.sampled_from(["", "#null#"])


def written_time(t: datetime, msgtra_form: bool) -> str:
    off = t.utcoffset() or timedelta(0)
    sign = "-" if off < timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    zone = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    if msgtra_form:
        return t.strftime("%Y %b ") + f"{t.day:2d} " + t.strftime("%H:%M:%S ") + zone
    return t.strftime("%Y/%m/%d %H:%M:%S GMT") + zone


def optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | strategy


@given(mid=ids, time=optional(times), sender=addresses,
       rcpts=st.lists(addresses, max_size=4), subject=free_text,
       direction=st.sampled_from(["1", "2"]), rule=optional(names),
       filters=optional(st.text("01", min_size=16, max_size=16)),
       size=optional(st.integers(0, 10**10)),
       actions=optional(st.text("01", min_size=17, max_size=17)),
       score=optional(st.integers(0, 10**8)),
       attachment=optional(st.tuples(names, names)),
       null=absent, extra=st.lists(free_text, max_size=5))
def test_polevt_round_trip(mid: str, time: datetime | None, sender: str, rcpts: list[str],
                           subject: str, direction: str, rule: str | None,
                           filters: str | None, size: int | None, actions: str | None,
                           score: int | None, attachment: tuple[str, str] | None,
                           null: str, extra: list[str]) -> None:
    def w(value: str | None) -> str:
        return null if value is None else value

    fields = [w(None if time is None else written_time(time, False)), mid, sender,
              ";".join(rcpts), subject, direction, w(rule), w(filters), "",
              w(None if size is None else f"{size / 1024:.6f}"), w(actions),
              w(None if score is None else f"{score / 10**6:.6f}"), "0", "0",
              *(attachment or (null, null)), *extra]
    e = read_polevt("\t".join(fields), 11)
    assert e == PolicyEvent(
        where=Where(POLEVT, 11), message_id=mid, time=time, sender=sender,
        recipients=tuple(rcpts), subject=subject,
        direction={"1": "incoming", "2": "outgoing"}[direction], rule=rule,
        filter_bits=filters, size=size, action_bits=actions,
        spam_score=None if score is None else float(f"{score / 10**6:.6f}"),
        attachment_name=attachment and attachment[0],
        attachment_type=attachment and attachment[1])


@given(kind=st.sampled_from(["NormalTransac", "QuarantineTransac", "DeleteTransac"]),
       mid=ids, time=optional(times), sender=addresses, rcpts=st.lists(addresses, max_size=4),
       subject=free_text, ip=optional(st.ip_addresses().map(str)),
       actions=optional(st.text("01", min_size=17, max_size=17)), null=absent,
       cut=st.integers(10, 16), extra=st.lists(free_text, max_size=5))
def test_msgtra_round_trip(kind: str, mid: str, time: datetime | None, sender: str,
                           rcpts: list[str], subject: str, ip: str | None,
                           actions: str | None, null: str, cut: int,
                           extra: list[str]) -> None:
    def w(value: str | None) -> str:
        return null if value is None else value

    host = None if ip is None else f"relay.example.com[{ip}]"
    fields = [kind, w(None if time is None else written_time(time, True)), null, null,
              "abc@example.com", mid, "4B2C9D1E0F", "2", sender, ";".join(rcpts), subject,
              w(host), null, null, null, w(actions), *extra]
    # Fields after the recipients may be missing (the unknown trailing ones only when all
    # 16 are there).
    fields = fields if cut == 16 else fields[:cut]
    t = read_msgtra("\t".join(fields), 2)
    present = len(fields)
    assert t == Tracking(
        where=Where(MSGTRA, 2), transaction=kind, message_id=mid, time=time,
        internet_message_id="abc@example.com", sender=sender, recipients=tuple(rcpts),
        subject=subject if present >= 11 else "",
        client_host=host if present >= 12 else None,
        client_ip=ip if present >= 12 else None,
        action_bits=actions if present >= 16 else None)


@given(st.lists(st.tuples(st.sampled_from([ID, ID2, ID3, "D" + ID[1:]]), st.booleans()),
                max_size=30), st.integers(1, 4))
def test_joiner_accounts_for_every_line(lines: list[tuple[str, bool]], bound: int) -> None:
    """Every line added ends in exactly one event, whatever the bound."""
    joiner = MailJoiner(bound=bound)
    events = []
    for n, (mid, is_polevt) in enumerate(lines, 1):
        record = (read_polevt(polevt(mid=mid), n) if is_polevt
                  else read_msgtra(msgtra(mid=mid), n))
        events += joiner.add(record)
        assert len(joiner) <= bound
    events += joiner.flush()
    assert sorted(w.line for e in events for w in e.where) == list(range(1, len(lines) + 1))
