"""One-time codes that open an account: the activation code on a student's or guardian's
slip, the link in a staff invitation, the code sent to a mobile number to verify it.

A code is shown once, to whoever issues or receives it, and kept only as a keyed digest; at
most one code per account and purpose is live, so issuing a new one ends the old one."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .users import User


class AccountCode(models.Model):
    class Purpose(models.TextChoices):
        ACTIVATE = "activate", _("Activation")
        INVITE = "invite", _("Invitation")
        MOBILE = "mobile", _("Mobile number verification")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="account_codes", verbose_name=_("account")
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    digest = models.CharField(max_length=64, unique=True)
    #: The mobile number a verification code was sent to (it becomes the account's own).
    sent_to = models.CharField(_("sent to"), max_length=254, blank=True)
    issued_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    #: Wrong codes typed for this one; past a few it is revoked.
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("account code")
        verbose_name_plural = _("account codes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"],
                condition=Q(used_at__isnull=True, revoked_at__isnull=True),
                name="account_code_one_live",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("issued_at")), name="account_code_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True),
                name="account_code_used_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.user}"
