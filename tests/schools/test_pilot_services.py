"""Rule 1 (a running pilot's schools and pairings are fixed) and rule 2 (what a pairing is), as
the services in ``schools.services`` enforce them."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from factories import (
    PILOT_END,
    PILOT_START,
    IntegrationClassFactory,
    MajorFactory,
    PilotAreaFactory,
    SchoolFactory,
    UserFactory,
)

from schools import services
from schools.models import Pairing, PilotArea, School, User

RULE_1 = "cannot be changed during its pilot period"
DURING = datetime.date(2025, 3, 1)
AFTER = PILOT_END + datetime.timedelta(days=1)
BEFORE = PILOT_START - datetime.timedelta(days=1)
# The first and the last day belong to the period.
DAYS_OF_THE_PERIOD = [PILOT_START, DURING, PILOT_END]


@pytest.fixture
def pending_area(municipality):
    return PilotAreaFactory(municipality=municipality, name="钱塘区")


@pytest.fixture
def district_pending(pending_area):
    return UserFactory(role=User.Role.DISTRICT, pilot_area=pending_area)


@pytest.fixture
def unpaired_a(area_a):
    """A general and a vocational pilot school of area A that are not paired yet."""
    return (
        SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL, name="余杭第二中学"),
        SchoolFactory(pilot_area=area_a, kind=School.Kind.VOCATIONAL, name="余杭技工学校"),
    )


def _create_pairing(actor, area, general, vocational, *, today=DURING, majors=None):
    return services.pairing_create(
        actor=actor,
        pilot_area=area,
        general_school=general,
        vocational_school=vocational,
        majors=[MajorFactory()] if majors is None else majors,
        today=today,
    )


# --- rule 1: when a pilot runs ------------------------------------------------------------


@pytest.mark.parametrize("day", DAYS_OF_THE_PERIOD)
def test_an_approved_pilot_runs_from_its_first_to_its_last_day(area_a, day):
    assert area_a.pilot_running_on(day)


@pytest.mark.parametrize("day", [BEFORE, AFTER])
def test_an_approved_pilot_does_not_run_outside_its_period(area_a, day):
    assert not area_a.pilot_running_on(day)


@pytest.mark.parametrize("approval", [PilotArea.Approval.PENDING, PilotArea.Approval.REJECTED])
def test_a_pilot_that_is_not_approved_never_runs(municipality, approval):
    area = PilotAreaFactory(municipality=municipality, approval=approval)

    assert not area.pilot_running_on(DURING)


def test_without_a_date_the_rule_uses_todays_date_in_china(area_a, time_machine):
    # 16:30 UTC on the last day is already the next day in Asia/Shanghai: the pilot is over.
    time_machine.move_to(datetime.datetime(2027, 8, 31, 15, 30, tzinfo=datetime.UTC))
    with pytest.raises(ValidationError, match=RULE_1):
        services.pilot_area_assert_adjustable(area_a)

    time_machine.move_to(datetime.datetime(2027, 8, 31, 16, 30, tzinfo=datetime.UTC))
    services.pilot_area_assert_adjustable(area_a)


def test_the_rule_1_message_names_the_area_and_its_period(area_a):
    with pytest.raises(ValidationError, match=r"余杭区 .*2024-09-01 to 2027-08-31"):
        services.pilot_area_assert_adjustable(area_a, today=DURING)


# --- rule 1: pairing_create / pairing_set_majors / pairing_delete ------------------------


@pytest.mark.parametrize("today", DAYS_OF_THE_PERIOD)
def test_pairing_create_is_refused_during_the_pilot_period(bureau, area_a, unpaired_a, today):
    with pytest.raises(ValidationError, match=RULE_1):
        _create_pairing(bureau, area_a, *unpaired_a, today=today)

    assert not Pairing.objects.filter(general_school=unpaired_a[0]).exists()


@pytest.mark.parametrize("today", [BEFORE, AFTER])
def test_pairing_create_is_allowed_outside_the_pilot_period(bureau, area_a, unpaired_a, today):
    major = MajorFactory()

    pairing = _create_pairing(bureau, area_a, *unpaired_a, today=today, majors=[major])

    assert (pairing.general_school, pairing.vocational_school) == unpaired_a
    assert list(pairing.cooperative_majors.all()) == [major]


def test_pairing_create_is_allowed_while_the_area_awaits_approval(district_pending, pending_area):
    general = SchoolFactory(pilot_area=pending_area, kind=School.Kind.GENERAL)
    vocational = SchoolFactory(pilot_area=pending_area, kind=School.Kind.VOCATIONAL)

    pairing = _create_pairing(district_pending, pending_area, general, vocational)

    assert pairing.pilot_area == pending_area
    assert pairing.cooperations.count() == 1


@pytest.mark.parametrize("today", DAYS_OF_THE_PERIOD)
def test_pairing_set_majors_is_refused_during_the_pilot_period(bureau, pairing_a, today):
    before = set(pairing_a.cooperative_majors.all())

    with pytest.raises(ValidationError, match=RULE_1):
        services.pairing_set_majors(
            actor=bureau, pairing=pairing_a, majors=[MajorFactory()], today=today
        )

    assert set(pairing_a.cooperative_majors.all()) == before


def test_pairing_set_majors_replaces_the_majors_after_the_pilot_period(bureau, pairing_a):
    kept = pairing_a.cooperative_majors.get()
    added = MajorFactory()

    services.pairing_set_majors(actor=bureau, pairing=pairing_a, majors=[kept, added], today=AFTER)
    assert set(pairing_a.cooperative_majors.all()) == {kept, added}

    services.pairing_set_majors(actor=bureau, pairing=pairing_a, majors=[added], today=AFTER)
    assert list(pairing_a.cooperative_majors.all()) == [added]


def test_pairing_set_majors_keeps_a_major_an_integration_class_trains_in(bureau, pairing_a):
    integration_class = IntegrationClassFactory(pairing=pairing_a)

    with pytest.raises(ValidationError, match=integration_class.name) as excinfo:
        services.pairing_set_majors(
            actor=bureau, pairing=pairing_a, majors=[MajorFactory()], today=AFTER
        )

    assert list(excinfo.value.message_dict) == ["cooperative_majors"]
    assert list(pairing_a.cooperative_majors.all()) == [integration_class.major]


def test_pairing_set_majors_refuses_an_empty_list(bureau, pairing_a):
    with pytest.raises(ValidationError, match="at least one major") as excinfo:
        services.pairing_set_majors(actor=bureau, pairing=pairing_a, majors=[], today=AFTER)

    assert "cooperative_majors" in excinfo.value.message_dict
    assert pairing_a.cooperations.count() == 1


@pytest.mark.parametrize("today", DAYS_OF_THE_PERIOD)
def test_pairing_delete_is_refused_during_the_pilot_period(bureau, pairing_a, today):
    with pytest.raises(ValidationError, match=RULE_1):
        services.pairing_delete(actor=bureau, pairing=pairing_a, today=today)

    assert Pairing.objects.filter(pk=pairing_a.pk).exists()


def test_pairing_delete_is_allowed_after_the_pilot_period(district_a, pairing_a):
    services.pairing_delete(actor=district_a, pairing=pairing_a, today=AFTER)

    assert not Pairing.objects.filter(pk=pairing_a.pk).exists()


def test_a_pairing_with_integration_classes_is_not_deleted(bureau, pairing_a):
    IntegrationClassFactory(pairing=pairing_a)

    with pytest.raises(ValidationError, match="has integration classes"):
        services.pairing_delete(actor=bureau, pairing=pairing_a, today=AFTER)

    assert Pairing.objects.filter(pk=pairing_a.pk).exists()


def test_pairing_delete_is_allowed_while_the_area_awaits_approval(bureau, pairing_a):
    PilotArea.objects.filter(pk=pairing_a.pilot_area_id).update(
        approval=PilotArea.Approval.PENDING, approved_at=None
    )
    pairing_a.refresh_from_db()

    services.pairing_delete(actor=bureau, pairing=pairing_a, today=DURING)

    assert not Pairing.objects.filter(pk=pairing_a.pk).exists()


# --- rule 1: school_set_pilot_area -----------------------------------------------------------


@pytest.mark.parametrize("today", DAYS_OF_THE_PERIOD)
def test_a_school_cannot_join_a_running_pilot(bureau, municipality, area_a, today):
    school = SchoolFactory(municipality=municipality, pilot_area=None)

    with pytest.raises(ValidationError, match=RULE_1):
        services.school_set_pilot_area(actor=bureau, school=school, pilot_area=area_a, today=today)

    school.refresh_from_db()
    assert school.pilot_area is None


def test_a_school_cannot_leave_a_running_pilot(bureau, area_a, pending_area):
    school = SchoolFactory(pilot_area=area_a)

    with pytest.raises(ValidationError, match=RULE_1):
        services.school_set_pilot_area(
            actor=bureau, school=school, pilot_area=pending_area, today=DURING
        )

    school.refresh_from_db()
    assert school.pilot_area == area_a


def test_a_school_joins_a_pilot_that_awaits_approval(district_pending, pending_area):
    school = SchoolFactory(municipality=pending_area.municipality, pilot_area=None)

    services.school_set_pilot_area(
        actor=district_pending, school=school, pilot_area=pending_area, today=DURING
    )

    school.refresh_from_db()
    assert school.pilot_area == pending_area


def test_a_school_leaves_a_pilot_after_its_period(bureau, area_a):
    school = SchoolFactory(pilot_area=area_a)

    services.school_set_pilot_area(actor=bureau, school=school, pilot_area=None, today=AFTER)

    school.refresh_from_db()
    assert school.pilot_area is None


def test_a_school_cannot_join_a_pilot_of_another_municipality(admin_user, pending_area):
    school = SchoolFactory(pilot_area=None)  # a municipality of its own

    with pytest.raises(ValidationError, match="its own municipality") as excinfo:
        services.school_set_pilot_area(
            actor=admin_user, school=school, pilot_area=pending_area, today=DURING
        )

    assert "pilot_area" in excinfo.value.message_dict
    school.refresh_from_db()
    assert school.pilot_area is None


def test_school_set_pilot_area_needs_to_manage_the_area(district_b, pending_area):
    school = SchoolFactory(municipality=pending_area.municipality, pilot_area=None)

    with pytest.raises(PermissionDenied):
        services.school_set_pilot_area(
            actor=district_b, school=school, pilot_area=pending_area, today=DURING
        )


def test_a_paired_school_cannot_leave_its_pilot_even_after_the_period(bureau, school_a, area_a):
    with pytest.raises(ValidationError, match="余杭高级中学 is paired") as excinfo:
        services.school_set_pilot_area(actor=bureau, school=school_a, pilot_area=None, today=AFTER)

    assert list(excinfo.value.message_dict) == ["pilot_area"]
    school_a.refresh_from_db()
    assert school_a.pilot_area == area_a


# --- rule 2: what pairing_create accepts -------------------------------------------------------


def test_pairing_create_refuses_schools_of_the_wrong_kinds(bureau, area_a, unpaired_a):
    general, vocational = unpaired_a

    with pytest.raises(ValidationError) as excinfo:
        _create_pairing(bureau, area_a, vocational, general, today=AFTER)

    assert excinfo.value.message_dict == {
        "general_school": ["余杭技工学校 is not a general high school."],
        "vocational_school": ["余杭第二中学 is not a secondary vocational school."],
    }
    assert not Pairing.objects.filter(general_school__in=unpaired_a).exists()


def test_pairing_create_refuses_a_school_of_another_pilot_area(bureau, area_a, area_b):
    general = SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL)
    vocational_b = SchoolFactory(pilot_area=area_b, kind=School.Kind.VOCATIONAL, name="临平技校")

    with pytest.raises(ValidationError, match="is not a pilot school of 余杭区") as excinfo:
        _create_pairing(bureau, area_a, general, vocational_b, today=AFTER)

    assert list(excinfo.value.message_dict) == ["vocational_school"]
    assert not Pairing.objects.filter(general_school=general).exists()


def test_pairing_create_needs_at_least_one_major(bureau, area_a, unpaired_a):
    with pytest.raises(ValidationError, match="at least one major") as excinfo:
        _create_pairing(bureau, area_a, *unpaired_a, today=AFTER, majors=[])

    assert list(excinfo.value.message_dict) == ["cooperative_majors"]
    assert not Pairing.objects.filter(general_school=unpaired_a[0]).exists()


def test_pairing_create_refuses_two_schools_that_are_already_paired(bureau, pairing_a):
    with pytest.raises(ValidationError, match="already exists"):
        _create_pairing(
            bureau,
            pairing_a.pilot_area,
            pairing_a.general_school,
            pairing_a.vocational_school,
            today=AFTER,
        )

    assert Pairing.objects.filter(general_school=pairing_a.general_school).count() == 1


@pytest.mark.parametrize("persona", ["district_b", "bureau_other", "registrar_a", "student_a"])
def test_pairing_create_needs_to_manage_the_area(request, persona, area_a, unpaired_a):
    actor = request.getfixturevalue(persona)
    actor = getattr(actor, "user", actor)

    with pytest.raises(PermissionDenied):
        _create_pairing(actor, area_a, *unpaired_a, today=AFTER)

    assert not Pairing.objects.filter(general_school=unpaired_a[0]).exists()


# --- rule 1: pilot_area_approve -------------------------------------------------------------


def test_the_bureau_of_the_municipality_approves_a_pilot_area(bureau, pending_area):
    approved = services.pilot_area_approve(actor=bureau, pilot_area=pending_area)

    pending_area.refresh_from_db()
    assert pending_area.approval == PilotArea.Approval.APPROVED
    assert pending_area.approved_at is not None
    assert approved.pk == pending_area.pk


def test_an_administrator_may_approve_a_pilot_area(admin_user, pending_area):
    services.pilot_area_approve(actor=admin_user, pilot_area=pending_area)

    pending_area.refresh_from_db()
    assert pending_area.approval == PilotArea.Approval.APPROVED


@pytest.mark.parametrize("persona", ["district_a", "bureau_other", "registrar_a"])
def test_only_the_bureau_of_the_municipality_approves(request, persona, pending_area):
    actor = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        services.pilot_area_approve(actor=actor, pilot_area=pending_area)

    pending_area.refresh_from_db()
    assert pending_area.approval == PilotArea.Approval.PENDING


def test_the_district_cannot_approve_its_own_pilot_area(district_pending, pending_area):
    with pytest.raises(PermissionDenied):
        services.pilot_area_approve(actor=district_pending, pilot_area=pending_area)

    pending_area.refresh_from_db()
    assert pending_area.approval == PilotArea.Approval.PENDING


def test_a_deactivated_bureau_account_cannot_approve(bureau, pending_area):
    bureau.is_active = False
    bureau.save(update_fields=["is_active"])

    with pytest.raises(PermissionDenied):
        services.pilot_area_approve(actor=bureau, pilot_area=pending_area)

    pending_area.refresh_from_db()
    assert pending_area.approval == PilotArea.Approval.PENDING


def test_a_deactivated_district_account_cannot_manage_its_area(district_a, area_a, unpaired_a):
    district_a.is_active = False
    district_a.save(update_fields=["is_active"])

    with pytest.raises(PermissionDenied):
        _create_pairing(district_a, area_a, *unpaired_a, today=AFTER)


@pytest.mark.parametrize(
    "pilot_end",
    [datetime.date(2027, 9, 1), datetime.date(2026, 8, 31), datetime.date(2027, 8, 30)],
)
def test_a_pilot_period_that_is_not_three_years_is_not_approved(bureau, municipality, pilot_end):
    area = PilotAreaFactory(municipality=municipality, pilot_end=pilot_end)

    with pytest.raises(ValidationError, match="lasts three years: .* ends on 2027-08-31"):
        services.pilot_area_approve(actor=bureau, pilot_area=area)

    area.refresh_from_db()
    assert area.approval == PilotArea.Approval.PENDING
    assert area.approved_at is None
