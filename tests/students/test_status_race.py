"""Rule 8 under concurrency: two registrars enrolling one person at the same moment."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from factories import SchoolFactory, StudentFactory

from schools.models import School
from students import services
from students.models import StatusRecord

THREADS = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_status_open_leaves_exactly_one_active_record(area_a):
    student = StudentFactory()
    schools = [SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS, timeout=30)
    opened, refused, crashed = [], [], []

    def enrol(school):
        try:
            barrier.wait()
            opened.append(
                services.status_open(student=student, school=school, start_date=area_a.pilot_start)
            )
        except ValidationError as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol, args=(school,)) for school in schools]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert crashed == []
    assert len(opened) == 1
    assert len(refused) == THREADS - 1
    assert all(
        "already registered" in str(exc) or "already has an active registration" in str(exc)
        for exc in refused
    )
    active = StatusRecord.objects.filter(student=student, state=StatusRecord.State.ACTIVE)
    assert list(active) == opened


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_status_open_many_leaves_exactly_one_active_record(area_a):
    # Each writer's check finds nothing active; the partial unique index decides.
    students = [StudentFactory() for _ in range(3)]
    schools = [SchoolFactory(pilot_area=area_a, kind=School.Kind.GENERAL) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS, timeout=30)
    opened, refused, crashed = [], [], []
    registration = services.Registration(
        track="general", integration_class=None, major=None, start_date=area_a.pilot_start
    )

    def enrol(school):
        try:
            barrier.wait()
            opened.append(
                services.status_open_many(
                    school=school,
                    registrations=[(student.pk, registration) for student in students],
                )
            )
        except ValidationError as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol, args=(school,)) for school in schools]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert crashed == []
    assert len(opened) == 1
    assert len(refused) == THREADS - 1
    assert all(
        "already registered" in str(exc) or "already has an active registration" in str(exc)
        for exc in refused
    )
    active = StatusRecord.objects.filter(state=StatusRecord.State.ACTIVE)
    assert sorted(active.values_list("pk", flat=True)) == sorted(opened[0])
    assert {record.student_id for record in active} == {student.pk for student in students}
