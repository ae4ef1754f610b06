"""What the app writes to its logs carries no ID-card or student number.

Numbers come into log lines from anywhere: a username tried at the sign-in page, a row of
an uploaded file quoted in an exception, a URL with a search in it. So the masking is not
left to each call: ``IdentityNumbersFilter`` sits on every handler (settings.LOGGING) and
masks the message with its arguments, the exception's traceback text, a stack and the
string fields a call adds (``extra``), before any formatter sees the record. The handler
that e-mails errors to ``ADMINS`` builds its report from the exception itself, so it masks
the whole text it sends as well.
"""

import logging
from typing import Any

from django.utils import log as django_log
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from .masking import mask_identity_numbers_anywhere

#: A record's own attributes; any other is a field a call added with ``extra``.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
_TRACEBACKS = logging.Formatter()


class IdentityNumbersFilter(logging.Filter):
    """Masks every ID-card number (18 characters, the last a digit or X) and student number
    (a letter and an ID-card number) in a record, as ``core.masking`` masks them. Lets every
    record through; changes it in place, so each handler after it sees it masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - arguments that do not fit: the formatter says so
            record.msg = mask_identity_numbers_anywhere(str(record.msg))
            if isinstance(record.args, tuple):
                record.args = tuple(_masked(arg) for arg in record.args)
        else:
            # Formatted once here and kept so: an argument's own str() may hold a number.
            record.msg, record.args = mask_identity_numbers_anywhere(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_identity_numbers_anywhere(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_identity_numbers_anywhere(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _RECORD_ATTRS and isinstance(value, str):
                setattr(record, name, mask_identity_numbers_anywhere(value))
        return True


def _masked(value: Any) -> Any:
    return mask_identity_numbers_anywhere(value) if isinstance(value, str) else value


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line (``LOG_JSON``). The traceback is the one the filter formatted
    and masked, where the library would format the exception again; a request (Django's
    ``extra``) is left out, its path being in the message already."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not (record.exc_info and record.exc_text):
            return super().format(record)
        exc_info, record.exc_info = record.exc_info, None
        try:
            return super().format(record)
        finally:
            record.exc_info = exc_info


class AdminEmailHandler(django_log.AdminEmailHandler):
    """Django's e-mail of an error to ``ADMINS``, masked: its report is written from the
    exception and the request (the exception's message, the URL, the headers), which the
    filter on the record does not reach."""

    def send_mail(self, subject, message, *args, **kwargs) -> None:
        if kwargs.get("html_message"):
            kwargs["html_message"] = mask_identity_numbers_anywhere(kwargs["html_message"])
        super().send_mail(
            mask_identity_numbers_anywhere(subject),
            mask_identity_numbers_anywhere(message),
            *args,
            **kwargs,
        )


def celery_logging_keep(**kwargs) -> None:
    """Connected to Celery's ``setup_logging``: a worker and beat keep Django's LOGGING (its
    masking filter on every handler) instead of putting handlers of their own on the root
    and task loggers."""
