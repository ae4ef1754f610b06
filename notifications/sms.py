"""Text messages, through a backend chosen by ``SMS_BACKEND`` (as Django chooses an e-mail
backend): ``console`` prints each message, ``file`` appends it to ``SMS_FILE_PATH`` as one
JSON line, ``http`` posts it to the operator's gateway at ``SMS_GATEWAY_URL``.

Every message carries an id (the notification and channel it delivers), so a gateway that
is asked twice, after a timeout, can tell it is the same message."""

import fcntl
import json
import sys
import urllib.error
import urllib.request

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsError(OSError):
    """The message did not reach the gateway, or the gateway refused it; a delivery tries
    again later."""


class BaseSmsBackend:
    def send(self, *, to: str, text: str, message_id: str) -> str:
        """Send ``text`` to the mobile number ``to``; returns the gateway's reference."""
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    def send(self, *, to: str, text: str, message_id: str) -> str:
        sys.stdout.write(f"SMS {message_id} to {to}:\n{text}\n\n")
        sys.stdout.flush()
        return message_id


class FileBackend(BaseSmsBackend):
    """One JSON line per message, appended under a lock (several workers may write)."""

    def send(self, *, to: str, text: str, message_id: str) -> str:
        line = json.dumps(
            {"id": message_id, "to": to, "text": text, "at": timezone.now().isoformat()},
            ensure_ascii=False,
        )
        with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.write(line + "\n")
        return message_id


class HttpBackend(BaseSmsBackend):
    """POST ``{"id", "to", "text"}`` as JSON with the token as a bearer; a 2xx answer is
    sent, anything else (or no answer within ``SMS_GATEWAY_TIMEOUT``) is an ``SmsError``."""

    def send(self, *, to: str, text: str, message_id: str) -> str:
        if not settings.SMS_GATEWAY_URL:
            raise SmsError("SMS_GATEWAY_URL is not set")
        body = json.dumps({"id": message_id, "to": to, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's configured gateway
            settings.SMS_GATEWAY_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
                "Idempotency-Key": message_id,
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.SMS_GATEWAY_TIMEOUT
            ) as response:
                answer = response.read(2000)
        except urllib.error.HTTPError as error:
            raise SmsError(f"gateway answered {error.code}") from error
        except (urllib.error.URLError, TimeoutError) as error:
            raise SmsError(f"gateway unreachable: {getattr(error, 'reason', error)}") from error
        try:
            return str(json.loads(answer).get("reference", message_id))
        except (ValueError, AttributeError):
            return message_id


BACKENDS = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "http": HttpBackend,
}


def sms_backend() -> BaseSmsBackend:
    """The configured backend: one of ``BACKENDS`` by name, or a dotted path to a class."""
    name = settings.SMS_BACKEND
    backend = BACKENDS.get(name) or import_string(name)
    return backend()
