"""A signed-in session ends after SESSION_IDLE_MINUTES without a request, with a message on
the login page saying why; any request before then keeps it going."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from core.middleware import LAST_ACTIVITY_KEY

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0))
# The session is read inside the travel too: outside it, the clock is past SESSION_HOURS and
# the stored session has expired whatever the middleware did.


def _at(minutes: float):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def _staff_page(client):
    """A page every staff role may see."""
    return client.get(reverse("students:list"))


def test_idle_time_defaults_to_half_an_hour():
    assert settings.SESSION_IDLE_MINUTES == 30


def test_a_session_idle_past_the_limit_is_signed_out_to_the_login_page(client, bureau):
    with _at(0):
        client.force_login(bureau)
        assert _staff_page(client).status_code == 200
    with _at(30):
        response = _staff_page(client)
        assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('students:list')}"
    [message] = get_messages(response.wsgi_request)
    assert str(message) == (
        "You were signed out after 30 minutes without activity. Sign in again to go on."
    )
    with _at(31):
        login_page = client.get(response["Location"])
    assert login_page.status_code == 200
    assert "You were signed out after 30 minutes" in login_page.content.decode()


def test_a_request_within_the_limit_keeps_the_session_going(client, bureau):
    with _at(0):
        client.force_login(bureau)
        _staff_page(client)
    for minutes in (29, 58, 87):  # each within 30 minutes of the one before
        with _at(minutes):
            assert _staff_page(client).status_code == 200
            assert client.session["_auth_user_id"] == str(bureau.pk)


def test_the_last_request_is_written_at_most_once_a_minute(client, bureau):
    with _at(0):
        client.force_login(bureau)
        _staff_page(client)
        written = client.session[LAST_ACTIVITY_KEY]
    assert written == int(START.timestamp())
    with _at(0.5):
        _staff_page(client)
        assert client.session[LAST_ACTIVITY_KEY] == written
    with _at(1):
        _staff_page(client)
        assert client.session[LAST_ACTIVITY_KEY] == written + 60


def test_a_form_sent_to_an_idle_session_is_not_carried_out(client, bureau):
    with _at(0):
        client.force_login(bureau)
        _staff_page(client)
    with _at(45):
        response = client.post(reverse("logout"))
        assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


def test_the_limit_follows_the_setting(client, bureau, settings):
    settings.SESSION_IDLE_MINUTES = 5
    with _at(0):
        client.force_login(bureau)
        _staff_page(client)
    with _at(4):
        assert _staff_page(client).status_code == 200
    with _at(9):
        response = _staff_page(client)
    assert response.status_code == 302
    [message] = get_messages(response.wsgi_request)
    assert "after 5 minutes without activity" in str(message)


def test_zero_switches_the_idle_limit_off(client, bureau, settings):
    settings.SESSION_IDLE_MINUTES = 0
    with _at(0):
        client.force_login(bureau)
        _staff_page(client)
    with _at(7 * 60):  # within SESSION_HOURS
        assert _staff_page(client).status_code == 200


def test_anonymous_visitors_are_left_alone(client):
    with _at(0):
        assert client.get(reverse("login")).status_code == 200
    with _at(60):
        assert client.get(reverse("login")).status_code == 200
        assert LAST_ACTIVITY_KEY not in client.session
