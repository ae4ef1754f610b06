"""Opening many registrations at once, as an import does (rules 3 and 8), on each engine:
PostgreSQL writes them with one set-based INSERT, SQLite with bulk_create."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from engines import each_engine
from factories import IntegrationClassFactory, MajorFactory, StudentFactory

from students.models import StatusRecord, Track
from students.services import Registration, status_open_many

pytestmark = [each_engine, pytest.mark.usefixtures("engine")]

START = datetime.date(2026, 9, 1)


@pytest.fixture
def klass(pairing_a, school_a):
    return IntegrationClassFactory(pairing=pairing_a, host_school=school_a, name="融通1班")


def _registration(klass, **overrides):
    fields = {
        "track": Track.GENERAL,
        "integration_class": klass,
        "major": klass.major if klass else None,
        "start_date": START,
    }
    return Registration(**(fields | overrides))


def test_it_opens_one_active_registration_per_student_with_the_reason(school_a, klass):
    students = [StudentFactory(), StudentFactory(), StudentFactory()]
    registrations = [
        (students[0].pk, _registration(klass)),
        (students[1].pk, _registration(None, start_date=START + datetime.timedelta(days=1))),
        (students[2].pk, _registration(klass, track=Track.VOCATIONAL)),
    ]

    ids = status_open_many(school=school_a, registrations=registrations, reason="导入")

    records = StatusRecord.objects.in_bulk(ids)
    assert [records[pk].student_id for pk in ids] == [student.pk for student in students]
    first, second, third = (records[pk] for pk in ids)
    assert (first.school, first.integration_class, first.major) == (school_a, klass, klass.major)
    assert (second.integration_class, second.major) == (None, None)
    assert second.start_date == START + datetime.timedelta(days=1)
    assert third.track == Track.VOCATIONAL
    for record in (first, second, third):
        assert (record.state, record.end_date, record.reason) == ("active", None, "导入")
        assert record.funding_eligible_from is None
        assert record.created_at is not None


def test_a_class_hosted_by_another_school_is_refused(vocational_a, klass):
    student = StudentFactory()

    with pytest.raises(
        ValidationError, match="The class 融通1班 is not hosted by 余杭职业高级中学"
    ):
        status_open_many(school=vocational_a, registrations=[(student.pk, _registration(klass))])

    assert not StatusRecord.objects.exists()


def test_a_major_the_class_does_not_train_in_is_refused(school_a, klass):
    student = StudentFactory()
    other = MajorFactory()

    with pytest.raises(ValidationError, match=f"The class 融通1班 trains in {klass.major.name}"):
        status_open_many(
            school=school_a, registrations=[(student.pk, _registration(klass, major=other))]
        )

    assert not StatusRecord.objects.exists()


def test_a_student_registered_elsewhere_is_refused_naming_the_school(
    student_a, vocational_a, klass
):
    new = StudentFactory()

    with pytest.raises(
        ValidationError, match="张三 is already registered at 余杭高级中学: a duplicate"
    ):
        status_open_many(
            school=vocational_a,
            registrations=[(new.pk, _registration(None)), (student_a.pk, _registration(None))],
        )

    assert not new.status_records.exists()
    assert student_a.status_records.count() == 1


def test_the_databases_refusal_of_a_second_active_registration_is_a_validation_error(school_a):
    # Nothing is active when the rows are checked; the partial unique index refuses the
    # second of the two, as it would refuse another writer's row written meanwhile.
    student, other = StudentFactory(), StudentFactory()
    registrations = [(other.pk, _registration(None)), (student.pk, _registration(None))] * 2

    with pytest.raises(
        ValidationError, match="A student of these registrations already has an active"
    ):
        status_open_many(school=school_a, registrations=registrations)

    assert not StatusRecord.objects.exists()
