"""Pages seen signed in are never kept by a cache; sessions end with the browser."""

import pytest
from django.conf import settings
from django.urls import reverse
from factories import MunicipalityFactory, UserFactory

from schools.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["home", "students:list", "transfers:applications"])
def test_a_page_seen_signed_in_is_not_stored(client, name):
    client.force_login(UserFactory(role=User.Role.BUREAU, municipality=MunicipalityFactory()))
    response = client.get(reverse(name))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_a_session_ends_with_the_browser_and_after_a_working_day():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
