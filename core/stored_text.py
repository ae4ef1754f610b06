"""Text the system stores for people and shows later, kept as a message and its parameters
(JSON), not as a sentence rendered in the language of whoever caused it: a notification, a
timeline comment or an import error is then shown, or sent, in the reader's language.

A stored text is a *piece*:

- a ``str``: shown as it is (what a person typed, a school's name);
- ``{"m": msgid, "p": {name: piece}}``: the message ``msgid`` (its English source, as
  gettext knows it), translated when shown, with each parameter rendered first; ``"c"``
  adds a gettext context (``pgettext``);
- a ``list`` of pieces, shown one after the other.

``text(msgid, **params)`` builds one; ``render(piece)`` shows it in the active language. A
parameter may be a lazy translation (a choice's label): it is stored by its msgid and
translated with the rest.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext

Piece = str | dict[str, Any] | list[Any]


def text(msgid: str, /, **params: Any) -> dict[str, Any]:
    """The message ``msgid`` with ``params``, to be translated when shown. Mark ``msgid``
    with ``gettext_noop`` so that it is extracted for translation."""
    piece: dict[str, Any] = {"m": str(msgid)}
    if params:
        piece["p"] = {name: as_piece(value) for name, value in params.items()}
    return piece


def as_piece(value: Any) -> Any:
    """A value made storable: lazy translations by their msgid, dates as ISO text, numbers
    kept as numbers (a ``%(n)d`` needs one), everything else as its text."""
    if isinstance(value, Promise):
        return lazy_piece(value)
    if isinstance(value, dict | list):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def lazy_piece(value: Promise) -> Piece:
    """A ``gettext_lazy`` or ``pgettext_lazy`` string as the message it translates."""
    args: tuple[Any, ...] = getattr(value, "_args", ())
    if len(args) == 1 and isinstance(args[0], str):
        return {"m": args[0]}
    if len(args) == 2 and all(isinstance(arg, str) for arg in args):
        return {"m": args[1], "c": args[0]}
    return str(value)


def render(piece: Any) -> str:
    """The piece in the active language."""
    if piece is None:
        return ""
    if isinstance(piece, str):
        return piece
    if isinstance(piece, list):
        return "".join(render(part) for part in piece)
    if isinstance(piece, int | float):
        return str(piece)
    if isinstance(piece, dict) and "m" in piece:
        msgid = piece["m"]
        translated = pgettext(piece["c"], msgid) if "c" in piece else gettext(msgid)
        params = piece.get("p")
        if not params:
            return translated
        values = {
            name: value if isinstance(value, int | float) else render(value)
            for name, value in params.items()
        }
        try:
            return translated % values
        except (KeyError, TypeError, ValueError):
            # A translation that lost a placeholder must not hide the message.
            return msgid % values
    return str(piece)


def join_lines(pieces) -> list:
    """Pieces one per line."""
    joined: list = []
    for piece in pieces:
        if joined:
            joined.append("\n")
        joined.append(piece)
    return joined
