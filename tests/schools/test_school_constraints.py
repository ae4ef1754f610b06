"""The database's own guards on places and accounts: a row the services would never write is
refused by the database too, whatever code path tries it."""

import pytest
from django.db import IntegrityError, transaction
from engines import each_engine
from factories import IntegrationClassFactory, MajorFactory, PairingFactory, SchoolFactory

from schools.models import IntegrationClass, Pairing, School, User

pytestmark = [each_engine, pytest.mark.usefixtures("engine")]

PAIRING_TRIGGER = "pairing_schools_match"
CLASS_TRIGGER = "integration_class_matches_pairing"


def test_a_general_and_a_vocational_school_of_the_area_can_be_paired(area_a):
    general = SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL)
    vocational = SchoolFactory(pilot_area=area_a, kind=School.Kind.VOCATIONAL)

    pairing = Pairing.objects.create(
        pilot_area=area_a, general_school=general, vocational_school=vocational
    )

    assert Pairing.objects.filter(pk=pairing.pk).exists()


def test_pairing_two_general_schools_is_refused(area_a, school_a):
    second_general = SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL)

    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        Pairing.objects.create(
            pilot_area=area_a, general_school=school_a, vocational_school=second_general
        )


def test_pairing_a_comprehensive_school_as_the_vocational_one_is_refused(area_a, school_a):
    comprehensive = SchoolFactory(pilot_area=area_a, kind=School.Kind.COMPREHENSIVE)

    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        Pairing.objects.create(
            pilot_area=area_a, general_school=school_a, vocational_school=comprehensive
        )


def test_pairing_schools_of_different_pilot_areas_is_refused(area_a, area_b):
    general_a = SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL)
    vocational_b = SchoolFactory(pilot_area=area_b, kind=School.Kind.VOCATIONAL)

    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        Pairing.objects.create(
            pilot_area=area_a, general_school=general_a, vocational_school=vocational_b
        )


def test_pairing_schools_outside_the_pairings_own_area_is_refused(area_a, area_b):
    general = SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL)
    vocational = SchoolFactory(pilot_area=area_a, kind=School.Kind.VOCATIONAL)

    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        Pairing.objects.create(
            pilot_area=area_b, general_school=general, vocational_school=vocational
        )


def test_pairing_a_school_that_is_in_no_pilot_is_refused(area_a, school_a):
    vocational_outside = SchoolFactory(
        municipality=area_a.municipality, pilot_area=None, kind=School.Kind.VOCATIONAL
    )

    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        Pairing.objects.create(
            pilot_area=area_a, general_school=school_a, vocational_school=vocational_outside
        )


def test_moving_a_pairing_onto_a_school_of_the_wrong_kind_is_refused(pairing_a, vocational_a):
    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        Pairing.objects.filter(pk=pairing_a.pk).update(general_school=vocational_a)


def test_changing_a_paired_schools_kind_is_refused(school_a):
    school_a.kind = School.Kind.VOCATIONAL

    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        school_a.save()

    school_a.refresh_from_db()
    assert school_a.kind == School.Kind.GENERAL


def test_moving_a_paired_school_to_another_area_is_refused(school_a, area_b):
    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        School.objects.filter(pk=school_a.pk).update(pilot_area=area_b)


def test_taking_a_paired_school_out_of_its_pilot_is_refused(school_a):
    with pytest.raises(IntegrityError, match=PAIRING_TRIGGER), transaction.atomic():
        School.objects.filter(pk=school_a.pk).update(pilot_area=None)


def test_an_unpaired_school_may_change_kind_and_area(area_a, area_b):
    school = SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL)

    School.objects.filter(pk=school.pk).update(kind=School.Kind.VOCATIONAL, pilot_area=area_b)

    school.refresh_from_db()
    assert (school.kind, school.pilot_area) == (School.Kind.VOCATIONAL, area_b)


def test_renaming_a_paired_school_is_allowed(school_a):
    school_a.name = "余杭高级中学（新校区）"
    school_a.save()

    school_a.refresh_from_db()
    assert school_a.name == "余杭高级中学（新校区）"


def test_an_integration_class_at_either_school_of_its_pairing_is_accepted(pairing_a):
    major = pairing_a.cooperative_majors.get()

    for host in (pairing_a.general_school, pairing_a.vocational_school):
        IntegrationClass.objects.create(
            name="融通1班",
            host_school=host,
            pairing=pairing_a,
            major=major,
            cohort_year=2024,
            capacity=40,
        )

    assert pairing_a.integration_classes.count() == 2


def test_an_integration_class_hosted_outside_its_pairing_is_refused(pairing_a, school_b):
    major = pairing_a.cooperative_majors.get()

    with pytest.raises(IntegrityError, match=CLASS_TRIGGER), transaction.atomic():
        IntegrationClass.objects.create(
            name="融通1班",
            host_school=school_b,
            pairing=pairing_a,
            major=major,
            cohort_year=2024,
            capacity=40,
        )


def test_an_integration_class_in_a_major_its_pairing_does_not_cooperate_in_is_refused(
    pairing_a, school_a
):
    other_major = MajorFactory()

    with pytest.raises(IntegrityError, match=CLASS_TRIGGER), transaction.atomic():
        IntegrationClass.objects.create(
            name="融通1班",
            host_school=school_a,
            pairing=pairing_a,
            major=other_major,
            cohort_year=2024,
            capacity=40,
        )


def test_moving_an_integration_class_to_another_pairings_school_is_refused(pairing_a, school_b):
    integration_class = IntegrationClassFactory(pairing=pairing_a)

    with pytest.raises(IntegrityError, match=CLASS_TRIGGER), transaction.atomic():
        IntegrationClass.objects.filter(pk=integration_class.pk).update(host_school=school_b)


def test_a_major_cooperating_in_another_pairing_does_not_count(pairing_a, pairing_b, school_a):
    major_of_b = pairing_b.cooperative_majors.get()

    with pytest.raises(IntegrityError, match=CLASS_TRIGGER), transaction.atomic():
        IntegrationClass.objects.create(
            name="融通1班",
            host_school=school_a,
            pairing=pairing_a,
            major=major_of_b,
            cohort_year=2024,
            capacity=40,
        )


def test_the_same_two_schools_cannot_be_paired_twice(pairing_a):
    # PostgreSQL names the key's columns in DETAIL, SQLite in the message.
    with (
        pytest.raises(IntegrityError, match=r"general_school_id.*vocational_school_id"),
        transaction.atomic(),
    ):
        PairingFactory(
            pilot_area=pairing_a.pilot_area,
            general_school=pairing_a.general_school,
            vocational_school=pairing_a.vocational_school,
        )


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (User.Role.REGISTRAR, None),
        (User.Role.REGISTRAR, "pilot_area"),
        (User.Role.DISTRICT, "school"),
        (User.Role.BUREAU, "pilot_area"),
        (User.Role.STUDENT, "school"),
        (User.Role.ADMIN, "municipality"),
    ],
)
def test_a_user_whose_scope_does_not_match_the_role_is_refused(role, scope, school_a, area_a):
    places = {"school": school_a, "pilot_area": area_a, "municipality": area_a.municipality}
    scope_fields = {scope: places[scope]} if scope else {}

    with pytest.raises(IntegrityError, match="user_role_matches_scope"), transaction.atomic():
        User.objects.create(username="mismatch", role=role, **scope_fields)


def test_a_registrar_with_a_second_scope_is_refused(school_a, area_a):
    with pytest.raises(IntegrityError, match="user_role_matches_scope"), transaction.atomic():
        User.objects.create(
            username="two_scopes", role=User.Role.REGISTRAR, school=school_a, pilot_area=area_a
        )


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (User.Role.STUDENT, None),
        (User.Role.ADMIN, None),
        (User.Role.REGISTRAR, "school"),
        (User.Role.DISTRICT, "pilot_area"),
        (User.Role.BUREAU, "municipality"),
    ],
)
def test_a_user_scoped_as_the_role_says_is_accepted(role, scope, school_a, area_a):
    places = {"school": school_a, "pilot_area": area_a, "municipality": area_a.municipality}
    scope_fields = {scope: places[scope]} if scope else {}

    user = User.objects.create(username="matching", role=role, **scope_fields)

    assert user.scope == (places[scope] if scope else None)


def test_removing_a_cooperative_major_a_class_trains_in_is_refused(pairing_a):
    integration_class = IntegrationClassFactory(pairing=pairing_a)
    cooperation = pairing_a.cooperations.get(major=integration_class.major)

    with pytest.raises(IntegrityError, match="cooperative_major_in_use"), transaction.atomic():
        cooperation.delete()

    assert pairing_a.cooperations.filter(pk=cooperation.pk).exists()


def test_removing_a_cooperative_major_no_class_trains_in_is_allowed(pairing_a):
    spare = pairing_a.cooperations.create(major=MajorFactory())

    spare.delete()

    assert not pairing_a.cooperations.filter(pk=spare.pk).exists()
