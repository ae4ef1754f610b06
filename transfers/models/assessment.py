"""What the assessment records: scores, their corrections, and objections to the results."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnly

from .applications import Application
from .policies import AssessmentComponent


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


class ScoreCorrection(AppendOnly):
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
