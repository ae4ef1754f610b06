"""Each notification reaches the inbox and, as the recipient chose, e-mail and SMS, in the
recipient's language; SMS goes through the configured backend (console, file, an HTTP
gateway, here a fake one the test starts); each attempt is recorded; a failed channel is
tried again and never loses the inbox copy; nothing is sent twice."""

import http.server
import json
import threading

import pytest
from django.utils import timezone
from django.utils.translation import gettext_noop
from factories import UserFactory

from core.stored_text import text
from notifications.models import Delivery, Notification
from notifications.services import DeliveryFailed, notifications_deliver, notify
from schools.models import User

SUBJECT = text(gettext_noop("Transfer application %(number)s: %(state)s"), number=7, state="-")


@pytest.fixture
def texted(db, tmp_path, settings):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")

    def read() -> list[dict]:
        path = tmp_path / "sms.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    return read


def person(**fields) -> User:
    return UserFactory(
        role=User.Role.STUDENT,
        mobile="13700000001",
        mobile_verified_at=timezone.now(),
        **fields,
    )


def test_the_inbox_email_and_sms_each_get_it_once(texted, mailoutbox):
    user = person(notify_by_sms=True)
    [note] = notify(recipients=[user], subject=SUBJECT, body="B")

    assert notifications_deliver(ids=[note.pk]) == 2
    assert notifications_deliver(ids=[note.pk]) == 0
    assert len(mailoutbox) == 1 and len(texted()) == 1
    assert texted()[0]["to"] == "13700000001"
    assert texted()[0]["id"] == f"n{note.pk}-sms"
    outcomes = set(Delivery.objects.values_list("channel", "outcome"))
    assert outcomes == {("email", "sent"), ("sms", "sent")}
    assert set(Delivery.objects.values_list("to", flat=True)) == {
        f"{user.username[0]}***@example.edu.cn",
        "137****0001",
    }


def test_each_message_goes_in_the_recipients_language(texted, mailoutbox):
    chinese = person(notify_by_sms=True, language="zh-hans")
    english = person(notify_by_sms=True, language="en")
    notes = notify(recipients=[chinese, english], subject=SUBJECT, body="B")

    notifications_deliver(ids=[n.pk for n in notes])

    by_address = {mail.to[0]: mail.subject for mail in mailoutbox}
    assert by_address[english.email] == "Transfer application 7: -"
    assert by_address[chinese.email] == "7号转学申请：-"
    assert {m["text"].splitlines()[0] for m in texted()} == {
        "Transfer application 7: -",
        "7号转学申请：-",
    }


def test_the_inbox_shows_the_readers_language(client_as, db):
    user = person()
    notify(recipients=[user], subject=SUBJECT, body="B")
    client = client_as(user)

    assert "Transfer application 7" in client.get("/transfers/notifications/").content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "7号转学申请" in client.get("/transfers/notifications/").content.decode()


def test_no_sms_without_a_verified_number_or_the_choice(texted, mailoutbox):
    unverified = UserFactory(mobile="13700000002", notify_by_sms=True)
    not_chosen = person(notify_by_sms=False)
    notes = notify(recipients=[unverified, not_chosen], subject=SUBJECT, body="B")

    notifications_deliver(ids=[n.pk for n in notes])

    assert texted() == []
    assert not Notification.objects.filter(texted_at__isnull=True).exists()


def test_a_dead_channel_is_recorded_tried_again_and_never_loses_the_inbox_copy(
    db, settings, mailoutbox
):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.SMS_GATEWAY_TIMEOUT = 0.5
    user = person(notify_by_sms=True)
    [note] = notify(recipients=[user], subject=SUBJECT, body="B")

    with pytest.raises(DeliveryFailed):
        notifications_deliver(ids=[note.pk])

    note.refresh_from_db()
    assert note.emailed_at is not None and note.texted_at is None  # e-mail went, SMS waits
    assert len(mailoutbox) == 1
    failed = Delivery.objects.get(channel="sms")
    assert failed.outcome == Delivery.Outcome.FAILED and "unreachable" in failed.detail
    assert Notification.objects.filter(recipient=user).count() == 1


class FakeGateway(http.server.BaseHTTPRequestHandler):
    received: list = []
    answer = 200

    def do_POST(self):  # noqa: N802 - the http.server name
        length = int(self.headers["Content-Length"])
        FakeGateway.received.append(
            {
                "body": json.loads(self.rfile.read(length)),
                "auth": self.headers["Authorization"],
                "key": self.headers["Idempotency-Key"],
            }
        )
        self.send_response(FakeGateway.answer)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"reference": "gw-1"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeGateway.received = []
    FakeGateway.answer = 200
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    yield FakeGateway
    server.shutdown()
    server.server_close()


def test_the_http_gateway_gets_the_message_with_its_id_and_token(gateway, db, mailoutbox):
    user = person(notify_by_sms=True, notify_by_email=False)
    [note] = notify(recipients=[user], subject=SUBJECT, body="B")

    assert notifications_deliver(ids=[note.pk]) == 1

    [request] = gateway.received
    assert request["body"]["to"] == "13700000001"
    assert request["auth"] == "Bearer gateway-token"
    assert request["key"] == f"n{note.pk}-sms"
    assert Delivery.objects.get().detail == "gw-1"
    assert mailoutbox == []


def test_a_gateway_refusal_is_tried_again_then_delivered_once(gateway, db):
    user = person(notify_by_sms=True, notify_by_email=False)
    [note] = notify(recipients=[user], subject=SUBJECT, body="B")
    gateway.answer = 503

    with pytest.raises(DeliveryFailed):
        notifications_deliver(ids=[note.pk])
    gateway.answer = 200
    assert notifications_deliver(ids=[note.pk]) == 1
    assert notifications_deliver(ids=[note.pk]) == 0

    assert [d.outcome for d in Delivery.objects.all()] == ["failed", "sent"]
    assert len(gateway.received) == 2


def test_after_its_attempts_a_channel_is_given_up(gateway, db):
    from notifications.services import CHANNEL_ATTEMPTS

    user = person(notify_by_sms=True, notify_by_email=False)
    [note] = notify(recipients=[user], subject=SUBJECT, body="B")
    gateway.answer = 500
    for _ in range(CHANNEL_ATTEMPTS - 1):
        with pytest.raises(DeliveryFailed):
            notifications_deliver(ids=[note.pk])

    assert notifications_deliver(ids=[note.pk]) == 0  # the last attempt gives up

    note.refresh_from_db()
    assert note.texted_at is not None
    assert Delivery.objects.last().outcome == Delivery.Outcome.GAVE_UP


def test_the_console_backend_prints_the_message(db, settings, capsys):
    settings.SMS_BACKEND = "console"
    user = person(notify_by_sms=True, notify_by_email=False)
    [note] = notify(recipients=[user], subject=SUBJECT, body="B")

    notifications_deliver(ids=[note.pk])

    assert "7号转学申请" in capsys.readouterr().out  # the recipient's language: Chinese
