"""MailMessage.from_eml: reading .eml files into what the mail models decide on."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.errors import IscError
from isc.ir.requests import TRUE_FILE_TYPES, MailMessage

DATA = Path(__file__).parent / "data" / "mail"


def test_plain_message_envelope_and_recipients() -> None:
    m = MailMessage.from_eml(DATA / "plain.eml")
    assert m.sender == "bounce@mailer.example"          # Return-Path wins over From
    assert m.recipient == "ken@example.co.jp"           # first To
    assert m.recipients == ("ken@example.co.jp", "yuki@example.co.jp", "audit@example.co.jp")
    assert m.subject == "Quarterly report"
    assert m.body == "Please find the confidential report below.\nRegards, Alice\n"
    assert m.size == (DATA / "plain.eml").stat().st_size
    assert m.header("message-id") == ("<plain-1@outside.example>",)
    assert m.header("To")[0].startswith('"Ito, Ken"')
    assert m.attachments == ()
    assert (m.direction, m.virus, m.spam_score, m.dkim_pass) == (None, False, None, None)


def test_japanese_iso_2022_jp_subject_body_and_display_name() -> None:
    m = MailMessage.from_eml(DATA / "japanese.eml")
    assert m.subject == "社外秘：見積書"
    assert m.body == "本文です。社外秘の資料を送ります。\n"
    assert m.header("From") == ("山田 <yamada@outside.example>",)
    assert m.sender == "yamada@outside.example"        # no Return-Path: the From address
    assert m.recipient == "sato@example.co.jp"


def test_attachments_types_sizes_content_and_protection() -> None:
    m = MailMessage.from_eml(DATA / "attachments.eml")
    assert m.body == "Plain body text.\n"      # text/plain preferred over the HTML part
    got = {a.name: a for a in m.attachments}
    assert sorted(got) == sorted(["invoice.pdf.exe", "data.zip", "locked.zip", "statement.pdf",
                                  "logo.png", "plan.docx", "ledger.csv", "x.lnk", "資料.7z"])
    assert {n: a.file_type for n, a in got.items()} == {
        "invoice.pdf.exe": "EXE", "data.zip": "ZIP", "locked.zip": "ZIP",
        "statement.pdf": "PDF", "logo.png": "PNG", "plan.docx": "DOCX", "ledger.csv": None,
        "x.lnk": "LNK", "資料.7z": "7Z"}
    assert {n for n, a in got.items() if a.password_protected} == {"locked.zip",
                                                                   "statement.pdf"}
    assert got["invoice.pdf.exe"].size == 100
    assert got["invoice.pdf.exe"].mime_type == "application/octet-stream"
    assert got["logo.png"].mime_type == "image/png"
    assert got["plan.docx"].content == "Project Falcon budget"
    assert got["ledger.csv"].content == "name,amount\nfalcon,100\n"
    assert got["invoice.pdf.exe"].content == ""
    assert all(a.file_type in TRUE_FILE_TYPES for a in m.attachments if a.file_type)


def test_html_only_body_is_text_and_null_sender() -> None:
    m = MailMessage.from_eml(DATA / "html-only.eml")
    assert m.sender == ""
    assert m.subject == "ニュース"
    assert "Big\xa0sale & more" in m.body
    assert "Click here" in m.body
    assert "color" not in m.body and "<p>" not in m.body


def test_forwarded_message_is_one_attachment() -> None:
    m = MailMessage.from_eml(DATA / "forwarded.eml")
    assert m.body == "See attached.\n"
    [att] = m.attachments
    assert (att.name, att.mime_type) == ("report.eml", "message/rfc822")
    assert "confidential numbers" in att.content


def test_bytes_input_recipient_and_verdicts() -> None:
    raw = (DATA / "plain.eml").read_bytes()
    m = MailMessage.from_eml(raw, recipient="hidden@example.co.jp", direction="incoming",
                             virus=True, spam_score=7.5, graymail=True, wrs_level="high",
                             sea=True, dlp_templates=["PCI-DSS"])
    assert m.recipient == "hidden@example.co.jp"
    assert m.recipients[-1] == "hidden@example.co.jp"
    assert (m.direction, m.virus, m.spam_score, m.graymail, m.wrs_level, m.sea) == (
        "incoming", True, 7.5, True, "high", True)
    assert m.dlp_templates == ("PCI-DSS",)
    assert m.size == len(raw)


def test_cc_is_the_fallback_recipient() -> None:
    m = MailMessage.from_eml(b"From: a@x.example\r\nCc: c@example.co.jp\r\n\r\nhi\r\n")
    assert (m.sender, m.recipient, m.body) == ("a@x.example", "c@example.co.jp", "hi\n")


def test_crlf_and_lf_files_read_alike() -> None:
    lf = b"From: a@x.example\nTo: b@y.example\nSubject: s\n\nline one\nline two\n"
    a = MailMessage.from_eml(lf)
    b = MailMessage.from_eml(lf.replace(b"\n", b"\r\n"))
    assert (a.body, a.subject, a.headers) == (b.body, b.subject, b.headers)


def test_no_recipient_is_an_isc_error() -> None:
    with pytest.raises(IscError) as err:
        MailMessage.from_eml(DATA / "no-recipient.eml")
    assert err.value.code == "ISC1011"
    assert err.value.file == str(DATA / "no-recipient.eml")
    # naming the recipient makes it readable
    assert MailMessage.from_eml(DATA / "no-recipient.eml", recipient="z@example.co.jp").body \
        == "nobody\n"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"recipient": "not-an-address"}, "ISC1011"),
    ({"direction": "sideways"}, "ISC1006"),
])
def test_bad_arguments_are_isc_errors(kwargs: dict[str, str], code: str) -> None:
    with pytest.raises(IscError) as err:
        MailMessage.from_eml(DATA / "plain.eml", **kwargs)  # type: ignore[arg-type]
    assert err.value.code == code


def test_missing_file_is_an_isc_error(tmp_path: Path) -> None:
    with pytest.raises(IscError) as err:
        MailMessage.from_eml(tmp_path / "nope.eml")
    assert err.value.code == "ISC1009"
    with pytest.raises(IscError):
        MailMessage.from_eml(str(tmp_path))   # a directory


@given(st.binary(max_size=2000))
def test_any_bytes_give_a_message_or_an_isc_error(data: bytes) -> None:
    try:
        m = MailMessage.from_eml(data, recipient="r@example.co.jp")
    except IscError:
        return
    assert m.size == len(data)


@given(st.lists(st.sampled_from([
    b"Subject: =?utf-8?b?!!!?=\n", b"To: <<<@@>>>, \"unterminated\n",
    b"Content-Type: multipart/mixed; boundary=\"b\"\n", b"--b\n",
    b"Content-Transfer-Encoding: base64\n", b"Content-Type: text/plain; charset=x-nope\n",
    b"Content-Disposition: attachment; filename*=bogus''%ZZ\n", b"\n",
    b"=?iso-2022-jp?b?GyRC?=\n", b"To: r@example.co.jp\n",
    b"\x00\xff\xfe garbage\n", b"Return-Path: <\n", b"Content-Type: message/rfc822\n",
]), max_size=25))
def test_malformed_mime_never_raises_anything_else(lines: list[bytes]) -> None:
    data = b"".join(lines)
    try:
        m = MailMessage.from_eml(data)
    except IscError as err:
        assert err.code in ("ISC1009", "ISC1011")
        return
    assert "@" in m.recipient
