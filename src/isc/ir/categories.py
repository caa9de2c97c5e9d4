# ruff: noqa: E501  (one table row per line reads best)
"""The TMUFE URL category catalogue shared by IWSVA and ZTSA (research iwsva.md §7.2-7.3).

Each row: TMUFE ID, IWSVA name, group, older IWSVA name (still accepted), ZTSA name and group
(``None`` where ZTSA has no predefined counterpart).
"""

from __future__ import annotations

import difflib
import functools
import re

import attrs


@attrs.frozen
class Category:
    id: int
    name: str
    group: str | None
    old_name: str | None
    ztsa_name: str | None
    ztsa_group: str | None


#: Groups as the IWSVA help spells them, mapped to the canonical (Vision One) spelling.
GROUP_ALIASES = {"Communication and Searches": "Communications and Search"}

CATEGORIES: tuple[Category, ...] = (
    Category(0, 'Unknown', None, None, None, None),
    Category(1, 'Adult/Mature Content', 'Adult', None, 'Adult/Mature Content', 'Adult'),
    Category(2, 'Illegal or Prohibited Content', 'Adult', None, None, None),
    Category(3, 'Pornography', 'Adult', None, 'Pornography', 'Adult'),
    Category(4, 'Sex Education', 'Adult', None, 'Sex Education', 'Adult'),
    Category(5, 'Intimate Apparel/Swimsuit', 'Adult', None, 'Intimate Apparel/Swimsuit', 'Adult'),
    Category(6, 'Nudity', 'Adult', None, 'Nudity', 'Adult'),
    Category(8, 'Alcohol/Tobacco', 'Adult', None, 'Alcohol/Tobacco', 'Adult'),
    Category(9, 'Illegal/Questionable', 'Adult', None, 'Illegal/Questionable', 'Adult'),
    Category(10, 'Tasteless', 'Adult', None, 'Tasteless', 'Adult'),
    Category(11, 'Gambling', 'Adult', None, 'Gambling', 'Adult'),
    Category(14, 'Violence/Hate/Racism', 'Adult', None, 'Violence/Hate/Racism', 'Adult'),
    Category(15, 'Weapons', 'Adult', None, 'Weapons', 'Adult'),
    Category(16, 'Abortion', 'Adult', None, 'Abortion', 'Adult'),
    Category(17, 'Dynamic DNS', 'General', None, None, None),
    Category(18, 'Recreation/Hobbies', 'Lifestyle', None, 'Recreation/Hobbies', 'Lifestyle'),
    Category(19, 'Arts', 'Lifestyle', None, 'Arts', 'Lifestyle'),
    Category(20, 'Entertainment', 'Lifestyle', 'Arts/Entertainment', 'Entertainment', 'Lifestyle'),
    Category(21, 'Business/Economy', 'Business', None, 'Business/Economy', 'Business'),
    Category(22, 'Cult/Occult', 'Lifestyle', None, 'Cult/Occult', 'Lifestyle'),
    Category(23, 'Internet Radio and TV', 'Network Bandwidth', None, 'Internet Radio and TV', 'Network Bandwidth'),
    Category(24, 'Internet Telephony', 'Communications and Search', None, 'Internet Telephony', 'Communications and Search'),
    Category(25, 'Illegal Drugs', 'Adult', None, 'Illegal Drugs', 'Adult'),
    Category(26, 'Marijuana', 'Adult', None, 'Marijuana', 'Adult'),
    Category(27, 'Education', 'General', None, 'Education', 'General'),
    Category(29, 'Cultural Institutions', 'Lifestyle', None, 'Cultural Institutions', 'Lifestyle'),
    Category(30, 'Activist Groups', 'Lifestyle', None, 'Activist Groups', 'Lifestyle'),
    Category(31, 'Financial Services', 'Business', None, 'Financial Services', 'Business'),
    Category(32, 'Brokerage/Trading', 'Business', None, 'Brokerage/Trading', 'Business'),
    Category(33, 'Games', 'Lifestyle', None, 'Games', 'Lifestyle'),
    Category(34, 'Government/Legal', 'General', None, 'Government/Legal', 'General'),
    Category(35, 'Military', 'General', None, 'Military', 'General'),
    Category(36, 'Politics', 'General', 'Political/Activist Groups', 'Politics', 'General'),
    Category(37, 'Health', 'General', None, 'Health', 'General'),
    Category(38, 'Computers/Internet', 'General', None, 'Computers/Internet', 'General'),
    Category(39, 'Proxy Avoidance', 'Internet Security', None, 'Proxy Avoidance and Anonymizers', 'Communications and Search'),
    Category(40, 'Search Engines/Portals', 'Communications and Search', None, 'Search Engines/Portals', 'Communications and Search'),
    Category(41, 'Internet Infrastructure', 'Communications and Search', 'Infrastructure', 'Internet Infrastructure', 'Communications and Search'),
    Category(42, 'Blogs/Web Communications', 'Communications and Search', None, 'Blogs/Web Communications', 'Communications and Search'),
    Category(43, 'Photo Searches', 'Network Bandwidth', None, 'Photo Searches', 'Network Bandwidth'),
    Category(44, 'Alternative Journals', 'Lifestyle', None, 'Alternative Journals', 'Lifestyle'),
    Category(45, 'Job Search/Careers', 'Business', None, 'Job Search/Careers', 'Business'),
    Category(46, 'News/Media', 'General', None, 'News/Media', 'General'),
    Category(47, 'Personals/Dating', 'Lifestyle', None, 'Personals/Dating', 'Lifestyle'),
    Category(48, 'Translators/Cached Pages', 'General', 'Translators/circumvent filtering', 'Translators/Cached Pages', 'General'),
    Category(49, 'Reference', 'General', None, 'Reference', 'General'),
    Category(50, 'Social Networking', 'Communications and Search', None, 'Social Networking', 'Communications and Search'),
    Category(51, 'Chat/Instant Messaging', 'Communications and Search', None, 'Chat/Instant Messaging', 'Communications and Search'),
    Category(52, 'Email', 'Communications and Search', None, 'Email', 'Communications and Search'),
    Category(53, 'Newsgroups/Forum', 'Communications and Search', 'Newsgroups', 'Newsgroups', 'Communications and Search'),
    Category(54, 'Religion', 'Lifestyle', None, 'Religion', 'Lifestyle'),
    Category(55, 'Personal Sites', 'Lifestyle', 'Personal Websites', 'Personal Sites', 'Lifestyle'),
    Category(56, 'Sharing Services', 'Network Bandwidth', 'Personal Network Storage/File Download Servers', 'Sharing Services', 'Network Bandwidth'),
    Category(57, 'Peer-to-peer', 'Network Bandwidth', 'Peer-to-Peer', 'Peer-to-Peer', 'Network Bandwidth'),
    Category(58, 'Shopping', 'Business', None, 'Shopping', 'Business'),
    Category(59, 'Auctions', 'Business', None, 'Auctions', 'Business'),
    Category(60, 'Real Estate', 'Business', None, 'Real Estate', 'Business'),
    Category(61, 'Society/Lifestyle', 'Lifestyle', None, 'Society/Lifestyle', 'Lifestyle'),
    Category(63, 'Gun Clubs/Hunting', 'Lifestyle', 'Sport Hunting and Gun Clubs', 'Gun Clubs/Hunting', 'Lifestyle'),
    Category(64, 'Restaurants/Food', 'Lifestyle', 'Restaurants/Dining/Food', 'Restaurants/Food', 'Lifestyle'),
    Category(65, 'Sports', 'Lifestyle', None, 'Sports', 'Lifestyle'),
    Category(66, 'Travel', 'Lifestyle', None, 'Travel', 'Lifestyle'),
    Category(67, 'Vehicles', 'General', None, 'Vehicles', 'General'),
    Category(68, 'Humor', 'Lifestyle', 'Humor/Jokes', 'Humor', 'Lifestyle'),
    Category(69, 'Streaming Media/MP3', 'Network Bandwidth', None, 'Streaming Media/MP3', 'Network Bandwidth'),
    Category(70, 'Ringtones/Mobile Phone Downloads', 'Network Bandwidth', None, 'Ringtones / Mobile Phone Downloads', 'Network Bandwidth'),
    Category(71, 'Software Downloads', 'Network Bandwidth', None, 'Software Downloads', 'Network Bandwidth'),
    Category(72, 'Pay to Surf', 'Network Bandwidth', None, 'Pay to Surf', 'Network Bandwidth'),
    Category(73, 'Potentially Malicious Software', 'Internet Security', None, 'Potentially Malicious Software', 'Internet Security'),
    Category(74, 'Spyware', 'Internet Security', None, 'Spyware', 'Internet Security'),
    Category(75, 'Phishing', 'Internet Security', None, 'Phishing', 'Internet Security'),
    Category(76, 'Spam', 'Internet Security', None, 'Spam', 'Internet Security'),
    Category(77, 'Adware', 'Internet Security', None, 'Adware', 'Internet Security'),
    Category(78, 'Malware Accomplice', 'Internet Security', 'Virus Accomplice', 'Malware Accomplice', 'Internet Security'),
    Category(79, 'Disease Vector', 'Internet Security', None, 'Disease Vector', 'Internet Security'),
    Category(80, 'Cookies', 'Internet Security', None, None, None),
    Category(81, 'Dialers', 'Internet Security', None, None, None),
    Category(82, 'Hacking', 'Internet Security', None, None, None),
    Category(83, 'Joke Program', 'Internet Security', None, None, None),
    Category(84, 'Password Cracking', 'Internet Security', 'Password Cracking Apps', None, None),
    Category(85, 'Remote Access Program', 'Internet Security', None, None, None),
    Category(86, 'Made for AdSense', 'Internet Security', 'Made for AdSense sites (MFA)', 'Made for AdSense', 'Internet Security'),
    Category(87, 'For Kids', 'Lifestyle', None, 'For Kids', 'Lifestyle'),
    Category(88, 'Web Advertisement', 'Internet Security', None, 'Web Advertisement', 'Internet Security'),
    Category(89, 'Web Hosting', 'Communications and Search', None, 'Web Hosting', 'Communications and Search'),
    Category(90, 'Untested', 'General', 'No Category', 'Untested', 'General'),
    Category(91, 'C&C Server', 'Internet Security', None, 'Category C&C Server', 'Internet Security'),
    Category(92, 'Malicious Domain', 'Internet Security', None, 'Malicious Domain', 'Internet Security'),
    Category(93, 'New Domain', 'Internet Security', None, None, None),
    Category(94, 'Scam', 'Internet Security', None, 'Scam', 'Internet Security'),
    Category(95, 'Ransomware', 'Internet Security', None, 'Ransomware', 'Internet Security'),
)

#: Categories ZTSA has and IWSVA does not (research iwsva.md §7.3).
ZTSA_ONLY = ("Coin Miners", "Miscellaneous", "Insecure IoT connections", "Newly Observed Domain")

#: Where ZTSA spells the same category differently (besides the table).
_ZTSA_ALIASES = {"Category C&C Server": 91}

BY_ID: dict[int, Category] = {c.id: c for c in CATEGORIES}


def _norm(name: str) -> str:
    """Case, blanks around ``/``, ``&`` vs ``and`` do not matter in category names."""
    s = name.strip().lower().replace("&", " and ")
    s = re.sub(r"\s*/\s*", "/", s)
    return re.sub(r"\s+", " ", s)


_BY_NAME: dict[str, int] = {}
for _c in CATEGORIES:
    for _n in (_c.name, _c.old_name, _c.ztsa_name):
        if _n:
            _BY_NAME.setdefault(_norm(_n), _c.id)
for _alias, _id in _ZTSA_ALIASES.items():
    _BY_NAME[_norm(_alias)] = _id

ZTSA_NAMES: tuple[str, ...] = tuple(
    sorted({c.ztsa_name for c in CATEGORIES if c.ztsa_name} | set(ZTSA_ONLY))
)
_ZTSA_BY_NAME = {_norm(n): n for n in ZTSA_NAMES}


@functools.lru_cache(maxsize=4096)
def lookup(name_or_id: str | int) -> Category | None:
    """The category with this TMUFE ID, IWSVA name (current or older) or ZTSA name."""
    if isinstance(name_or_id, int):
        return BY_ID.get(name_or_id)
    text = name_or_id.strip()
    if text.isascii() and text.isdigit():  # ASCII digits only; IDs have at most 3 of them
        return BY_ID.get(int(text)) if len(text) <= 6 else None
    cid = _BY_NAME.get(_norm(text))
    return BY_ID[cid] if cid is not None else None


def ztsa_name(name: str) -> str | None:
    """The canonical spelling of a ZTSA predefined category, or None."""
    return _ZTSA_BY_NAME.get(_norm(name))


def suggest(name: str, extra: tuple[str, ...] = ()) -> str | None:
    """The closest known category name, for a "did you mean" hint."""
    names = [c.name for c in CATEGORIES] + list(extra)
    by_norm = {_norm(n): n for n in names}
    hits = difflib.get_close_matches(_norm(name), list(by_norm), n=1, cutoff=0.6)
    return by_norm[hits[0]] if hits else None



def group_members(name: str) -> tuple[int, ...]:
    """The TMUFE IDs of a category group named in either spelling, or ``()``."""
    canonical = GROUP_ALIASES.get(name.strip(), name.strip())
    key = _norm(canonical)
    return tuple(c.id for c in CATEGORIES if c.group and _norm(c.group) == key)
