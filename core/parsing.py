"""Numbers people and pages send: read strictly, so no input can make a 500.

``str.isdigit()`` accepts superscripts (²) and other Unicode digits that ``int()`` refuses,
and an id longer than a database integer overflows the query; these accept ASCII digits in
the range of a database id only."""

from collections.abc import Iterable

#: The largest primary key a (big) integer column holds.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """A positive database id from a query parameter or form value, or None."""
    text = str(value).strip() if value is not None else ""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values: Iterable) -> set[int]:
    """The valid ids among ``values``; the others are left out."""
    return {number for value in values if (number := parse_id(value)) is not None}
