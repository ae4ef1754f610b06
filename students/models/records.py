"""Students and their status records (学籍), one active at a time, the whole history kept."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Replace, Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.masking import mask_identity_number
from schools.models import IntegrationClass, Major, School

from ..validators import id_card_birth_date, id_card_gender, validate_id_card_number

# What normalise_id_card_number() (validators) folds, as SQL: full-width digits and x, a
# lowercase x, and spaces (ASCII, ideographic, tabs). Kept beside it in tests
# (test_review_findings) so the two cannot drift apart.
_ID_CARD_FOLDS = [(chr(0xFF10 + d), str(d)) for d in range(10)] + [
    ("Ｘ", "X"),
    ("ｘ", "X"),
    (" ", ""),
    ("\u3000", ""),
    ("\t", ""),
]


def normalised_id_card_number(value):
    """An expression giving the ID-card number (a field name or an expression) the way
    normalise_id_card_number() writes it."""
    expression = F(value) if isinstance(value, str) else value
    for typed, meant in _ID_CARD_FOLDS:
        expression = Replace(expression, Value(typed), Value(meant))
    return Upper(expression)


class Track(models.TextChoices):
    GENERAL = "general", _("General")
    VOCATIONAL = "vocational", _("Vocational")


class Student(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    student_number = models.CharField(
        _("national student number"),
        max_length=19,
        unique=True,
        validators=[
            RegexValidator(
                r"^G\d{17}[\dX]$",
                _("A national student number is G followed by the 18-character ID-card number."),
            )
        ],
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_card_number = models.CharField(
        _("ID-card number"), max_length=18, unique=True, validators=[validate_id_card_number]
    )
    #: The number as typed is not in its normal form (a lowercase x, full-width digits,
    #: spaces): never for rows written today (the format check), a few from before it. Kept
    #: by the database, so rows written past the ORM (COPY, old imports) carry it too; the
    #: review's duplicate check (rule 8) starts from these rows (see the index below).
    id_card_number_irregular = models.GeneratedField(
        # django-stubs wants an Expression; Django resolves a Q here as in a filter.
        expression=~Q(id_card_number=normalised_id_card_number("id_card_number")),  # type: ignore[arg-type]
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("ID-card number typed irregularly"),
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    guardian_name = models.CharField(_("guardian name"), max_length=50)
    guardian_phone = models.CharField(
        _("guardian phone"),
        max_length=11,
        validators=[RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mobile number."))],
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="student",
        verbose_name=_("login"),
    )
    #: The senior-high entrance exam (中考) the student took: its year and total score, which
    #: rules for moving into a general school compare with that year's admission line.
    entrance_exam_year = models.PositiveSmallIntegerField(
        _("entrance exam year"), null=True, blank=True
    )
    entrance_exam_score = models.DecimalField(
        _("entrance exam score"), max_digits=5, decimal_places=1, null=True, blank=True
    )

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["student_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(id_card_number__regex=r"^[0-9]{17}[0-9X]$"),
                name="student_id_card_number_format",
            ),
            # A score without its year compares with no line; a year without a score is none.
            models.CheckConstraint(
                condition=Q(entrance_exam_year__isnull=True, entrance_exam_score__isnull=True)
                | Q(
                    entrance_exam_year__gte=2000,
                    entrance_exam_year__isnull=False,
                    entrance_exam_score__gte=0,
                    entrance_exam_score__isnull=False,
                ),
                name="student_entrance_exam_year_and_score",
            ),
            models.CheckConstraint(
                condition=Q(student_number=Concat(Value("G"), F("id_card_number"))),
                name="student_number_is_g_and_id_card_number",
            ),
        ]
        indexes = [
            # One Student row per ID-card number (unique) and one active record per student:
            # a person registered twice is then two Student rows whose numbers differ only in
            # typing, so one of them is irregular. This index holds those few rows, and the
            # duplicate check reads it instead of every student.
            models.Index(
                fields=["id"],
                condition=Q(id_card_number_irregular=True),
                name="student_id_card_irregular_idx",
            ),
        ]

    def __str__(self) -> str:
        # Masked: a str() has no viewer to ask the policy about (students.privacy), and it
        # ends up in the admin, messages and log lines.
        return f"{self.name} ({mask_identity_number(self.student_number)})"

    def get_absolute_url(self) -> str:
        return reverse("students:detail", args=[self.pk])

    def clean(self) -> None:
        """The birth date and gender are written in the ID-card number; they must agree."""
        try:
            validate_id_card_number(self.id_card_number)
        except ValidationError:
            return  # the field's own validator reports it
        errors = {}
        if self.student_number and self.student_number != f"G{self.id_card_number}":
            errors["student_number"] = _(
                "The national student number is G followed by this student's ID-card number."
            )
        if self.birth_date and id_card_birth_date(self.id_card_number) != self.birth_date:
            errors["birth_date"] = _("The birth date does not match the ID-card number.")
        if self.gender and id_card_gender(self.id_card_number) != self.gender:
            errors["gender"] = _("The gender does not match the ID-card number.")
        if errors:
            raise ValidationError(errors)


class StatusRecord(models.Model):
    """One period of a student's registration at one school.

    Records are never deleted: closing one (transfer, graduation, withdrawal) sets its end
    date and state, and the next one opens. The database allows at most one active record per
    student, so a duplicate registration (重复学籍, rule 8) cannot be written; it refuses
    DELETE, and every change of a closed record (migration 0008), and the app's role may not
    DELETE at all.
    """

    app_privileges = ("SELECT", "INSERT", "UPDATE")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")
        GRADUATED = "graduated", _("Graduated")
        WITHDRAWN = "withdrawn", pgettext_lazy("status record", "Withdrawn")

    student = models.ForeignKey(
        Student,
        on_delete=models.PROTECT,
        related_name="status_records",
        verbose_name=_("student"),
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="status_records", verbose_name=_("school")
    )
    track = models.CharField(_("track"), max_length=10, choices=Track.choices)
    integration_class = models.ForeignKey(
        IntegrationClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_records",
        verbose_name=_("class"),
    )
    major = models.ForeignKey(
        Major,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_records",
        verbose_name=_("major"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ACTIVE)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    funding_eligible_from = models.DateField(
        _("vocational-school funding from"),
        null=True,
        blank=True,
        help_text=_("Set when a student moves to a vocational school (rule 7)."),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status record")
        verbose_name_plural = _("status records")
        ordering = ["student", "start_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(state="active"),
                name="status_one_active_per_student",
            ),
            # An active record is open; a closed one has an end date on or after its start.
            # NOT NULL spelled out: a CHECK passes when it is NULL, and NULL >= x is NULL.
            models.CheckConstraint(
                condition=(Q(state="active", end_date__isnull=True))
                | (
                    ~Q(state="active")
                    & Q(end_date__isnull=False)
                    & Q(end_date__gte=F("start_date"))
                ),
                name="status_end_date_matches_state",
            ),
        ]
        indexes = [models.Index(fields=["school", "state"], name="status_school_state_idx")]

    def __str__(self) -> str:
        return f"{self.student} @ {self.school} ({self.get_state_display()})"


class ProficiencyResult(models.Model):
    """One result of the provincial academic proficiency test (学业水平合格性考试, 学考) in one
    subject: passed or not, and when it was taken. A retaken test is another row."""

    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="proficiency_results",
        verbose_name=_("student"),
    )
    subject = models.CharField(_("subject"), max_length=20)
    passed = models.BooleanField(_("passed"))
    taken_on = models.DateField(_("taken on"))

    class Meta:
        verbose_name = _("proficiency test result")
        verbose_name_plural = _("proficiency test results")
        ordering = ["student", "subject", "taken_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "subject", "taken_on"], name="proficiency_result_once"
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="proficiency_subject_named"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.taken_on}: {self.passed}"


class StatusReview(models.Model):
    """A school's semester status review (学籍核查, rule 8): every registered student is
    confirmed as attending, so empty registrations (空挂学籍) come to light."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("status review", "Open")
        FINISHED = "finished", pgettext_lazy("status review", "Finished")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="status_reviews", verbose_name=_("school")
    )
    term = models.ForeignKey(
        "schools.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("status review")
        verbose_name_plural = _("status reviews")
        ordering = ["-term__start_date", "school"]
        constraints = [
            models.UniqueConstraint(fields=["school", "term"], name="status_review_unique"),
            models.CheckConstraint(
                condition=Q(state="open", finished_at__isnull=True)
                | Q(state="finished", finished_at__isnull=False),
                name="status_review_finish_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} · {self.term}"


class StatusConfirmation(models.Model):
    """A school's word that a student is attending (人籍一致) in a review's term."""

    review = models.ForeignKey(
        StatusReview,
        on_delete=models.PROTECT,
        related_name="confirmations",
        verbose_name=_("review"),
    )
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="confirmations", verbose_name=_("student")
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attendance confirmation")
        verbose_name_plural = _("attendance confirmations")
        ordering = ["review", "student"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "student"], name="status_confirmation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.review}"
