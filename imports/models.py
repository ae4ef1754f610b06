from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from schools.models import School


class ImportJob(models.Model):
    """One uploaded file of a registrar's, checked (dry run) and then committed, by a Celery
    task that records its progress and a result per row."""

    class Kind(models.TextChoices):
        STUDENTS = "students", _("Students with their status")
        COURSES = "courses", _("Courses")
        CREDITS = "credits", _("Credit records")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        CHECKED = "checked", _("Checked")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Failed")

    class Stage(models.TextChoices):
        CHECK = "check", _("Check")
        COMMIT = "commit", _("Import")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("school")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    filename = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(_("file"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    #: [{"line": 2, "action": "create" | "update" | "unchanged" | "error", "label": "...",
    #:   "errors": [{"column": "...", "message": "..."}], "changes": [...]}]; "errors" and
    #:   "changes" only on the rows that have some, so 100,000 clean rows stay small.
    results = models.JSONField(_("results per row"), default=list)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # What the task is doing or will do, and in which language it writes its messages: what
    # the sweep needs to queue it again (core.jobs).
    stage = models.CharField(_("stage"), max_length=6, choices=Stage.choices, default=Stage.CHECK)
    language = models.CharField(_("language"), max_length=16, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    #: Deliveries of the task for this stage, counted as each starts.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    #: When the uploaded file was emptied (imports.services.import_files_purge): once it is
    #: imported, or kept its time, only the results are kept.
    file_purged_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def file_purged(self) -> bool:
        return self.file_purged_at is not None

    @property
    def percent(self) -> int:
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
