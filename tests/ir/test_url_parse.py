"""The fast path of URL parsing splits exactly as ``urlsplit`` does (issue 9)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from isc.ir import requests
from isc.ir.requests import Url

_PIECES = st.sampled_from(["http", "https", "HTTP", "ftp", "://", "/", "?", "#", ":", ".",
                           "-", "a", "B", "z9", "example", "com", "ſ", "K", "İ", "é", " ",
                           "\t", "[", "]", "\\", "@", "%41", "=", "&", "~", "80", "443"])
_URLS = st.one_of(
    st.lists(_PIECES, max_size=14).map("".join),
    st.builds(lambda s, h, p, q: f"{s}://{h}{p}{q}", st.sampled_from(["http", "https", "HTTPS"]),
              st.lists(st.sampled_from(["a", "b", "-", ".", "9", "X"]), min_size=1,
                       max_size=8).map("".join),
              st.sampled_from(["", "/", "/a/b.html", "/a b", "/%2a", "/x;y"]),
              st.sampled_from(["", "?", "?q=1", "?a=b&c", "?x#f"])))


@settings(max_examples=2000, deadline=None)
@given(_URLS)
def test_the_fast_path_splits_as_urlsplit(text: str) -> None:
    if requests._SIMPLE_URL.match(text) is None:
        return
    fast = Url._parse(text)
    saved = requests._SIMPLE_URL
    try:
        requests._SIMPLE_URL = _NEVER  # type: ignore[assignment]
        slow = Url._parse(text)
    finally:
        requests._SIMPLE_URL = saved
    assert fast == slow


class _Never:
    def match(self, _: str) -> None:
        return None


_NEVER = _Never()


def test_the_fast_path_takes_the_common_urls() -> None:
    for text in ("http://www.example.com/", "https://a-b.example.co.jp/x/y.html?q=1&r=2",
                 "HTTP://Example.COM"):
        assert requests._SIMPLE_URL.match(text) is not None
    for text in ("http://ſ.example/", "http://a:8080/", "http://a./", "http://a/#x",
                 "http://é.example/", " http://a/"):
        assert requests._SIMPLE_URL.match(text) is None
