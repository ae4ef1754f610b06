"""Rule 1's layers, each tested apart from the others (issue 13: removing the admin's guard
or the database's layer passed the whole suite).

- The services refuse an adjustment of a running pilot before the database is asked (no
  UPDATE is sent), so the trigger behind them is not what the test sees.
- The database refuses, with no service in front of it, the rows rule 1 rules out: a pilot
  approved with no time of approval, a pilot period that ends before it starts.
- The admin refuses, through its own forms posted by a superuser, to adjust the pairings and
  pilot schools of a running pilot, and offers no delete; outside the period the same post
  is accepted, so the refusal is rule 1's and not a bad form.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from engines import each_engine
from factories import PILOT_END, PilotAreaFactory, SchoolFactory

from schools import services
from schools.models import Pairing, PilotArea, School

RULE_1 = "cannot be changed during its pilot period"
DURING = datetime.datetime(2025, 3, 1, 10, tzinfo=datetime.UTC)
AFTER = datetime.datetime.combine(
    PILOT_END + datetime.timedelta(days=2), datetime.time(10), tzinfo=datetime.UTC
)


def _writes(queries, table: str) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith(("UPDATE", "INSERT", "DELETE")) and table in q["sql"]
    ]


# --- the service, before the database ------------------------------------------------------


def test_moving_a_paired_school_of_a_running_pilot_is_refused_before_the_database_is_asked(
    bureau, school_a, area_a, area_b
):
    # The trigger that keeps a paired school in its pairing's area would refuse this too;
    # the service must refuse first, by rule 1, and send nothing.
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(ValidationError, match=RULE_1),
    ):
        services.school_set_pilot_area(
            actor=bureau, school=school_a, pilot_area=area_b, today=DURING.date()
        )

    assert _writes(queries, "schools_school") == []
    school_a.refresh_from_db()
    assert school_a.pilot_area == area_a


def test_a_pilot_period_that_is_not_three_years_is_refused_before_the_database_is_asked(
    bureau, municipality
):
    area = PilotAreaFactory(municipality=municipality, pilot_end=datetime.date(2026, 8, 31))

    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(ValidationError, match="lasts three years"),
    ):
        services.pilot_area_approve(actor=bureau, pilot_area=area)

    assert _writes(queries, "schools_pilotarea") == []
    area.refresh_from_db()
    assert (area.approval, area.approved_at) == (PilotArea.Approval.PENDING, None)


# --- the database, with no service in front of it ------------------------------------------


@each_engine
def test_the_database_refuses_an_approval_without_its_time(engine, municipality):
    area = PilotAreaFactory(municipality=municipality)

    with pytest.raises(IntegrityError, match="pilot_area_approval_has_time"), transaction.atomic():
        PilotArea.objects.filter(pk=area.pk).update(approval=PilotArea.Approval.APPROVED)

    area.refresh_from_db()
    assert area.approval == PilotArea.Approval.PENDING


@each_engine
@pytest.mark.parametrize("days", [0, -1])
def test_the_database_refuses_a_pilot_period_that_does_not_end_after_it_starts(
    engine, municipality, days
):
    area = PilotAreaFactory(municipality=municipality)

    with (
        pytest.raises(IntegrityError, match="pilot_area_period_ends_after_start"),
        transaction.atomic(),
    ):
        PilotArea.objects.filter(pk=area.pk).update(
            pilot_end=area.pilot_start + datetime.timedelta(days=days)
        )

    area.refresh_from_db()
    assert area.pilot_end > area.pilot_start


# --- the admin, posted by a superuser ------------------------------------------------------


def _change_form_data(response) -> dict:
    """What the admin's change (or add) page would post as it is: the main form's values
    and each inline formset's management form and rows."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            data[key] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


@pytest.fixture
def second_vocational(area_a):
    """An unpaired vocational school of area A: a pairing may take it as far as the
    database is concerned."""
    return SchoolFactory(pilot_area=area_a, kind=School.Kind.VOCATIONAL, name="余杭技工学校")


@pytest.fixture
def at(time_machine, client, admin_user):
    """``at(moment)``: the clock moved there, and the superuser signed in then (a session
    does not outlive a working day)."""

    def move(moment):
        time_machine.move_to(moment)
        client.force_login(admin_user)
        return client

    return move


def _post_pairing_change(client, pairing, **changes):
    url = f"/admin/schools/pairing/{pairing.pk}/change/"
    data = _change_form_data(client.get(url))
    data.update({key: str(value) for key, value in changes.items()})
    return client.post(url, data)


def test_the_admin_refuses_to_change_a_running_pilots_pairing(
    at, pairing_a, vocational_a, second_vocational
):
    admin_client = at(DURING)

    response = _post_pairing_change(admin_client, pairing_a, vocational_school=second_vocational.pk)

    assert response.status_code == 200
    assert RULE_1 in response.content.decode()
    pairing_a.refresh_from_db()
    assert pairing_a.vocational_school == vocational_a


def test_the_admin_takes_the_same_change_after_the_pilot_period(at, pairing_a, second_vocational):
    admin_client = at(AFTER)

    response = _post_pairing_change(admin_client, pairing_a, vocational_school=second_vocational.pk)

    assert response.status_code == 302
    pairing_a.refresh_from_db()
    assert pairing_a.vocational_school == second_vocational


def test_the_admin_refuses_a_new_pairing_in_a_running_pilot(
    at, area_a, second_vocational, pairing_a
):
    admin_client = at(DURING)
    general = SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL, name="余杭第二中学")
    url = "/admin/schools/pairing/add/"
    data = _change_form_data(admin_client.get(url))
    data.update(
        pilot_area=str(area_a.pk),
        general_school=str(general.pk),
        vocational_school=str(second_vocational.pk),
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert RULE_1 in response.content.decode()
    assert not Pairing.objects.filter(general_school=general).exists()


def test_the_admin_refuses_to_move_a_school_into_a_running_pilot_but_renames_one(
    at, municipality, area_a, school_a
):
    admin_client = at(DURING)
    outside = SchoolFactory(municipality=municipality, pilot_area=None, name="杭州第十中学")

    def post(school, **changes):
        url = f"/admin/schools/school/{school.pk}/change/"
        data = _change_form_data(admin_client.get(url))
        data.update(changes)
        return admin_client.post(url, data)

    moved = post(outside, pilot_area=str(area_a.pk))
    renamed = post(school_a, name="余杭高级中学（新校区）")

    assert moved.status_code == 200
    assert RULE_1 in moved.content.decode()
    outside.refresh_from_db()
    assert outside.pilot_area is None
    assert renamed.status_code == 302  # a name is not an adjustment of the pilot
    school_a.refresh_from_db()
    assert school_a.name == "余杭高级中学（新校区）"


def test_the_admin_offers_no_delete_for_a_running_pilots_pairing(at, pairing_a):
    url = f"/admin/schools/pairing/{pairing_a.pk}/delete/"

    admin_client = at(DURING)
    during = admin_client.post(url, {"post": "yes"})
    page = admin_client.get(f"/admin/schools/pairing/{pairing_a.pk}/change/").content.decode()
    admin_client = at(AFTER)
    after = admin_client.get(url)

    assert during.status_code == 403
    assert Pairing.objects.filter(pk=pairing_a.pk).exists()
    assert url not in page
    assert after.status_code == 200
