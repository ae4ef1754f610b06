"""Transfer policies, applications and everything recorded about them.

The application's states and who may move it between them are in ``transfers/workflow.py``;
only ``services.application_transition`` writes ``Application.state``.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from schools.models import Major, PilotArea, School
from students.models import StatusRecord, Student


class Direction(models.TextChoices):
    GENERAL_TO_VOCATIONAL = "g2v", _("General → vocational")
    VOCATIONAL_TO_GENERAL = "v2g", _("Vocational → general")


class TransferPolicy(models.Model):
    """One version of a pilot area's transfer rules for one cohort (rules 5, 9 and 10).

    A version is written by district staff, approved by the municipal bureau and then
    published; once approved it never changes. A change is a new version that supersedes it.
    """

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
    seats = models.PositiveSmallIntegerField(_("seats"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("seat quota")
        verbose_name_plural = _("seat quotas")
        ordering = ["policy", "school", "major"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "school", "major"], name="quota_unique"),
            models.CheckConstraint(condition=Q(seats__gt=0), name="quota_seats_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.school} · {self.major.name}: {self.seats}"


class Application(models.Model):
    """A student's one application to change school (rule 4)."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        INELIGIBLE = "ineligible", _("Not eligible")
        ELIGIBLE = "eligible", _("Eligible")
        ASSESSED = "assessed", _("Assessed")
        PUBLISHED = "published", _("Results published")
        NOT_RECOMMENDED = "not_recommended", _("Not recommended")
        RECOMMENDED = "recommended", _("Recommended")
        REJECTED = "rejected", _("Rejected by the bureau")
        APPROVED = "approved", _("Approved by the bureau")
        COMPLETED = "completed", _("Completed")

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="applications", verbose_name=_("student")
    )
    policy = models.ForeignKey(
        TransferPolicy,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("policy"),
    )
    from_status = models.ForeignKey(
        StatusRecord,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("status when applying"),
    )
    from_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="outgoing_applications",
        verbose_name=_("sending school"),
    )
    to_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="incoming_applications",
        verbose_name=_("receiving school"),
    )
    to_major = models.ForeignKey(
        Major, on_delete=models.PROTECT, related_name="+", verbose_name=_("major applied for")
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.SUBMITTED
    )
    reason = models.TextField(_("why I want to change school"))
    guardian_name = models.CharField(_("guardian's name"), max_length=50)
    guardian_relation = models.CharField(_("relation to the student"), max_length=20)
    guardian_phone = models.CharField(_("guardian's phone"), max_length=11)
    guardian_consent_date = models.DateField(_("date of the guardian's consent"))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    state_changed_at = models.DateTimeField(_("state changed at"), auto_now_add=True)
    total_score = models.DecimalField(
        _("weighted total"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("meets the standards"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    results_published_at = models.DateTimeField(_("results published at"), null=True, blank=True)
    new_status = models.OneToOneField(
        StatusRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="arrived_by",
        verbose_name=_("status after the transfer"),
    )

    # The messages about this application (in the inbox it links to its page); they go
    # with it. ``Notification.objects.filter(application=...)`` reads them.
    notifications = GenericRelation(
        Notification,
        content_type_field="about_type",
        object_id_field="about_id",
        related_query_name="application",
    )

    class Meta:
        verbose_name = _("transfer application")
        verbose_name_plural = _("transfer applications")
        ordering = ["-submitted_at", "pk"]
        constraints = [
            # Rule 4: each student applies once, whatever became of that application.
            models.UniqueConstraint(fields=["student"], name="application_once_per_student"),
            models.CheckConstraint(
                condition=~Q(from_school=F("to_school")),
                name="application_changes_school",
            ),
            models.CheckConstraint(
                condition=~Q(state="completed") | Q(new_status__isnull=False),
                name="application_completed_has_new_status",
            ),
        ]
        indexes = [
            models.Index(fields=["policy", "state"], name="application_policy_state_idx"),
            models.Index(
                fields=["to_school", "to_major", "state"], name="application_target_state_idx"
            ),
            # The approval and recommendation queues: one state, in rank order, a page at a
            # time; without it every page joins and sorts the whole queue.
            models.Index(fields=["state", "rank", "id"], name="application_state_rank_idx"),
        ]

    def __str__(self) -> str:
        return _("Application %(number)s of %(student)s") % {
            "number": self.pk,
            "student": self.student.name,
        }

    def get_absolute_url(self) -> str:
        return reverse("transfers:application_detail", args=[self.pk])

    def objection_open(self) -> bool:
        return Objection.objects.filter(application=self, state=Objection.State.OPEN).exists()

    def notice_ends_at(self):
        if self.results_published_at is None:
            return None
        return self.results_published_at + datetime.timedelta(days=self.policy.notice_days)


class ApplicationEvent(models.Model):
    """One transition of an application. Append-only: the database refuses UPDATE and DELETE."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="events", verbose_name=_("application")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    from_state = models.CharField(
        _("from"), max_length=16, choices=Application.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=16, choices=Application.State.choices)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["application", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_state or '∅'} → {self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("application history is append-only")
        super().save(*args, **kwargs)


class Score(models.Model):
    """An applicant's score in one assessment component; corrections keep the old value."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="scores", verbose_name=_("application")
    )
    component = models.ForeignKey(
        AssessmentComponent,
        on_delete=models.PROTECT,
        related_name="scores",
        verbose_name=_("component"),
    )
    value = models.DecimalField(
        _("score"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal(0))]
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["application", "component"]
        constraints = [
            models.UniqueConstraint(fields=["application", "component"], name="score_unique"),
            models.CheckConstraint(condition=Q(value__gte=0), name="score_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.component.name}: {self.value}"


class ScoreCorrection(models.Model):
    """A score changed after publication, with the value it replaced. Append-only."""

    score = models.ForeignKey(
        Score, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("score")
    )
    old_value = models.DecimalField(_("old score"), max_digits=5, decimal_places=1)
    new_value = models.DecimalField(_("new score"), max_digits=5, decimal_places=1)
    reason = models.TextField(_("reason"))
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    corrected_at = models.DateTimeField(_("corrected at"), auto_now_add=True)

    class Meta:
        verbose_name = _("score correction")
        verbose_name_plural = _("score corrections")
        ordering = ["score", "corrected_at"]

    def __str__(self) -> str:
        return f"{self.score}: {self.old_value} → {self.new_value}"


class Objection(models.Model):
    """The one objection an applicant may lodge during the public notice period."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld: score corrected")
        DISMISSED = "dismissed", _("Dismissed")

    application = models.OneToOneField(
        Application,
        on_delete=models.PROTECT,
        related_name="objection",
        verbose_name=_("application"),
    )
    text = models.TextField(_("objection"))
    lodged_at = models.DateTimeField(_("lodged at"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-lodged_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", resolved_at__isnull=True)
                | (~Q(state="open") & Q(resolved_at__isnull=False)),
                name="objection_resolution_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_state_display()}"


class ApprovalBatch(models.Model):
    """The bureau's batch approval, carried out by a Celery task that reports its progress
    here so the page can show a progress bar."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    application_ids = models.JSONField(_("applications"), default=list)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    approved_ids = models.JSONField(_("approved"), default=list)
    refusals = models.JSONField(_("refusals"), default=list)

    class Meta:
        verbose_name = _("approval batch")
        verbose_name_plural = _("approval batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} ({len(self.application_ids)})"

    @property
    def total(self) -> int:
        return len(self.application_ids)

    def processed_ids(self) -> set[int]:
        return set(self.approved_ids) | {refusal["id"] for refusal in self.refusals}

    @property
    def percent(self) -> int:
        return round(100 * len(self.processed_ids()) / self.total) if self.total else 100
