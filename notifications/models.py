"""A message to one person, about anything (django-oscar's ``communication`` app knows
nothing of orders): what it is about is a generic link, shown as a link in the inbox."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """Written in the same transaction as what it reports; a Celery task delivers it by
    e-mail, at most once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    # What the message is about (an application, a review …), if anything. The model it
    # points to declares a GenericRelation, which deletes its messages along with it.
    about_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about (kind)"),
    )
    about_id = models.PositiveBigIntegerField(_("about (id)"), null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # Set for messages that must go out once only, such as the window-closing reminder.
    dedupe_key = models.CharField(max_length=100, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx"),
            models.Index(fields=["about_type", "about_id"], name="notification_about_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(about_id__isnull=True, about_type__isnull=True)
                | models.Q(about_id__isnull=False, about_type__isnull=False),
                name="notification_about_is_whole",
            ),
        ]

    def __str__(self) -> str:
        return self.subject
