"""Reading inputs: directories, tar archives, limits, encodings (spec formats.md §1, §6)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tracemalloc
from pathlib import Path

import pytest

import isc
from isc.diagnostics import Diagnostic, Severity
from isc.errors import IscError
from isc.frontends import _text, containers
from test_cli import run

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "iwsva-sakura"
MiB = 1024 * 1024

POLICY = b"""\
[url-filtering-policy "Global Policy"]
global = yes
enabled = yes
category "Gambling" = block
"""

#: Japanese object names; several are valid CP932 when encoded as EUC-JP (half-width kana),
#: and "ソ" / "表" have a 0x5C second byte in Shift_JIS.
JAPANESE = """\
[custom-category "ニュース"]
web-site: news.example.jp

[custom-category "ソフトウェア配布"]
web-site: dl.example.jp

[url-filtering-policy "開発部"]
priority = 1
account = ip 10.0.0.5
category "ニュース" = block
category "ソフトウェア配布" = allow

[url-filtering-policy "全社"]
global = yes
category "Gambling" = block
"""
JAPANESE_NAMES = {"ニュース", "ソフトウェア配布"}
JAPANESE_POLICIES = {"開発部", "全社"}


# ---------------------------------------------------------------------- helpers


class _Zeros(io.RawIOBase):
    """``n`` zero bytes, produced lazily (a bomb is built without holding it in memory)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        k = min(len(buffer), self.n)
        buffer[:k] = bytes(k)
        self.n -= k
        return k


def _info(name: str, **kw: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(info, k, v)
    return info


def make_tar(members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.USTAR_FORMAT) as tf:
        for m in members:
            if isinstance(m, tuple):
                name, data = m
                info = _info(name, size=len(data))
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(m)
    return buf.getvalue()


def read(data: bytes, limits: containers.Limits | None = None,
         display: str = "t.tar.gz") -> tuple[list[containers.Member], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    members = list(containers.read_archive(data, display, limits or containers.Limits(),
                                           diags))
    return members, diags


def digest(*roots: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*"))
        for p in paths:
            st = p.lstat()
            h = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
            out[str(p)] = (h, st.st_mtime_ns, st.st_mode)
    return out


def names(export: isc.Export) -> tuple[set[str], set[str]]:
    assert export.web is not None
    return ({c.name for c in export.web.custom_categories},
            {p.name for p in export.web.url_filtering})


# ---------------------------------------------------------------------- refused members


def test_regular_members_are_read_with_relative_names() -> None:
    data = make_tar([("policy.ini", POLICY), ("./sub/lists.ini", b"[approved]\nx.example/*\n"),
                     _info("sub", type=tarfile.DIRTYPE)])
    members, diags = read(data, display="exp.tgz")
    assert diags == []
    assert [(m.display, m.rel, m.data) for m in members] == [
        ("exp.tgz:policy.ini", "policy.ini", POLICY),
        ("exp.tgz:sub/lists.ini", "sub/lists.ini", b"[approved]\nx.example/*\n"),
    ]


@pytest.mark.parametrize(
    ("member", "what"),
    [
        (_info("../evil", size=0), "escaping"),
        (_info("a/../../evil", size=0), "escaping"),
        (_info("/abs", size=0), "absolute"),
        (_info("/etc/passwd", size=0), "absolute"),
        (_info("link", type=tarfile.SYMTYPE, linkname="/etc/passwd"), "link"),
        (_info("inner-link", type=tarfile.SYMTYPE, linkname="policy.ini"), "link"),
        (_info("hard", type=tarfile.LNKTYPE, linkname="policy.ini"), "link"),
        (_info("dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3), "device"),
        (_info("blk", type=tarfile.BLKTYPE, devmajor=8, devminor=0), "device"),
        (_info("fifo", type=tarfile.FIFOTYPE), "device"),
    ],
    ids=lambda x: x.name if isinstance(x, tarfile.TarInfo) else x,
)
def test_dangerous_members_are_refused(member: tarfile.TarInfo, what: str) -> None:
    data = make_tar([("policy.ini", POLICY), member, ("z.ini", POLICY)])
    members, diags = read(data)
    # the other members are still read, in order
    assert [m.rel for m in members] == ["policy.ini", "z.ini"]
    assert len(diags) == 1
    (d,) = diags
    assert d.code == "ISC4002"
    assert d.severity is Severity.ERROR
    assert d.file == f"t.tar.gz:{member.name}"
    assert repr(member.name) in d.message


def test_dangerous_members_via_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_tar([("policy.ini", POLICY), _info("../evil", size=0),
                     _info("ln", type=tarfile.SYMTYPE, linkname="/etc/shadow"),
                     _info("dev", type=tarfile.CHRTYPE)])
    arc = tmp_path / "export.tar.gz"
    arc.write_bytes(data)
    out = tmp_path / "out"
    rc, _stdout, err = run(capsys, "compile", arc, "-o", out)
    assert rc == 2
    assert err.count("ISC4002") == 3
    for name in ("../evil", "ln", "dev"):
        assert f"{arc}:{name}" in err
    assert not out.exists()
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()


def test_archive_is_never_extracted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_tar([("policy.ini", POLICY), ("certs/ca.pem", b"-----BEGIN CERTIFICATE-----\n")])
    arc = tmp_path / "in" / "export.tgz"
    arc.parent.mkdir()
    arc.write_bytes(data)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    export = isc.load(str(arc))
    assert {f.rel for f in export.files} == {"policy.ini", "certs/ca.pem"}
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in arc.parent.iterdir()) == ["export.tgz"]


def test_plain_tar_is_read() -> None:
    data = make_tar([("policy.ini", POLICY)], mode="w")
    assert containers.is_archive(data)
    members, diags = read(data, display="x.tar")
    assert [m.rel for m in members] == ["policy.ini"] and diags == []


# ---------------------------------------------------------------------- size limits


def test_member_over_limit_is_refused() -> None:
    data = make_tar([("policy.ini", POLICY), ("big.ini", b"#" * 5000), ("z.ini", POLICY)])
    members, diags = read(data, containers.Limits(member_bytes=1000))
    assert [m.rel for m in members] == ["policy.ini", "z.ini"]
    (d,) = diags
    assert d.code == "ISC4001" and d.severity is Severity.ERROR
    assert d.file == "t.tar.gz:big.ini"
    assert "5000" in d.message and "1000" in d.message


def test_member_over_limit_via_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = b"# padding\n" * (2 * MiB // 10)
    arc = tmp_path / "export.tar.gz"
    arc.write_bytes(make_tar([("policy.ini", POLICY), ("big.ini", big)]))
    rc, _out, err = run(capsys, "check", arc, "--limit-mb", "1")
    assert rc == 2
    assert "ISC4001" in err and str(arc) in err
    # the same archive is fine under the default limit
    rc, _out, err = run(capsys, "check", arc)
    assert rc == 0, err


def test_single_file_over_limit_via_cli(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "policy.ini"
    f.write_bytes(POLICY + b"# padding\n" * (2 * MiB // 10))
    rc, _out, err = run(capsys, "check", f, "--limit-mb", "1")
    assert rc == 2
    assert "ISC4001" in err and str(f) in err


def _bomb(size: int = 50 * MiB) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = _info("zeros.ini", size=size)
        tf.addfile(info, io.BufferedReader(_Zeros(size)))
    return buf.getvalue()


def test_gzip_bomb_is_stopped_at_the_limit() -> None:
    bomb = _bomb()
    assert len(bomb) < MiB  # 50 MiB of zeros compress to ~50 KiB
    tracemalloc.start()
    try:
        with pytest.raises(IscError) as info:
            read(bomb, containers.Limits(member_bytes=MiB, archive_bytes=MiB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == "ISC4001"
    assert peak < 8 * MiB, f"reading the bomb used {peak} bytes"


def test_gzip_bomb_via_api_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arc = tmp_path / "bomb.tar.gz"
    arc.write_bytes(_bomb())
    with pytest.raises(IscError) as info:
        isc.load(str(arc), limit=MiB)
    codes = {d.code for d in info.value.diagnostics} | {info.value.code}
    assert "ISC4001" in codes
    rc, _out, err = run(capsys, "compile", arc, "--limit-mb", "1", "-o", tmp_path / "out")
    assert rc == 2
    assert "ISC4001" in err and str(arc) in err
    assert not (tmp_path / "out").exists()


def test_archive_total_over_limit() -> None:
    """Each member is under the member limit; together they exceed the archive limit."""
    chunk = b"#" * (400 * 1024)
    data = make_tar([(f"m{i}.ini", chunk) for i in range(5)])
    with pytest.raises(IscError) as info:
        read(data, containers.Limits(member_bytes=MiB, archive_bytes=MiB))
    assert info.value.code == "ISC4001"


def test_too_many_members() -> None:
    data = make_tar([(f"m{i}.ini", POLICY) for i in range(5)])
    with pytest.raises(IscError) as info:
        read(data, containers.Limits(members=3))
    assert info.value.code == "ISC4004"


# ---------------------------------------------------------------------- corrupt archives


def _example_bytes() -> bytes:
    return (EXAMPLE / "export.tar.gz").read_bytes()


@pytest.mark.parametrize("cut", [10, 100, 2000, -100])
def test_truncated_gzip_stream(cut: int) -> None:
    data = _example_bytes()
    with pytest.raises(IscError) as info:
        read(data[:cut])
    assert info.value.code == "ISC1008"


@pytest.mark.parametrize("cut", [-1, -4, -8])
def test_truncated_gzip_trailer(cut: int) -> None:
    """The gzip trailer (CRC-32, length) is what proves the archive is whole: an archive
    whose trailer is cut off is truncated, even if every tar member happens to be complete."""
    data = _example_bytes()
    with pytest.raises(IscError) as info:
        read(data[:cut])
    assert info.value.code == "ISC1008"


def test_gzip_crc_mismatch() -> None:
    data = bytearray(_example_bytes())
    data[-6] ^= 0xFF  # inside the CRC-32 of the trailer
    with pytest.raises(IscError) as info:
        read(bytes(data))
    assert info.value.code == "ISC1008"


def test_corrupt_deflate_data() -> None:
    data = bytearray(_example_bytes())
    for i in range(100, 400):
        data[i] ^= 0x55
    with pytest.raises(IscError) as info:
        read(bytes(data))
    assert info.value.code == "ISC1008"


def test_gzip_that_is_not_a_tar() -> None:
    with pytest.raises(IscError) as info:
        read(gzip.compress(POLICY))
    assert info.value.code == "ISC1008"


# ---------------------------------------------------------------------- directories


def test_directory_reads_every_regular_file_in_order(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "b" / "c").mkdir(parents=True)
    (root / "z.ini").write_bytes(POLICY)
    (root / "b" / "c" / "deep.ini").write_bytes(b"[approved]\nx.example/*\n")
    (root / "a.ini").write_bytes(b"[approved]\ny.example/*\n")
    diags: list[Diagnostic] = []
    members = containers.read_inputs([str(root)], containers.Limits(), diags)
    assert diags == []
    rels = [m.rel for m in members]
    assert sorted(rels) == ["a.ini", "b/c/deep.ini", "z.ini"]
    assert rels == [m.rel for m in containers.read_inputs([str(root)], containers.Limits(), [])]
    assert {m.display for m in members} == {str(root / r) for r in rels}


def test_file_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "in", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "policy.ini").write_bytes(POLICY)
    (outside / "secret.ini").write_bytes(b"[approved]\nsecret.example/*\n")
    (root / "link.ini").symlink_to(outside / "secret.ini")
    diags: list[Diagnostic] = []
    members = containers.read_inputs([str(root)], containers.Limits(), diags)
    assert [m.rel for m in members] == ["policy.ini"]
    assert [(d.code, d.file) for d in diags] == [("ISC4002", str(root / "link.ini"))]


def test_directory_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    """formats.md §6: symlinks are not followed out of the directory, and (§ intro) anything
    found and not understood is reported, never silently skipped: a directory symlink that
    leads outside the input is refused with ISC4002, like a file symlink."""
    root, outside = tmp_path / "in", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "policy.ini").write_bytes(POLICY)
    (outside / "secret.ini").write_bytes(b"[approved]\nsecret.example/*\n")
    (root / "more").symlink_to(outside, target_is_directory=True)
    diags: list[Diagnostic] = []
    members = containers.read_inputs([str(root)], containers.Limits(), diags)
    assert [m.rel for m in members] == ["policy.ini"]
    assert not any(b"secret" in m.data for m in members)
    assert [(d.code, d.file) for d in diags] == [("ISC4002", str(root / "more"))]


def test_symlink_inside_the_directory_is_allowed(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "real").mkdir(parents=True)
    (root / "real" / "policy.ini").write_bytes(POLICY)
    (root / "alias.ini").symlink_to(root / "real" / "policy.ini")
    diags: list[Diagnostic] = []
    members = containers.read_inputs([str(root)], containers.Limits(), diags)
    assert diags == []
    assert "real/policy.ini" in [m.rel for m in members]


def test_fifo_in_a_directory_does_not_hang(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "policy.ini").write_bytes(POLICY)
    os.mkfifo(root / "pipe")
    members = containers.read_inputs([str(root)], containers.Limits(), [])
    assert [m.rel for m in members] == ["policy.ini"]


def test_archive_inside_a_directory_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "policy.ini").write_bytes(POLICY)
    (root / "nested.tar.gz").write_bytes(make_tar([("x.ini", POLICY)]))
    diags: list[Diagnostic] = []
    members = containers.read_inputs([str(root)], containers.Limits(), diags)
    assert [m.rel for m in members] == ["policy.ini"]
    assert [(d.code, d.file) for d in diags] == [("ISC2008", str(root / "nested.tar.gz"))]


def test_directory_and_archive_give_the_same_policy() -> None:
    a = isc.load(str(EXAMPLE / "export"))
    b = isc.load(str(EXAMPLE / "export.tar.gz"))
    assert a.web is not None and b.web is not None
    assert sorted(f.rel for f in a.files) == sorted(f.rel for f in b.files)
    assert a.web.url_filtering == b.web.url_filtering
    assert a.web.custom_categories == b.web.custom_categories
    assert a.web.global_blocking == b.web.global_blocking
    encodings = {f.rel: f.encoding for f in b.files}
    assert encodings["custom-categories-sjis.ini"] == "cp932"
    assert encodings["TrustedURLs.ini"] == "utf-8"


# ---------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("codec", "prefix", "detected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8"),
        ("cp932", b"", "cp932"),
        ("shift_jis", b"", "cp932"),
        ("euc_jp", b"", "euc_jp"),
    ],
    ids=["utf-8", "utf-8-bom", "cp932", "shift_jis", "euc-jp"],
)
@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_japanese_names_decode(tmp_path: Path, codec: str, prefix: bytes, detected: str,
                               eol: str) -> None:
    f = tmp_path / "policy.ini"
    f.write_bytes(prefix + JAPANESE.replace("\n", eol).encode(codec))
    export = isc.load(str(f))
    cats, policies = names(export)
    assert cats == JAPANESE_NAMES
    assert policies == JAPANESE_POLICIES
    (sf,) = export.files
    assert sf.encoding == detected
    assert "\ufeff" not in export.texts[str(f)]


#: Every byte pair of these names in EUC-JP is also valid CP932 (as half-width katakana and
#: rare kanji), so "the first candidate that decodes" reads them as mojibake.
EUC_JP_AMBIGUOUS = """\
[custom-category "ニュース"]
web-site: news.example.jp

[custom-category "ソフトウェア配布"]
web-site: dl.example.jp

[url-filtering-policy "全社"]
global = yes
category "ニュース" = block
category "ソフトウェア配布" = allow
"""


def test_euc_jp_detected_when_the_bytes_are_also_valid_cp932(tmp_path: Path) -> None:
    """formats.md §1: EUC-JP files must be read, by detection or --encoding. A detector
    that takes the first candidate that decodes without error turns this EUC-JP file into
    half-width-katakana mojibake, silently."""
    data = EUC_JP_AMBIGUOUS.encode("euc_jp")
    text, enc = _text.decode(data, "cats.ini")
    assert (text, enc) == (EUC_JP_AMBIGUOUS, "euc_jp")
    f = tmp_path / "cats.ini"
    f.write_bytes(data)
    cats, policies = names(isc.load(str(f)))
    assert cats == JAPANESE_NAMES and policies == {"全社"}


def test_decode_candidates_direct() -> None:
    text = "[custom-category \"表示ソフト\"]\nweb-site: ㈱.example.jp\n"
    for codec in ("utf-8", "cp932", "euc_jp"):
        if codec == "euc_jp":
            continue  # ㈱ is not in EUC-JP
        assert _text.decode(text.encode(codec), "x") == (text, codec)
    bom = _text.decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "x")
    assert bom == (text, "utf-8")


def test_forced_encoding_euc_jp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "policy.ini"
    f.write_bytes(EUC_JP_AMBIGUOUS.encode("euc_jp"))
    export = isc.load(str(f), encoding="euc_jp")
    assert names(export) == (JAPANESE_NAMES, {"全社"})
    rc, out, err = run(capsys, "inspect", f, "--encoding", "euc_jp")
    assert rc == 0, err
    assert f"{f}: web-policy (euc_jp)" in out
    # a wrong forced encoding is an error naming the file, not a guess
    rc, out, err = run(capsys, "check", f, "--encoding", "utf-8")
    assert rc == 2
    assert "ISC1001" in err and str(f) in err


def test_undecodable_names_file_and_offset(tmp_path: Path) -> None:
    f = tmp_path / "bad.ini"
    f.write_bytes(b"[a]\n\xff\xfe\xfa")
    with pytest.raises(IscError) as info:
        isc.load(str(f))
    (d,) = [d for d in info.value.diagnostics if d.code == "ISC1001"]
    assert d.file == str(f)
    assert "offset 4" in d.message
    assert (d.line, d.column) == (2, 1)


def test_undecodable_member_names_the_member(tmp_path: Path) -> None:
    arc = tmp_path / "export.tar.gz"
    arc.write_bytes(make_tar([("policy.ini", POLICY), ("bad.ini", b"[a]\nab\xff\xfe\xfa")]))
    with pytest.raises(IscError) as info:
        isc.load(str(arc))
    (d,) = [d for d in info.value.diagnostics if d.code == "ISC1001"]
    assert d.file == f"{arc}:bad.ini"
    assert "offset 6" in d.message


# ---------------------------------------------------------------------- inputs stay as they were


def test_inputs_are_never_modified(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "policy.ini").write_bytes(
        b"[global-url-blocking]\nenabled = yes\n\n[global-url-blocking.block]\n@bad.example*\n\n"
        + POLICY)
    (src / "cats.ini").write_bytes(JAPANESE.split("[url-filtering-policy")[0].encode("cp932"))
    arc = tmp_path / "export.tar.gz"
    arc.write_bytes(make_tar([("policy.ini", (src / "policy.ini").read_bytes())]))
    before = digest(src, arc)
    out = tmp_path / "out"
    for argv in (["compile", src, "-o", out], ["compile", arc, "-o", tmp_path / "out2"],
                 ["check", src], ["inspect", src], ["inspect", arc],
                 ["explain", src, "--url", "http://bad.example/", "--against", out],
                 ["verify", src, "--against", out, "--samples", "50"]):
        rc, stdout, err = run(capsys, *argv)
        assert rc == 0, (argv, stdout, err)
    assert digest(src, arc) == before
    assert sorted(p.name for p in src.iterdir()) == ["cats.ini", "policy.ini"]


def test_example_inputs_are_not_modified_by_loading() -> None:
    before = digest(EXAMPLE / "export", EXAMPLE / "export.tar.gz")
    isc.load(str(EXAMPLE / "export"))
    isc.load(str(EXAMPLE / "export.tar.gz"))
    assert digest(EXAMPLE / "export", EXAMPLE / "export.tar.gz") == before
