"""Helpers of the review tests: planting what the constraints forbid today."""

import contextlib
import datetime

from django.db import connection
from factories import StudentFactory

from students.models import StatusConfirmation, Student
from students.validators import id_card_gender, make_id_card_number

TODAY = datetime.date(2024, 10, 15)  # inside the first term of 2024-2025


def confirm(review, students, by):
    """Write confirmations as they are, without the service's checks (for planting)."""
    for student in students:
        StatusConfirmation.objects.create(review=review, student=student, confirmed_by=by)


def student_with_x(**kwargs) -> Student:
    """A student whose ID-card number ends in the check character X."""
    birth = datetime.date(2008, 5, 17)
    number = next(
        n
        for seq in range(1000)
        if (n := make_id_card_number("330110", birth, seq)).endswith("X")
        and not Student.objects.filter(id_card_number=n).exists()
    )
    return StudentFactory(
        id_card_number=number, birth_date=birth, gender=id_card_gender(number), **kwargs
    )


def plant_lowercase_twin(student: Student, **kwargs) -> Student:
    """A second Student row for the same person, typed with a lowercase x, as rows imported
    before the constraints were."""
    twin_number = student.id_card_number[:-1] + student.id_card_number[-1].lower()
    assert twin_number != student.id_card_number, "plant a twin of an ID ending in X"
    return plant_student(
        twin_number,
        birth_date=student.birth_date,
        gender=student.gender,
        name=student.name,
        **kwargs,
    )


def plant_student(id_card_number: str, **kwargs) -> Student:
    """A Student row with the number typed as given, as rows imported before the constraints
    were."""
    with format_check_lifted():
        return StudentFactory(
            id_card_number=id_card_number, student_number=f"G{id_card_number}", **kwargs
        )


@contextlib.contextmanager
def format_check_lifted():
    """Lets an ID-card number in a format the CHECK constraint refuses today be written, for
    this test only:

    * PostgreSQL: DROP CONSTRAINT inside the test's transaction, which the end of the test
      rolls back (DDL is transactional there), so the constraint is back for the next test;
    * SQLite: ``PRAGMA ignore_check_constraints`` for the block.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE students_student DROP CONSTRAINT IF EXISTS "
                "student_id_card_number_format"
            )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")


def drop_one_active_index() -> None:
    """Lets one Student hold two active records, as data from before the partial unique
    index could. Dropped inside the test's transaction on both engines (SQLite's DDL is
    transactional too), so the end of the test restores it."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX status_one_active_per_student")


def drop_unique_id_card_number() -> None:
    """Lets two Student rows hold the very same ID-card number, as data from before the
    unique indexes could (PostgreSQL only: SQLite cannot drop a column's UNIQUE). The student
    number repeats the ID-card number, so its unique index goes too; the end of the test's
    transaction restores both."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a"
            " ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.conrelid = 'students_student'::regclass AND c.contype = 'u'"
            " AND a.attname IN ('id_card_number', 'student_number')"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE students_student DROP CONSTRAINT "{name}"')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
