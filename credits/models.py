"""Courses and the credits students earn in them."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from schools.models import School, Term
from students.models import Student


class Course(models.Model):
    class Category(models.TextChoices):
        GENERAL_CULTURE = "general_culture", _("General culture")
        VOCATIONAL_TECHNICAL = "vocational_technical", _("Vocational and technical")
        ELECTIVE = "elective", _("Elective")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="courses", verbose_name=_("school")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    credit_value = models.DecimalField(
        _("credits"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["school", "code"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="course_unique_code"),
            models.CheckConstraint(condition=Q(credit_value__gt=0), name="course_credit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CreditRecord(models.Model):
    """A student's result in one course in one term; one record per student, course and term."""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="credit_records", verbose_name=_("student")
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="credit_records", verbose_name=_("course")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="credit_records", verbose_name=_("term")
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    credits_earned = models.DecimalField(
        _("credits earned"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(0))],
    )
    recognised_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recognised_as",
        verbose_name=_("recognised from"),
        help_text=_("The record at the sending school that this one recognises (学分互认)."),
    )

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["student", "term", "course"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course", "term"], name="credit_record_unique"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="credit_record_score_range"
            ),
            models.CheckConstraint(
                condition=Q(credits_earned__gte=0), name="credit_record_credits_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.course} · {self.term}"


class RecognitionRule(models.Model):
    """How a course of one school of a pairing counts at the other (rule 7: 学分互认).

    A source course maps either to a course of the receiving school or to a credit category
    there; its credits are multiplied by the conversion factor.
    """

    pairing = models.ForeignKey(
        "schools.Pairing",
        on_delete=models.CASCADE,
        related_name="recognition_rules",
        verbose_name=_("pairing"),
    )
    source_course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        related_name="recognition_rules",
        verbose_name=_("source course"),
    )
    target_course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="recognised_by_rules",
        verbose_name=_("receiving course"),
    )
    target_category = models.CharField(
        _("receiving credit category"),
        max_length=20,
        choices=Course.Category.choices,
        blank=True,
    )
    factor = models.DecimalField(
        _("conversion factor"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    class Meta:
        verbose_name = _("recognition rule")
        verbose_name_plural = _("recognition rules")
        ordering = ["pairing", "source_course"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "source_course"], name="recognition_rule_unique_source"
            ),
            models.CheckConstraint(
                condition=(Q(target_course__isnull=False) & Q(target_category=""))
                | (Q(target_course__isnull=True) & ~Q(target_category="")),
                name="recognition_rule_one_target",
            ),
            models.CheckConstraint(
                condition=Q(factor__gt=0), name="recognition_rule_factor_positive"
            ),
            # Two outside courses landing on one receiving course in one term would collide.
            models.UniqueConstraint(
                fields=["pairing", "target_course"],
                condition=Q(target_course__isnull=False),
                name="recognition_rule_unique_target",
            ),
        ]

    def __str__(self) -> str:
        target = self.target_course or self.get_target_category_display()
        return f"{self.source_course} → {target} ×{self.factor}"
