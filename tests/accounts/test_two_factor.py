"""Two-step sign-in: the bureau, the province and the administrators must set it up when
``OTP_REQUIRED`` is on; anyone may turn it on; a recovery code signs in once."""

import datetime
import re

import pytest
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from factories import PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password step failed"
    return response


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _turn_on(client, user, time_machine) -> list[str]:
    page = client.get("/accounts/two-factor/")
    assert 'data-testid="totp-qr"' in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        "/accounts/two-factor/", {"action": "enable", "token": _code(device)}, follow=True
    )
    body = response.content.decode()
    assert 'data-testid="recovery-codes"' in body
    time_machine.shift(datetime.timedelta(seconds=60))  # a code is good once
    return re.findall(r'<li class="col">([a-z0-9]+)</li>', body)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@override_settings(OTP_REQUIRED=True)
def test_the_bureau_must_set_it_up_and_then_give_a_code(client, bureau, clock):
    _log_in(client, bureau)
    assert client.get("/").url == "/accounts/two-factor/"
    assert client.get("/transfers/approvals/").status_code == 302

    codes = _turn_on(client, bureau, clock)
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    assert 'action" value="disable"' not in client.get("/accounts/two-factor/").content.decode()

    client.post("/accounts/logout/")
    _log_in(client, bureau)
    assert client.get("/").url.startswith("/accounts/two-factor/verify/")
    wrong = client.post("/accounts/two-factor/verify/", {"token": "000000"})
    assert wrong.status_code == 200 and client.get("/").status_code == 302
    clock.shift(datetime.timedelta(seconds=5))  # a wrong code makes the next one wait
    device = TOTPDevice.objects.get(user=bureau)
    client.post("/accounts/two-factor/verify/", {"token": _code(device), "next": "/"})
    assert client.get("/").status_code == 200


@override_settings(OTP_REQUIRED=True)
def test_a_required_role_cannot_turn_it_off(client, bureau, clock):
    _log_in(client, bureau)
    _turn_on(client, bureau, clock)
    device = TOTPDevice.objects.get(user=bureau)

    client.post("/accounts/two-factor/", {"action": "disable", "token": _code(device)})

    assert TOTPDevice.objects.filter(user=bureau, confirmed=True).exists()


@override_settings(OTP_REQUIRED=True)
def test_a_registrar_is_not_asked(client, registrar_a):
    _log_in(client, registrar_a)

    assert client.get("/").status_code == 200


def test_a_recovery_code_signs_in_once(client, registrar_a, clock):
    _log_in(client, registrar_a)
    codes = _turn_on(client, registrar_a, clock)

    for attempt in range(2):
        client.post("/accounts/logout/")
        _log_in(client, registrar_a)
        client.post("/accounts/two-factor/verify/", {"token": codes[0]})
        assert client.get("/").status_code == (200 if attempt == 0 else 302)
    assert StaticToken.objects.filter(device__user=registrar_a).count() == 9


def test_anyone_may_turn_it_on_and_off(client, registrar_a, clock):
    _log_in(client, registrar_a)
    _turn_on(client, registrar_a, clock)
    device = TOTPDevice.objects.get(user=registrar_a)

    client.post("/accounts/two-factor/", {"action": "disable", "token": "123"})
    assert TOTPDevice.objects.filter(user=registrar_a).exists()
    clock.shift(datetime.timedelta(seconds=5))
    client.post("/accounts/two-factor/", {"action": "disable", "token": _code(device)})

    assert not TOTPDevice.objects.filter(user=registrar_a).exists()
    assert not StaticToken.objects.filter(device__user=registrar_a).exists()
    client.post("/accounts/logout/")
    _log_in(client, registrar_a)
    assert client.get("/").status_code == 200


def test_new_recovery_codes_replace_the_old(client, registrar_a, clock):
    _log_in(client, registrar_a)
    old = _turn_on(client, registrar_a, clock)

    page = client.post("/accounts/two-factor/", {"action": "recovery"}, follow=True)

    new = re.findall(r'<li class="col">([a-z0-9]+)</li>', page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
