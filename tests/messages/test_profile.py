"""A person sets where messages reach them: an e-mail address, a mobile number verified by a
code sent to it, the channels and the language; a guardian activates with a code sent to the
number the school recorded."""

import json

import pytest
from factories import UserFactory

from schools.models import User

PASSWORD = "dong-tian-hen-leng-2026"


@pytest.fixture
def texts(tmp_path, settings):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")

    def read() -> list[dict]:
        path = tmp_path / "sms.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    return read


def _code(texts) -> str:
    return "".join(ch for ch in texts()[-1]["text"] if ch.isdigit())[:6]


def test_a_mobile_number_is_verified_by_the_code_sent_to_it(client_as, texts, db):
    user = UserFactory(role=User.Role.STUDENT, language="en")
    client = client_as(user)

    sent = client.post(
        "/accounts/profile/", {"action": "send-code", "mobile-mobile": "13600000009"}
    )
    assert sent.status_code == 302
    assert texts()[-1]["to"] == "13600000009"
    assert "Your verification code is" in texts()[-1]["text"]

    wrong = client.post("/accounts/profile/", {"action": "verify", "code-code": "000000"})
    assert wrong.status_code == 200 and "wrong or has expired" in wrong.content.decode()
    right = client.post("/accounts/profile/", {"action": "verify", "code-code": _code(texts)})
    assert right.status_code == 302
    user.refresh_from_db()
    assert user.mobile == "13600000009" and user.mobile_verified_at is not None


def test_sms_cannot_be_chosen_before_a_number_is_verified(client_as, db):
    user = UserFactory(role=User.Role.STUDENT)
    response = client_as(user).post(
        "/accounts/profile/",
        {
            "action": "save",
            "profile-email": "a@example.edu.cn",
            "profile-notify_by_sms": "on",
            "profile-language": "en",
        },
    )
    assert response.status_code == 200
    assert "Verify a mobile number first" in response.content.decode()
    user.refresh_from_db()
    assert user.notify_by_sms is False


def test_the_profile_saves_email_channels_and_language(client_as, db):
    user = UserFactory(role=User.Role.STUDENT)
    response = client_as(user).post(
        "/accounts/profile/",
        {
            "action": "save",
            "profile-email": "new@example.edu.cn",
            "profile-notify_by_email": "on",
            "profile-language": "en",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.email, user.notify_by_email, user.language) == ("new@example.edu.cn", True, "en")


def test_codes_to_one_number_are_limited(client_as, texts, db):
    client = client_as(UserFactory(role=User.Role.STUDENT))
    for _ in range(5):
        client.post("/accounts/profile/", {"action": "send-code", "mobile-mobile": "13600000009"})
    response = client.post(
        "/accounts/profile/", {"action": "send-code", "mobile-mobile": "13600000009"}
    )
    assert "Too many codes" in response.content.decode()
    assert len(texts()) == 5


def test_a_guardian_activates_by_a_code_sent_to_their_mobile(client, texts, db):
    guardian = UserFactory(
        username="13500000007", role=User.Role.GUARDIAN, mobile="13500000007", language="en"
    )
    guardian.set_unusable_password()
    guardian.save()

    client.post("/accounts/activate/guardian/", {"mobile": "13500000007"})
    assert texts()[-1]["to"] == "13500000007"
    response = client.post(
        "/accounts/activate/guardian/",
        {"code": _code(texts), "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302 and response.url == "/"
    guardian.refresh_from_db()
    assert guardian.check_password(PASSWORD)
    assert guardian.mobile_verified_at is not None


def test_an_unknown_number_is_answered_the_same_and_sent_nothing(client, texts, db):
    response = client.post("/accounts/activate/guardian/", {"mobile": "13511111111"}, follow=True)
    assert "If the school has recorded this number" in response.content.decode()
    assert texts() == []


def test_a_staff_number_gets_no_guardian_code(client, texts, registrar_a):
    registrar_a.username = "13500000009"
    registrar_a.save()
    client.post("/accounts/activate/guardian/", {"mobile": "13500000009"})
    assert texts() == []
