"""The admin shows staff what their selectors allow, read-only, and administrators everything."""

import pytest
from factories import UserFactory

from schools.models import User


@pytest.fixture
def schools(school_a, vocational_a, school_b, vocational_b, school_other):
    return {
        "school_a": school_a,
        "vocational_a": vocational_a,
        "school_b": school_b,
        "vocational_b": vocational_b,
        "school_other": school_other,
    }


def _staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def _changelist(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("bureau", {"school_a", "vocational_a", "school_b", "vocational_b"}),
        ("bureau_other", {"school_other"}),
        ("district_a", {"school_a", "vocational_a"}),
        ("registrar_b", {"school_b"}),
    ],
)
def test_staff_see_only_the_schools_of_their_scope_in_the_admin(
    request, client_as, schools, persona, expected
):
    user = _staff(request.getfixturevalue(persona))

    shown = _changelist(client_as(user), "/admin/schools/school/")

    assert shown == {schools[name] for name in expected}


def test_an_administrator_sees_every_school_in_the_admin(admin_client, schools):
    assert _changelist(admin_client, "/admin/schools/school/") == set(schools.values())


def test_staff_get_no_change_page_for_a_school_outside_their_scope(client_as, bureau, schools):
    client = client_as(_staff(bureau))

    response = client.get(f"/admin/schools/school/{schools['school_other'].pk}/change/")

    # The admin answers an object outside get_queryset as if it did not exist.
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert schools["school_other"].name not in client.get("/admin/").content.decode()


def test_staff_may_view_a_school_in_scope_but_not_change_it(client_as, bureau, schools):
    client = client_as(_staff(bureau))
    school = schools["school_a"]

    viewed = client.get(f"/admin/schools/school/{school.pk}/change/")
    changed = client.post(
        f"/admin/schools/school/{school.pk}/change/",
        {
            "code": school.code,
            "name": "改名",
            "kind": school.kind,
            "municipality": school.municipality_id,
            "pilot_area": school.pilot_area_id,
        },
    )

    assert viewed.status_code == 200
    assert changed.status_code == 403
    school.refresh_from_db()
    assert school.name == "余杭高级中学"


def test_staff_cannot_add_schools_in_the_admin(client_as, bureau, schools):
    response = client_as(_staff(bureau)).get("/admin/schools/school/add/")

    assert response.status_code == 403


def test_staff_see_only_students_of_their_scope_in_the_admin(
    client_as, registrar_a, student_a, student_b
):
    shown = _changelist(client_as(_staff(registrar_a)), "/admin/students/student/")

    assert shown == {student_a}


def test_a_user_without_staff_status_cannot_enter_the_admin(client_as, bureau, schools):
    response = client_as(bureau).get("/admin/schools/school/")

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_a_staff_student_account_sees_no_admin_module(client_as, db):
    student_staff = UserFactory(role=User.Role.STUDENT, is_staff=True)

    response = client_as(student_staff).get("/admin/schools/school/")

    assert response.status_code == 403
