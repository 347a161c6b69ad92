"""Validators for Chinese identifiers, shared by forms, API schemas and importers.

Every ``check_*`` function takes text, returns it normalised (NFKC, so full-width characters become
ASCII; surrounding and inner blanks removed; upper case) and raises :class:`InvalidValue` otherwise.
``InvalidValue`` is both a Django ``ValidationError`` (forms and model fields accept the functions as
validators) and a ``ValueError`` (Pydantic / Django Ninja ``AfterValidator`` turns it into a 422 with
its message), and carries a stable machine ``code``.

Rules (see shared/domain/fiscal.md §4):

* 统一社会信用代码, GB 32100-2015: 18 characters from ``0-9A-Z`` without I, O, S, V, Z; position 1 a
  registering authority, position 2 an entity type allowed for it, positions 3–8 digits, position 18 the
  MOD 31 check character. The GB 11714 check of positions 9–17 is only a warning
  (:func:`uscc_org_code_warning`), because published descriptions of its letter values disagree.
* 居民身份证号码, GB 11643-1999: 17 digits + MOD 11-2 check character (digit or X), a real birth date
  between 1900-01-01 and today, and an area code known to GB/T 2260 at any time (current or abolished),
  using python-stdnum's ``cn/loc`` table. 15-digit first-generation numbers are refused.
* Phone numbers: mainland mobile ``1[3-9]`` + 9 digits, or fixed line with area code (``010``/``02x`` +
  8 digits, ``0[3-9]xx`` + 7 or 8 digits), optional extension. ``+86``/``0086`` is dropped.
* Administrative division codes: 6 digits with a known province prefix. Whether a code exists at a
  date is the job of the jurisdiction model, not of this module.

Masking: :func:`mask_id_number` keeps the first 4 characters (province and city) and the last 4
(end of the sequence number and the check character), and hides the 10 in between — the birth date and
the county — which are what make a number identifying.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

__all__ = [
    "InvalidValue",
    "MESSAGES",
    "PROVINCE_PREFIXES",
    "USCC_ALPHABET",
    "USCC_ENTITY_TYPES",
    "check_division_code_format",
    "check_id_number",
    "check_phone",
    "check_uscc",
    "gettext_noop",
    "id_birth_date",
    "id_check_char",
    "is_known_area_code",
    "is_valid_division_code_format",
    "is_valid_id_number",
    "is_valid_phone",
    "is_valid_uscc",
    "mask_id_number",
    "normalise_text",
    "org_code_check_char",
    "uscc_check_char",
    "uscc_org_code_warning",
]


class InvalidValue(ValidationError, ValueError):
    """A value that fails validation, with a stable ``code`` and a translatable message.

    ``message`` is the English msgid (translated lazily, so raising at import time or outside a request is
    safe); ``params`` fill its ``%(name)s`` placeholders when the message is rendered.
    """

    def __init__(self, code: str, message: str | None = None, params: Mapping[str, object] | None = None):
        msgid = message if message is not None else MESSAGES[code]
        super().__init__(gettext_lazy(msgid), code=code, params=dict(params or {}))
        self.msgid = msgid

    def __str__(self) -> str:
        # Django's own __str__ is a repr of a list; Pydantic and importers show str(exc) to people.
        try:
            return self.messages[0]
        except ImproperlyConfigured:  # no settings (a bare script): show the English text
            return self.msgid % self.params if self.params else self.msgid

    def __reduce__(self):  # keep the exception picklable (xdist, Celery-style workers)
        return (self.__class__, (self.code, self.msgid, self.params))


def gettext_noop(message: str) -> str:
    """Mark a msgid for makemessages (xgettext knows this name) without touching Django settings.

    Django's own gettext_noop reads settings.USE_I18N, which would make importing this module need
    configured settings; importers and tests use it without.
    """
    return message


# Every message any validator of this package raises, by code. The strings are msgids: they are marked
# with gettext_noop so that makemessages finds them, and translated when the error is rendered.
# money.py adds its own entries to this mapping.
MESSAGES: dict[str, str] = {
    "required": gettext_noop("A value is required."),
    "uscc_length": gettext_noop("A unified social credit code has 18 characters; this one has %(length)s."),
    "uscc_character": gettext_noop(
        "The character %(char)s at position %(position)s is not allowed in a unified social credit code."
    ),
    "uscc_authority": gettext_noop(
        "The first character of a unified social credit code, %(char)s, is not a registering authority."
    ),
    "uscc_entity_type": gettext_noop(
        "The second character of a unified social credit code, %(char)s, is not an entity type of "
        "registering authority %(authority)s."
    ),
    "uscc_division": gettext_noop(
        "Characters 3 to 8 of a unified social credit code must be digits (a division code)."
    ),
    "uscc_check_char": gettext_noop(
        "The check character of the unified social credit code should be %(expected)s, not %(actual)s."
    ),
    "uscc_org_code": gettext_noop(
        "The organisation code in this unified social credit code (characters 9 to 17) ends in "
        "%(actual)s, but its GB 11714 check character is %(expected)s. Please double-check the code."
    ),
    "id_length": gettext_noop("A resident identity card number has 18 characters; this one has %(length)s."),
    "id_format": gettext_noop(
        "The first 17 characters of a resident identity card number must be digits, "
        "and the last a digit or X."
    ),
    "id_check_char": gettext_noop(
        "The check character of the identity card number should be %(expected)s, not %(actual)s."
    ),
    "id_birth_date": gettext_noop("The birth date %(date)s in the identity card number is not a real date."),
    "id_birth_future": gettext_noop("The birth date %(date)s in the identity card number is in the future."),
    "id_birth_too_early": gettext_noop("The birth date %(date)s in the identity card number is before 1900."),
    "id_area_code": gettext_noop(
        "The area code %(code)s of the identity card number is not a known administrative division code."
    ),
    "phone_format": gettext_noop(
        "Enter a mainland mobile number (11 digits starting with 1) or a fixed-line number with its area "
        "code, such as 025-12345678."
    ),
    "division_format": gettext_noop("An administrative division code has 6 digits."),
    "division_town_format": gettext_noop("An administrative division code has 6, 9 or 12 digits."),
    "division_province": gettext_noop("%(prefix)s is not the code of a province-level division."),
}


def _lazy_format(msgid: str, params: Mapping[str, object]) -> str:
    """A lazily translated, already formatted message (a str proxy; renders in the active language)."""
    return lazy(lambda: gettext(msgid) % params, str)()


def normalise_text(value: object) -> str:
    """NFKC (full-width → ASCII), blanks removed, upper case: the form every check compares."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).upper()


def _required(text: str) -> None:
    if not text:
        raise InvalidValue("required")


# --- 统一社会信用代码 (GB 32100-2015) ---------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# Registering authority (position 1) → entity types (position 2) it may issue, from GB 32100 table 1.
USCC_ENTITY_TYPES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政: 律师事务所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (which must be in the alphabet)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(value: object) -> str:
    """Return the normalised 统一社会信用代码 or raise :class:`InvalidValue`."""
    code = normalise_text(value)
    _required(code)
    if len(code) != 18:
        raise InvalidValue("uscc_length", params={"length": len(code)})
    for position, char in enumerate(code, start=1):
        if char not in _USCC_VALUE:
            raise InvalidValue("uscc_character", params={"char": char, "position": position})
    authority, entity_type = code[0], code[1]
    if authority not in USCC_ENTITY_TYPES:
        raise InvalidValue("uscc_authority", params={"char": authority})
    if entity_type not in USCC_ENTITY_TYPES[authority]:
        raise InvalidValue("uscc_entity_type", params={"char": entity_type, "authority": authority})
    if not code[2:8].isdigit():
        raise InvalidValue("uscc_division")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise InvalidValue("uscc_check_char", params={"expected": expected, "actual": code[17]})
    return code


def is_valid_uscc(value: object) -> bool:
    try:
        check_uscc(value)
    except InvalidValue:
        return False
    return True


_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character for an organisation code's first 8 characters (letters A=10 … Z=35)."""
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_org_code_warning(value: object) -> str | None:
    """A (lazily translated) warning when positions 9–17 fail the GB 11714 check, else None.

    Only meaningful for a code that passes :func:`check_uscc`; returns None for codes that do not.
    """
    try:
        code = check_uscc(value)
    except InvalidValue:
        return None
    org = code[8:17]
    expected = org_code_check_char(org[:8])
    if org[8] == expected:
        return None
    return _lazy_format(MESSAGES["uscc_org_code"], {"expected": expected, "actual": org[8]})


# --- 居民身份证号码 (GB 11643-1999) -----------------------------------------------------------------

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"\d{17}[\dX]", re.ASCII)
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


@lru_cache(maxsize=4096)
def is_known_area_code(code: str) -> bool:
    """True if the 6-digit code is in GB/T 2260 at any time (python-stdnum's cn/loc table)."""
    from stdnum import numdb  # imported lazily: loading the table costs ~50 ms, only needed here

    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    return "county" in info


def id_birth_date(value: object) -> datetime.date:
    """The birth date of a valid ID number (raises :class:`InvalidValue` for an invalid one)."""
    number = check_id_number(value)
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def check_id_number(value: object, *, today: datetime.date | None = None) -> str:
    """Return the normalised 18-character 居民身份证号码 or raise :class:`InvalidValue`.

    ``today`` (default: the current date) bounds the birth date; tests pass it to be reproducible.
    """
    number = normalise_text(value)
    _required(number)
    if len(number) != 18:
        raise InvalidValue("id_length", params={"length": len(number)})
    if not _ID_RE.fullmatch(number):
        raise InvalidValue("id_format")
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise InvalidValue("id_check_char", params={"expected": expected, "actual": number[17]})
    _check_birth_date(number[6:14], today or datetime.date.today())
    if not is_known_area_code(number[:6]):
        raise InvalidValue("id_area_code", params={"code": number[:6]})
    return number


def _check_birth_date(text: str, today: datetime.date) -> None:
    try:
        born = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise InvalidValue("id_birth_date", params={"date": text}) from None
    if born > today:
        raise InvalidValue("id_birth_future", params={"date": born.isoformat()})
    if born < EARLIEST_BIRTH:
        raise InvalidValue("id_birth_too_early", params={"date": born.isoformat()})


def is_valid_id_number(value: object) -> bool:
    try:
        check_id_number(value)
    except InvalidValue:
        return False
    return True


def mask_id_number(value: object) -> str:
    """Show the first 4 and last 4 characters, ``*`` for the rest: 3201**********1239.

    Never raises: anything of 8 characters or fewer is fully masked, so that a malformed value in an
    imported file is not displayed in clear either.
    """
    text = normalise_text(value)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


# --- Phone numbers --------------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"1[3-9]\d{9}", re.ASCII)
# 010 and 02x areas have 8-digit local numbers, 0[3-9]xx areas 7 or 8; a local number never starts with 0.
_FIXED_RE = re.compile(
    r"(?P<area>0(?:10|2\d))-?(?P<local>[1-9]\d{7})(?P<ext>(?:-|转|EXT\.?|X)\d{1,6})?"
    r"|(?P<area4>0[3-9]\d{2})-?(?P<local4>[1-9]\d{6,7})(?P<ext4>(?:-|转|EXT\.?|X)\d{1,6})?",
    re.ASCII,
)
_PHONE_SEPARATORS = re.compile(r"[\s()（）]")


def check_phone(value: object) -> str:
    """Return ``13812345678`` or ``025-12345678[-ext]``, or raise :class:`InvalidValue`.

    Accepts ``+86``/``0086`` prefixes, spaces, brackets around the area code and any dash.
    """
    text = normalise_text(value)
    _required(text)
    text = _PHONE_SEPARATORS.sub("", text)
    text = re.sub(r"[‐‑‒–—―−]", "-", text)
    text = re.sub(r"^(?:\+86|0086)-?", "", text)
    digits_only = text.replace("-", "")
    if _MOBILE_RE.fullmatch(digits_only) and re.fullmatch(r"1\d{2}-?\d{4}-?\d{4}", text, re.ASCII):
        return digits_only
    match = _FIXED_RE.fullmatch(text)
    if not match:
        raise InvalidValue("phone_format")
    area = match["area"] or match["area4"]
    local = match["local"] or match["local4"]
    ext = match["ext"] or match["ext4"]
    ext_digits = re.sub(r"[^0-9]", "", ext) if ext else ""
    return f"{area}-{local}" + (f"-{ext_digits}" if ext_digits else "")


def is_valid_phone(value: object) -> bool:
    try:
        check_phone(value)
    except InvalidValue:
        return False
    return True


# --- GB/T 2260 administrative division codes ------------------------------------------------------

# GB/T 2260 province-level codes: 11–15 north, 21–23 north-east, 31–37 east, 41–46 central-south,
# 50–54 south-west, 61–65 north-west, 71 Taiwan, 81 Hong Kong, 82 Macao.
_PROVINCES = [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66)]
PROVINCE_PREFIXES = frozenset(str(n) for n in [*_PROVINCES, 71, 81, 82])


def check_division_code_format(value: object, *, allow_town: bool = False) -> str:
    """Return the normalised code if it is 6 digits with a province prefix, else raise.

    ``allow_town`` also accepts 9-digit (township) and 12-digit (NBS statistical) codes. Existence at a
    date is checked by the jurisdiction model.
    """
    code = normalise_text(value)
    _required(code)
    lengths = (6, 9, 12) if allow_town else (6,)
    if not code.isdigit() or not code.isascii() or len(code) not in lengths:
        raise InvalidValue("division_town_format" if allow_town else "division_format")
    if code[:2] not in PROVINCE_PREFIXES:
        raise InvalidValue("division_province", params={"prefix": code[:2]})
    return code


def is_valid_division_code_format(value: object, *, allow_town: bool = False) -> bool:
    try:
        check_division_code_format(value, allow_town=allow_town)
    except InvalidValue:
        return False
    return True
