"""Rule 8 under concurrency: two registrars enrolling one person at the same moment."""

from functools import partial

import pytest
from django.core.exceptions import ValidationError
from factories import SchoolFactory, StudentFactory
from races import race

from schools.models import School
from students import services
from students.models import StatusRecord

THREADS = 10


def _one_opened_the_rest_refused(opened, refused):
    assert len(opened) == 1
    assert len(refused) == THREADS - 1
    assert all(
        "already registered" in str(exc) or "already has an active registration" in str(exc)
        for exc in refused
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_status_open_leaves_exactly_one_active_record(area_a):
    student = StudentFactory()
    schools = [SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL) for _ in range(THREADS)]
    start = area_a.pilot_start
    opened, refused = race(
        [
            partial(services.status_open, student=student, school=school, start_date=start)
            for school in schools
        ],
        refusals=(ValidationError,),
    )

    _one_opened_the_rest_refused(opened, refused)
    active = StatusRecord.objects.filter(student=student, state=StatusRecord.State.ACTIVE)
    assert list(active) == opened


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_status_open_many_leaves_exactly_one_active_record(area_a):
    # Each writer's check finds nothing active; the partial unique index decides.
    students = [StudentFactory() for _ in range(3)]
    schools = [SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL) for _ in range(THREADS)]
    registration = services.Registration(
        track="general", integration_class=None, major=None, start_date=area_a.pilot_start
    )
    registrations = [(student.pk, registration) for student in students]
    opened, refused = race(
        [
            partial(services.status_open_many, school=school, registrations=registrations)
            for school in schools
        ],
        refusals=(ValidationError,),
    )

    _one_opened_the_rest_refused(opened, refused)
    active = StatusRecord.objects.filter(state=StatusRecord.State.ACTIVE)
    assert sorted(active.values_list("pk", flat=True)) == sorted(opened[0])
    assert {record.student_id for record in active} == {student.pk for student in students}
