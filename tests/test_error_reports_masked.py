"""The pieces that keep numbers out of logs and error reports, one by one: the log filter
(whatever a call gives it), the JSON lines of LOG_JSON, Django's error report of a request,
and the event sent to Sentry when SENTRY_DSN is set."""

import json
import logging
import sys

import pytest
import sentry_sdk
from django.test import RequestFactory

from core.error_reports import ErrorReportFilter
from core.logging import IdentityNumbersFilter, JsonFormatter
from core.sentry import event_masked, sentry_init

ID = "11010519491231002X"
STUDENT_NUMBER = f"G{ID}"
MASKED = "110105********002X"


def _record(msg, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("app", logging.ERROR, __file__, 1, msg, args, exc_info)
    record.__dict__.update(extra)
    return record


def _raised():
    try:
        raise ValueError(f"row of {STUDENT_NUMBER}")
    except ValueError:
        return sys.exc_info()


def test_the_filter_masks_the_message_its_arguments_the_traceback_and_extra_fields():
    record = _record("tried %s", STUDENT_NUMBER, exc_info=_raised(), who=f"id {ID}", n=3)

    assert IdentityNumbersFilter().filter(record) is True

    assert record.getMessage() == f"tried G{MASKED}"
    assert f"ValueError: row of G{MASKED}" in record.exc_text
    assert (record.who, record.n) == (f"id {MASKED}", 3)
    line = logging.Formatter("%(message)s").format(record)
    assert ID not in line and MASKED in line


def test_the_filter_lets_a_message_whose_arguments_do_not_fit_through_masked():
    record = _record("%s and %s", ID)

    assert IdentityNumbersFilter().filter(record) is True

    assert record.args == (MASKED,)


def test_json_lines_say_when_how_grave_and_which_logger_and_carry_no_number():
    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )
    record = _record("学生 %s", ID, exc_info=_raised(), request=object())
    IdentityNumbersFilter().filter(record)

    line = json.loads(formatter.format(record))

    assert {"time", "level", "logger", "message", "exc_info"} <= set(line)
    assert (line["level"], line["logger"], line["message"]) == ("ERROR", "app", f"学生 {MASKED}")
    assert f"G{MASKED}" in line["exc_info"] and ID not in line["exc_info"]
    assert "request" not in line


def test_the_error_report_stars_the_fields_naming_a_person_and_masks_the_rest():
    request = RequestFactory().post(
        f"/students/?q={ID}",
        {"id_number": ID, "username": STUDENT_NUMBER, "password": "pw", "note": f"x {ID}"},
    )

    posted = ErrorReportFilter().get_post_parameters(request)
    meta = ErrorReportFilter().get_safe_request_meta(request)

    stars = ErrorReportFilter.cleansed_substitute
    assert [posted[key] for key in ("id_number", "username", "password")] == [stars] * 3
    assert posted["note"] == f"x {MASKED}"
    assert meta["QUERY_STRING"] == f"q={MASKED}"


def test_the_error_reports_variables_are_shown_masked():
    frame = sys._getframe()
    row = {"id_card_number": ID}  # noqa: F841 - a local variable of this frame

    variables = dict(ErrorReportFilter().get_traceback_frame_variables(None, frame))

    assert repr(variables["row"]) == f"{{'id_card_number': '{MASKED}'}}"


def test_the_sentry_event_is_masked_throughout():
    event = {
        "message": f"no student {STUDENT_NUMBER}",
        "exception": {"values": [{"type": "ValueError", "value": f"row {ID}"}]},
        "breadcrumbs": {"values": [{"message": f"login failed for {ID}", "level": "info"}]},
        "request": {"url": f"https://x/?q={ID}", "data": {"id_number": ID}},
        "extra": {ID: (ID, 1, None)},
        "level": "error",
    }

    masked = event_masked(event, {})

    text = json.dumps(masked)
    assert ID not in text
    assert masked["message"] == f"no student G{MASKED}"
    assert masked["exception"]["values"][0] == {"type": "ValueError", "value": f"row {MASKED}"}
    assert masked["breadcrumbs"]["values"][0]["message"] == f"login failed for {MASKED}"
    assert masked["request"]["data"] == {"id_number": MASKED}
    assert masked["extra"] == {MASKED: (MASKED, 1, None)}
    assert masked["level"] == "error"


def test_sentry_starts_without_personal_data_and_with_the_masking(monkeypatch):
    started = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: started.update(options))

    sentry_init(dsn="https://key@sentry.example.org/1", environment="pilot")

    assert started["send_default_pii"] is False
    assert started["before_send"] is event_masked
    assert started["before_send_transaction"] is event_masked
    assert started["environment"] == "pilot"


@pytest.mark.parametrize("name", ["console", "mail_admins"])
def test_every_configured_handler_has_the_filter(settings, name):
    assert "mask_identity_numbers" in settings.LOGGING["handlers"][name]["filters"]
    assert settings.LOGGING["filters"]["mask_identity_numbers"]["()"] == (
        "core.logging.IdentityNumbersFilter"
    )


def test_djangos_loggers_write_through_the_masked_handlers_only():
    for name in ("django", "django.request", "django.server", "py.warnings", "celery"):
        logger = logging.getLogger(name)
        while logger:
            for handler in logger.handlers:
                if handler.get_name() in ("console", "mail_admins"):
                    assert any(isinstance(f, IdentityNumbersFilter) for f in handler.filters)
                else:  # pytest's own capture handlers, or one that writes nothing
                    assert type(handler).__module__.startswith("_pytest") or isinstance(
                        handler, logging.NullHandler
                    ), (name, handler)
            logger = logger.parent if logger.propagate else None
