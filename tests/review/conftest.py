"""The semester status review's world: the first term of 2024-2025, reviews opened at the
general schools of areas A and B, and a few registered students at each."""

import pytest
from factories import StatusRecordFactory, TermFactory

from schools.models import Term
from students.review.services import review_open


@pytest.fixture
def term(db) -> Term:
    """2024-09-01 to 2025-01-20."""
    return TermFactory()


@pytest.fixture
def review_a(school_a, term):
    return review_open(school=school_a, term=term)


@pytest.fixture
def review_b(school_b, term):
    return review_open(school=school_b, term=term)


@pytest.fixture
def students_a(student_a, school_a):
    """Three students registered at school A, student_a first."""
    others = [StatusRecordFactory(school=school_a).student for _ in range(2)]
    return [student_a, *others]


@pytest.fixture
def students_b(student_b, school_b):
    return [student_b, StatusRecordFactory(school=school_b).student]
