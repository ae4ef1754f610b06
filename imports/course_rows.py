"""Courses of the importing school: one row per course, known by its code at the school.

Planned and written a part of the file at a time, like the students' file."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from credits.models import Course
from schools.models import School

from .columns import COURSE_COLUMNS, category_choices
from .plan import Action, Lookup, Plan, check_school, note_duplicate
from .rows import RowCheck

FIELDS = ("name", "category", "credit_value")
FIELD_COLUMNS = {
    "code": "course_code",
    "name": "course_name",
    "category": "category",
    "credit_value": "credit_value",
}


@dataclass(slots=True)
class CourseRow:
    check: RowCheck
    school_code: str
    course: Course


class CourseImport:
    columns = COURSE_COLUMNS

    def __init__(self, *, school: School, actor, job_number: int | None = None):
        self.school = school
        self.job_number = job_number  # the importers share one signature
        self.categories = category_choices()
        self.schools = Lookup(School.objects.all(), "code")
        #: Course code -> the first line that gives it, over the whole file.
        self.seen: dict[str, int] = {}

    def parse(self, check: RowCheck) -> CourseRow:
        fields = {
            "code": check.text("course_code"),
            "name": check.text("course_name"),
            "category": check.choice("category", self.categories),
            "credit_value": check.decimal("credit_value"),
        }
        course = Course(school=self.school, **fields)
        try:
            course.clean_fields(
                exclude=["school", *(name for name, value in fields.items() if value in ("", None))]
            )
        except ValidationError as exc:
            check.model_errors(exc, FIELD_COLUMNS)
        return CourseRow(check=check, school_code=check.text("school_code"), course=course)

    def plan(self, rows: list[CourseRow], *, lock: bool) -> Plan:
        """Check a part of the file against the database; with ``lock``, under row locks."""
        schools = self.schools.read(row.school_code for row in rows)
        courses = Course.objects.filter(
            school=self.school, code__in={row.course.code for row in rows}
        )
        if lock:
            courses = courses.select_for_update()
        existing = {course.code: course for course in courses}
        plan = Plan(writes={"create": [], "update": []})
        for row in rows:
            check, incoming = row.check, row.course
            note_duplicate(
                check,
                "course_code",
                incoming.code or None,
                self.seen,
                _("This course code is also on line %(line)s."),
            )
            check_school(check, "school_code", row.school_code, schools, self.school)
            label = f"{incoming.code} {incoming.name}"
            if check.errors:
                plan.add(check, action=Action.ERROR, label=label)
                continue
            course = existing.get(incoming.code)
            if course is None:
                plan.writes["create"].append(incoming)
                plan.add(check, action=Action.CREATE, label=label)
                continue
            changes = [name for name in FIELDS if getattr(course, name) != getattr(incoming, name)]
            for name in changes:
                setattr(course, name, getattr(incoming, name))
            if changes:
                plan.writes["update"].append(course)
            plan.add(
                check,
                action=Action.UPDATE if changes else Action.UNCHANGED,
                label=label,
                changes=[check.header(FIELD_COLUMNS[name]) for name in changes],
            )
        return plan

    def write(self, plan: Plan) -> None:
        Course.objects.bulk_create(plan.writes["create"], batch_size=1000)
        Course.objects.bulk_update(plan.writes["update"], FIELDS, batch_size=500)
