"""Where schools are: municipalities, pilot areas, schools, and the entrance exam's
admission lines of each."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    """A province above its cities: its education department reads every city's policies,
    transfers and filing packages, and may set the rule pack all its cities run."""

    code = models.CharField(_("administrative code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=50)
    department_name = models.CharField(_("education department"), max_length=100)
    #: The key of the rule pack (``transfers.rules``) every city's policies start from and
    #: keep; empty for none: each district chooses.
    rule_pack = models.CharField(_("rule pack for all cities"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A city whose municipal education bureau approves pilots and transfers."""

    code = models.CharField(_("administrative code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=50)
    bureau_name = models.CharField(_("education bureau"), max_length=100)
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="municipalities",
        verbose_name=_("province"),
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ProgrammeType(models.TextChoices):
    """How long a vocational programme runs, and into what: some regions open only 3-year
    programmes to students moving from a general school."""

    THREE_YEAR = "three_year", _("3-year secondary vocational")
    FIVE_YEAR = "five_year", _("5-year integrated (secondary and higher vocational)")
    THREE_PLUS_FOUR = "three_plus_four", _("3+4 (secondary vocational and undergraduate)")


class PilotArea(models.Model):
    """A district (or county-level city) approved as a pilot area for a pilot period (rule 1)."""

    class Approval(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="pilot_areas",
        verbose_name=_("municipality"),
    )
    code = models.CharField(_("administrative code"), max_length=6, unique=True)
    slug = models.SlugField(_("short name"), unique=True)
    name = models.CharField(_("name"), max_length=50)
    #: The county (区县) the area lies in, as rules that keep moves within a county name it.
    county = models.CharField(_("county"), max_length=50, blank=True)
    pilot_start = models.DateField(_("pilot period start"))
    pilot_end = models.DateField(_("pilot period end"))
    approval = models.CharField(
        _("approval"), max_length=10, choices=Approval.choices, default=Approval.PENDING
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    #: ``str()`` is this field: list filters read the choices as (pk, name) pairs.
    choice_label_field = "name"

    class Meta:
        verbose_name = _("pilot area")
        verbose_name_plural = _("pilot areas")
        ordering = ["municipality", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pilot_end__gt=F("pilot_start")),
                name="pilot_area_period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(approval="approved") | Q(approved_at__isnull=False),
                name="pilot_area_approval_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def pilot_running_on(self, day) -> bool:
        """Rule 1: an approved pilot's schools and pairings are fixed during its period."""
        return self.approval == self.Approval.APPROVED and self.pilot_start <= day <= self.pilot_end


class School(models.Model):
    class Kind(models.TextChoices):
        GENERAL = "general", _("General high school")
        VOCATIONAL = "vocational", _("Secondary vocational school")
        COMPREHENSIVE = "comprehensive", _("Comprehensive high school")

    code = models.CharField(
        _("national school code"),
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^\d{10}$", _("A national school code has 10 digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="schools",
        verbose_name=_("municipality"),
    )
    pilot_area = models.ForeignKey(
        PilotArea,
        on_delete=models.PROTECT,
        related_name="schools",
        null=True,
        blank=True,
        verbose_name=_("pilot area"),
        help_text=_("Set when the school takes part in a pilot."),
    )

    #: ``str()`` is this field: list filters read the choices as (pk, name) pairs.
    choice_label_field = "name"

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("schools:detail", args=[self.pk])


class AdmissionLine(models.Model):
    """The lowest senior-high entrance exam (中考) score a school admitted in a year, or the
    city's minimum line for general high schools (no school): what rules that ask a student
    moving into a general school to reach "that year's line" compare with."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="admission_lines",
        verbose_name=_("municipality"),
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="admission_lines",
        verbose_name=_("school"),
        help_text=_("Leave empty for the city's minimum line."),
    )
    year = models.PositiveSmallIntegerField(_("exam year"), validators=[MinValueValidator(2000)])
    score = models.DecimalField(_("line"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("admission line")
        verbose_name_plural = _("admission lines")
        ordering = ["municipality", "-year", "school"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year"],
                condition=Q(school__isnull=False),
                name="admission_line_one_per_school_year",
            ),
            models.UniqueConstraint(
                fields=["municipality", "year"],
                condition=Q(school__isnull=True),
                name="admission_line_one_city_line_per_year",
            ),
            models.CheckConstraint(condition=Q(score__gt=0), name="admission_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.school or self.municipality} {self.year}: {self.score}"
