"""Pinyin keys of Chinese names (拼音排序键): Chinese names sort in pinyin order, the way a Chinese reader
looks them up (北京 before 南京 before 浦口), and can be found by their initials ("pk" for 浦口区).

SQLite has no Chinese collation and PostgreSQL's depends on the server's ICU build, so the key is computed
in Python (pypinyin, whose phrase dictionary reads 长 in 长江 as "chang" and in 市长 as "zhang") and
stored next to the name (``name_sort`` on the models, filled on every save). The key holds only a-z and
0-9, so every database collation orders it the same way: each syllable followed by its tone number (1–5,
5 the neutral tone), so 妈 (ma1) < 马 (ma3) < 买 (mai3)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin, load_phrases_dict

__all__ = ["initials", "sort_key"]

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
