"""A text list whose first bytes are gzip's magic (0x1f 0x8b) in a directory input: it does
not open as an archive, so it is text, and its undecodable first byte is an error at its
offset (it is never dropped with a warning)."""
from pathlib import Path


def build(work: Path) -> list[str]:
    folder = work / "input"
    folder.mkdir()
    (folder / "policy.ini").write_bytes(
        b'[url-filtering-policy "Global Policy"]\nglobal = yes\ncategory "Gambling" = block\n')
    (folder / "blocked.txt").write_bytes(b"\x1f\x8b[global-url-blocking.block]\nbad.example\n")
    return [str(folder)]
