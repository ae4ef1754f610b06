"""The student list: its rows, and its count taken from the status records."""

import pytest
from django.contrib.auth.models import AnonymousUser
from factories import StatusRecordFactory, StudentFactory, UserFactory

from schools.models import User
from students.privacy import masked_student_number
from students.selectors import students_visible_count, students_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def registrations(school_a, school_b, vocational_a, student_a, student_b):
    """Besides the personas' students: one who moved from school A to its vocational school
    (two records, one closed), one registered twice at school B over time."""
    moved = StudentFactory(name="王五")
    StatusRecordFactory(student=moved, school=school_a, closed=True)
    StatusRecordFactory(student=moved, school=vocational_a)
    returned = StudentFactory(name="赵六")
    StatusRecordFactory(student=returned, school=school_b, closed=True)
    StatusRecordFactory(student=returned, school=school_b)
    return moved, returned


@pytest.mark.parametrize(
    "persona", ["registrar_a", "registrar_b", "district_a", "bureau", "admin_user", "student_a"]
)
def test_the_count_is_the_number_of_students_listed(request, registrations, persona):
    user = request.getfixturevalue(persona)
    if not isinstance(user, User):
        user = user.user

    assert students_visible_count(user) == students_visible_to(user).count()


@pytest.mark.parametrize(
    "persona", ["registrar_a", "registrar_b", "district_a", "bureau", "admin_user", "student_a"]
)
def test_the_listing_shape_holds_the_same_students(request, registrations, persona):
    """On PostgreSQL the list reads the scope's students through an array (a better plan at
    city scale); it must be the same students as the scope itself."""
    user = request.getfixturevalue(persona)
    if not isinstance(user, User):
        user = user.user

    listed = students_visible_to(user, listing=True).order_by("student_number")
    assert list(listed) == list(students_visible_to(user).order_by("student_number"))


def test_nobody_signed_in_counts_nobody(registrations, municipality):
    assert students_visible_count(AnonymousUser()) == 0
    inactive = UserFactory(role=User.Role.BUREAU, municipality=municipality, is_active=False)
    assert students_visible_count(inactive) == 0


def test_the_list_counts_each_student_once(client_as, registrations):
    response = client_as("registrar_b").get("/students/")

    assert response.context["page"].paginator.count == 2  # 李四, and 赵六 registered twice
    assert "2 rows" in response.content.decode()


def test_a_filtered_list_counts_what_the_filter_keeps(client_as, registrations):
    response = client_as("registrar_a").post("/students/", {"q": "王五"}, follow=True)

    assert [s.name for s in response.context["page"]] == ["王五"]
    assert response.context["page"].paginator.count == 1


def test_a_row_shows_where_the_student_is_registered_now(
    client_as, registrations, vocational_a, school_a
):
    moved, _returned = registrations

    response = client_as("registrar_a").post("/students/", {"q": "王五"}, follow=True)

    table = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert f'<a href="/students/{moved.pk}/">王五</a>' in table
    # Registered at another school now: their number is that school's registrar's to see.
    assert f"<td>{masked_student_number(moved.student_number)}</td>" in table
    assert moved.student_number not in table
    assert f"<td>{vocational_a.name}</td>" in table
    assert school_a.name not in table
    assert "<td>Vocational</td>" in table


def test_a_student_with_no_active_record_shows_dashes(client_as, school_a):
    left = StudentFactory(name="钱七")
    StatusRecordFactory(student=left, school=school_a, closed=True)

    response = client_as("registrar_a").get("/students/")

    table = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert "<td>—</td><td>—</td><td>—</td>" in table


def test_names_are_escaped_in_the_rows(client_as, school_a):
    StatusRecordFactory(student=StudentFactory(name="<b>张</b>"), school=school_a)

    body = client_as("registrar_a").get("/students/").content.decode()

    assert "&lt;b&gt;张&lt;/b&gt;" in body
    assert "<b>张</b>" not in body
