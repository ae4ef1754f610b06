"""The ID-card number (居民身份证号码) rules of GB 11643, with python-stdnum as the reference.

We check the format, the birth date and the ISO 7064 check digit, and not the birth place:
region codes are renamed and merged over time (Linping was carved out of Yuhang in 2021),
and a valid card keeps the code it was issued with.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")

_FORMAT_MESSAGE = _("Enter an 18-character ID-card number: 17 digits and a check digit (0-9 or X).")


def normalise_id_card_number(value: str) -> str:
    """Full-width digits, a lowercase x and spaces (between the groups too, ideographic ones
    included) are how people really type these."""
    return "".join(str(value).translate(_FULL_WIDTH).split()).upper()


def validate_id_card_number(value: str) -> None:
    # ASCII only: str.isdigit() would also accept full-width and other Unicode digits.
    if not _FORMAT.fullmatch(value):
        raise ValidationError(_FORMAT_MESSAGE, code="invalid")
    try:
        id_card_birth_date(value)
    except ValueError as exc:
        raise ValidationError(
            _("The ID-card number does not contain a valid birth date."), code="birth_date"
        ) from exc
    if ric.calc_check_digit(value) != value[17]:
        raise ValidationError(
            _("The ID-card number's check digit is wrong (GB 11643)."), code="checksum"
        )


def id_card_birth_date(value: str) -> datetime.date:
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_card_gender(value: str) -> str:
    """'M' or 'F': the 17th character is odd for men and even for women."""
    return "M" if int(value[16]) % 2 else "F"


def make_id_card_number(region: str, birth_date: datetime.date, sequence: int) -> str:
    """Build a valid number; used for demo data and tests."""
    if not (len(region) == 6 and region.isdigit() and 0 <= sequence <= 999):
        raise ValueError("a region is 6 digits and a sequence 0-999")
    if birth_date.year < 1000:
        raise ValueError("a birth year has four digits")
    body = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")
