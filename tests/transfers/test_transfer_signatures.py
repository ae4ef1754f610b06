"""Staff in history and timelines show as a person and an office (张三 · 余杭区教育局), not
as an account name alone; and reading the offices costs the timeline no query per row."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from transfer_world import drive, enrol, submit

from transfers.models import Application

S = Application.State


def test_each_role_signs_with_its_office(world):
    world.district.first_name, world.district.last_name = "明", "王"
    with translation.override("zh-hans"):
        assert world.district.signature == "王明 · 余杭区教育局"
    with translation.override("en"):
        registrar = world.registrar_general
        name = registrar.get_full_name() or registrar.username
        assert registrar.signature == f"{name} · {world.general.name}"
        assert world.bureau.signature.endswith(f" · {world.bureau.municipality.bureau_name}")
    student = enrol(world).user
    assert student.signature == (student.get_full_name() or student.username)


def test_the_timeline_names_the_person_and_office_of_each_step(world, policy, client):
    application = drive(world, submit(policy, enrol(world)), S.PUBLISHED)
    url = reverse("transfers:application_detail", args=[application.pk])
    client.force_login(world.district)

    page = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert world.registrar_general.signature in page  # eligibility
    assert world.district.signature in page  # assessment and publication

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    application = drive(world, submit(policy, enrol(world)), S.PUBLISHED)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("transfers:application_detail", args=[application.pk]))
    assert len(more) == len(few)
