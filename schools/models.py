"""Where students are registered: municipalities, pilot areas, schools, pairings, classes, terms.

A user account lives here too, because a user's scope is a place in this hierarchy: a
registrar belongs to one school, district staff to one pilot area, bureau staff to one
municipality.
"""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.masking import mask_identity_number


class Municipality(models.Model):
    """A city whose municipal education bureau approves pilots and transfers."""

    code = models.CharField(_("administrative code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=50)
    bureau_name = models.CharField(_("education bureau"), max_length=100)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


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

    class Meta:
        verbose_name = _("cooperative major")
        verbose_name_plural = _("cooperative majors")
        constraints = [
            models.UniqueConstraint(fields=["pairing", "major"], name="cooperative_major_unique")
        ]

    def __str__(self) -> str:
        return f"{self.pairing}: {self.major}"


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


class User(AbstractUser):
    """An account with one role and the one place that role is scoped to."""

    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        REGISTRAR = "registrar", _("School registrar")
        DISTRICT = "district", _("District education department")
        BUREAU = "bureau", _("Municipal education bureau")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STUDENT)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("school"),
    )
    pilot_area = models.ForeignKey(
        PilotArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("pilot area"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("municipality"),
    )

    # django-stubs declares no Meta on AbstractUser; Django's has one, which this extends.
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Each role is scoped to exactly the place it names and to nothing else.
            models.CheckConstraint(
                name="user_role_matches_scope",
                condition=(
                    Q(
                        role__in=["student", "admin"],
                        school__isnull=True,
                        pilot_area__isnull=True,
                        municipality__isnull=True,
                    )
                    | Q(
                        role="registrar",
                        school__isnull=False,
                        pilot_area__isnull=True,
                        municipality__isnull=True,
                    )
                    | Q(
                        role="district",
                        school__isnull=True,
                        pilot_area__isnull=False,
                        municipality__isnull=True,
                    )
                    | Q(
                        role="bureau",
                        school__isnull=True,
                        pilot_area__isnull=True,
                        municipality__isnull=False,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.login_shown

    def get_full_name(self) -> str:
        """Chinese names are written family name first, with no space: 孙婷婷."""
        name = f"{self.first_name}{self.last_name}"
        if any("\u2e80" <= char <= "\u9fff" for char in name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    def save(self, *args, **kwargs):
        # createsuperuser knows nothing of roles; a superuser is an administrator.
        if self.is_superuser and self.role == self.Role.STUDENT:
            self.role = self.Role.ADMIN
        super().save(*args, **kwargs)

    @property
    def scope(self):
        """The school, pilot area or municipality this account is limited to, if any."""
        return self.school or self.pilot_area or self.municipality

    @property
    def office(self) -> str:
        """Where the person works, as a timeline names it: the school, the district's
        education department or the municipal bureau; empty for a student."""
        if self.role == self.Role.REGISTRAR and self.school is not None:
            return self.school.name
        if self.role == self.Role.DISTRICT and self.pilot_area is not None:
            return str(_("%(area)s education department") % {"area": self.pilot_area.name})
        if self.role == self.Role.BUREAU and self.municipality is not None:
            return self.municipality.bureau_name
        return ""

    @property
    def login_shown(self) -> str:
        """The username as pages, the admin and log lines show it: a student's is their
        national student number, and is masked (``students.privacy`` decides who sees it)."""
        username = self.get_username()
        if self.role == self.Role.STUDENT:
            return mask_identity_number(username)
        return username

    @property
    def signature(self) -> str:
        """A person and their office (张三 · 余杭区教育局), as history and timelines show
        who acted, rather than an account name alone."""
        name = self.get_full_name() or self.login_shown
        return f"{name} · {self.office}" if self.office else name

    #: What ``signature`` reads, for the querysets that show it.
    SIGNATURE_RELATED = ("school", "pilot_area", "municipality")

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN
