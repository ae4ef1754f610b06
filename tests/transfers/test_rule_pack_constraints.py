"""The database holds the rule packs' settings and data (issue 14): each test writes the bad
row past every service and expects ``IntegrityError``. The frozen-policy trigger is
PostgreSQL's and carries the ``postgres`` mark; the rest run on both engines."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from factories import SchoolFactory, StudentFactory

from schools.models import AdmissionLine
from students.models import ProficiencyResult, Student
from transfers.models import TransferPolicy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"window_term": "12-1"}, "policy_window_term_known"),
        ({"assessor": "bureau"}, "policy_assessor_known"),
        ({"transfer_back": 3}, "policy_rule_bounds"),
        ({"window_lead_days": 91}, "policy_rule_bounds"),
    ],
    ids=["grade-12-window", "unknown-assessor", "three-transfers-back", "lead-past-90-days"],
)
def test_a_policy_setting_outside_its_values_is_refused(world, change, constraint):
    from transfer_world import draft_policy

    policy = draft_policy(world)

    with pytest.raises(IntegrityError, match=f"{constraint}|CHECK"), transaction.atomic():
        TransferPolicy.objects.filter(pk=policy.pk).update(**change)


@pytest.mark.parametrize(
    "exam",
    [
        {"entrance_exam_year": 2026, "entrance_exam_score": None},
        {"entrance_exam_year": None, "entrance_exam_score": Decimal("600")},
        {"entrance_exam_year": 1999, "entrance_exam_score": Decimal("600")},
        {"entrance_exam_year": 2026, "entrance_exam_score": Decimal("-1")},
    ],
    ids=["year-without-score", "score-without-year", "year-before-2000", "negative-score"],
)
def test_an_entrance_exam_is_its_year_and_its_score_together(exam):
    student = StudentFactory()

    refused = pytest.raises(IntegrityError, match="entrance_exam_year_and_score|CHECK")
    with refused, transaction.atomic():
        Student.objects.filter(pk=student.pk).update(**exam)


def test_one_admission_line_per_school_and_year_and_one_city_line(world):
    city = world.area.municipality
    AdmissionLine.objects.create(municipality=city, school=world.general, year=2026, score=600)
    AdmissionLine.objects.create(municipality=city, school=None, year=2026, score=500)

    with pytest.raises(IntegrityError, match="one_per_school_year|UNIQUE"), transaction.atomic():
        AdmissionLine.objects.create(municipality=city, school=world.general, year=2026, score=610)
    with pytest.raises(IntegrityError, match="one_city_line|UNIQUE"), transaction.atomic():
        AdmissionLine.objects.create(municipality=city, school=None, year=2026, score=510)
    not_positive = pytest.raises(IntegrityError, match="admission_line_positive|CHECK")
    with not_positive, transaction.atomic():
        AdmissionLine.objects.create(municipality=city, school=SchoolFactory(), year=2026, score=0)


def test_a_proficiency_result_is_once_per_subject_and_day_and_names_its_subject():
    student = StudentFactory()
    day = datetime.date(2026, 6, 20)
    ProficiencyResult.objects.create(student=student, subject="化学", passed=False, taken_on=day)

    twice = pytest.raises(IntegrityError, match="proficiency_result_once|UNIQUE")
    with twice, transaction.atomic():
        ProficiencyResult.objects.create(student=student, subject="化学", passed=True, taken_on=day)
    unnamed = pytest.raises(IntegrityError, match="proficiency_subject_named|CHECK")
    with unnamed, transaction.atomic():
        ProficiencyResult.objects.create(student=student, subject="", passed=True, taken_on=day)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "change",
    [
        {"rule_pack": "wenzhou-2024"},
        {"window_term": "10-2"},
        {"terms_g2v": ["10-1", "10-2"]},
        {"assessor": "receiving"},
        {"transfer_back": 1},
        {"entrance_line": "city"},
        {"required_passes": ["化学"]},
        {"excluded_programmes": ["five_year"]},
        {"notice_working_days": True},
        {"window_lead_days": 30},
    ],
    ids=lambda change: next(iter(change)),
)
def test_an_approved_policys_pack_settings_cannot_change(policy, change):
    with pytest.raises(IntegrityError, match="policy_frozen"), transaction.atomic():
        TransferPolicy.objects.filter(pk=policy.pk).update(**change)

    policy.refresh_from_db()
    assert (policy.rule_pack, policy.assessor) == ("hangzhou-2023", "district")
