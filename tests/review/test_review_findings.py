"""What the review flags (rule 8): registered but unconfirmed (possible 空挂学籍), confirmed at a
school where the student holds no status, and one person active at two schools (重复学籍),
proved on planted data the constraints refuse today. Clean data gives no finding."""

import datetime

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from engines import each_engine
from factories import StatusRecordFactory, StudentFactory
from review_world import (
    confirm,
    drop_one_active_index,
    drop_unique_id_card_number,
    format_check_lifted,
    plant_lowercase_twin,
    plant_student,
    student_with_x,
)

from schools.models import School
from students.models import StatusRecord, Student, normalised_id_card_number
from students.review.selectors import duplicate_registrations, review_findings
from students.services import status_close
from students.validators import normalise_id_card_number

# The findings are of data written before today's constraints: the tests drop them to write
# it, as only the tables' owner may.
pytestmark = pytest.mark.owner


@pytest.fixture
def all_confirmed(review_a, review_b, students_a, students_b, registrar_a, registrar_b):
    confirm(review_a, students_a, registrar_a)
    confirm(review_b, students_b, registrar_b)


def test_clean_data_gives_no_finding(bureau, term, all_confirmed):
    findings = review_findings(bureau, term=term)

    assert findings.clean
    assert findings.duplicates == []
    assert not findings.unconfirmed.exists()
    assert not findings.without_status.exists()


def test_a_registered_student_not_confirmed_is_flagged(
    bureau, term, review_a, students_a, registrar_a
):
    confirm(review_a, students_a[1:], registrar_a)

    findings = review_findings(bureau, term=term)

    assert [r.student for r in findings.unconfirmed] == [students_a[0]]
    assert not findings.clean


def test_a_confirmation_in_another_terms_review_does_not_count(
    bureau, term, review_a, students_a, registrar_a, school_a
):
    from factories import TermFactory

    from students.review.services import review_open

    spring = TermFactory(semester=2)
    confirm(review_open(school=school_a, term=spring), students_a, registrar_a)

    assert {r.student for r in review_findings(bureau, term=term).unconfirmed} == set(students_a)


def test_a_school_whose_review_was_never_opened_still_shows_its_students(bureau, term, student_b):
    findings = review_findings(bureau, term=term)

    assert [r.student for r in findings.unconfirmed] == [student_b]


def test_a_confirmation_where_the_student_holds_no_status_is_flagged(
    bureau, term, all_confirmed, review_a, registrar_a, student_b
):
    # Planted past the service, which refuses it: school A vouches for school B's student.
    confirm(review_a, [student_b], registrar_a)

    findings = review_findings(bureau, term=term)

    assert [(c.review.school, c.student) for c in findings.without_status] == [
        (review_a.school, student_b)
    ]
    assert not findings.unconfirmed.exists()


def test_a_student_who_left_after_being_confirmed_is_flagged(
    bureau, term, all_confirmed, students_a
):
    record = students_a[1].status_records.get()
    status_close(
        record=record,
        state=StatusRecord.State.WITHDRAWN,
        end_date=datetime.date(2024, 10, 1),
        reason="退学",
    )

    findings = review_findings(bureau, term=term)

    assert [c.student for c in findings.without_status] == [students_a[1]]


# --- duplicates -------------------------------------------------------------------------


@each_engine
def test_one_person_registered_at_two_schools_is_found(
    engine, bureau, term, all_confirmed, school_a, school_b, review_a, registrar_a
):
    person = student_with_x(name="王五")
    StatusRecordFactory(student=person, school=school_a)
    twin = plant_lowercase_twin(person)
    StatusRecordFactory(student=twin, school=school_b)
    assert twin.pk != person.pk and twin.id_card_number.endswith("x")

    findings = review_findings(bureau, term=term)

    assert len(findings.duplicates) == 1
    group = findings.duplicates[0]
    assert group.person == person.id_card_number
    assert {(r.school, r.student) for r in group.records} == {
        (school_a, person),
        (school_b, twin),
    }
    assert not findings.clean


@each_engine
def test_one_student_with_two_active_records_is_found(
    engine, bureau, term, all_confirmed, students_a, vocational_a
):
    drop_one_active_index()
    StatusRecordFactory(student=students_a[0], school=vocational_a)

    duplicates = review_findings(bureau, term=term).duplicates

    assert [{r.school for r in group.records} for group in duplicates] == [
        {students_a[0].status_records.first().school, vocational_a}
    ]


@each_engine
def test_two_irregular_rows_of_one_person_are_found(engine, bureau, term, school_a, school_b):
    # Neither row holds the number in its normal form: both are irregular.
    normal = student_with_x().id_card_number
    StatusRecordFactory(student=plant_student(normal[:-1] + "x"), school=school_a)
    full_width = "".join(chr(0xFF10 + int(c)) for c in normal[:-1]) + "Ｘ"
    StatusRecordFactory(student=plant_student(full_width), school=school_b)

    duplicates = review_findings(bureau, term=term).duplicates

    assert [(group.person, {r.school for r in group.records}) for group in duplicates] == [
        (normal, {school_a, school_b})
    ]


@pytest.mark.postgres  # SQLite cannot drop a column's UNIQUE
def test_a_number_stored_twice_is_found_once_its_unique_index_is_gone(
    bureau, term, student_a, school_b
):
    drop_unique_id_card_number()
    copy = StudentFactory(
        id_card_number=student_a.id_card_number,
        birth_date=student_a.birth_date,
        gender=student_a.gender,
    )
    StatusRecordFactory(student=copy, school=school_b)

    duplicates = review_findings(bureau, term=term).duplicates

    assert [{r.student for r in group.records} for group in duplicates] == [{student_a, copy}]


@each_engine
def test_without_a_registered_irregular_number_the_records_are_not_grouped(
    engine, bureau, term, all_confirmed, school_a, school_b
):
    def grouped(captured):
        return [q["sql"] for q in captured if "GROUP BY" in q["sql"].upper()]

    with CaptureQueriesContext(connection) as none_irregular:
        assert duplicate_registrations(bureau) == []
    irregular = plant_student("33011020080517123x")
    StatusRecordFactory(student=irregular, school=school_b, closed=True)
    with CaptureQueriesContext(connection) as not_registered:
        assert duplicate_registrations(bureau) == []
    # Registered, not repeated: its records are grouped, and no duplicate is found.
    StatusRecordFactory(student=irregular, school=school_a)
    with CaptureQueriesContext(connection) as registered:
        assert duplicate_registrations(bureau) == []

    assert grouped(none_irregular) == grouped(not_registered) == []
    assert grouped(registered)


@each_engine
def test_a_closed_registration_is_no_duplicate(engine, bureau, term, school_a, school_b):
    person = student_with_x()
    StatusRecordFactory(student=person, school=school_a, closed=True)
    twin = plant_lowercase_twin(person)
    StatusRecordFactory(student=twin, school=school_b)

    assert review_findings(bureau, term=term).duplicates == []


@each_engine
@pytest.mark.parametrize(
    ("persona", "sees", "sees_details_of"),
    [
        ("registrar_a", True, {"a"}),
        ("registrar_b", True, {"b"}),
        ("district_b", True, {"b"}),
        ("bureau", True, {"a", "b"}),
        ("bureau_other", False, set()),
        ("district_a", True, {"a"}),
    ],
)
def test_each_scope_sees_a_duplicate_touching_it_and_only_its_own_details(
    engine, request, term, school_a, school_b, persona, sees, sees_details_of
):
    person = student_with_x()
    StatusRecordFactory(student=person, school=school_a)
    StatusRecordFactory(student=plant_lowercase_twin(person), school=school_b)
    user = request.getfixturevalue(persona)

    duplicates = review_findings(user, term=term).duplicates

    assert bool(duplicates) is sees
    if sees:
        letter = {school_a.pk: "a", school_b.pk: "b"}
        # Both schools are named (to know whom to call); details only within the scope.
        assert len(duplicates[0].records) == 2
        shown = {letter[record.school_id] for record, visible in duplicates[0].entries() if visible}
        assert shown == sees_details_of


@pytest.mark.parametrize(
    "typed",
    [
        "33011020080517123x",
        " 33011020080517123X ",
        "３３０１１０２００８０５１７１２３ｘ",
        "330110 20080517 123X",
    ],
)
def test_the_database_folds_id_numbers_as_the_import_does(typed, school_a):
    folded = (
        School.objects.annotate(key=normalised_id_card_number(Value(typed)))
        .values_list("key", flat=True)
        .get(pk=school_a.pk)
    )

    assert folded == normalise_id_card_number(typed) == "33011020080517123X"


@each_engine
@pytest.mark.parametrize(
    "typed",
    [
        "33011020080517123x",
        "３３０１１０２００８０５１７１２３Ｘ",
        "33011020080517123ｘ",
        "33011020080517123X",
    ],
)
def test_the_database_marks_a_number_not_in_its_normal_form(engine, typed, db):
    student = plant_student(typed)
    student.refresh_from_db()

    assert student.id_card_number_irregular is (normalise_id_card_number(typed) != typed)


@each_engine
def test_the_irregular_mark_follows_the_number_through_the_orm(engine, db):
    student = StudentFactory(id_card_number="33011020080517123X")
    student.refresh_from_db()
    assert student.id_card_number_irregular is False

    student.id_card_number = "33011020080517123x"
    student.student_number = "G33011020080517123x"
    with format_check_lifted():
        student.save()
    assert list(Student.objects.filter(id_card_number_irregular=True)) == [student]

    Student.objects.filter(pk=student.pk).update(
        id_card_number="33011020080517123X", student_number="G33011020080517123X"
    )
    assert not Student.objects.filter(id_card_number_irregular=True).exists()
