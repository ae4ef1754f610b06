"""The bureau records the entrance exam's admission lines on a page of its own (issue 14):
the data the Wenzhou pack's criterion reads. Another city's school is not there; nobody else
records lines."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from transfer_world import build_world

from schools.models import AdmissionLine

pytestmark = pytest.mark.django_db
URL = "schools:admission_lines"


def _post(client, user, data):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client.post(reverse(URL), data)


def test_the_bureau_records_a_schools_line_and_the_citys_and_corrects_one(client, world):
    assert _post(
        client, world.bureau, {"year": "2026", "school": world.general.pk, "score": "600"}
    )["Location"] == reverse(URL)
    _post(client, world.bureau, {"year": "2026", "school": "", "score": "520.5"})
    _post(client, world.bureau, {"year": "2026", "school": world.general.pk, "score": "605"})

    lines = set(AdmissionLine.objects.values_list("school", "year", "score"))
    assert lines == {(world.general.pk, 2026, Decimal("605.0")), (None, 2026, Decimal("520.5"))}
    page = client.get(reverse(URL)).content.decode()
    assert "605.0" in page and "The city&#x27;s minimum line" in page


def test_a_vocational_school_or_another_citys_school_is_refused(client, world):
    other = build_world()

    response = _post(
        client, world.bureau, {"year": "2026", "school": world.vocational.pk, "score": "600"}
    )
    assert response.status_code == 200  # the choice is not offered: the form says so
    response = _post(
        client, world.bureau, {"year": "2026", "school": other.general.pk, "score": "600"}
    )
    assert response.status_code == 200
    assert not AdmissionLine.objects.exists()


@pytest.mark.parametrize("who", ["district", "registrar_general"])
def test_only_the_bureau_opens_the_page(client, world, who):
    client.force_login(getattr(world, who))

    assert client.get(reverse(URL)).status_code == 404  # as every role-bound page
    assert client.post(reverse(URL), {"year": "2026", "score": "600"}).status_code == 404
    assert not AdmissionLine.objects.exists()


@pytest.mark.parametrize(("score", "message"), [("0", "above 0"), ("abc", "Enter a number")])
def test_a_bad_line_is_refused_with_what_was_typed_kept(client, world, score, message):
    response = _post(client, world.bureau, {"year": "2026", "school": "", "score": score})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AdmissionLine.objects.exists()
