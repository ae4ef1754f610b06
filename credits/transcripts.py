"""A student's transcript (成绩单): every credit record, term by term, with recognised credits
(学分互认, rule 7) marked and traced to the course and school they came from.

A recognised origin and its recognition are the same credits seen from two schools. The
transcript lists both, so the history is complete, but counts them once: through the
recognition at the receiving school, with the rule's conversion factor applied. An origin
that no rule recognised stays counted where it was earned.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from core.pdf import render_pdf
from students.models import StatusRecord, Student
from students.selectors import status_records_visible_to

from .models import Course, CreditRecord
from .selectors import credit_records_visible_to

ZERO = Decimal("0.0")


@dataclass(frozen=True)
class TranscriptLine:
    record: CreditRecord
    #: The sending school's record this one recognises, or None.
    origin: CreditRecord | None
    #: The receiving school's record that recognised this one, or None.
    recognition: CreditRecord | None

    @property
    def counted(self) -> bool:
        return self.recognition is None

    @property
    def is_recognised(self) -> bool:
        return self.origin is not None


@dataclass
class TranscriptTerm:
    term: object
    lines: list[TranscriptLine] = field(default_factory=list)
    credits: Decimal = ZERO
    recognised_credits: Decimal = ZERO


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    credits: Decimal

    @property
    def label(self) -> str:
        return str(Course.Category(self.category).label)


@dataclass(frozen=True)
class Transcript:
    student: Student
    history: list[StatusRecord]
    terms: list[TranscriptTerm]
    total_credits: Decimal
    recognised_credits: Decimal
    categories: list[CategoryTotal]
    generated_at: datetime.datetime

    @property
    def current_status(self) -> StatusRecord | None:
        return next((r for r in self.history if r.state == StatusRecord.State.ACTIVE), None)


def _recognition_of(record: CreditRecord) -> CreditRecord | None:
    # The reverse one-to-one raises (an AttributeError subclass) when nothing recognised it.
    return getattr(record, "recognised_as", None)


def transcript_build(*, user, student: Student) -> Transcript:
    """The transcript of a student the user may see, in two queries however long it is: the
    status history, and the credit records with their origins and recognitions joined in."""
    history = list(status_records_visible_to(user).filter(student=student))
    records = (
        credit_records_visible_to(user)
        .filter(student=student)
        .select_related(
            "recognised_from__course__school",
            "recognised_from__term__academic_year",
            "recognised_as__course__school",
        )
        .order_by(
            "term__academic_year__start_year",
            "term__semester",
            "course__school__code",
            "course__code",
        )
    )
    terms: dict[int, TranscriptTerm] = {}
    by_category = dict.fromkeys(Course.Category.values, ZERO)
    total = recognised = ZERO
    for record in records:
        line = TranscriptLine(
            record=record, origin=record.recognised_from, recognition=_recognition_of(record)
        )
        section = terms.setdefault(record.term_id, TranscriptTerm(term=record.term))
        section.lines.append(line)
        if not line.counted:
            continue
        section.credits += record.credits_earned
        total += record.credits_earned
        by_category[record.course.category] += record.credits_earned
        if line.is_recognised:
            section.recognised_credits += record.credits_earned
            recognised += record.credits_earned
    return Transcript(
        student=student,
        history=history,
        terms=list(terms.values()),
        total_credits=total,
        recognised_credits=recognised,
        categories=[CategoryTotal(c, credits) for c, credits in by_category.items()],
        generated_at=timezone.now(),
    )


def transcript_pdf(*, transcript: Transcript, viewer) -> bytes:
    """The transcript as a PDF, in Chinese whatever the reader's language: it is the document
    a school hands over. Its numbers are as ``viewer`` may see them (``students.privacy``)."""
    return render_pdf("credits/transcript_pdf.html", {"transcript": transcript, "viewer": viewer})
