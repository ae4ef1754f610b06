"""What a selection leaves on record: each published version of the results, and each
allocation of the seats the district confirmed. Both are append-only, like the histories."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnly

from .policies import TransferPolicy


class ResultsVersion(AppendOnly):
    """The ranking as published on notice: every assessed applicant's scores, total,
    whether they met the standards, rank and whether within the seats, frozen when published.

    A correction (an upheld objection, a late score) makes the next version, which records
    who moved, from which rank to which, and why (``changes``).
    """

    policy = models.ForeignKey(
        TransferPolicy,
        on_delete=models.PROTECT,
        related_name="results_versions",
        verbose_name=_("policy"),
    )
    number = models.PositiveSmallIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    reason = models.TextField(_("why this version"))
    #: One dict per assessed applicant: see ``selectors.results_rows``.
    rows = models.JSONField(_("results"), default=list)
    #: Per programme: ``{"school": id, "major": id, "seats": n}``.
    seats = models.JSONField(_("seats"), default=list)
    #: One dict per applicant whose rank or seat changed from the version before.
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        verbose_name = _("results version")
        verbose_name_plural = _("results versions")
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="results_version_unique"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="results_version_from_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.number}"


class Allocation(AppendOnly):
    """The district's confirmation of the seats as a whole: per programme, who was
    recommended, who waits on the list, and who did not meet the standards."""

    policy = models.ForeignKey(
        TransferPolicy,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("policy"),
    )
    number = models.PositiveSmallIntegerField(_("allocation"))
    results_version = models.ForeignKey(
        ResultsVersion,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("results version"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    #: Per programme: school, major, seats, and the application ids ``recommended``,
    #: ``waitlisted`` and ``not_recommended``, in rank order.
    programmes = models.JSONField(_("programmes"), default=list)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="allocation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.number}"
