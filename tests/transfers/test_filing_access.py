"""Who gets the filing package: the bureau of the area's municipality and administrators.
Everyone else, district staff of the very area included, finds no such page (404)."""

import io

import pytest
from django.urls import reverse
from factories import PilotAreaFactory
from openpyxl import load_workbook


def _download_url(area, cohort_year=2024):
    return reverse("filing:download", args=[area.slug, cohort_year])


def test_the_bureau_of_the_city_downloads_it(client, world, policy):
    client.force_login(world.bureau)

    response = client.get(_download_url(world.area))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="filing-{world.area.slug}-2024-20240901-20250831.xlsx"'
    )
    assert "no-store" in response["Cache-Control"]
    assert len(load_workbook(io.BytesIO(response.content)).worksheets) == 5


def test_an_administrator_downloads_it(client, world, policy, admin_user):
    client.force_login(admin_user)

    assert client.get(_download_url(world.area)).status_code == 200


@pytest.mark.parametrize(
    "persona", ["district", "district_other", "registrar_general", "bureau_other"]
)
def test_anyone_else_finds_no_such_page(client, world, policy, persona):
    client.force_login(getattr(world, persona))

    assert client.get(_download_url(world.area)).status_code == 404
    assert client.get(reverse("filing:form")).status_code == 404


def test_a_student_finds_no_such_page(client, world, policy, applicant):
    client.force_login(applicant.user)

    assert client.get(_download_url(world.area)).status_code == 404


def test_the_bureau_gets_no_package_of_another_citys_area(client, world, policy):
    other_area = PilotAreaFactory(municipality=world.bureau_other.municipality, approved=True)
    client.force_login(world.bureau)

    assert client.get(_download_url(other_area)).status_code == 404


def test_an_anonymous_visitor_is_asked_to_log_in(client, world):
    response = client.get(_download_url(world.area))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_form_offers_only_the_bureaus_areas_and_leads_to_the_download(client, world, policy):
    client.force_login(world.bureau)

    page = client.get(reverse("filing:form"))
    assert page.status_code == 200
    offered = set(page.context["form"].fields["area"].queryset)
    assert offered == set(world.bureau.municipality.pilot_areas.all())
    assert page.context["form"]["cohort_year"].value() == 2024

    response = client.get(
        reverse("filing:form"),
        {"area": world.area.slug, "cohort_year": 2024, "start": "2025-01-01", "end": ""},
    )
    assert response.status_code == 302
    assert response.url == _download_url(world.area) + "?start=2025-01-01"


def test_the_form_refuses_a_period_that_ends_before_it_starts(client, world, policy):
    client.force_login(world.bureau)

    response = client.get(_download_url(world.area), {"start": "2025-06-01", "end": "2025-01-01"})

    assert response.status_code == 400
    assert "The period must end on or after its start." in response.content.decode()
