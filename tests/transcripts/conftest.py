"""A student with a transcript worth reading: a first term at the general school of area A,
a move to its paired vocational school that recognised two of three courses, and a second
term there.

    2024–2025 first semester, 余杭高级中学 (general):  语文 2.0 · 物理 3.0 · 英语 2.0
      recognised at the vocational school:         语文 2.0 (same-named course, ×1)
                                                   物理 1.5 (general-culture credits, ×0.5)
      英语 has no rule and stays counted where it was earned.
    2024–2025 second semester, 余杭职业高级中学:     电工基础 2.0 (vocational and technical)

Counted once each: 2.0 + 1.5 + 2.0 = 5.5 in the first term (3.5 of it recognised), 2.0 in
the second, 7.5 in all.
"""

import datetime
from decimal import Decimal

import pytest
from factories import CourseFactory, CreditRecordFactory, TermFactory

from credits.models import Course, RecognitionRule
from credits.services import credits_recognise
from schools.models import Term
from students.models import StatusRecord
from students.services import status_close, status_open

D = Decimal


@pytest.fixture
def terms(db):
    first = TermFactory(academic_year__start_year=2024, semester=Term.Semester.FIRST)
    second = TermFactory(academic_year=first.academic_year, semester=Term.Semester.SECOND)
    return first, second


@pytest.fixture
def transferred(student_a, pairing_a, school_a, vocational_a, terms):
    """student_a after the move; returns the records by name."""
    first, second = terms
    general_culture = Course.Category.GENERAL_CULTURE
    chinese = CourseFactory(school=school_a, code="YW01", name="语文", category=general_culture)
    physics = CourseFactory(
        school=school_a, code="WL01", name="物理", category=general_culture, credit_value=D(3)
    )
    english = CourseFactory(school=school_a, code="YY01", name="英语", category=general_culture)
    v_chinese = CourseFactory(
        school=vocational_a, code="YW01", name="语文", category=general_culture
    )
    circuits = CourseFactory(
        school=vocational_a,
        code="DG01",
        name="电工基础",
        category=Course.Category.VOCATIONAL_TECHNICAL,
    )
    RecognitionRule.objects.create(
        pairing=pairing_a, source_course=chinese, target_course=v_chinese, factor=D("1.00")
    )
    RecognitionRule.objects.create(
        pairing=pairing_a, source_course=physics, target_category=general_culture, factor=D("0.5")
    )
    records = {
        "chinese": CreditRecordFactory(student=student_a, course=chinese, term=first, score=85),
        "physics": CreditRecordFactory(student=student_a, course=physics, term=first, score=91),
        "english": CreditRecordFactory(student=student_a, course=english, term=first, score=78),
    }
    status_close(
        record=student_a.status_records.get(state=StatusRecord.State.ACTIVE),
        state=StatusRecord.State.TRANSFERRED_OUT,
        end_date=datetime.date(2025, 2, 1),
        reason="转出",
    )
    status_open(
        student=student_a, school=vocational_a, start_date=datetime.date(2025, 2, 1), reason="转入"
    )
    for record in credits_recognise(
        student=student_a, pairing=pairing_a, from_school=school_a, to_school=vocational_a
    ):
        key = "chinese" if record.recognised_from == records["chinese"] else "physics"
        records[f"recognised_{key}"] = record
    records["circuits"] = CreditRecordFactory(
        student=student_a, course=circuits, term=second, score=88
    )
    return records
