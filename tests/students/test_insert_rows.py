"""``insert_rows``, the import's writer: on PostgreSQL one INSERT from arrays, elsewhere
bulk_create. Both must write the same rows: every column the model has, the values as given,
defaults where left out, the ids back in order, and the database's constraints as for any
INSERT."""

import datetime

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from engines import each_engine
from factories import StatusRecordFactory, StudentFactory

from core.arrays import any_of
from core.inserts import insert_rows
from students.models import StatusRecord, Student, Track
from students.validators import make_id_card_number

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(2009, 5, 1)
#: Text the array literal must carry as it is: its quotes and escapes, its separators, the
#: word NULL, spaces at the ends, an empty string, other scripts and lines.
AWKWARD = ['双"引号', "反\\斜杠\\", "{花,括号}", "NULL", " 两端空格 ", "", "张三", "a\nb", "'"]
# PostgreSQL names the index, SQLite the column it covers.
ONE_ACTIVE = r"status_one_active_per_student|students_statusrecord\.student_id"


def _students(names: list[str]) -> dict:
    sequences = range(100, 100 + len(names))
    numbers = [make_id_card_number("330110", BIRTH, n) for n in sequences]
    return {
        "student_number": [f"G{number}" for number in numbers],
        "id_card_number": numbers,
        "name": names,
        "gender": ["M" if n % 2 else "F" for n in sequences],
        "birth_date": BIRTH,
        "guardian_name": [f"家长{n}" for n in sequences],
        "guardian_phone": "13800000000",
    }


@each_engine
@pytest.mark.usefixtures("engine")
def test_rows_are_written_as_given_and_their_ids_come_back_in_order():
    values = _students(AWKWARD)

    ids = insert_rows(Student, count=len(AWKWARD), values=values)

    students = Student.objects.in_bulk(ids)
    written = [
        (s.name, s.id_card_number, s.student_number, s.gender, s.guardian_name)
        for s in (students[pk] for pk in ids)
    ]
    given = list(
        zip(
            AWKWARD,
            values["id_card_number"],
            values["student_number"],
            values["gender"],
            values["guardian_name"],
            strict=True,
        )
    )
    assert written == given
    assert {(s.birth_date, s.guardian_phone, s.user_id) for s in students.values()} == {
        (BIRTH, "13800000000", None)
    }
    # The generated column is the database's own, as for any row.
    assert not Student.objects.filter(pk__in=ids, id_card_number_irregular=True).exists()


@each_engine
@pytest.mark.usefixtures("engine")
def test_fields_left_out_take_what_a_new_instance_and_bulk_create_give_them(school_a):
    students = [StudentFactory(), StudentFactory()]
    before = timezone.now()

    ids = insert_rows(
        StatusRecord,
        count=1,
        values={
            "student_id": [students[0].pk],
            "school_id": school_a.pk,
            "track": Track.GENERAL,
            "start_date": datetime.date(2026, 9, 1),
        },
    )
    (bulk,) = StatusRecord.objects.bulk_create(
        [
            StatusRecord(
                student_id=students[1].pk,
                school_id=school_a.pk,
                track=Track.GENERAL,
                start_date=datetime.date(2026, 9, 1),
            )
        ]
    )

    inserted = StatusRecord.objects.get(pk=ids[0])
    assert before <= inserted.created_at <= timezone.now()
    fields = [f.attname for f in StatusRecord._meta.concrete_fields]
    unlike = {"id", "student_id", "created_at"}
    bulk.refresh_from_db()
    assert {f: getattr(inserted, f) for f in fields if f not in unlike} == {
        f: getattr(bulk, f) for f in fields if f not in unlike
    }
    assert (inserted.state, inserted.reason, inserted.end_date) == ("active", "", None)


@each_engine
@pytest.mark.usefixtures("engine")
def test_the_databases_constraints_hold_as_for_any_insert(student_a, school_a):
    values = {
        "student_id": [student_a.pk],
        "school_id": school_a.pk,
        "track": Track.GENERAL,
        "start_date": datetime.date(2026, 9, 1),
    }

    with pytest.raises(IntegrityError, match=ONE_ACTIVE), transaction.atomic():
        insert_rows(StatusRecord, count=1, values=values)

    assert student_a.status_records.count() == 1


@pytest.mark.postgres
def test_a_value_too_long_for_its_column_is_refused_not_cut_short():
    values = _students(["名" * 51])

    with pytest.raises(DataError, match=r"too long for type character varying\(50\)"):
        insert_rows(Student, count=1, values=values)


@pytest.mark.postgres
def test_every_column_of_the_model_is_written_in_one_statement():
    values = _students(["甲", "乙"])

    with CaptureQueriesContext(connection) as queries:
        insert_rows(Student, count=2, values=values)

    (query,) = queries.captured_queries
    meta = Student._meta
    columns = query["sql"].split("(", 1)[1].split(")", 1)[0]
    assert columns.replace('"', "").split(", ") == [
        f.column for f in meta.concrete_fields if not f.generated and not f.primary_key
    ]
    assert "unnest(" in query["sql"]


def test_a_field_the_model_does_not_have_or_a_column_of_another_length_is_refused():
    with pytest.raises(ValueError, match=r"Student has no field to insert named \['nmae'\]"):
        insert_rows(Student, count=1, values={"nmae": ["张三"]})
    with pytest.raises(ValueError, match="2 values of name for 3 rows"):
        insert_rows(Student, count=3, values={"name": ["甲", "乙"]})
    with pytest.raises(ValueError, match="id_card_number_irregular"):  # generated: not written
        insert_rows(Student, count=1, values={"id_card_number_irregular": False})


@each_engine
@pytest.mark.usefixtures("engine")
def test_any_of_finds_what_a_list_of_the_values_finds():
    students = [StudentFactory(), StudentFactory(), StudentFactory()]
    numbers = [students[0].id_card_number, students[2].id_card_number, "11010519491231002X"]

    with CaptureQueriesContext(connection) as queries:
        found = set(Student.objects.filter(any_of("id_card_number", numbers)))

    assert found == {students[0], students[2]}
    assert found == set(Student.objects.filter(id_card_number__in=numbers))
    if connection.vendor == "postgresql":  # one array, not a placeholder per value
        assert "= ANY(" in queries.captured_queries[0]["sql"]
    ids = [student.pk for student in students[1:]]
    found = {r.student for r in StatusRecord.objects.filter(any_of("student", ids))}
    assert found == set()  # none of them is registered
    records = [StatusRecordFactory(student=student) for student in students[:2]]
    assert set(StatusRecord.objects.filter(any_of("student", ids))) == {records[1]}
    assert not Student.objects.filter(any_of("id_card_number", [])).exists()
