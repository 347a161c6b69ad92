"""Validators: verified examples accepted, every single-character alteration rejected, error codes."""

from __future__ import annotations

import datetime
import gettext
import io
import pickle
import re
import string
import unicodedata
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

import tongcheng.core.money  # noqa: F401  (registers the money messages in MESSAGES)
from tongcheng.core.validators import (
    MESSAGES,
    USCC_ALPHABET,
    USCC_ENTITY_TYPES,
    InvalidValue,
    check_division_code_format,
    check_id_number,
    check_phone,
    check_uscc,
    id_birth_date,
    id_check_char,
    is_valid_division_code_format,
    is_valid_id_number,
    is_valid_phone,
    is_valid_uscc,
    mask_id_number,
    uscc_check_char,
    uscc_org_code_warning,
)

USCC_EXAMPLES = ["91110000600037341L", "91320111123456788A"]
ID_EXAMPLES = ["11010519491231002X", "360426199101010071", "320111199001011239"]
# Every character a person could mistype for another in these codes (lower case is normalised away).
TYPED = string.digits + string.ascii_uppercase
PO_FILE = Path(__file__).resolve().parents[2] / "tongcheng/core/locale/zh_Hans/LC_MESSAGES/validators.po"


def alterations(code: str, alphabet: str = TYPED):
    for position, original in enumerate(code):
        for char in alphabet:
            if char != original:
                yield code[:position] + char + code[position + 1 :]


def code_of(check, value) -> str:
    with pytest.raises(InvalidValue) as info:
        check(value)
    return info.value.code


def normalises_to(char: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", char)).upper()


# --- 统一社会信用代码 ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", USCC_EXAMPLES)
def test_verified_uscc_examples_are_accepted(code):
    assert check_uscc(code) == code
    assert is_valid_uscc(code)
    assert uscc_org_code_warning(code) is None


@pytest.mark.parametrize("code", USCC_EXAMPLES)
def test_every_single_character_alteration_of_a_uscc_is_rejected(code):
    altered = list(alterations(code))
    assert len(altered) == 18 * 35
    accepted = [a for a in altered if is_valid_uscc(a)]
    assert accepted == []


@pytest.mark.parametrize("code", USCC_EXAMPLES)
def test_every_adjacent_transposition_of_a_uscc_is_rejected(code):
    for i in range(17):
        if code[i] != code[i + 1]:
            assert not is_valid_uscc(code[:i] + code[i + 1] + code[i] + code[i + 2 :])


@given(
    code=st.sampled_from(USCC_EXAMPLES),
    position=st.integers(0, 17),
    char=st.characters(codec="utf-8"),
)
def test_any_unicode_replacement_in_a_uscc_is_rejected(code, position, char):
    if normalises_to(char) == code[position]:
        return  # full-width or lower-case form of the same character: not an alteration
    assert not is_valid_uscc(code[:position] + char + code[position + 1 :])


def test_standard_failing_example_is_rejected_and_its_corrected_form_accepted():
    # GB 32100's worked example: Z is not even in the alphabet; the computed check character is 3.
    assert code_of(check_uscc, "91350100M000100Y4Z") == "uscc_character"
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert check_uscc("91350100M000100Y43") == "91350100M000100Y43"


def test_uscc_is_normalised():
    assert check_uscc(" ９１１１００００６０００３７３４１ｌ ") == "91110000600037341L"
    assert check_uscc("9132 0111 1234 5678 8a") == "91320111123456788A"


@pytest.mark.parametrize(
    ("value", "code", "params"),
    [
        ("", "required", {}),
        (None, "required", {}),
        ("91110000600037341", "uscc_length", {"length": 17}),
        ("91110000600037341LL", "uscc_length", {"length": 19}),
        ("9111000060003734IL", "uscc_character", {"char": "I", "position": 17}),
        ("B1110000600037341L", "uscc_authority", {"char": "B"}),
        ("94110000600037341L", "uscc_entity_type", {"char": "4", "authority": "9"}),
        ("911A0000600037341L", "uscc_division", {}),
        ("91110000600037341M", "uscc_check_char", {"expected": "L", "actual": "M"}),
    ],
)
def test_uscc_error_codes(value, code, params):
    with pytest.raises(InvalidValue) as info:
        check_uscc(value)
    assert info.value.code == code
    assert info.value.params == params


def valid_uscc_strategy():
    prefix = st.sampled_from([a + t for a, types in USCC_ENTITY_TYPES.items() for t in types])
    division = st.text(string.digits, min_size=6, max_size=6)
    body = st.text(USCC_ALPHABET, min_size=9, max_size=9)
    return st.builds(lambda p, d, b: p + d + b + uscc_check_char(p + d + b), prefix, division, body)


@given(valid_uscc_strategy(), st.integers(0, 17), st.sampled_from(TYPED))
def test_generated_usccs_pass_and_their_alterations_fail(code, position, char):
    assert check_uscc(code) == code
    if char != code[position]:
        assert not is_valid_uscc(code[:position] + char + code[position + 1 :])


def test_org_code_warning_is_warn_only():
    body = "91320111" + "12345678" + "0"  # GB 11714 gives 8 for 12345678, not 0
    code = body + uscc_check_char(body)
    assert check_uscc(code) == code  # still valid
    assert uscc_org_code_warning(code) is not None
    assert uscc_org_code_warning("not a code") is None
    # The standard's example (letters in the organisation code) has a consistent GB 11714 check.
    assert uscc_org_code_warning("91350100M000100Y43") is None


# --- 居民身份证号码 -------------------------------------------------------------------------------


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


@pytest.mark.parametrize("number", ID_EXAMPLES)
def test_verified_id_examples_are_accepted(number):
    assert check_id_number(number) == number
    assert is_valid_id_number(number)


@pytest.mark.parametrize("number", ID_EXAMPLES)
def test_every_single_character_alteration_of_an_id_number_is_rejected(number):
    altered = list(alterations(number))
    assert len(altered) == 18 * 35
    assert [a for a in altered if is_valid_id_number(a)] == []


@given(
    number=st.sampled_from(ID_EXAMPLES),
    position=st.integers(0, 17),
    char=st.characters(codec="utf-8"),
)
def test_any_unicode_replacement_in_an_id_number_is_rejected(number, position, char):
    if normalises_to(char) == number[position]:
        return
    assert not is_valid_id_number(number[:position] + char + number[position + 1 :])


@given(
    area=st.sampled_from(["320111", "320115", "341122", "340506", "110105", "360426", "320103", "340221"]),
    born=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date.today()),
    sequence=st.integers(0, 999),
    position=st.integers(0, 17),
    char=st.sampled_from(TYPED),
)
def test_generated_id_numbers_pass_and_their_alterations_fail(area, born, sequence, position, char):
    number = make_id(f"{area}{born:%Y%m%d}{sequence:03d}")
    assert check_id_number(number) == number
    assert id_birth_date(number) == born
    if char != number[position]:
        assert not is_valid_id_number(number[:position] + char + number[position + 1 :])


def test_id_number_lower_case_x_is_normalised():
    assert check_id_number("11010519491231002x") == "11010519491231002X"


def test_historical_area_codes_are_known():
    assert is_valid_id_number(make_id("32010319800101001"))  # 白下区, merged into 秦淮区 in 2013
    assert is_valid_id_number(make_id("34022119800101001"))  # 芜湖县, now 湾沚区 340210


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        ("11010519491231002", "id_length"),
        ("110105491231002", "id_length"),  # first-generation 15-digit numbers are refused
        ("1101051949123100XX", "id_format"),
        ("11010519491231002A", "id_format"),
        ("110105194912310021", "id_check_char"),
        (make_id("11010519490230002"), "id_birth_date"),
        (make_id("11010518991231002"), "id_birth_too_early"),
        (make_id("99999919900101123"), "id_area_code"),
        (make_id("32019919900101123"), "id_area_code"),
    ],
)
def test_id_number_error_codes(value, code):
    assert code_of(check_id_number, value) == code


def test_id_birth_date_in_the_future_is_rejected():
    number = make_id("32011120260102123")
    assert check_id_number(number, today=datetime.date(2026, 1, 2)) == number
    with pytest.raises(InvalidValue) as info:
        check_id_number(number, today=datetime.date(2026, 1, 1))
    assert info.value.code == "id_birth_future"
    assert info.value.params == {"date": "2026-01-02"}


def test_id_check_character_error_names_both_characters():
    with pytest.raises(InvalidValue) as info:
        check_id_number("110105194912310021")
    assert info.value.params == {"expected": "X", "actual": "1"}


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("320111199001011239", "3201**********1239"),
        ("11010519491231002x", "1101**********002X"),
        ("12345678", "********"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@given(st.text(min_size=9, max_size=30, alphabet=string.digits + "X"))
def test_mask_hides_everything_but_four_characters_at_each_end(text):
    masked = mask_id_number(text)
    assert len(masked) == len(text)
    assert masked[:4] == text[:4] and masked[-4:] == text[-4:]
    assert set(masked[4:-4]) == {"*"}


# --- Phone numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-199-0000-0000", "19900000000"),
        ("１３８１２３４５６７８", "13812345678"),
        ("025-12345678", "025-12345678"),
        ("02512345678", "025-12345678"),
        ("(025) 8888 8888", "025-88888888"),
        ("010-12345678", "010-12345678"),
        ("0550-1234567", "0550-1234567"),
        ("0551-12345678转801", "0551-12345678-801"),
        ("025-12345678 ext. 12", "025-12345678-12"),
    ],
)
def test_phone_numbers_accepted(value, normalised):
    assert check_phone(value) == normalised
    assert check_phone(normalised) == normalised  # normalising is idempotent


@pytest.mark.parametrize(
    "value",
    [
        "12812345678",  # 12x is not a mobile prefix
        "1381234567",
        "138123456789",
        "12345",
        "025-1234567",  # 02x areas have 8-digit numbers
        "025-02345678",
        "0551-123456",
        "123-12345678",
        "13812345678x",
        "abc",
    ],
)
def test_phone_numbers_rejected(value):
    assert code_of(check_phone, value) == "phone_format"
    assert not is_valid_phone(value)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mainland_mobile_number_is_accepted(number):
    assert check_phone(number) == number
    assert check_phone(f"+86 {number[:3]} {number[3:7]} {number[7:]}") == number


# --- Division codes ------------------------------------------------------------------------------


def test_division_code_format():
    assert check_division_code_format("320111") == "320111"
    assert check_division_code_format(" ３４１１２２ ") == "341122"
    assert code_of(check_division_code_format, "32011") == "division_format"
    assert code_of(check_division_code_format, "32011A") == "division_format"
    assert code_of(check_division_code_format, "320111002") == "division_format"
    assert code_of(check_division_code_format, "990111") == "division_province"
    assert code_of(check_division_code_format, "000000") == "division_province"
    assert check_division_code_format("320111002", allow_town=True) == "320111002"
    assert check_division_code_format("341122103000", allow_town=True) == "341122103000"
    assert code_of(lambda v: check_division_code_format(v, allow_town=True), "3201110") == (
        "division_town_format"
    )
    assert is_valid_division_code_format("340210") and not is_valid_division_code_format("3402101")


# --- InvalidValue behaviour and messages -----------------------------------------------------------


def test_invalid_value_is_a_django_validation_error_and_a_value_error():
    err = InvalidValue("uscc_check_char", params={"expected": "L", "actual": "M"})
    assert isinstance(err, ValidationError) and isinstance(err, ValueError)
    assert err.code == "uscc_check_char"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.params, copy.msgid) == (err.code, err.params, err.msgid)


def test_str_is_the_rendered_message():
    from django.conf import settings
    from django.utils import translation

    err = InvalidValue("uscc_check_char", params={"expected": "L", "actual": "M"})
    expected = "The check character of the unified social credit code should be L, not M."
    if settings.configured:
        with translation.override("en"):
            assert str(err) == expected
    else:
        assert str(err) == expected


def test_pydantic_sees_a_value_error():
    from typing import Annotated

    from pydantic import AfterValidator, BaseModel
    from pydantic import ValidationError as PydanticError

    class Org(BaseModel):
        uscc: Annotated[str, AfterValidator(check_uscc)]

    assert Org(uscc="91110000600037341l").uscc == "91110000600037341L"
    with pytest.raises(PydanticError) as info:
        Org(uscc="91110000600037341M")
    assert info.value.errors()[0]["type"] == "value_error"


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


# Messages the modules register beside core's (their catalogues are their own): each must render in Chinese.
MODULE_CODES = {"industry_code"}


def test_module_messages_render_in_chinese():
    from django.utils import translation

    import tongcheng.cooperation.industries  # noqa: F401  (registers industry_code)

    for code in MODULE_CODES:
        msgid = MESSAGES[code]
        dummy = dict.fromkeys(placeholders(msgid), "C99")
        with translation.override("zh-hans"):
            rendered = translation.gettext(msgid) % dummy
        assert re.search(r"[\u4e00-\u9fff]", rendered), code


def test_po_file_translates_every_message():
    polib = pytest.importorskip("polib")
    po = polib.pofile(str(PO_FILE))
    assert "utf-8" in po.metadata["Content-Type"].lower()
    assert po.metadata["Plural-Forms"].startswith("nplurals=1; plural=0;")
    entries = {e.msgid: e for e in po if not e.obsolete}
    for code, msgid in MESSAGES.items():
        if code in MODULE_CODES:
            continue  # a module's own message, in its own catalogue (checked below)
        assert msgid in entries, f"{code}: msgid missing from {PO_FILE.name}"
        entry = entries[msgid]
        assert entry.msgstr and "fuzzy" not in entry.flags, code
        assert placeholders(entry.msgstr) == placeholders(msgid), code
        assert ("python-format" in entry.flags) == bool(placeholders(msgid) or "%%" in msgid), code
    assert po.percent_translated() == 100


def test_compiled_catalogue_renders_chinese_messages():
    polib = pytest.importorskip("polib")
    catalogue = gettext.GNUTranslations(io.BytesIO(polib.pofile(str(PO_FILE)).to_binary()))
    params = {"expected": "L", "actual": "M"}
    assert (
        catalogue.gettext(MESSAGES["uscc_check_char"]) % params == "统一社会信用代码校验位应为 L，而不是 M。"
    )
    for code, msgid in MESSAGES.items():
        if code in MODULE_CODES:
            continue
        dummy = dict.fromkeys(placeholders(msgid), "1")
        rendered = catalogue.gettext(msgid) % dummy if dummy or "%%" in msgid else catalogue.gettext(msgid)
        assert re.search(r"[\u4e00-\u9fff]", rendered), msgid
