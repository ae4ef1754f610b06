"""Credit records: a student's result in one of the school's courses in one term.

The student must be registered (now or before) at the importing school and the course be
one of its courses: import the students and the courses first. One record per student,
course and term; a record recognised from another school (学分互认) is not changed here.

Planned and written a part of the file at a time, like the students' file.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db.models import Field
from django.utils.translation import gettext as _

from credits.models import Course, CreditRecord
from schools.models import School, Term
from students.selectors import students_visible_to

from .columns import CREDIT_COLUMNS, semester_choices
from .plan import Action, Lookup, Plan, check_school, note_duplicate
from .rows import RowCheck, shown

FIELDS = ("score", "credits_earned")
FIELD_COLUMNS = {"score": "score", "credits_earned": "credits_earned"}
#: CreditRecord's fields a row gives; their own validators check the values.
VALIDATED_FIELDS = ("score", "credits_earned")
_YEAR = re.compile(r"(\d{4})(?:\s*[-–—/至~]\s*(\d{4}))?\s*(?:学年)?")


@dataclass(slots=True)
class CreditRow:
    check: RowCheck
    id_card_number: str | None
    school_code: str
    course_code: str
    start_year: int | None
    semester: int | None
    score: Decimal | None
    credits_earned: Decimal | None


class CreditImport:
    columns = CREDIT_COLUMNS

    def __init__(self, *, school: School, actor, job_number: int | None = None):
        self.school = school
        self.job_number = job_number  # the importers share one signature
        self.actor = actor
        self.semesters = semester_choices()
        # Each a concrete field of the model (get_field may give a relation for other names).
        self.fields = {
            name: cast(Field, CreditRecord._meta.get_field(name)) for name in VALIDATED_FIELDS
        }
        self.schools = Lookup(School.objects.all(), "code")
        self.courses = Lookup(Course.objects.filter(school=school), "code")
        self.terms: dict | None = None
        #: (student, course, term) -> the first line that gives them, over the whole file.
        self.seen: dict[tuple, int] = {}

    def parse(self, check: RowCheck) -> CreditRow:
        row = CreditRow(
            check=check,
            id_card_number=check.student_number("student_number"),
            school_code=check.text("school_code", repeated=True),
            course_code=check.text("course_code", repeated=True),
            start_year=self._year(check),
            semester=check.choice("semester", self.semesters),
            score=check.decimal("score"),
            credits_earned=check.decimal("credits_earned"),
        )
        # The model's own validation of the values (digits, range), without a model per row.
        for name in VALIDATED_FIELDS:
            value = getattr(row, name)
            if value is None:
                continue  # an empty field has its error already
            try:
                self.fields[name].clean(value, None)
            except ValidationError as exc:
                for message in exc.messages:
                    check.error(FIELD_COLUMNS[name], message)
        return row

    @staticmethod
    def _year(check: RowCheck) -> int | None:
        text = check.text("academic_year")
        if not text:
            return None
        match = _YEAR.fullmatch(text)
        if match is None or (match[2] and int(match[2]) != int(match[1]) + 1):
            check.error(
                "academic_year",
                _("“%(value)s” is not an academic year; write it as 2026-2027.")
                % {"value": shown(text)},
            )
            return None
        return int(match[1])

    def plan(self, rows: list[CreditRow], *, lock: bool) -> Plan:
        """Check a part of the file against the database; with ``lock``, under row locks."""
        schools = self.schools.read(row.school_code for row in rows)
        # Only students ever registered here: another school's students look like no student.
        students = {
            student.id_card_number: student
            for student in students_visible_to(self.actor)
            .filter(id_card_number__in={row.id_card_number for row in rows})
            .only("pk", "id_card_number", "name")
        }
        courses = self.courses.read(row.course_code for row in rows)
        if self.terms is None:
            self.terms = {
                (term.academic_year.start_year, term.semester): term
                for term in Term.objects.select_related("academic_year")
            }
        terms = self.terms
        records = CreditRecord.objects.filter(
            student__in=[student.pk for student in students.values()],
            course__in={courses[row.course_code].pk for row in rows if row.course_code in courses},
        )
        if lock:
            records = records.select_for_update()
        existing = {(r.student_id, r.course_id, r.term_id): r for r in records}

        plan = Plan(writes={"create": [], "update": []})
        for row in rows:
            check = row.check
            check_school(check, "school_code", row.school_code, schools, self.school)
            student = self._student(row, students)
            course = self._course(row, courses)
            term = self._term(row, terms)
            if student and course and term:
                note_duplicate(
                    check,
                    "course_code",
                    (student.pk, course.pk, term.pk),
                    self.seen,
                    _("The same student, course and term are also on line %(line)s."),
                )
                if row.credits_earned is not None and row.credits_earned > course.credit_value:
                    check.error(
                        "credits_earned",
                        _("The course %(course)s is worth %(credits)s credits only.")
                        % {"course": course.name, "credits": course.credit_value},
                    )
            label = f"G{row.id_card_number or ''} {row.course_code}"
            # An empty score or credits is an error of the row already.
            if check.errors or row.score is None or row.credits_earned is None:
                plan.add(check, action=Action.ERROR, label=label)
                continue
            record = existing.get((student.pk, course.pk, term.pk))
            if record is None:
                plan.writes["create"].append(
                    CreditRecord(
                        student=student,
                        course=course,
                        term=term,
                        score=row.score,
                        credits_earned=row.credits_earned,
                    )
                )
                plan.add(check, action=Action.CREATE, label=label)
                continue
            changes = [name for name in FIELDS if getattr(record, name) != getattr(row, name)]
            if changes and record.recognised_from_id is not None:
                check.error(
                    "score",
                    _(
                        "This record was recognised from another school's record; an "
                        "import does not change it."
                    ),
                )
            for name in changes:
                setattr(record, name, getattr(row, name))
            if changes:
                plan.writes["update"].append(record)
            plan.add(
                check,
                action=Action.UPDATE if changes else Action.UNCHANGED,
                label=label,
                changes=[check.header(FIELD_COLUMNS[name]) for name in changes],
            )
        return plan

    @staticmethod
    def _student(row: CreditRow, students: dict):
        if row.id_card_number is None:
            return None
        student = students.get(row.id_card_number)
        if student is None:
            row.check.error(
                "student_number",
                _("No student with the number %(number)s is registered at your school.")
                % {"number": f"G{row.id_card_number}"},
            )
        return student

    @staticmethod
    def _course(row: CreditRow, courses: dict):
        if not row.course_code:
            return None
        course = courses.get(row.course_code)
        if course is None:
            row.check.error(
                "course_code",
                _("Your school has no course with the code %(code)s: import the courses first.")
                % {"code": shown(row.course_code)},
            )
        return course

    @staticmethod
    def _term(row: CreditRow, terms: dict):
        if row.start_year is None or row.semester is None:
            return None
        term = terms.get((row.start_year, row.semester))
        if term is None:
            row.check.error(
                "academic_year",
                _("There is no term %(year)s-%(next)s, semester %(semester)s.")
                % {"year": row.start_year, "next": row.start_year + 1, "semester": row.semester},
            )
        return term

    def write(self, plan: Plan) -> None:
        CreditRecord.objects.bulk_create(plan.writes["create"], batch_size=1000)
        CreditRecord.objects.bulk_update(plan.writes["update"], FIELDS, batch_size=500)
