"""Students with their status (学籍): one row per student, registered at the importing school.

A row whose ID-card number is new creates the student and opens their registration. A row of
a student already registered at this school updates what differs, or is unchanged, and each
changed field of personal data is kept in the student's history (old → new, who, which
import). A student registered at another school (a duplicate registration, 重复学籍, rule 8),
or last registered at another school and not handed over to this one, is refused with a
message that names no other school: "registered elsewhere, or was; ask your district". So a
registrar can neither take over a student of another school nor learn, from a file of
guessed ID-card numbers, where anyone is registered. A student with no active registration
whose last school is this one, or who was handed over to it, is registered here again.

A file is planned and written a part at a time (a few thousand rows): each part's students
and registrations are read in one query each, the schools, classes and majors a file names
once for the whole file. A row is held as the values it gives, not as its cells or a model.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.arrays import any_of
from core.inserts import insert_rows
from schools.models import IntegrationClass, Major, School
from students.models import (
    ProficiencyResult,
    Source,
    StatusRecord,
    Student,
    StudentChange,
    Track,
)
from students.selectors import custodian_schools
from students.services import Registration, shown_value, status_open_many
from students.validators import id_card_birth_date, id_card_gender

from .columns import STUDENT_COLUMNS, gender_choices, track_choices
from .plan import Action, Lookup, Plan, check_school, note_duplicate
from .rows import FieldValidation, RowCheck, shown
from .student_exams import read_exam, read_results, recorded_results

PERSON_FIELDS = ("name", "gender", "birth_date", "guardian_name", "guardian_phone")
#: Read only from a file that has their columns: a file without them changes nothing.
EXAM_FIELDS = ("entrance_exam_year", "entrance_exam_score")

STATUS_FIELDS = ("track", "integration_class", "major", "start_date")
#: The column each model field is read from, for the model's own messages.
FIELD_COLUMNS = {
    "student_number": "student_number",
    "id_card_number": "id_card_number",
    "name": "name",
    "gender": "gender",
    "birth_date": "birth_date",
    "guardian_name": "guardian_name",
    "guardian_phone": "guardian_phone",
    "integration_class": "class_name",
    "major": "major_code",
    "track": "track",
    "start_date": "start_date",
    "entrance_exam_year": "entrance_exam_year",
    "entrance_exam_score": "entrance_exam_score",
}
#: Fields taken from the file as written, in the model's order: the model's own validators
#: (lengths, the phone number's form) check them. The others are made from what the row's
#: reading has already checked: the ID-card number, a choice, a date.
VALIDATED_FIELDS = ("name", "guardian_name", "guardian_phone")


@dataclass(slots=True)
class StudentRow:
    """A row as read: the values it gives. Gender and birth date, when the file leaves them
    out, are read from the ID-card number."""

    check: RowCheck
    id_card_number: str | None
    name: str
    gender: str | None
    birth_date: datetime.date | None
    guardian_name: str
    guardian_phone: str
    school_code: str
    class_name: str
    cohort_year: int | None
    major_code: str
    track: str | None
    start_date: datetime.date | None
    entrance_exam_year: int | None = None
    entrance_exam_score: Decimal | None = None
    #: (subject, passed, taken on) of each proficiency test result the row gives.
    results: tuple[tuple[str, bool, datetime.date], ...] = ()


class StudentImport:
    columns = STUDENT_COLUMNS

    def __init__(self, *, school: School, actor, job_number: int | None = None):
        self.school = school
        self.actor = actor
        self.job_number = job_number
        self.genders = gender_choices()
        self.tracks = track_choices()
        self.fields = {
            name: FieldValidation(Student._meta.get_field(name)) for name in VALIDATED_FIELDS
        }
        self.schools = Lookup(School.objects.all(), "code")
        self.classes = Lookup(
            IntegrationClass.objects.select_related("host_school", "major"), "name", many=True
        )
        self.majors = Lookup(Major.objects.all(), "code")
        #: (class name, cohort year) -> (the class, or the error naming it), once per file.
        self._class_of: dict[tuple, tuple] = {}
        #: ID-card number -> the first line that gives it, over the whole file.
        self.seen: dict[str, int] = {}

    def parse(self, check: RowCheck) -> StudentRow:
        id_number = check.id_card_number("id_card_number")
        if check.has("student_number"):
            in_number = check.student_number("student_number", required=False)
            if in_number and id_number and in_number != id_number:
                check.error(
                    "student_number",
                    _(
                        "The national student number is G followed by this student's "
                        "ID-card number."
                    ),
                )
        row = StudentRow(
            check=check,
            id_card_number=id_number,
            name=check.text("name"),
            gender=check.choice("gender", self.genders, required=False),
            birth_date=check.date("birth_date", required=False),
            guardian_name=check.text("guardian_name"),
            guardian_phone=check.text("guardian_phone"),
            school_code=check.text("school_code", repeated=True),
            class_name=check.text("class_name", required=False, repeated=True),
            cohort_year=check.integer("cohort_year", required=False),
            major_code=check.text("major_code", required=False, repeated=True),
            track=check.choice("track", self.tracks, required=False),
            start_date=check.date("start_date"),
        )
        read_exam(row)
        read_results(row)
        if id_number:
            self._check_student(row, id_number)
        return row

    def _check_student(self, row: StudentRow, id_number: str) -> None:
        """The Student model's own rules, without a model per row: its validators on the
        fields taken as written and, when they pass, its ``clean()``: a birth date and a
        gender the file gives must be those of the ID-card number."""
        check = row.check
        valid = True
        for name in VALIDATED_FIELDS:
            value = getattr(row, name)
            if not value:
                continue  # an empty field has its error already; the model would repeat it
            for message in self.fields[name].errors(value):
                valid = False
                check.error(FIELD_COLUMNS[name], message)
        if valid:
            if row.birth_date and row.birth_date != id_card_birth_date(id_number):
                check.error("birth_date", _("The birth date does not match the ID-card number."))
            if row.gender and row.gender != id_card_gender(id_number):
                check.error("gender", _("The gender does not match the ID-card number."))
        row.gender = row.gender or id_card_gender(id_number)
        row.birth_date = row.birth_date or id_card_birth_date(id_number)

    def plan(self, rows: list[StudentRow], *, lock: bool) -> Plan:
        """Check a part of the file against the database; with ``lock``, under row locks."""
        existing, active_of = self._registered(
            {row.id_card_number for row in rows if row.id_card_number}, lock=lock
        )
        custodian_of = custodian_schools(
            [student.pk for student in existing.values() if student.pk not in active_of]
        )
        schools = self.schools.read(row.school_code for row in rows)
        classes = self.classes.read(row.class_name for row in rows)
        majors = self.majors.read(row.major_code for row in rows)

        results_of = recorded_results(
            [
                existing[row.id_card_number].pk
                for row in rows
                if row.results and row.id_card_number in existing
            ]
        )
        plan = Plan(
            writes={
                "create": [],
                "open": [],
                "students": [],
                "statuses": [],
                "changes": [],
                "results": [],
            }
        )
        duplicate = _("This ID-card number is also on line %(line)s.")
        for row in rows:
            check = row.check
            note_duplicate(check, "id_card_number", row.id_card_number, self.seen, duplicate)
            check_school(check, "school_code", row.school_code, schools, self.school)
            self._ours(row, existing, active_of, custodian_of)
            klass = self._class(row, classes)
            major = self._major(row, klass, majors)
            track = self._track(row)
            # No track, or no start date, is an error of the row already.
            if (
                row.id_card_number is None
                or check.errors
                or track is None
                or row.start_date is None
            ):
                label = row.name if row.id_card_number else ""
                plan.add(check, action=Action.ERROR, label=label)
                continue
            registration = Registration(
                track=track, integration_class=klass, major=major, start_date=row.start_date
            )
            self._decide(plan, row, registration, existing, active_of, results_of)
        return plan

    @staticmethod
    def _registered(ids: set[str], *, lock: bool) -> tuple[dict, dict]:
        """The students with these numbers, by number, and their active registrations, by
        student."""
        if not ids:
            return {}, {}
        students = Student.objects.filter(any_of("id_card_number", list(ids)))
        if lock:
            # Between the check and now a transfer may have moved one of these students;
            # what we compare against must stay as read until the import commits.
            students = students.select_for_update()
        existing = {student.id_card_number: student for student in students}
        if not existing:
            return existing, {}
        student_ids = [student.pk for student in existing.values()]
        actives = StatusRecord.objects.filter(
            any_of("student", student_ids), state=StatusRecord.State.ACTIVE
        ).select_related("school", "integration_class__major")
        if lock:
            actives = actives.select_for_update(of=("self",))
        return existing, {record.student_id: record for record in actives}

    def _decide(self, plan, row: StudentRow, registration, existing, active_of, results_of) -> None:
        check = row.check
        student = existing.get(row.id_card_number)
        if student is None:
            plan.writes["create"].append((row, registration))
            plan.add(check, action=Action.CREATE, label=row.name)
            return
        active = active_of.get(student.pk)
        compared = PERSON_FIELDS + tuple(
            name for name in EXAM_FIELDS if check.has(FIELD_COLUMNS[name])
        )
        changes = [name for name in compared if getattr(student, name) != getattr(row, name)]
        for name in changes:
            plan.writes["changes"].append(
                (student.pk, name, getattr(student, name), getattr(row, name))
            )
            setattr(student, name, getattr(row, name))
        if changes:
            plan.writes["students"].append(student)
        headers = [check.header(FIELD_COLUMNS[name]) for name in changes]
        new_results = [r for r in row.results if r not in results_of.get(student.pk, set())]
        if new_results:
            plan.writes["results"].append((student.pk, new_results))
            headers.append(check.header("proficiency_passed"))
        if active is None:
            plan.writes["open"].append((student, registration))
            headers.append(check.header("start_date"))
        else:
            status_changes = self._status_changes(check, active, registration)
            if check.errors:
                plan.add(check, action=Action.ERROR, label=row.name)
                return
            if status_changes:
                plan.writes["statuses"].append(active)
                headers += [check.header(FIELD_COLUMNS[name]) for name in status_changes]
        plan.add(
            check,
            action=Action.UPDATE if headers else Action.UNCHANGED,
            label=row.name,
            changes=headers,
        )

    def _ours(self, row: StudentRow, existing: dict, active_of: dict, custodian_of: dict):
        """A student this school may register or update: new, registered here, or with no
        active registration and in this school's hands (last registered here, or handed over
        to it). Anyone else is refused without naming a school (rule 8, and issue 13: a
        registrar learns nothing of other schools from the dry run)."""
        student = existing.get(row.id_card_number)
        if student is None:
            return
        active = active_of.get(student.pk)
        school_id = active.school_id if active is not None else custodian_of.get(student.pk)
        if school_id != self.school.pk:
            row.check.error(
                "id_card_number",
                _(
                    "This person is registered at another school, or was: ask your district "
                    "to hand them over."
                ),
            )

    @staticmethod
    def _status_changes(check, active: StatusRecord, registration: Registration) -> list[str]:
        """What the row changes in the registration. A column the file leaves out keeps what
        is there; the major follows the class."""
        compared = ["start_date"]
        if check.has("track"):
            compared.append("track")
        if check.has("class_name"):
            compared.append("integration_class")
        if check.has("class_name") or check.has("major_code"):
            compared.append("major")
        changes = []
        for name in compared:
            value = getattr(registration, name)
            if name in ("integration_class", "major"):
                differs = getattr(active, f"{name}_id") != (value.pk if value else None)
            else:
                differs = getattr(active, name) != value
            if differs:
                setattr(active, name, value)
                changes.append(name)
        klass = active.integration_class
        if klass is not None and klass.major_id != active.major_id:
            check.error(
                "major_code",
                _("The class %(cls)s trains in %(major)s.")
                % {"cls": klass.name, "major": klass.major.name},
            )
        return changes

    def _class(self, row: StudentRow, classes: dict) -> IntegrationClass | None:
        if not row.class_name:
            if row.cohort_year is not None:
                row.check.error("class_name", _("Give the class of this cohort year."))
            return None
        key = (row.class_name, row.cohort_year)
        found = self._class_of.get(key)
        if found is None:
            found = self._class_of[key] = self._find_class(*key, classes.get(row.class_name, []))
        klass, problem = found
        if problem is not None:
            row.check.error(*problem)
        return klass

    def _find_class(self, name: str, cohort_year: int | None, named: list) -> tuple:
        """The class a name (and cohort year) gives, or the column and message saying why
        none; the same for every row that names it."""
        if cohort_year is not None:
            named = [k for k in named if k.cohort_year == cohort_year]
        ours = [k for k in named if k.host_school_id == self.school.pk]
        if len(ours) == 1:
            return ours[0], None
        if len(ours) > 1:
            return None, (
                "cohort_year",
                _("Your school has %(count)s classes named %(name)s: give the cohort year.")
                % {"count": len(ours), "name": shown(name)},
            )
        if named:
            return None, (
                "class_name",
                _("The class %(cls)s is hosted by %(school)s, not by your school.")
                % {"cls": shown(name), "school": named[0].host_school.name},
            )
        return None, (
            "class_name",
            _("Your school has no integration class named %(name)s.") % {"name": shown(name)},
        )

    def _major(self, row: StudentRow, klass, majors: dict) -> Major | None:
        if not row.major_code:
            return klass.major if klass else None
        major = majors.get(row.major_code)
        if major is None:
            row.check.error(
                "major_code",
                _("No major has the catalogue code %(code)s.") % {"code": shown(row.major_code)},
            )
        elif klass is not None and klass.major_id != major.pk:
            row.check.error(
                "major_code",
                _("The class %(cls)s trains in %(major)s.")
                % {"cls": klass.name, "major": klass.major.name},
            )
        return major

    def _track(self, row: StudentRow) -> str | None:
        if row.track:
            return row.track
        if self.school.kind == School.Kind.VOCATIONAL:
            return Track.VOCATIONAL
        if self.school.kind == School.Kind.GENERAL:
            return Track.GENERAL
        row.check.error(
            "track", _("Choose the track for a student of a comprehensive high school.")
        )
        return None

    def write(self, plan: Plan) -> None:
        """Write a planned part of the file: new students, then every registration it opens
        through ``status_open_many`` (rules 3 and 8), then what changes."""
        creates = plan.writes["create"]
        rows = [row for row, _registration in creates]
        created = insert_rows(
            Student,
            count=len(rows),
            values={
                "student_number": [f"G{row.id_card_number}" for row in rows],
                "id_card_number": [row.id_card_number for row in rows],
                "name": [row.name for row in rows],
                "gender": [row.gender for row in rows],
                "birth_date": [row.birth_date for row in rows],
                "guardian_name": [row.guardian_name for row in rows],
                "guardian_phone": [row.guardian_phone for row in rows],
                "entrance_exam_year": [row.entrance_exam_year for row in rows],
                "entrance_exam_score": [row.entrance_exam_score for row in rows],
            },
        )
        results = [
            (student_id, list(row.results))
            for student_id, row in zip(created, rows, strict=True)
            if row.results
        ] + plan.writes["results"]
        opening = [
            (student_id, registration)
            for student_id, (_row, registration) in zip(created, creates, strict=True)
        ]
        opening += [(student.pk, registration) for student, registration in plan.writes["open"]]
        if opening:
            status_open_many(
                school=self.school,
                registrations=opening,
                reason=_("Enrolled by import"),
                actor=self.actor,
            )
        if plan.writes["changes"]:
            changes = plan.writes["changes"]
            insert_rows(
                StudentChange,
                count=len(changes),
                values={
                    "student_id": [student_id for student_id, *_rest in changes],
                    "field": [field for _id, field, _old, _new in changes],
                    "old_value": [shown_value(old) for _id, _field, old, _new in changes],
                    "new_value": [shown_value(new) for _id, _field, _old, new in changes],
                    "actor_id": self.actor.pk if self.actor else None,
                    "source": Source.IMPORT,
                    "import_job_number": self.job_number,
                },
            )
        if plan.writes["students"]:
            Student.objects.bulk_update(
                plan.writes["students"], PERSON_FIELDS + EXAM_FIELDS, batch_size=500
            )
        if results:
            # A result given again for the same subject and day replaces the one recorded.
            ProficiencyResult.objects.bulk_create(
                [
                    ProficiencyResult(
                        student_id=student_id, subject=subject, passed=passed, taken_on=taken_on
                    )
                    for student_id, given in results
                    for subject, passed, taken_on in given
                ],
                update_conflicts=True,
                unique_fields=["student", "subject", "taken_on"],
                update_fields=["passed"],
                batch_size=500,
            )
        if plan.writes["statuses"]:
            StatusRecord.objects.bulk_update(plan.writes["statuses"], STATUS_FIELDS, batch_size=500)
