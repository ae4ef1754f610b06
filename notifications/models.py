"""A message to one person, about anything (django-oscar's ``communication`` app knows
nothing of orders): what it is about is a generic link, shown as a link in the inbox."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.stored_text import render


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
    # The subject and the message as stored texts (core.stored_text): a message and its
    # parameters, translated into the reader's language when shown or sent.
    subject_text = models.JSONField(_("subject"), default=str)
    body_text = models.JSONField(_("message"), default=str)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    #: When each channel was done with: sent, or not wanted, or given up after its attempts.
    #: Until then the delivery task and the sweep try it (``Delivery`` records each attempt).
    emailed_at = models.DateTimeField(_("e-mail done at"), null=True, blank=True)
    texted_at = models.DateTimeField(_("SMS done at"), null=True, blank=True)
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

    @property
    def subject(self) -> str:
        """The subject in the active language."""
        return render(self.subject_text)

    @subject.setter
    def subject(self, value) -> None:
        self.subject_text = value

    @property
    def body(self) -> str:
        """The message in the active language."""
        return render(self.body_text)

    @body.setter
    def body(self, value) -> None:
        self.body_text = value


class Delivery(models.Model):
    """One attempt to send a notification by one channel, and what came of it: what staff
    read to see whether a message reached its recipient."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, to be tried again")
        GAVE_UP = "gave_up", _("Failed, given up")

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    #: The address as shown to staff (masked), and what the channel answered.
    to = models.CharField(_("to"), max_length=254)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    attempted_at = models.DateTimeField(_("attempted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["attempted_at", "pk"]
        indexes = [models.Index(fields=["notification", "channel"], name="delivery_channel_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_outcome_display()}"
