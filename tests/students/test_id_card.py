"""ID-card numbers (GB 11643): format, birth date, check digit, and how people type them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from factories import StudentFactory
from hypothesis import given
from hypothesis import strategies as st

from students.models import Student
from students.validators import (
    id_card_birth_date,
    id_card_gender,
    make_id_card_number,
    normalise_id_card_number,
    validate_id_card_number,
)

FORMAT = "Enter an 18-character ID-card number"
CHECKSUM = "check digit is wrong"
BIRTH_DATE = "does not contain a valid birth date"


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_a_valid_id_card_number_is_accepted(number):
    validate_id_card_number(number)


def test_the_birth_date_and_gender_are_read_from_the_number():
    assert id_card_birth_date("11010519491231002X") == datetime.date(1949, 12, 31)
    assert id_card_gender("11010519491231002X") == "F"  # 17th digit 2: even
    assert id_card_birth_date("440524188001010014") == datetime.date(1880, 1, 1)
    assert id_card_gender("440524188001010014") == "M"  # 17th digit 1: odd


@pytest.mark.parametrize(
    "number", ["110105194912310021", "110105194912310029", "440524188001010013"]
)
def test_a_wrong_check_digit_is_refused(number):
    with pytest.raises(ValidationError, match=CHECKSUM) as excinfo:
        validate_id_card_number(number)

    assert excinfo.value.code == "checksum"


@pytest.mark.parametrize(
    "number",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002X0",  # 19 characters
        "11010519491231002x",  # lowercase: normalise first
        "1101051949123100XX",  # X only as the check digit
        "11010519491231 02X",
        "110105194912310O2X",  # letter O for zero
    ],
)
def test_a_number_in_the_wrong_format_is_refused(number):
    with pytest.raises(ValidationError, match=FORMAT) as excinfo:
        validate_id_card_number(number)

    assert excinfo.value.code == "invalid"


@pytest.mark.parametrize(
    "body",
    [
        "11010519491331002",  # month 13
        "11010519490230002",  # 30 February
        "11010520230229002",  # 2023 is not a leap year
        "11010519490000002",  # day 0
    ],
)
def test_a_number_with_an_impossible_birth_date_is_refused(body):
    number = body + _check_digit(body)

    with pytest.raises(ValidationError, match=BIRTH_DATE) as excinfo:
        validate_id_card_number(number)

    assert excinfo.value.code == "birth_date"


def _check_digit(body: str) -> str:
    """ISO 7064 MOD 11-2, computed here rather than taken from the code under test."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    remainder = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return "10X98765432"[remainder]


def test_the_independent_check_digit_agrees_with_the_known_numbers():
    assert _check_digit("11010519491231002") == "X"
    assert _check_digit("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 11010519491231002x\n", "11010519491231002X"),
        ("440524188001010014", "440524188001010014"),
    ],
)
def test_normalise_turns_what_people_type_into_the_canonical_form(typed, canonical):
    normalised = normalise_id_card_number(typed)

    assert normalised == canonical
    validate_id_card_number(normalised)


@pytest.mark.parametrize("typed", ["110105 19491231 002X", "110105\u300019491231\u3000002X"])
def test_normalise_removes_spaces_between_the_groups(typed):
    assert normalise_id_card_number(typed) == "11010519491231002X"


@pytest.mark.parametrize(
    "number",
    ["１１０１０５１９４９１２３１００２X", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"],  # full-width, Arabic-Indic
)
def test_non_ascii_digits_are_refused_until_normalised(number):
    with pytest.raises(ValidationError, match=FORMAT):
        validate_id_card_number(number)


@given(
    region=st.from_regex(r"\A[1-8][0-9]{5}\Z"),
    birth_date=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_make_id_card_number_always_builds_a_valid_number(region, birth_date, sequence):
    number = make_id_card_number(region, birth_date, sequence)

    validate_id_card_number(number)
    assert number[:6] == region
    assert id_card_birth_date(number) == birth_date
    assert int(number[14:17]) == sequence
    assert number[17] == _check_digit(number[:17])


@given(
    birth_date=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_changing_any_one_digit_breaks_the_check_digit(birth_date, sequence):
    number = make_id_card_number("330110", birth_date, sequence)

    for position in range(17):
        digit = (int(number[position]) + 1) % 10
        altered = number[:position] + str(digit) + number[position + 1 :]
        with pytest.raises(ValidationError):
            validate_id_card_number(altered)


# --- Student.full_clean ---------------------------------------------------------------------


def test_a_student_whose_details_agree_with_the_id_number_is_valid(db):
    student = StudentFactory.build(
        id_card_number="11010519491231002X",
        student_number="G11010519491231002X",
        birth_date=datetime.date(1949, 12, 31),
        gender=Student.Gender.FEMALE,
    )

    student.full_clean()


def test_a_birth_date_that_disagrees_with_the_id_number_is_refused(db):
    student = StudentFactory.build(
        id_card_number="11010519491231002X",
        student_number="G11010519491231002X",
        birth_date=datetime.date(1949, 12, 30),
        gender=Student.Gender.FEMALE,
    )

    with pytest.raises(ValidationError, match="birth date does not match") as excinfo:
        student.full_clean()

    assert list(excinfo.value.message_dict) == ["birth_date"]


def test_a_gender_that_disagrees_with_the_id_number_is_refused(db):
    student = StudentFactory.build(
        id_card_number="11010519491231002X",
        student_number="G11010519491231002X",
        birth_date=datetime.date(1949, 12, 31),
        gender=Student.Gender.MALE,
    )

    with pytest.raises(ValidationError, match="gender does not match") as excinfo:
        student.full_clean()

    assert list(excinfo.value.message_dict) == ["gender"]


def test_an_invalid_id_number_is_reported_once_on_its_own_field(db):
    student = StudentFactory.build(
        id_card_number="110105194912310021", student_number="G110105194912310021"
    )

    with pytest.raises(ValidationError) as excinfo:
        student.full_clean()

    assert excinfo.value.message_dict["id_card_number"] == [
        "The ID-card number's check digit is wrong (GB 11643)."
    ]
    assert "birth_date" not in excinfo.value.message_dict


def test_a_student_number_is_g_and_eighteen_characters(db):
    student = StudentFactory.build(student_number="110105194912310020")

    with pytest.raises(ValidationError, match="G followed by the 18-character"):
        student.full_clean()


def test_a_student_number_that_is_not_g_plus_the_id_number_is_refused(db):
    student = StudentFactory.build()
    student.student_number = "G" + StudentFactory.build().id_card_number

    with pytest.raises(ValidationError, match="G followed by this student's ID-card") as excinfo:
        student.full_clean()

    assert "student_number" in excinfo.value.message_dict


def test_factory_students_are_valid(db):
    for _ in range(4):
        StudentFactory().full_clean()
