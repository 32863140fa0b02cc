"""The two codes an enterprise profile is checked against: the USCC (GB 32100-2015) and the industry code
(GB/T 4754-2017). Check characters are worked out here by hand from the standard, not by the code under test."""
import pytest

from eligibility import industries, uscc
from eligibility.industries import IndustryError
from eligibility.uscc import UsccError

# GB 32100-2015: the 31 characters in the order of their values, and the weight of position i is 3^i mod 31.
STANDARD_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
STANDARD_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def by_hand(first17: str) -> str:
    total = sum(STANDARD_ALPHABET.index(ch) * w for ch, w in zip(first17, STANDARD_WEIGHTS))
    return STANDARD_ALPHABET[(31 - total % 31) % 31]


def test_the_weights_are_the_standards():
    assert STANDARD_WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def test_a_worked_example_checks_out():
    # 9·1 + 1·3 + 3·9 + 5·27 + 0·19 + 1·26 + 0·16 + 0·17 + M(21)·20 + 0 + 0 + 0 + 1·8 + 0 + 0 + Y(30)·30 + 4·28
    # = 1640; 1640 mod 31 = 28; 31 − 28 = 3: the check character is "3".
    assert by_hand("91350100M000100Y4") == "3"
    assert uscc.normalise("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize("first17", ["91110108MA01ABCD2", "92440300L12345678", "91320506MA1MXXXX0",
                                     "12100000400000716"])
def test_codes_with_the_check_character_worked_out_by_hand_are_valid(first17):
    code = first17 + by_hand(first17)
    assert uscc.is_valid(code)
    assert uscc.normalise(" " + code.lower()[:9] + " " + code[9:] + " ") == code  # spaces and lower case


def test_a_wrong_check_character_is_refused_naming_the_right_one():
    first17 = "91110108MA01ABCD2"
    right = by_hand(first17)
    wrong = "0" if right != "0" else "1"
    with pytest.raises(UsccError) as caught:
        uscc.normalise(first17 + wrong)
    assert caught.value.reason.template.startswith("the check character is wrong")
    assert dict(caught.value.reason.params)["expected"] == right


@pytest.mark.parametrize("text, start", [
    ("91350100M000100Y4", "a unified social credit code has 18 characters"),
    ("91350100M000100Y433", "a unified social credit code has 18 characters"),
    ("", "the unified social credit code is empty"),
    ("91350100I000100Y43", "“%(char)s” is not a character"),  # I is not in the alphabet (nor O, Z, S, V)
    ("91350100M00O100Y43", "“%(char)s” is not a character"),
    ("91AB0100M000100Y43", "characters 3 to 8"),
])
def test_bad_lengths_and_characters_are_refused_with_a_reason(text, start):
    with pytest.raises(UsccError) as caught:
        uscc.normalise(text)
    assert caught.value.reason.template.startswith(start)
    assert not uscc.is_valid(text)


@pytest.mark.parametrize("text, expected", [
    ("C", "C"), ("c", "C"), ("C39", "C39"), ("C391", "C391"), ("C3911", "C3911"), (" c 3911 ", "C3911"),
    ("3911", "C3911"), ("39", "C39"), ("6513", "I6513"), ("01", "A01"), ("97", "T97"), ("t", "T"),
])
def test_industry_codes_in_every_accepted_form(text, expected):
    assert industries.normalise(text) == expected


def test_sections_and_names():
    assert industries.section_of("3911") == "C"
    assert industries.section_of("I65") == "I"
    assert industries.name_of("C3911") == "计算机、通信和其他电子设备制造业"
    assert industries.name_of("C") == "制造业"
    assert industries.name_of("65") == "软件和信息技术服务业"
    assert industries.label("6513") == "I6513 软件和信息技术服务业"
    assert industries.label("Z99") == "Z99"  # shown as it is, never an error on a page


def test_the_classification_is_complete():
    assert list(industries.SECTIONS) == list("ABCDEFGHIJKLMNOPQRST")
    assert list(industries.DIVISIONS) == [f"{n:02d}" for n in range(1, 98)]
    assert {section for section, _ in industries.DIVISIONS.values()} == set(industries.SECTIONS)


@pytest.mark.parametrize("text, start", [
    ("", "the industry code is empty"),
    ("Z", "“%(letter)s” is not a section"),
    ("U39", "“%(letter)s” is not a section"),
    ("98", "“%(division)s” is not a division"),
    ("00", "“%(division)s” is not a division"),
    ("A39", "division %(division)s belongs to section %(section)s"),
    ("C3", "“%(code)s” is not an industry code (a division"),
    ("C39111", "“%(code)s” is not an industry code (write"),
    ("C39a", "“%(code)s” is not an industry code (write"),
    ("制造业", "“%(code)s” is not an industry code (write"),
])
def test_unknown_sections_and_divisions_are_refused_with_a_reason(text, start):
    with pytest.raises(IndustryError) as caught:
        industries.normalise(text)
    assert isinstance(caught.value, ValueError)
    assert caught.value.reason.template.startswith(start)
