"""Progress per school: confirmed of registered, the percent rounded down, finished or not,
and the totals over the reader's scope."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from factories import SchoolFactory, StatusRecordFactory, StudentFactory
from review_world import confirm

from students.models import StatusRecord, StatusReview
from students.review.selectors import progress_totals, reviews_visible_to, with_progress
from students.review.services import review_finish, review_open
from students.services import status_close


def _progress(user, term) -> dict:
    reviews = with_progress(reviews_visible_to(user).filter(term=term))
    return {r.school.name: (r.confirmed, r.registered, r.percent, r.state) for r in reviews}


def test_each_school_shows_confirmed_of_registered_and_the_percent_rounded_down(
    bureau, term, review_a, review_b, students_a, students_b, registrar_a, registrar_b
):
    confirm(review_a, students_a[:2], registrar_a)
    confirm(review_b, students_b, registrar_b)
    review_finish(actor=registrar_b, review=review_b)

    assert _progress(bureau, term) == {
        review_a.school.name: (2, 3, 66, StatusReview.State.OPEN),  # 66.7 shows as 66
        review_b.school.name: (2, 2, 100, StatusReview.State.FINISHED),
    }
    totals = progress_totals(reviews_visible_to(bureau).filter(term=term))
    assert (totals.schools, totals.finished, totals.confirmed, totals.registered) == (2, 1, 4, 5)
    assert totals.percent == 80


def test_only_students_still_registered_count(
    bureau, term, review_a, students_a, registrar_a, school_a
):
    confirm(review_a, students_a, registrar_a)
    status_close(
        record=students_a[2].status_records.get(),
        state=StatusRecord.State.TRANSFERRED_OUT,
        end_date=datetime.date(2024, 10, 1),
        reason="转学",
    )
    StatusRecordFactory(student=StudentFactory(), school=school_a)  # arrived after
    StatusRecordFactory(school=school_a, closed=True)  # left long ago

    assert _progress(bureau, term)[school_a.name][:3] == (2, 3, 66)


def test_a_school_with_nobody_left_to_confirm_is_complete(bureau, term, vocational_a):
    review_open(school=vocational_a, term=term)

    assert _progress(bureau, term)[vocational_a.name][:3] == (0, 0, 100)


def test_the_progress_page_lists_each_school_of_the_term(
    client_as, bureau, term, review_a, review_b, students_a, students_b, registrar_a
):
    confirm(review_a, students_a[:1], registrar_a)

    response = client_as(bureau).get(reverse("students_review:list"), {"term": term.pk})

    rows = {r.school.code: (r.confirmed, r.registered, r.percent) for r in response.context["page"]}
    assert rows == {review_a.school.code: (1, 3, 33), review_b.school.code: (0, 2, 0)}
    assert response.context["totals"].registered == 5
    content = response.content.decode()
    assert "1 / 5 (20%)" in content
    assert "0 / 2" in content  # schools finished


def test_the_progress_page_defaults_to_the_latest_term_with_a_review(
    client_as, bureau, term, review_a, students_a
):
    # Today (the machine's date) is in no term of the test world.
    response = client_as(bureau).get(reverse("students_review:list"))

    assert response.context["term"] == term
    assert [r.pk for r in response.context["page"]] == [review_a.pk]


def test_the_progress_page_sorts_by_percent(
    client_as, bureau, term, review_a, review_b, students_a, students_b, registrar_b
):
    confirm(review_b, students_b, registrar_b)

    response = client_as(bureau).get(
        reverse("students_review:list"), {"term": term.pk, "sort": "-percent"}
    )

    assert [r.pk for r in response.context["page"]] == [review_b.pk, review_a.pk]


def test_the_progress_page_runs_as_many_queries_for_twelve_schools_as_for_one(
    client_as, bureau, term
):
    client = client_as(bureau)

    def queries_with(schools: int) -> int:
        for _ in range(schools):
            school = SchoolFactory(municipality=bureau.municipality)
            StatusRecordFactory(school=school)
            confirm(review_open(school=school, term=term), [], bureau)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("students_review:list"), {"term": term.pk})
        assert response.status_code == 200
        return len(queries)

    assert queries_with(1) == queries_with(11)


def test_the_review_page_runs_as_many_queries_for_forty_students_as_for_two(
    client_as, registrar_a, review_a, school_a
):
    client = client_as(registrar_a)

    def queries_with(students: int) -> int:
        records = [StatusRecordFactory(school=school_a) for _ in range(students)]
        confirm(review_a, [r.student for r in records[::2]], registrar_a)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("students_review:detail", args=[review_a.pk]))
        assert response.status_code == 200
        return len(queries)

    assert queries_with(2) == queries_with(38)
