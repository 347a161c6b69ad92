"""Pinyin search keys for Chinese names: "pk" or "pukou" finds 浦口区, "nq" 南谯区.

A key holds, for each plausible reading of the name, the full pinyin run together ("pukouqu") and its
initials ("pkq"), each token preceded by a space, so that a search is a single indexed ``icontains`` of
" " + what was typed: it matches the start of a token. Characters with several readings (长 chang/zhang,
句 ju/gou) give every combination, up to ``MAX_READINGS``; place names whose local reading pypinyin does
not give first are listed in ``PLACE_READINGS``."""

from __future__ import annotations

import itertools
import re
import unicodedata

from pypinyin import Style, pinyin

__all__ = ["KEY_MAX_LENGTH", "MAX_READINGS", "matches", "normalise_query", "search_key"]

MAX_READINGS = 16
KEY_MAX_LENGTH = 400  # the column's length; the most likely readings come first and are kept
# Local readings of place names (六合 is Lùhé, not Liùhé), tried before pypinyin's own.
PLACE_READINGS = {"六合": ["lu", "he"], "长丰": ["chang", "feng"], "蚌埠": ["beng", "bu"]}
_HAN = re.compile(r"[\u3400-\u9fff]")
_QUERY_DROP = re.compile(r"[\s'’·\-—_]+")


def _readings(text: str) -> list[list[str]]:
    """Per Han character, its readings (the place reading first when the name contains one)."""
    chars = "".join(c for c in text if _HAN.match(c))
    if not chars:
        return []
    per_char = [sorted(set(r), key=r.index) for r in pinyin(chars, style=Style.NORMAL, heteronym=True)]
    for place, reading in PLACE_READINGS.items():
        start = chars.find(place)
        if start >= 0:
            for offset, syllable in enumerate(reading):
                options = per_char[start + offset]
                per_char[start + offset] = [syllable, *(o for o in options if o != syllable)]
    return per_char


def search_key(name: str) -> str:
    """The pinyin tokens of a name, each with a leading space: " pukouqu pkq"."""
    chars = _readings(name or "")
    if not chars:
        return ""
    key = ""
    for combination in itertools.islice(itertools.product(*chars), MAX_READINGS):
        for token in ("".join(combination), "".join(s[0] for s in combination)):
            if f" {token} " in f"{key} ":
                continue
            if len(key) + len(token) + 1 > KEY_MAX_LENGTH:
                return key
            key += f" {token}"
    return key


def normalise_query(text: str) -> str:
    """What a user typed, as it is compared with keys: NFKC (full-width letters become ASCII), lower case,
    without spaces, apostrophes or dashes ("Pu Kou", "pu'kou" → "pukou")."""
    return _QUERY_DROP.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def matches(key: str, query: str) -> bool:
    """Whether a key (from ``search_key``) has a token starting with the normalised query."""
    q = normalise_query(query)
    return bool(q) and f" {q}" in key
