"""The school calendar: academic years and their terms."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AcademicYear(models.Model):
    start_year = models.PositiveSmallIntegerField(_("start year"), unique=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))

    class Meta:
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")
        ordering = ["start_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="academic_year_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_year}–{self.start_year + 1}"


class Term(models.Model):
    class Semester(models.IntegerChoices):
        FIRST = 1, _("First semester")
        SECOND = 2, _("Second semester")

    academic_year = models.ForeignKey(
        AcademicYear,
        on_delete=models.PROTECT,
        related_name="terms",
        verbose_name=_("academic year"),
    )
    semester = models.PositiveSmallIntegerField(_("semester"), choices=Semester.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["academic_year__start_year", "semester"]
        constraints = [
            models.UniqueConstraint(fields=["academic_year", "semester"], name="term_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="term_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.academic_year} {self.get_semester_display()}"
