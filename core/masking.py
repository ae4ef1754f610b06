"""Identity numbers shown masked: the place and the check digits kept, the rest starred.

An identity number here is a Chinese resident ID-card number (18 characters, GB 11643) or a
number made of one (a letter in front of it, as national student numbers are: ``G`` and the
ID-card number). Masked, it keeps the letters in front, the first 6 characters after them
(the region of birth) and the last 4, and shows 8 stars for the rest whatever its length:
``330110********101X``, ``G330110********101X``. The birth date and the sequence number,
which with the region identify a person, are gone, and a masked number cannot be read as
a number (nor imported as one).
"""

import re
import string

#: What a masked number shows in place of its middle.
STARS = "*" * 8
HEAD = 6
TAIL = 4


def mask_identity_number(value: str) -> str:
    """``value`` masked; anything too short to keep a head and a tail is all stars."""
    value = value or ""
    letters = len(value) - len(value.lstrip(string.ascii_letters))
    prefix, number = value[:letters], value[letters:]
    if len(number) <= HEAD + TAIL:
        return prefix + STARS
    return f"{prefix}{number[:HEAD]}{STARS}{number[-TAIL:]}"


#: An ID-card number within a text, with the letter of a student number in front if any.
_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])([A-Za-z]?)([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9Xx])"
)


def mask_identity_numbers_in(text: str) -> str:
    """Every ID-card or student number in ``text`` masked, the rest as it was (a message
    that quotes a number from a file, shown to someone who sees numbers masked)."""
    return _NUMBER_IN_TEXT.sub(lambda m: f"{m[1]}{m[2]}{STARS}{m[3]}", text or "")


#: Seventeen digits and a digit or X wherever they are: in a log line a number may follow a
#: letter or digits of something else (``id110105...``, ``%20110105...`` in a URL).
_NUMBER_ANYWHERE = re.compile(r"([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])")


def mask_identity_numbers_anywhere(text: str) -> str:
    """``text`` with every run that could be an ID-card number masked as above, whatever is
    around it (a student number keeps its letter). Stricter than
    ``mask_identity_numbers_in``, for text nobody reads as data: logs and error reports,
    where masking a long number that was none costs nothing."""
    return _NUMBER_ANYWHERE.sub(lambda m: f"{m[1]}{STARS}{m[2]}", text or "")
