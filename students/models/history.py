"""What happened to a student's data, written once and never changed: the field-level history
of personal data, hand-overs between schools, every change of a registration's or a review's
state, and each time someone was shown a whole ID-card number they do not normally see.

Each table is append-only: the model refuses a second save, the database's triggers refuse
UPDATE, DELETE and TRUNCATE (migration 0008), and the application's database role is granted
only SELECT and INSERT on them (``core.db_roles``).

Field-level history is written by the services that change the data (the import included,
whose bulk writes it diffs row by row before writing) rather than by triggers, so the SQLite
default keeps it too; every write of personal data goes through ``students.services``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import AppendOnly, StateChange
from schools.models import School

from .records import StatusRecord, StatusReview, Student

#: The personal data whose every change is kept, field by field.
PERSONAL_FIELDS = (
    "name",
    "id_card_number",
    "gender",
    "birth_date",
    "guardian_name",
    "guardian_phone",
    "entrance_exam_year",
    "entrance_exam_score",
)


class Source(models.TextChoices):
    """Through what a change was made."""

    PAGE = "page", _("Page")
    IMPORT = "import", pgettext_lazy("source of a change", "Import")
    HANDOVER = "handover", _("Hand-over")
    TRANSFER = "transfer", _("Transfer")
    SYSTEM = "system", _("System")


def _actor(**kwargs) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
        **kwargs,
    )


class StudentChange(AppendOnly):
    """One field of a student's personal data changed: old → new, who, when, through what."""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="changes", verbose_name=_("student")
    )
    field = models.CharField(
        _("field"),
        max_length=20,
        choices=[(name, name) for name in PERSONAL_FIELDS],
    )
    old_value = models.CharField(_("old value"), max_length=100, blank=True)
    new_value = models.CharField(_("new value"), max_length=100, blank=True)
    actor = _actor(null=True, blank=True)
    source = models.CharField(_("through"), max_length=10, choices=Source.choices)
    #: The import the change came through (imports sit above students, so by number).
    import_job_number = models.PositiveBigIntegerField(_("import"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("change of personal data")
        verbose_name_plural = _("changes of personal data")
        ordering = ["student", "at", "pk"]
        indexes = [models.Index(fields=["student", "at"], name="student_change_student_idx")]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.field}"

    def field_label(self) -> str:
        field = Student._meta.get_field(self.field)
        return str(getattr(field, "verbose_name", self.field))


class StudentHandover(AppendOnly):
    """A student with no active registration is handed over to a school by the district (or
    by the school that last registered them), so that school may register them again."""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("student")
    )
    from_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from school"),
    )
    to_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="+", verbose_name=_("to school")
    )
    actor = _actor()
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["student", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="student_handover_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} → {self.to_school_id}"


class StatusEvent(StateChange):
    """One change of a registration's state (opened, closed), with who and why."""

    subject_field = "record"

    record = models.ForeignKey(
        StatusRecord, on_delete=models.PROTECT, related_name="events", verbose_name=_("record")
    )
    actor = _actor(null=True, blank=True)
    source = models.CharField(
        _("through"), max_length=10, choices=Source.choices, default=Source.PAGE
    )
    from_state = models.CharField(
        _("from"), max_length=16, choices=StatusRecord.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=16, choices=StatusRecord.State.choices)

    class Meta:
        verbose_name = _("status event")
        verbose_name_plural = _("status events")
        ordering = ["record", "at", "pk"]


class ReviewEvent(StateChange):
    """A status review finished or sent back, by whom and why."""

    subject_field = "review"

    review = models.ForeignKey(
        StatusReview, on_delete=models.PROTECT, related_name="events", verbose_name=_("review")
    )
    actor = _actor()
    from_state = models.CharField(
        _("from"), max_length=10, choices=StatusReview.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=10, choices=StatusReview.State.choices)

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["review", "at", "pk"]


class IdNumberReveal(AppendOnly):
    """Someone who sees ID-card and student numbers masked was shown one student's whole
    numbers, and said why. The number itself is never written here or to a log."""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="reveals", verbose_name=_("student")
    )
    viewer = _actor()
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("number shown in full")
        verbose_name_plural = _("numbers shown in full")
        ordering = ["-at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="id_reveal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.viewer_id}"
