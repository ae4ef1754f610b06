"""Who may read a transcript: the student, the registrars of every school they were registered
at, district staff of those schools' areas and the bureau of the city. Anyone else gets 404,
the answer for a student who does not exist."""

import datetime

import pytest
from django.urls import reverse
from factories import CourseFactory, CreditRecordFactory, StatusRecordFactory
from native import needs_weasyprint

from students.models import StatusRecord


@pytest.fixture
def record(student_a, school_a):
    return CreditRecordFactory(student=student_a, course=CourseFactory(school=school_a))


def _transcript(student, pdf=False):
    return reverse("credits:transcript_pdf" if pdf else "credits:transcript", args=[student.pk])


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("student_a", 200),
        ("registrar_a", 200),
        ("district_a", 200),
        ("bureau", 200),
        ("admin_user", 200),
        ("student_b", 404),
        ("registrar_b", 404),
        ("district_b", 404),
        ("bureau_other", 404),
    ],
)
def test_it_is_shown_to_those_who_may_see_the_student(
    client_as, record, student_a, persona, status
):
    response = client_as(persona).get(_transcript(student_a))

    assert response.status_code == status
    if status == 200:
        assert record.course.name in response.content.decode()


@pytest.mark.parametrize(("persona", "status"), [("registrar_b", 404), ("student_b", 404)])
def test_the_pdf_is_refused_out_of_scope(client_as, record, student_a, persona, status):
    assert client_as(persona).get(_transcript(student_a, pdf=True)).status_code == status


@needs_weasyprint
def test_the_pdf_is_given_to_the_student_themselves(client_as, record, student_a):
    response = client_as("student_a").get(_transcript(student_a, pdf=True))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_a_registrar_of_a_school_the_student_left_still_sees_it(
    client_as, record, student_a, school_b, registrar_a, registrar_b
):
    StatusRecord.objects.filter(student=student_a).update(
        state=StatusRecord.State.TRANSFERRED_OUT, end_date=datetime.date(2025, 1, 31)
    )
    StatusRecordFactory(student=student_a, school=school_b, start_date=datetime.date(2025, 2, 1))

    assert client_as(registrar_b).get(_transcript(student_a)).status_code == 200
    assert client_as(registrar_a).get(_transcript(student_a)).status_code == 200


def test_it_asks_an_anonymous_visitor_to_log_in(client, record, student_a):
    response = client.get(_transcript(student_a, pdf=True))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_student_finds_their_own_transcript_without_knowing_its_address(
    client_as, student_a, student_b
):
    response = client_as("student_a").get(reverse("credits:my_transcript"))

    assert response.status_code == 302
    assert response.url == _transcript(student_a)


def test_staff_have_no_transcript_of_their_own(client_as):
    assert client_as("registrar_a").get(reverse("credits:my_transcript")).status_code == 404


def test_the_student_page_links_to_the_transcript(client_as, record, student_a):
    response = client_as("registrar_a").get(student_a.get_absolute_url())

    assert f'href="{_transcript(student_a)}"' in response.content.decode()
