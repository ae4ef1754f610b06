"""The guardian confirms the consent in their own account: once, while the application is
going, and only for their own child; the schools see who confirmed it and when."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from factories import UserFactory
from transfer_world import submit

from schools.models import Guardianship, User
from transfers.models import Application


@pytest.fixture
def submitted(world, policy, applicant):
    return submit(policy, applicant)


@pytest.fixture
def guardian(applicant):
    user = UserFactory(username="13900000011", role=User.Role.GUARDIAN, first_name="大明")
    Guardianship.objects.create(guardian=user, student=applicant.user)
    return user


def _url(application, action=""):
    return f"/transfers/applications/{application.pk}/{action}"


def test_the_guardian_confirms_the_consent_once(client_as, submitted, guardian, world):
    client = client_as(guardian)
    page = client.get(_url(submitted)).content.decode()
    assert 'data-testid="guardian-consent"' in page
    assert 'data-testid="consent-needed"' in client.get("/").content.decode()

    response = client.post(_url(submitted, "guardian-consent/"))

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.guardian_confirmed_by == guardian
    assert submitted.guardian_confirmed_at is not None
    assert submitted.state == Application.State.SUBMITTED  # the consent moves no state
    again = client.post(_url(submitted, "guardian-consent/"), follow=True)
    assert 'data-testid="guardian-consent"' not in again.content.decode()
    submitted.refresh_from_db()
    confirmed_at = submitted.guardian_confirmed_at
    client.post(_url(submitted, "guardian-consent/"))
    submitted.refresh_from_db()
    assert submitted.guardian_confirmed_at == confirmed_at

    registrar_page = client_as(world.registrar_general).get(_url(submitted)).content.decode()
    assert "大明" in registrar_page


def test_no_one_else_confirms(client_as, submitted, world):
    stranger = UserFactory(username="13900000012", role=User.Role.GUARDIAN)

    assert client_as(stranger).post(_url(submitted, "guardian-consent/")).status_code == 404
    assert client_as(submitted.student.user).post(
        _url(submitted, "guardian-consent/")
    ).status_code in (302, 404)
    assert client_as(world.registrar_general).post(
        _url(submitted, "guardian-consent/")
    ).status_code in (302, 404)
    submitted.refresh_from_db()
    assert submitted.guardian_confirmed_at is None


def test_a_withdrawn_application_takes_no_consent(client_as, submitted, guardian):
    from transfers import services

    services.application_withdraw(actor=submitted.student.user, application=submitted)

    client_as(guardian).post(_url(submitted, "guardian-consent/"))

    submitted.refresh_from_db()
    assert submitted.guardian_confirmed_at is None


def test_the_database_keeps_who_and_when_together(submitted, guardian):
    for changes in (
        {"guardian_confirmed_by": guardian},
        {"guardian_confirmed_at": timezone.now()},
    ):
        with (
            pytest.raises(IntegrityError, match="application_guardian_confirmed_by_and_at"),
            transaction.atomic(),
        ):
            Application.objects.filter(pk=submitted.pk).update(**changes)
