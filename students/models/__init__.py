"""Students, their status records (学籍) and the history of both."""

from .history import (
    PERSONAL_FIELDS,
    IdNumberReveal,
    ReviewEvent,
    Source,
    StatusEvent,
    StudentChange,
    StudentHandover,
)
from .records import (
    ProficiencyResult,
    StatusConfirmation,
    StatusRecord,
    StatusReview,
    Student,
    Track,
    normalised_id_card_number,
)

__all__ = [
    "PERSONAL_FIELDS",
    "IdNumberReveal",
    "ProficiencyResult",
    "ReviewEvent",
    "Source",
    "StatusConfirmation",
    "StatusEvent",
    "StatusRecord",
    "StatusReview",
    "Student",
    "StudentChange",
    "StudentHandover",
    "Track",
    "normalised_id_card_number",
]
