"""Mutual recognition of credits (学分互认, rule 7) when a student changes school."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from schools.models import Pairing, School
from students.models import Student

from .models import Course, CreditRecord, RecognitionRule


def _recognition_course(*, school: School, source: Course, rule: RecognitionRule) -> Course:
    """A receiving-school course standing for an outside course counted in a category."""
    course, _ = Course.objects.get_or_create(
        school=school,
        code=f"R{source.school.code}{source.code}"[:20],
        defaults={
            "name": f"{source.name}（{source.school.name}）",
            "category": rule.target_category,
            "credit_value": _convert(source.credit_value, rule.factor),
        },
    )
    return course


def _convert(credits: Decimal, factor: Decimal) -> Decimal:
    return (credits * factor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@transaction.atomic
def credits_recognise(
    *, student: Student, pairing: Pairing, from_school: School, to_school: School
) -> list[CreditRecord]:
    """Recognise at the receiving school every credit record from the sending school that a
    rule of the pairing covers. Each recognised record links to its origin, and an origin is
    recognised once only, so running this again adds nothing; a record that is itself a
    recognition is never recognised again."""
    rules = {
        rule.source_course_id: rule
        for rule in RecognitionRule.objects.filter(
            pairing=pairing, source_course__school=from_school
        ).select_related("target_course", "source_course__school")
    }
    # An origin is a credit earned at the sending school, not one recognised there from
    # elsewhere: on a transfer back, the credits recognised on the way out would otherwise
    # come back as copies of their own originals.
    origins = CreditRecord.objects.filter(
        student=student,
        course__school=from_school,
        recognised_as__isnull=True,
        recognised_from__isnull=True,
    ).select_related("course__school", "term")
    recognised = []
    for origin in origins:
        rule = rules.get(origin.course_id)
        if rule is None:
            continue
        target = rule.target_course or _recognition_course(
            school=to_school, source=origin.course, rule=rule
        )
        recognised.append(
            CreditRecord(
                student=student,
                course=target,
                term=origin.term,
                score=origin.score,
                credits_earned=_convert(origin.credits_earned, rule.factor),
                recognised_from=origin,
            )
        )
    return CreditRecord.objects.bulk_create(recognised)
