"""Working days in China: public holidays and the make-up working days (调休) that the State
Council announces each year, from the maintained ``chinese-calendar`` library.

The library knows the years whose arrangement has been announced. Past its last year we do
not guess: a period that reaches into an unknown year is refused with a message saying so,
and updating the library is the remedy.
"""

import datetime

import chinese_calendar
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _


def is_working_day(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise ValidationError(
            _(
                "The holiday calendar in use (chinese-calendar %(version)s) does not yet hold "
                "the holidays of %(year)s, so a period in working days that reaches %(day)s "
                "cannot be counted. Count the period in calendar days, or update the calendar "
                "once the State Council has announced that year's holidays."
            )
            % {
                "version": getattr(chinese_calendar, "__version__", "?"),
                "year": day.year,
                "day": date_format(day),
            },
            code="calendar_unknown",
        ) from None


def working_days_after(start: datetime.datetime, days: int) -> datetime.datetime:
    """The moment ``days`` working days after ``start``: the same time of day on the
    ``days``-th working day that follows ``start``'s date (in the local time zone)."""
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    day = local.date()
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return local.replace(year=day.year, month=day.month, day=day.day)
