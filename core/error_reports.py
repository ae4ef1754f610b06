"""Django's report of a server error (the page with DEBUG on, the e-mail to ``ADMINS``)
without the numbers and secrets of the request that caused it: the POST fields that name
a person or sign one in are starred, and every ID-card or student number left in a field,
a header or a variable of the traceback is masked (settings.DEFAULT_EXCEPTION_REPORTER_FILTER)."""

import pprint
import re

from django.views.debug import SafeExceptionReporterFilter

from .masking import mask_identity_numbers_anywhere


class _Shown:
    """A variable as the report shows it (its ``repr``), masked."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


class ErrorReportFilter(SafeExceptionReporterFilter):
    #: POST fields starred whatever they hold: the person's numbers, names that sign in,
    #: passwords and one-time codes.
    sensitive_post_fields = re.compile(
        r"id_?(card_?)?number|identity|student_number|username|password|code|phone", re.I
    )

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if not parameters or not hasattr(parameters, "setlist"):
            return parameters
        cleansed = parameters.copy()
        for key in list(cleansed):
            if self.sensitive_post_fields.search(key):
                values = [self.cleansed_substitute]
            else:
                values = [_masked(value) for value in cleansed.getlist(key)]
            cleansed.setlist(key, values)
        return cleansed

    def get_safe_request_meta(self, request):
        return {k: _masked(v) for k, v in super().get_safe_request_meta(request).items()}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, _Shown(mask_identity_numbers_anywhere(_shown(value))))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


def _masked(value):
    return mask_identity_numbers_anywhere(value) if isinstance(value, str) else value


def _shown(value) -> str:
    try:
        return pprint.pformat(value)
    except Exception as exc:  # noqa: BLE001 - as Django's own report shows a repr that fails
        return f"Error in formatting: {exc.__class__.__name__}: {exc}"
