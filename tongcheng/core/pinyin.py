"""Pinyin keys of Chinese names (拼音): Chinese names sort in pinyin order, the way a Chinese reader looks
them up (北京 before 南京 before 浦口), and are found by what people type ("pk" or "pukou" for 浦口区).

SQLite has no Chinese collation and PostgreSQL's depends on the server's ICU build, so the keys are computed
in Python (pypinyin) and stored next to the name.

- ``sort_key`` (``name_sort`` on the models, filled on every save): each syllable followed by its tone
  number (1–5, 5 the neutral tone), only a-z and 0-9, so every database orders it the same way: 妈 (ma1) <
  马 (ma3) < 买 (mai3). pypinyin's phrase dictionary reads 长 in 长江 as "chang" and in 市长 as "zhang".
- ``search_key`` (``Jurisdiction.search_key``): for each plausible reading of the name, the full pinyin run
  together ("pukouqu") and its initials ("pkq"), each token preceded by a space, so that a search is a
  single indexed ``icontains`` of " " + what was typed. Characters with several readings (长 chang/zhang,
  句 ju/gou) give every combination, up to ``MAX_READINGS``; place names whose local reading pypinyin does
  not give first are listed in ``PLACE_READINGS``."""

from __future__ import annotations

import itertools
import re
import unicodedata

from pypinyin import Style, lazy_pinyin, load_phrases_dict, pinyin

__all__ = [
    "KEY_MAX_LENGTH",
    "MAX_READINGS",
    "initials",
    "matches",
    "normalise_query",
    "search_key",
    "sort_key",
]


SORT_KEY_MAX = 255

# Place names read differently from the dictionary's common reading: Nanjing's 六合区 is Lùhé (the name
# the district itself uses in pinyin), not Liùhé. pypinyin keeps these in its process-wide phrase table.
load_phrases_dict({"六合": [["lù"], ["hé"]]})


def _syllables(text: str, style: Style) -> list[str]:
    # Runs of non-Chinese text come back as they are (e.g. "S-Z3"); errors="default" keeps them.
    return lazy_pinyin(text or "", style=style, neutral_tone_with_five=True, errors="default")


def _ascii_alnum(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def sort_key(text: str) -> str:
    """The pinyin sort key of ``text``: "浦口区" → "pu3kou3qu1"; Latin letters and digits lower-cased."""
    return _ascii_alnum("".join(_syllables(text, Style.TONE3)))[:SORT_KEY_MAX]


def initials(text: str) -> str:
    """The initials of ``text``'s syllables: "浦口区" → "pkq" (Latin letters and digits kept, lower-cased)."""
    out = []
    for part in _syllables(text, Style.FIRST_LETTER):
        # A run of Latin text is one "syllable": keep it whole ("S-Z3" → "sz3").
        out.append(_ascii_alnum(part))
    return "".join(out)


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
