"""The pages: sign-in required, scoped lists, 404 (never 403) for what is not yours."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from factories import StatusRecordFactory, StudentFactory

from students.privacy import masked_student_number

PROTECTED = ["/", "/schools/", "/students/"]


def _field(response, testid: str) -> str:
    """The text of the element marked ``data-testid``, whatever the element."""
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', response.content.decode())
    assert match, f"no {testid} on the page"
    return match.group(1).strip()


@pytest.mark.parametrize("path", PROTECTED)
def test_an_anonymous_visitor_is_sent_to_log_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={path}"


def test_an_anonymous_visitor_is_sent_to_log_in_from_a_detail_page(client, student_a, school_a):
    for path in (f"/students/{student_a.pk}/", f"/schools/{school_a.pk}/"):
        response = client.get(path)

        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")
        assert student_a.name not in response.content.decode()


# --- home ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "role", "scope"),
    [
        ("registrar_a", "School registrar", "余杭高级中学"),
        ("registrar_b", "School registrar", "临平第一中学"),
        ("district_a", "District education department", "余杭区"),
        ("district_b", "District education department", "临平区"),
        ("bureau", "Municipal education bureau", "杭州市"),
        ("bureau_other", "Municipal education bureau", "宁波市"),
        ("admin_user", "Administrator", "Everything"),
        ("student_a", "Student", "张三 (G"),
    ],
)
def test_the_home_page_shows_role_and_scope(client_as, persona, role, scope):
    response = client_as(persona).get("/")

    assert response.status_code == 200
    assert _field(response, "role") == role
    assert _field(response, "scope").startswith(scope)


def test_the_home_page_links_a_student_to_their_own_record(client_as, student_a):
    response = client_as(student_a).get("/")

    assert f'href="/students/{student_a.pk}/"' in response.content.decode()
    assert student_a.student_number in _field(response, "scope")


def test_the_administrators_home_counts_everything(
    client_as, admin_user, pairing_a, pairing_b, school_other
):
    response = client_as(admin_user).get("/")

    assert response.context["school_count"] == 5
    assert response.context["area_count"] == 2


# --- students ------------------------------------------------------------------------------


def test_a_registrar_sees_their_own_student(client_as, registrar_a, student_a):
    response = client_as(registrar_a).get(f"/students/{student_a.pk}/")

    assert response.status_code == 200
    assert student_a.id_card_number in response.content.decode()
    assert response.context["student"] == student_a


def test_registrar_gets_404_for_another_schools_student(client_as, registrar_a, student_b):
    response = client_as(registrar_a).get(f"/students/{student_b.pk}/")

    assert response.status_code == 404
    body = response.content.decode()
    assert student_b.name not in body
    assert student_b.id_card_number not in body


def test_not_yours_looks_exactly_like_does_not_exist(client_as, registrar_a, student_b):
    client = client_as(registrar_a)

    not_yours = client.get(f"/students/{student_b.pk}/")
    missing = client.get(f"/students/{student_b.pk + 1000}/")

    assert (not_yours.status_code, not_yours.content) == (missing.status_code, missing.content)


@pytest.mark.parametrize("persona", ["district_a", "bureau_other", "student_a"])
def test_staff_and_students_get_404_for_students_out_of_scope(client_as, persona, student_b):
    response = client_as(persona).get(f"/students/{student_b.pk}/")

    assert response.status_code == 404
    assert student_b.id_card_number not in response.content.decode()


def test_a_student_sees_their_own_record(client_as, student_a, student_b):
    response = client_as(student_a).get(f"/students/{student_a.pk}/")

    assert response.status_code == 200
    assert "余杭高级中学" in response.content.decode()  # their status history


def test_a_student_lists_only_themselves(client_as, student_a, school_a):
    classmate = StudentFactory(name="赵六")
    StatusRecordFactory(student=classmate, school=school_a)

    response = client_as(student_a).get("/students/")

    assert list(response.context["page"]) == [student_a]
    assert classmate.student_number not in response.content.decode()


def test_a_student_gets_404_for_a_classmate(client_as, student_a, school_a):
    classmate = StudentFactory(name="赵六")
    StatusRecordFactory(student=classmate, school=school_a)

    response = client_as(student_a).get(f"/students/{classmate.pk}/")

    assert response.status_code == 404
    assert classmate.id_card_number not in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar_a", ["student_a"]),
        ("district_b", ["student_b"]),
        ("bureau", ["student_a", "student_b"]),
        ("bureau_other", []),
        ("admin_user", ["student_a", "student_b"]),
    ],
)
def test_the_student_list_holds_only_students_in_scope(
    request, client_as, student_a, student_b, persona, expected
):
    response = client_as(persona).get("/students/")

    shown = list(response.context["page"])
    assert shown == sorted(
        (request.getfixturevalue(name) for name in expected), key=lambda s: s.student_number
    )
    body = response.content.decode()
    for student in (student_a, student_b):
        listed = masked_student_number(student.student_number) in body
        assert (listed or student.student_number in body) == (student in shown)


def test_searching_the_student_list_stays_in_scope(client_as, registrar_a, student_a, student_b):
    client = client_as(registrar_a)

    def search(text):
        return list(client.post("/students/", {"q": text}, follow=True).context["page"])

    assert search("李四") == []
    assert search("张三") == [student_a]


def test_the_student_list_shows_the_active_registration(client_as, bureau, student_a, vocational_a):
    active = student_a.status_records.get()
    StatusRecordFactory(student=student_a, school=vocational_a, closed=True, reason="旧记录")

    response = client_as(bureau).get("/students/")

    (row,) = response.context["page"]
    assert (row.active_school, row.active_track) == (active.school.name, active.track)
    table = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert active.school.name in table
    assert vocational_a.name not in table


def test_the_student_list_runs_a_constant_number_of_queries(client_as, registrar_a, school_a):
    client = client_as(registrar_a)

    def list_students(count):
        for _ in range(count - school_a.status_records.count()):
            StatusRecordFactory(student=StudentFactory(), school=school_a)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/students/")
        assert len(response.context["page"]) == count
        return len(queries)

    assert list_students(5) == list_students(50)


# --- schools --------------------------------------------------------------------------------


def test_district_a_gets_404_for_a_school_of_area_b(client_as, district_a, school_b):
    response = client_as(district_a).get(f"/schools/{school_b.pk}/")

    assert response.status_code == 404
    assert school_b.name not in response.content.decode()


def test_district_a_sees_a_school_of_its_area(client_as, district_a, school_a, vocational_a):
    response = client_as(district_a).get(f"/schools/{school_a.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert school_a.code in body
    assert f"{school_a.name} ⇄ {vocational_a.name}" in body


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar_a", {"school_a"}),
        ("district_a", {"school_a", "vocational_a"}),
        ("bureau", {"school_a", "vocational_a", "school_b", "vocational_b"}),
        ("bureau_other", {"school_other"}),
        ("admin_user", {"school_a", "vocational_a", "school_b", "vocational_b", "school_other"}),
    ],
)
def test_the_school_list_holds_only_schools_in_scope(request, client_as, persona, expected):
    everything = {
        name: request.getfixturevalue(name)
        for name in ("school_a", "vocational_a", "school_b", "vocational_b", "school_other")
    }

    response = client_as(persona).get("/schools/")

    assert set(response.context["page"]) == {everything[name] for name in expected}
    body = response.content.decode()
    for name, school in everything.items():
        assert (school.code in body) == (name in expected)


def test_the_school_list_counts_active_students(client_as, district_a, student_a, school_a):
    StatusRecordFactory(school=school_a, closed=True)

    response = client_as(district_a).get("/schools/")

    counts = {school.pk: school.active_students for school in response.context["page"]}
    assert counts[school_a.pk] == 1
