"""The entrance exam (中考) and proficiency test (学考) columns of the student file: what rule
packs' criteria read (issue 14). A file without these columns changes none of it."""

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from core.arrays import any_of
from students.models import ProficiencyResult

SUBJECTS = re.compile(r"[、,，;；\s]+")


def read_exam(row) -> None:
    """The entrance exam's year and score, both or neither (the database holds it)."""
    check = row.check
    year = check.integer("entrance_exam_year", required=False)
    score = check.decimal("entrance_exam_score", required=False)
    given = {
        column: check.raw(column) not in (None, "")
        for column in ("entrance_exam_year", "entrance_exam_score")
    }
    if given["entrance_exam_year"] != given["entrance_exam_score"]:
        column = "entrance_exam_year" if given["entrance_exam_score"] else "entrance_exam_score"
        check.error(column, _("Give the entrance exam's year and its score together."))
        return
    if year is None or score is None:
        return  # both empty, or a cell refused with its own message
    if not 2000 <= year <= 2100:
        check.error("entrance_exam_year", _("Give the exam's year, e.g. 2026."))
        return
    if not Decimal(0) <= score < Decimal(10000):
        check.error("entrance_exam_score", _("A score is a number from 0, e.g. 612.5."))
        return
    if score != score.quantize(Decimal("0.1")):
        check.error("entrance_exam_score", _("Give the score to one decimal place at most."))
        return
    row.entrance_exam_year, row.entrance_exam_score = year, score


def read_results(row) -> None:
    check = row.check
    passed = [s for s in SUBJECTS.split(check.text("proficiency_passed", required=False)) if s]
    failed = [s for s in SUBJECTS.split(check.text("proficiency_failed", required=False)) if s]
    taken_on = check.date("proficiency_date", required=False)
    if not passed and not failed:
        return
    if taken_on is None:
        check.error("proficiency_date", _("Give the day these proficiency tests were taken."))
        return
    both = set(passed) & set(failed)
    if both:
        check.error(
            "proficiency_failed",
            _("%(subjects)s cannot be both passed and not passed.")
            % {"subjects": "、".join(sorted(both))},
        )
        return
    if any(len(subject) > 20 for subject in passed + failed):
        check.error("proficiency_passed", _("A subject's name has at most 20 characters."))
        return
    row.results = tuple(
        [(subject, True, taken_on) for subject in passed]
        + [(subject, False, taken_on) for subject in failed]
    )


def recorded_results(student_ids: list[int]) -> dict[int, set]:
    """The proficiency results recorded for these students, as (subject, passed, day)."""
    recorded: dict[int, set] = {}
    if not student_ids:
        return recorded
    for student_id, subject, passed, taken_on in ProficiencyResult.objects.filter(
        any_of("student", student_ids)
    ).values_list("student_id", "subject", "passed", "taken_on"):
        recorded.setdefault(student_id, set()).add((subject, passed, taken_on))
    return recorded
