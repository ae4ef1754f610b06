"""A student's application, its append-only history, and the bureau's batch approvals.

The application's states and who may move it between them are in ``transfers/workflow.py``;
only ``services.transitions`` writes ``Application.state`` and its history.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import StateChange
from notifications.models import Notification
from schools.models import Major, School
from students.models import StatusRecord, Student

from .policies import Direction, TransferPolicy

OPEN_STATES = (
    "submitted",
    "eligible",
    "assessed",
    "published",
    "waitlisted",
    "recommended",
    "approved",
)


class Application(models.Model):
    """A student's application to change school (rule 4): once under Hangzhou's pilot, or up
    to the policy's ``max_applications``, one open at a time."""

    #: The states in which an application is still going: a student has one at most.
    OPEN_STATES = OPEN_STATES

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        INELIGIBLE = "ineligible", _("Not eligible")
        ELIGIBLE = "eligible", _("Eligible")
        ASSESSED = "assessed", _("Assessed")
        PUBLISHED = "published", _("Results published")
        WAITLISTED = "waitlisted", _("On the waiting list")
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
    #: This student's n-th application (1, 2, …), and the limit of the policy it was made
    #: under: unique per student and within the limit, so the database holds the count.
    attempt = models.PositiveSmallIntegerField(_("application number"), default=1)
    attempts_allowed = models.PositiveSmallIntegerField(_("applications allowed"), default=1)
    #: A student who moved applies to return to the school they came from, where the
    #: policy's rule pack allows it (``TransferPolicy.transfer_back``).
    transfer_back = models.BooleanField(_("transfer back"), default=False)
    reason = models.TextField(_("why I want to change school"))
    guardian_name = models.CharField(_("guardian's name"), max_length=50)
    guardian_relation = models.CharField(_("relation to the student"), max_length=20)
    guardian_phone = models.CharField(_("guardian's phone"), max_length=11)
    guardian_consent_date = models.DateField(_("date of the guardian's consent"))
    #: The guardian's own confirmation, signed in to their account (the typed consent above
    #: is the student's statement of it).
    guardian_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent confirmed by"),
    )
    guardian_confirmed_at = models.DateTimeField(_("consent confirmed at"), null=True, blank=True)
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
            # Rule 4: a student's applications are numbered 1, 2, … up to the limit of the
            # policy each was made under (1 under Hangzhou's: once, whatever became of it),
            # and only one of them is open at a time.
            models.UniqueConstraint(fields=["student", "attempt"], name="application_attempt_once"),
            models.CheckConstraint(
                condition=Q(attempt__gte=1, attempt__lte=F("attempts_allowed")),
                name="application_attempt_within_limit",
            ),
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(state__in=OPEN_STATES),
                name="application_one_open_per_student",
            ),
            models.CheckConstraint(
                condition=~Q(from_school=F("to_school")),
                name="application_changes_school",
            ),
            models.CheckConstraint(
                condition=~Q(state="completed") | Q(new_status__isnull=False),
                name="application_completed_has_new_status",
            ),
            models.CheckConstraint(
                condition=Q(guardian_confirmed_by__isnull=True, guardian_confirmed_at__isnull=True)
                | Q(guardian_confirmed_by__isnull=False, guardian_confirmed_at__isnull=False),
                name="application_guardian_confirmed_by_and_at",
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

    def notice_ends_at(self):
        if self.results_published_at is None:
            return None
        return self.policy.notice_ends(self.results_published_at)


class ApplicationChoice(models.Model):
    """One of the receiving schools and majors a student listed, in their order (the first
    is ``order`` 1), with their rank there among those who met the standards.

    Every application has its first choice here; a policy may allow more. The application's
    ``to_school`` and ``to_major`` are the first choice until the allocation, and then the
    programme the student was placed in.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="choices", verbose_name=_("application")
    )
    order = models.PositiveSmallIntegerField(_("choice"))
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("receiving school")
    )
    major = models.ForeignKey(
        Major, on_delete=models.PROTECT, related_name="+", verbose_name=_("major")
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["application", "order"]
        constraints = [
            models.UniqueConstraint(fields=["application", "order"], name="choice_unique_order"),
            models.UniqueConstraint(
                fields=["application", "school", "major"], name="choice_unique_programme"
            ),
            models.CheckConstraint(condition=Q(order__gte=1), name="choice_order_from_1"),
        ]
        indexes = [models.Index(fields=["school", "major"], name="choice_programme_idx")]

    def __str__(self) -> str:
        return f"{self.application_id} · {self.order}: {self.school_id}/{self.major_id}"


class ApplicationEvent(StateChange):
    """One transition of an application. Append-only: the database refuses UPDATE and DELETE."""

    subject_field = "application"

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
    from_state = models.CharField(
        _("from"), max_length=16, choices=Application.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=16, choices=Application.State.choices)

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["application", "at", "pk"]


class ApprovalBatch(models.Model):
    """The bureau's batch approval, carried out by a Celery task that reports its progress
    here so the page can show a progress bar."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

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
    error = models.TextField(_("error"), blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    #: Deliveries of the task, counted as each starts (core.jobs).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

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
