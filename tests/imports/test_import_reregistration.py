"""Re-registration goes through the people responsible (issue 13, finding 1): the import
never attaches a student last registered at another school, never overwrites their personal
data, and names no other school; the district hands such a student over, with a reason,
and then the new school's import registers them, each changed field kept as history."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from factories import StatusRecordFactory, StudentFactory
from import_files import birth_date, csv_file, id_number, student_row

from students.models import Source, StudentChange, StudentHandover
from students.services import student_hand_over

pytestmark = pytest.mark.django_db

REFUSED = "This person is registered at another school, or was: ask your district"


def _left(school, n: int = 1, state: str = "withdrawn"):
    """The file's n-th person, whose last registration, at ``school``, has ended."""
    student = StudentFactory(
        name="原名",
        guardian_name="原家长",
        guardian_phone="13900000000",
        id_card_number=id_number(n),
        student_number=f"G{id_number(n)}",
        birth_date=birth_date(n),
        gender="M" if n % 2 else "F",
    )
    StatusRecordFactory(
        student=student, school=school, state=state, end_date=datetime.date(2026, 6, 30)
    )
    return student


def test_a_student_last_registered_elsewhere_is_refused_and_left_as_they_were(
    world, upload, commit, school_b, client_as
):
    student = _left(school_b)
    detail = reverse("students:detail", args=[student.pk])
    assert client_as(world.registrar).get(detail).status_code == 404

    job = upload(world.registrar, "students", csv_file([student_row(world, 1)]))

    assert job.results[0]["action"] == "error"
    assert REFUSED in job.results[0]["errors"][0]["message"]
    assert school_b.name not in str(job.results)
    with pytest.raises(ValidationError, match="imports nothing"):
        commit(world.registrar, job)
    student.refresh_from_db()
    assert (student.name, student.guardian_name) == ("原名", "原家长")
    assert not student.status_records.filter(state="active").exists()
    assert client_as(world.registrar).get(detail).status_code == 404


def test_a_guessed_number_of_someone_registered_anywhere_says_the_same(world, upload, school_b):
    """Active elsewhere, or left elsewhere: one message, so a file of guesses maps no one."""
    active = StudentFactory(
        id_card_number=id_number(1),
        student_number=f"G{id_number(1)}",
        birth_date=birth_date(1),
        gender="M",
    )
    StatusRecordFactory(student=active, school=school_b)
    _left(school_b, n=2)

    job = upload(world.registrar, "students", csv_file([student_row(world, n) for n in (1, 2)]))

    messages = [row["errors"][0]["message"] for row in job.results]
    assert messages[0] == messages[1] and REFUSED in messages[0]


def test_a_student_who_left_this_school_comes_back_with_their_changes_kept(world, upload, commit):
    student = _left(world.school)

    job = commit(
        world.registrar, upload(world.registrar, "students", csv_file([student_row(world, 1)]))
    )

    assert [r["action"] for r in job.results] == ["update"]
    assert student.status_records.get(state="active").school == world.school
    changes = {
        (c.field, c.old_value, c.new_value, c.actor, c.source, c.import_job_number)
        for c in StudentChange.objects.filter(student=student)
    }
    assert changes == {
        ("name", "原名", "学生1", world.registrar, Source.IMPORT, job.pk),
        ("guardian_name", "原家长", "家长1", world.registrar, Source.IMPORT, job.pk),
        ("guardian_phone", "13900000000", "13800000001", world.registrar, Source.IMPORT, job.pk),
    }
    event = student.status_records.get(state="active").events.get()
    assert (event.actor, event.source, event.to_state) == (world.registrar, "import", "active")


def test_the_district_hands_a_student_over_and_the_new_school_registers_them(
    world, upload, commit, school_b, district_b, district_a, client_as
):
    student = _left(school_b)

    with pytest.raises(PermissionDenied):  # district A is not over school B
        student_hand_over(actor=district_a, student=student, to_school=world.school, reason="转学")
    response = client_as(district_b).post(
        reverse("students:hand_over", args=[student.pk]),
        {"to_school": world.school.pk, "reason": ""},
    )
    assert response.status_code == 200 and not StudentHandover.objects.exists()
    response = client_as(district_b).post(
        reverse("students:hand_over", args=[student.pk]),
        {"to_school": world.school.pk, "reason": "随父母迁居余杭，经区教育局同意"},
    )
    assert response.status_code == 302
    handover = StudentHandover.objects.get()
    assert (handover.from_school, handover.to_school, handover.actor) == (
        school_b,
        world.school,
        district_b,
    )

    job = commit(
        world.registrar, upload(world.registrar, "students", csv_file([student_row(world, 1)]))
    )

    assert [r["action"] for r in job.results] == ["update"]
    assert student.status_records.get(state="active").school == world.school
    assert StudentChange.objects.filter(student=student, field="name").get().new_value == "学生1"
    # Now registered at A: school B's registrar can no longer hand them anywhere.
    with pytest.raises(ValidationError):
        student_hand_over(actor=district_b, student=student, to_school=school_b, reason="再转")


def test_the_hand_over_page_is_404_out_of_scope_and_403_for_a_student(
    world, school_b, district_a, student_a, client_as
):
    student = _left(school_b)
    url = reverse("students:hand_over", args=[student.pk])
    assert client_as(district_a).get(url).status_code == 404
    assert client_as(world.registrar).get(url).status_code == 404
    assert client_as(student_a.user).get(url).status_code in (403, 404)
