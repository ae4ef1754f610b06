"""Repeated wrong passwords lock sign-in, by username and by address, with a page that says
how to be unlocked; the address is the one the trusted proxies saw, so a forged
X-Forwarded-For neither escapes the lock nor locks someone else; and there is no password
reset by e-mail."""

import pytest
from django.conf import settings
from django.urls import reverse
from factories import UserFactory

from schools.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "Correct-horse-9921"
LOGIN = "/accounts/login/"


@pytest.fixture
def person():
    user = UserFactory(role=User.Role.STUDENT, username="G330110200801011234")
    user.set_password(PASSWORD)
    user.save()
    return user


def _try(client, username, password, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_sixth_try_after_five_wrong_passwords_is_locked_even_with_the_right_one(client, person):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _try(client, person.username, "wrong").status_code == 200
    locked = _try(client, person.username, "wrong")
    assert locked.status_code == 429
    response = _try(client, person.username, PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    page = response.content.decode()
    assert "Sign-in locked" in page, page[:3000]
    assert "ask the system's administrator" in page


def test_the_log_never_holds_the_full_username(client, person, caplog):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _try(client, person.username, "wrong")
    assert "locked" in caplog.text.lower() or "failure" in caplog.text.lower()
    assert person.username not in caplog.text
    assert person.username[1:] not in caplog.text  # the ID-card number behind the letter


def test_the_lock_holds_for_the_username_from_another_address(client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try(client, person.username, "wrong", REMOTE_ADDR="10.0.0.1")
    assert _try(client, person.username, PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 429


def test_the_lock_holds_for_the_address_whatever_username_is_tried(client, person):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _try(client, f"G33011020080101{n:04d}", "wrong", REMOTE_ADDR="10.0.0.9")
    assert _try(client, person.username, PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 429


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, person, settings):
    settings.TRUSTED_PROXIES = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        _try(client, f"guess-{n}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    # Same REMOTE_ADDR (the test client's): locked, whatever the header claims.
    response = _try(client, person.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429


def test_behind_one_trusted_proxy_the_client_is_the_address_it_appended(client, person, settings):
    settings.TRUSTED_PROXIES = 1
    # An attacker behind the proxy forges the left part of the header; the proxy appends the
    # attacker's real address, which is what is counted.
    for n in range(settings.AXES_FAILURE_LIMIT):
        _try(client, f"guess-{n}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 192.0.2.66")
    assert _try(client, "anyone", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.66").status_code == 429
    # Someone else behind the same proxy is not locked by them.
    assert (
        _try(client, person.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.10").status_code
        == 302
    )
    assert _signed_in(client)


def test_a_success_clears_the_count(client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _try(client, person.username, "wrong")
    assert _try(client, person.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _try(client, person.username, "wrong")
    assert _try(client, person.username, PASSWORD).status_code == 302


def test_there_is_no_password_reset_by_email(client):
    assert client.get("/accounts/password_reset/").status_code == 404
    with pytest.raises(Exception):  # noqa: B017 - the URL name does not exist at all
        reverse("password_reset")
