"""What the paired schools teach together: majors, pairings, cooperative majors and the
integration classes."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .places import PilotArea, ProgrammeType, School


class Major(models.Model):
    """A major of the secondary vocational catalogue (中等职业教育专业目录)."""

    code = models.CharField(
        _("catalogue code"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", _("A catalogue code has 6 digits."))],
    )
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("major")
        verbose_name_plural = _("majors")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Pairing(models.Model):
    """One general and one vocational school of the same pilot area (rule 2).

    The database refuses a pairing whose schools are of the wrong kind or of another pilot
    area (a trigger, see migration ``0002_pairing_schools_match``).
    """

    pilot_area = models.ForeignKey(
        PilotArea, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("pilot area")
    )
    general_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="pairings_as_general",
        verbose_name=_("general high school"),
    )
    vocational_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="pairings_as_vocational",
        verbose_name=_("vocational school"),
    )
    cooperative_majors: "models.ManyToManyField[Major, CooperativeMajor]" = models.ManyToManyField(
        Major,
        through="CooperativeMajor",
        related_name="pairings",
        verbose_name=_("cooperative majors"),
    )

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["pilot_area", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["general_school", "vocational_school"], name="pairing_unique_schools"
            ),
            models.CheckConstraint(
                condition=~Q(general_school=F("vocational_school")),
                name="pairing_two_different_schools",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.general_school} ⇄ {self.vocational_school}"

    def partner_of(self, school: School) -> School:
        if school.pk == self.general_school_id:
            return self.vocational_school
        if school.pk == self.vocational_school_id:
            return self.general_school
        raise ValueError(f"{school} is not part of {self}")


class CooperativeMajor(models.Model):
    """A major the paired schools cooperate in: the training direction of the pilot students."""

    pairing = models.ForeignKey(
        Pairing, on_delete=models.CASCADE, related_name="cooperations", verbose_name=_("pairing")
    )
    major = models.ForeignKey(
        Major, on_delete=models.PROTECT, related_name="cooperations", verbose_name=_("major")
    )
    #: The vocational school's programme in this major, which a student moving into it joins.
    programme_type = models.CharField(
        _("programme type"),
        max_length=16,
        choices=ProgrammeType.choices,
        default=ProgrammeType.THREE_YEAR,
    )

    class Meta:
        verbose_name = _("cooperative major")
        verbose_name_plural = _("cooperative majors")
        constraints = [
            models.UniqueConstraint(fields=["pairing", "major"], name="cooperative_major_unique")
        ]

    def __str__(self) -> str:
        return f"{self.pairing}: {self.major}"


class IntegrationClass(models.Model):
    """A 融通班: hosted by one school of a pairing, training in one of its cooperative majors."""

    name = models.CharField(_("name"), max_length=50)
    host_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="integration_classes",
        verbose_name=_("host school"),
    )
    pairing = models.ForeignKey(
        Pairing,
        on_delete=models.PROTECT,
        related_name="integration_classes",
        verbose_name=_("pairing"),
    )
    major = models.ForeignKey(
        Major,
        on_delete=models.PROTECT,
        related_name="integration_classes",
        verbose_name=_("cooperative major"),
    )
    cohort_year = models.PositiveSmallIntegerField(
        _("cohort year"), validators=[MinValueValidator(2000)]
    )
    capacity = models.PositiveSmallIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    programme_type = models.CharField(
        _("programme type"),
        max_length=16,
        choices=ProgrammeType.choices,
        default=ProgrammeType.THREE_YEAR,
    )

    class Meta:
        verbose_name = _("integration class")
        verbose_name_plural = _("integration classes")
        ordering = ["-cohort_year", "host_school", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["host_school", "cohort_year", "name"], name="integration_class_unique_name"
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="integration_class_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.host_school} {self.name}"
