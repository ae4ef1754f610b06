"""Who sees which places: the selectors every page and the admin use."""

import pytest
from django.contrib.auth.models import AnonymousUser
from factories import IntegrationClassFactory, StatusRecordFactory, UserFactory

from schools.models import User
from schools.selectors import (
    integration_classes_visible_to,
    municipalities_visible_to,
    pairings_visible_to,
    pilot_areas_visible_to,
    schools_visible_to,
)

ALL_SCHOOLS = ["school_a", "vocational_a", "school_b", "vocational_b", "school_other"]


@pytest.fixture
def places(request):
    """Every place of the conftest world, by fixture name."""
    names = [*ALL_SCHOOLS, "area_a", "area_b", "pairing_a", "pairing_b"]
    names += ["municipality", "other_municipality"]
    return {name: request.getfixturevalue(name) for name in names}


def _user(request, persona):
    user = request.getfixturevalue(persona)
    return getattr(user, "user", user)  # a Student persona's login


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar_a", {"school_a"}),
        ("registrar_b", {"school_b"}),
        ("district_a", {"school_a", "vocational_a"}),
        ("district_b", {"school_b", "vocational_b"}),
        ("bureau", {"school_a", "vocational_a", "school_b", "vocational_b"}),
        ("bureau_other", {"school_other"}),
        ("admin_user", set(ALL_SCHOOLS)),
        ("student_a", {"school_a"}),
    ],
)
def test_each_persona_sees_the_schools_of_its_scope(request, places, persona, expected):
    visible = set(schools_visible_to(_user(request, persona)))

    assert visible == {places[name] for name in expected}


def test_a_student_sees_every_school_they_were_registered_at(student_a, vocational_a, places):
    StatusRecordFactory(student=student_a, school=places["school_other"], closed=True)

    assert set(schools_visible_to(student_a.user)) == {places["school_a"], places["school_other"]}


def test_a_student_without_a_registration_sees_no_school(places):
    assert not schools_visible_to(UserFactory()).exists()


def test_an_anonymous_visitor_sees_nothing(places):
    anonymous = AnonymousUser()

    assert not schools_visible_to(anonymous).exists()
    assert not pilot_areas_visible_to(anonymous).exists()
    assert not municipalities_visible_to(anonymous).exists()
    assert not pairings_visible_to(anonymous).exists()
    assert not integration_classes_visible_to(anonymous).exists()


@pytest.mark.parametrize("persona", ["bureau", "district_a", "registrar_a", "admin_user"])
def test_a_deactivated_account_sees_nothing(request, places, persona):
    user = _user(request, persona)
    user.is_active = False

    assert not schools_visible_to(user).exists()
    assert not pilot_areas_visible_to(user).exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("bureau", {"area_a", "area_b"}),
        ("bureau_other", set()),
        ("district_a", {"area_a"}),
        ("registrar_b", {"area_b"}),
        ("student_a", {"area_a"}),
        ("admin_user", {"area_a", "area_b"}),
    ],
)
def test_each_persona_sees_the_pilot_areas_of_its_scope(request, places, persona, expected):
    visible = set(pilot_areas_visible_to(_user(request, persona)))

    assert visible == {places[name] for name in expected}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("bureau", {"municipality"}),
        ("bureau_other", {"other_municipality"}),
        ("district_b", {"municipality"}),
        ("registrar_a", {"municipality"}),
        ("admin_user", {"municipality", "other_municipality"}),
    ],
)
def test_each_persona_sees_the_municipalities_of_its_scope(request, places, persona, expected):
    visible = set(municipalities_visible_to(_user(request, persona)))

    assert visible == {places[name] for name in expected}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("bureau", {"pairing_a", "pairing_b"}),
        ("bureau_other", set()),
        ("district_a", {"pairing_a"}),
        ("district_b", {"pairing_b"}),
        ("registrar_a", {"pairing_a"}),
        ("student_b", {"pairing_b"}),
    ],
)
def test_each_persona_sees_the_pairings_of_its_scope(request, places, persona, expected):
    visible = set(pairings_visible_to(_user(request, persona)))

    assert visible == {places[name] for name in expected}


def test_the_vocational_registrar_sees_its_pairing_too(pairing_a, vocational_a, places):
    registrar = UserFactory(role=User.Role.REGISTRAR, school=vocational_a)

    assert list(pairings_visible_to(registrar)) == [pairing_a]


def test_integration_classes_are_seen_through_their_host_school(
    pairing_a, pairing_b, district_a, registrar_a
):
    class_at_general = IntegrationClassFactory(pairing=pairing_a)
    class_at_vocational = IntegrationClassFactory(
        pairing=pairing_a, host_school=pairing_a.vocational_school
    )
    IntegrationClassFactory(pairing=pairing_b)

    assert set(integration_classes_visible_to(district_a)) == {
        class_at_general,
        class_at_vocational,
    }
    assert list(integration_classes_visible_to(registrar_a)) == [class_at_general]
