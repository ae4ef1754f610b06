"""A user account: its scope is a place in the hierarchy (a registrar belongs to one
school, district staff to one pilot area, bureau staff to one municipality, provincial
staff to one province)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.masking import mask_identity_number

from .places import Municipality, PilotArea, Province, School


class User(AbstractUser):
    """An account with one role and the one place that role is scoped to."""

    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        REGISTRAR = "registrar", _("School registrar")
        DISTRICT = "district", _("District education department")
        BUREAU = "bureau", _("Municipal education bureau")
        PROVINCE = "province", _("Provincial education department")
        ADMIN = "admin", _("Administrator")
        GUARDIAN = "guardian", _("Guardian")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STUDENT)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("school"),
    )
    pilot_area = models.ForeignKey(
        PilotArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("pilot area"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("municipality"),
    )
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("province"),
    )
    #: Where messages reach the person besides the inbox: an e-mail address (AbstractUser's
    #: ``email``) and a mobile number, verified by a code sent to it, each used as they chose.
    mobile = models.CharField(
        _("mobile number"),
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mobile number."))],
    )
    mobile_verified_at = models.DateTimeField(_("mobile number verified at"), null=True, blank=True)
    notify_by_email = models.BooleanField(_("notify me by e-mail"), default=True)
    notify_by_sms = models.BooleanField(_("notify me by SMS"), default=False)
    #: The language messages are sent in (e-mail, SMS); pages follow the language chosen there.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    # django-stubs declares no Meta on AbstractUser; Django's has one, which this extends.
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Each role is scoped to exactly the place it names and to nothing else.
            models.CheckConstraint(
                name="user_role_matches_scope",
                condition=(
                    Q(
                        role__in=["student", "admin", "guardian"],
                        school__isnull=True,
                        pilot_area__isnull=True,
                        municipality__isnull=True,
                        province__isnull=True,
                    )
                    | Q(
                        role="registrar",
                        school__isnull=False,
                        pilot_area__isnull=True,
                        municipality__isnull=True,
                        province__isnull=True,
                    )
                    | Q(
                        role="district",
                        school__isnull=True,
                        pilot_area__isnull=False,
                        municipality__isnull=True,
                        province__isnull=True,
                    )
                    | Q(
                        role="bureau",
                        school__isnull=True,
                        pilot_area__isnull=True,
                        municipality__isnull=False,
                        province__isnull=True,
                    )
                    | Q(
                        role="province",
                        school__isnull=True,
                        pilot_area__isnull=True,
                        municipality__isnull=True,
                        province__isnull=False,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.login_shown

    def get_full_name(self) -> str:
        """Chinese names are written family name first, with no space: 孙婷婷."""
        name = f"{self.first_name}{self.last_name}"
        if any("\u2e80" <= char <= "\u9fff" for char in name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    def save(self, *args, **kwargs):
        # createsuperuser knows nothing of roles; a superuser is an administrator.
        if self.is_superuser and self.role == self.Role.STUDENT:
            self.role = self.Role.ADMIN
        super().save(*args, **kwargs)

    @property
    def scope(self):
        """The school, pilot area or municipality this account is limited to, if any."""
        return self.school or self.pilot_area or self.municipality or self.province

    @property
    def office(self) -> str:
        """Where the person works, as a timeline names it: the school, the district's
        education department or the municipal bureau; empty for a student."""
        if self.role == self.Role.REGISTRAR and self.school is not None:
            return self.school.name
        if self.role == self.Role.DISTRICT and self.pilot_area is not None:
            return str(_("%(area)s education department") % {"area": self.pilot_area.name})
        if self.role == self.Role.BUREAU and self.municipality is not None:
            return self.municipality.bureau_name
        if self.role == self.Role.PROVINCE and self.province is not None:
            return self.province.department_name
        return ""

    @property
    def login_shown(self) -> str:
        """The username as pages, the admin and log lines show it: a student's is their
        national student number, and is masked (``students.privacy`` decides who sees it)."""
        username = self.get_username()
        if self.role == self.Role.STUDENT:
            return mask_identity_number(username)
        return username

    @property
    def signature(self) -> str:
        """A person and their office (张三 · 余杭区教育局), as history and timelines show
        who acted, rather than an account name alone."""
        name = self.get_full_name() or self.login_shown
        return f"{name} · {self.office}" if self.office else name

    #: What ``signature`` reads, for the querysets that show it.
    SIGNATURE_RELATED = ("school", "pilot_area", "municipality", "province")

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN


class Guardianship(models.Model):
    """A guardian's account linked to a student's: the guardian follows the student's record
    and application, gives the consent it needs, and receives what the student receives."""

    guardian = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="wards", verbose_name=_("guardian")
    )
    student = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="guardianships", verbose_name=_("student")
    )
    relation = models.CharField(_("relation"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )

    class Meta:
        verbose_name = _("guardianship")
        verbose_name_plural = _("guardianships")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "student"], name="guardianship_once"),
            models.CheckConstraint(
                condition=~Q(guardian=models.F("student")), name="guardianship_of_another"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.student}"
