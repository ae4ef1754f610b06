"""A pilot area's transfer policy: its versions, assessment components and seat quotas,
and the history of each version's states."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import StateChange
from core.workdays import working_days_after
from schools.models import Major, PilotArea, School


class Direction(models.TextChoices):
    GENERAL_TO_VOCATIONAL = "g2v", _("General → vocational")
    VOCATIONAL_TO_GENERAL = "v2g", _("Vocational → general")


class WindowTerm(models.TextChoices):
    """The end of a semester at which an application window lies; the move takes effect at
    the start of the next one. Grade 12 has none: no transfer in the graduating year."""

    G10_S1 = "10-1", _("end of grade 10, semester 1")
    G10_S2 = "10-2", _("end of grade 10, semester 2")
    G11_S1 = "11-1", _("end of grade 11, semester 1")
    G11_S2 = "11-2", _("end of grade 11, semester 2")

    @property
    def year_offset(self) -> int:
        """Years after the cohort's start year that the semester's academic year starts."""
        return int(self.value.split("-")[0]) - 10

    @property
    def semester(self) -> int:
        return int(self.value.split("-")[1])


def first_semester_only() -> list[str]:
    """Hangzhou's one window: the end of the first semester of grade 10."""
    return [WindowTerm.G10_S1.value]


class Assessor(models.TextChoices):
    """Who scores the written test and interview (rule 5 as each region runs it)."""

    DISTRICT = "district", _("the district's education department")
    RECEIVING_SCHOOL = "receiving", _("the receiving school")


class NameMasking(models.TextChoices):
    """How the public notice shows an applicant's name (a minor's: never in full)."""

    MIDDLE = "middle", _("Surname and last character: 张*三")
    SURNAME = "surname", _("Surname only: 张**")


def mask_name(name: str, rule: str) -> str:
    """The name as the public notice shows it under ``rule``."""
    if len(name) <= 1:
        return name
    if rule == NameMasking.SURNAME or len(name) == 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


class TransferPolicy(models.Model):
    """One version of a pilot area's transfer rules for one cohort (rules 5, 9 and 10).

    A version is written by district staff, approved by the municipal bureau and then
    published; once approved it never changes. A change is a new version that supersedes it.
    """

    class EntranceLine(models.TextChoices):
        """Whether a move into a general school asks for a senior-high entrance exam (中考)
        score, and against which line of the student's exam year."""

        NONE = "none", _("not asked")
        SCHOOL = "school", _("at least the receiving school's admission line")
        CITY = "city", _("at least the city's minimum admission line")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Awaiting bureau approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")

    pilot_area = models.ForeignKey(
        PilotArea, on_delete=models.PROTECT, related_name="policies", verbose_name=_("pilot area")
    )
    cohort_year = models.PositiveSmallIntegerField(_("cohort year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    title = models.CharField(_("title"), max_length=200)
    window_opens = models.DateTimeField(_("application window opens"))
    window_closes = models.DateTimeField(_("application window closes"))
    min_first_semester_credits = models.DecimalField(
        _("minimum first-semester credits"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Leave empty for no minimum."),
    )
    notice_days = models.PositiveSmallIntegerField(
        _("public notice period (days)"), default=5, validators=[MinValueValidator(1)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    review_comment = models.TextField(_("bureau's comment"), blank=True)
    #: How equal totals are ranked: the named components' scores in this order (each
    #: direction uses the ones it has), then the earlier submission. [] is the earlier
    #: submission alone; None is not chosen yet, and the version cannot be sent so.
    tie_break = models.JSONField(_("tie-break"), null=True, blank=True, default=None)
    #: How many ordered choices of receiving school and major a student may list (1: one).
    max_choices = models.PositiveSmallIntegerField(
        _("choices a student may list"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_(
            "1: one school and major. More: the student lists them in order and the seats are "
            "allocated by deferred acceptance, which no student gains by misstating their order."
        ),
    )
    #: How many applications a student may make, counting every policy they applied under
    #: (1: once ever, Hangzhou's pilot). The database holds it: each application carries its
    #: attempt number and this limit, and no student has two open at once.
    max_applications = models.PositiveSmallIntegerField(
        _("applications a student may make"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_(
            "1: once, ever. More: a student whose application ended (withdrawn, not "
            "recommended, rejected …) may apply again in a later window, up to this many "
            "times in all, one application at a time."
        ),
    )
    name_masking = models.CharField(
        _("names on the public notice"),
        max_length=10,
        choices=NameMasking.choices,
        default=NameMasking.MIDDLE,
    )
    # --- the rule pack's settings (``transfers.rules``): the defaults are Hangzhou's -------
    rule_pack = models.CharField(_("rule pack"), max_length=20, default="hangzhou-2023")
    window_term = models.CharField(
        _("window at"), max_length=4, choices=WindowTerm.choices, default=WindowTerm.G10_S1
    )
    #: The semester ends at which each direction is open (``WindowTerm`` values).
    terms_g2v = models.JSONField(_("windows for general → vocational"), default=first_semester_only)
    terms_v2g = models.JSONField(_("windows for vocational → general"), default=first_semester_only)
    window_lead_days = models.PositiveSmallIntegerField(
        _("window closes this many days before the semester ends"),
        default=0,
        validators=[MaxValueValidator(90)],
    )
    #: How many times a student who moved may return to the original school (0: never).
    transfer_back = models.PositiveSmallIntegerField(
        _("transfers back allowed"), default=0, validators=[MaxValueValidator(2)]
    )
    assessor = models.CharField(
        _("who assesses"), max_length=10, choices=Assessor.choices, default=Assessor.DISTRICT
    )
    entrance_line = models.CharField(
        _("entrance exam score (vocational → general)"),
        max_length=10,
        choices=EntranceLine.choices,
        default=EntranceLine.NONE,
    )
    #: Subjects of the provincial proficiency test (学考) a student moving into a general
    #: school must have passed.
    required_passes = models.JSONField(_("proficiency tests to pass"), default=list, blank=True)
    #: Programme types (``schools.ProgrammeType``) a student moving into a vocational school
    #: may not enter.
    excluded_programmes = models.JSONField(_("programmes not open"), default=list, blank=True)
    notice_working_days = models.BooleanField(_("notice period in working days"), default=False)

    class Meta:
        verbose_name = _("transfer policy")
        verbose_name_plural = _("transfer policies")
        ordering = ["pilot_area", "-cohort_year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot_area", "cohort_year", "version"], name="policy_unique_version"
            ),
            # Students see one set of rules at a time.
            models.UniqueConstraint(
                fields=["pilot_area", "cohort_year"],
                condition=Q(state="published"),
                name="policy_one_published_per_cohort",
            ),
            models.CheckConstraint(
                condition=Q(max_choices__gte=1, max_choices__lte=5),
                name="policy_choices_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(max_applications__gte=1, max_applications__lte=3),
                name="policy_applications_1_to_3",
            ),
            models.CheckConstraint(
                condition=Q(window_term__in=WindowTerm.values), name="policy_window_term_known"
            ),
            models.CheckConstraint(
                condition=Q(assessor__in=Assessor.values), name="policy_assessor_known"
            ),
            models.CheckConstraint(
                condition=Q(transfer_back__lte=2, window_lead_days__lte=90),
                name="policy_rule_bounds",
            ),
            models.CheckConstraint(
                condition=Q(window_closes__gt=F("window_opens")),
                name="policy_window_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "published", "superseded"])
                | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="policy_approval_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self) -> str:
        return reverse("transfers:policy_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.state in (self.State.DRAFT, self.State.RETURNED)

    def tie_break_text(self) -> str:
        """The tie-break in words, as every page that shows a rank states it."""
        if self.tie_break is None:
            return str(_("Not chosen yet."))
        if not self.tie_break:
            return str(_("Equal totals are ranked by the earlier submission."))
        return str(
            _(
                "Equal totals are ranked by the score in %(components)s, in that order, "
                "then by the earlier submission."
            )
            % {
                "components": str(pgettext_lazy("between names in a list", ", ")).join(
                    self.tie_break
                )
            }
        )

    def terms_for(self, direction: str) -> list[str]:
        return self.terms_g2v if direction == Direction.GENERAL_TO_VOCATIONAL else self.terms_v2g

    def notice_ends(self, published_at: datetime.datetime) -> datetime.datetime:
        """When a notice published at ``published_at`` ends: ``notice_days`` calendar days
        later, or that many working days with China's public holidays and make-up days."""
        if not self.notice_working_days:
            return published_at + datetime.timedelta(days=self.notice_days)
        return working_days_after(published_at, self.notice_days)

    def mask(self, name: str) -> str:
        return mask_name(name, self.name_masking)

    def window_is_open(self, at) -> bool:
        return self.state == self.State.PUBLISHED and self.window_opens <= at <= self.window_closes


class AssessmentComponent(models.Model):
    """One part of the assessment for one direction: a written-test subject, a skills test or
    the interview (rule 5)."""

    class Kind(models.TextChoices):
        WRITTEN = "written", _("Written test")
        SKILLS = "skills", _("Skills test")
        INTERVIEW = "interview", _("Interview")

    policy = models.ForeignKey(
        TransferPolicy,
        on_delete=models.CASCADE,
        related_name="components",
        verbose_name=_("policy"),
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("subject"), max_length=50)
    max_score = models.DecimalField(_("maximum score"), max_digits=5, decimal_places=1)
    pass_mark = models.DecimalField(_("pass mark"), max_digits=5, decimal_places=1)
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=2)

    class Meta:
        verbose_name = _("assessment component")
        verbose_name_plural = _("assessment components")
        ordering = ["policy", "direction", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "direction", "name"], name="component_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(max_score__gt=0, pass_mark__gte=0, pass_mark__lte=F("max_score")),
                name="component_pass_mark_within_max",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="component_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class SeatQuota(models.Model):
    """How many students a receiving school may take in one cooperative major."""

    policy = models.ForeignKey(
        TransferPolicy, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("policy")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("receiving school")
    )
    major = models.ForeignKey(
        Major, on_delete=models.PROTECT, related_name="+", verbose_name=_("major")
    )
    #: 0 says the school offers no seats in the major under this version, explicitly.
    seats = models.PositiveSmallIntegerField(_("seats"), validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("seat quota")
        verbose_name_plural = _("seat quotas")
        ordering = ["policy", "school", "major"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "school", "major"], name="quota_unique"),
            models.CheckConstraint(condition=Q(seats__gte=0), name="quota_seats_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.school} · {self.major.name}: {self.seats}"


class PolicyEvent(StateChange):
    """One change of a policy version's state, with who made it and their comment (the
    bureau's reasons for returning a version stay here, whatever a later review says).
    Append-only: the database refuses UPDATE and DELETE."""

    subject_field = "policy"

    policy = models.ForeignKey(
        TransferPolicy, on_delete=models.PROTECT, related_name="events", verbose_name=_("policy")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    from_state = models.CharField(
        _("from"), max_length=10, choices=TransferPolicy.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=10, choices=TransferPolicy.State.choices)

    class Meta:
        verbose_name = _("policy event")
        verbose_name_plural = _("policy events")
        ordering = ["policy", "at", "pk"]
