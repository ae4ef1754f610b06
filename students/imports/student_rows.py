"""Students with their status (学籍): one row per student, registered at the importing school.

A row whose ID-card number is new creates the student and opens their registration. A row of
a student already registered at this school updates what differs, or is unchanged. A student
registered at another school is a duplicate registration (重复学籍, rule 8) and is refused,
naming that school. A student with no active registration anywhere is registered here again.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from schools.models import IntegrationClass, Major, School

from ..models import StatusRecord, Student, Track
from ..services import status_open_many
from ..validators import id_card_birth_date, id_card_gender
from .columns import STUDENT_COLUMNS, gender_choices, track_choices
from .plan import Action, Plan, check_school, note_duplicate
from .rows import RowCheck, shown

PERSON_FIELDS = ("name", "gender", "birth_date", "guardian_name", "guardian_phone")
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
}


@dataclass
class StudentRow:
    check: RowCheck
    id_card_number: str | None
    student: Student | None
    school_code: str
    class_name: str
    cohort_year: int | None
    major_code: str
    track: str | None
    start_date: datetime.date | None


class StudentImport:
    columns = STUDENT_COLUMNS

    def __init__(self, *, school: School, actor):
        self.school = school
        self.genders = gender_choices()
        self.tracks = track_choices()

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
        fields = {
            "name": check.text("name"),
            "gender": check.choice("gender", self.genders, required=False),
            "birth_date": check.date("birth_date", required=False),
            "guardian_name": check.text("guardian_name"),
            "guardian_phone": check.text("guardian_phone"),
        }
        row = StudentRow(
            check=check,
            id_card_number=id_number,
            student=None,
            school_code=check.text("school_code"),
            class_name=check.text("class_name", required=False),
            cohort_year=check.integer("cohort_year", required=False),
            major_code=check.text("major_code", required=False),
            track=check.choice("track", self.tracks, required=False),
            start_date=check.date("start_date"),
        )
        if id_number:
            fields["gender"] = fields["gender"] or id_card_gender(id_number)
            fields["birth_date"] = fields["birth_date"] or id_card_birth_date(id_number)
            student = Student(student_number=f"G{id_number}", id_card_number=id_number, **fields)
            # Empty fields have their error already; the model would only say it again.
            exclude = ["user", *(name for name, value in fields.items() if not value)]
            try:
                student.clean_fields(exclude=exclude)
                student.clean()
            except ValidationError as exc:
                check.model_errors(exc, FIELD_COLUMNS)
            row.student = student
        return row

    def plan(self, rows: list[StudentRow], *, lock: bool) -> Plan:
        ids = {row.id_card_number for row in rows if row.id_card_number}
        students = Student.objects.filter(id_card_number__in=ids)
        actives = StatusRecord.objects.filter(
            student__id_card_number__in=ids, state=StatusRecord.State.ACTIVE
        ).select_related("school", "integration_class__major")
        if lock:
            # Between the check and now a transfer may have moved one of these students;
            # what we compare against must stay as read until the import commits.
            students = students.select_for_update()
            actives = actives.select_for_update(of=("self",))
        existing = {student.id_card_number: student for student in students}
        active_of = {record.student_id: record for record in actives}
        schools = {
            school.code: school
            for school in School.objects.filter(code__in={row.school_code for row in rows})
        }
        classes = list(
            IntegrationClass.objects.filter(
                name__in={row.class_name for row in rows if row.class_name}
            ).select_related("host_school", "major")
        )
        majors = {
            major.code: major
            for major in Major.objects.filter(
                code__in={row.major_code for row in rows if row.major_code}
            )
        }

        plan = Plan(writes={"create": [], "open": [], "students": [], "statuses": []})
        seen: dict[str, int] = {}
        for row in rows:
            check = row.check
            note_duplicate(
                check,
                "id_card_number",
                row.id_card_number,
                seen,
                _("This ID-card number is also on line %(line)s."),
            )
            check_school(check, "school_code", row.school_code, schools, self.school)
            self._not_registered_elsewhere(row, existing, active_of)
            klass = self._class(row, classes)
            major = self._major(row, klass, majors)
            track = self._track(row)
            if row.student is None or check.errors:
                label = row.student.name if row.student else ""
                plan.add(check, action=Action.ERROR, label=label)
                continue
            status = StatusRecord(
                school=self.school,
                track=track,
                integration_class=klass,
                major=major,
                start_date=row.start_date,
                reason=_("Enrolled by import"),
            )
            self._decide(plan, row, status, existing, active_of)
        return plan

    def _decide(self, plan, row, status, existing, active_of) -> None:
        check, incoming = row.check, row.student
        student = existing.get(row.id_card_number)
        if student is None:
            plan.writes["create"].append((incoming, status))
            plan.add(check, action=Action.CREATE, label=incoming.name)
            return
        active = active_of.get(student.pk)
        changes = [
            name for name in PERSON_FIELDS if getattr(student, name) != getattr(incoming, name)
        ]
        for name in changes:
            setattr(student, name, getattr(incoming, name))
        if changes:
            plan.writes["students"].append(student)
        headers = [check.header(FIELD_COLUMNS[name]) for name in changes]
        if active is None:
            status.student = student
            plan.writes["open"].append(status)
            headers.append(check.header("start_date"))
        else:
            status_changes = self._status_changes(check, active, status)
            if check.errors:
                plan.add(check, action=Action.ERROR, label=incoming.name)
                return
            if status_changes:
                plan.writes["statuses"].append(active)
                headers += [check.header(FIELD_COLUMNS[name]) for name in status_changes]
        plan.add(
            check,
            action=Action.UPDATE if headers else Action.UNCHANGED,
            label=incoming.name,
            changes=headers,
        )

    def _not_registered_elsewhere(self, row: StudentRow, existing: dict, active_of: dict):
        """Rule 8: a student active at another school is a duplicate registration. The
        message names that school, and the student by the name the file gives."""
        student = existing.get(row.id_card_number)
        active = active_of.get(student.pk) if student else None
        if active is not None and active.school_id != self.school.pk:
            name = row.student.name if row.student and row.student.name else row.id_card_number
            row.check.error(
                "id_card_number",
                _(
                    "%(student)s is already registered at %(school)s: a duplicate "
                    "registration is not allowed."
                )
                % {"student": name, "school": active.school.name},
            )

    @staticmethod
    def _status_changes(check, active: StatusRecord, status: StatusRecord) -> list[str]:
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
            attname = StatusRecord._meta.get_field(name).attname
            if getattr(active, attname) != getattr(status, attname):
                setattr(active, name, getattr(status, name))
                changes.append(name)
        klass = active.integration_class
        if klass is not None and klass.major_id != active.major_id:
            check.error(
                "major_code",
                _("The class %(cls)s trains in %(major)s.")
                % {"cls": klass.name, "major": klass.major.name},
            )
        return changes

    def _class(self, row: StudentRow, classes: list) -> IntegrationClass | None:
        if not row.class_name:
            if row.cohort_year is not None:
                row.check.error("class_name", _("Give the class of this cohort year."))
            return None
        named = [k for k in classes if k.name == row.class_name]
        if row.cohort_year is not None:
            named = [k for k in named if k.cohort_year == row.cohort_year]
        ours = [k for k in named if k.host_school_id == self.school.pk]
        if len(ours) == 1:
            return ours[0]
        if len(ours) > 1:
            row.check.error(
                "cohort_year",
                _("Your school has %(count)s classes named %(name)s: give the cohort year.")
                % {"count": len(ours), "name": shown(row.class_name)},
            )
        elif named:
            row.check.error(
                "class_name",
                _("The class %(cls)s is hosted by %(school)s, not by your school.")
                % {"cls": shown(row.class_name), "school": named[0].host_school.name},
            )
        else:
            row.check.error(
                "class_name",
                _("Your school has no integration class named %(name)s.")
                % {"name": shown(row.class_name)},
            )
        return None

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
        creates = plan.writes["create"]
        created = Student.objects.bulk_create(
            [student for student, _status in creates], batch_size=1000
        )
        for student, (_student, status) in zip(created, creates, strict=True):
            status.student = student
        opening = [status for _student, status in creates] + plan.writes["open"]
        if opening:
            status_open_many(records=opening)
        if plan.writes["students"]:
            Student.objects.bulk_update(plan.writes["students"], PERSON_FIELDS, batch_size=500)
        if plan.writes["statuses"]:
            StatusRecord.objects.bulk_update(plan.writes["statuses"], STATUS_FIELDS, batch_size=500)
