"""Signing in and out, and changing a password, with the project's templates."""

import pytest
from django.test import RequestFactory
from factories import PASSWORD


def test_a_user_logs_in_with_a_password(client, registrar_a):
    response = client.post("/accounts/login/", {"username": "registrar_a", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").context["user"] == registrar_a


def test_login_returns_to_the_page_asked_for(client, registrar_a):
    response = client.post(
        "/accounts/login/?next=/students/",
        {"username": "registrar_a", "password": PASSWORD, "next": "/students/"},
    )

    assert response.url == "/students/"


def test_a_wrong_password_does_not_log_in(client, registrar_a):
    response = client.post(
        "/accounts/login/", {"username": "registrar_a", "password": "wrong password"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get("/").status_code == 302


def test_a_deactivated_account_cannot_log_in(client, registrar_a):
    registrar_a.is_active = False
    registrar_a.save()

    response = client.post("/accounts/login/", {"username": "registrar_a", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_login_page_renders(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body
    assert 'name="password"' in body
    assert "csrfmiddlewaretoken" in body


def test_logout_is_a_post_and_ends_the_session(client_as, registrar_a):
    client = client_as(registrar_a)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_logout_by_get_is_refused(client_as, registrar_a):
    client = client_as(registrar_a)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200


def test_every_page_offers_a_logout_form(client_as, registrar_a):
    body = client_as(registrar_a).get("/").content.decode()

    assert 'action="/accounts/logout/"' in body
    assert 'method="post"' in body


def test_the_password_change_page_renders_for_a_logged_in_user(client_as, bureau):
    response = client_as(bureau).get("/accounts/password_change/")

    assert response.status_code == 200
    body = response.content.decode()
    for field in ("old_password", "new_password1", "new_password2"):
        assert f'name="{field}"' in body


def test_the_password_change_page_needs_a_login(client, db):
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.usefixtures("registrar_a")
def test_a_password_change_takes_effect(client):
    client.login(request=_request(), username="registrar_a", password=PASSWORD)

    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-horse-7731",
            "new_password2": "Another-horse-7731",
        },
    )

    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    client.logout()
    assert not client.login(request=_request(), username="registrar_a", password=PASSWORD)
    assert client.login(request=_request(), username="registrar_a", password="Another-horse-7731")


def _request():
    """A request for ``authenticate``: the login lockout reads the client's address."""
    request = RequestFactory().post("/accounts/login/")
    return request
