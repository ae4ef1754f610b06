"""What a transcript says: terms in order, recognised credits marked with where they came
from, and each credit counted once."""

from decimal import Decimal

import pytest
from django.urls import reverse
from factories import CourseFactory, CreditRecordFactory

from credits.models import Course
from credits.transcripts import transcript_build

D = Decimal


def test_it_lists_the_terms_in_order_with_every_record(transferred, student_a, bureau, terms):
    transcript = transcript_build(user=bureau, student=student_a)

    assert [section.term for section in transcript.terms] == list(terms)
    first, second = transcript.terms
    assert {line.record for line in first.lines} == {
        transferred[name]
        for name in (
            "chinese",
            "physics",
            "english",
            "recognised_chinese",
            "recognised_physics",
        )
    }
    assert [line.record for line in second.lines] == [transferred["circuits"]]


def test_a_recognised_record_names_its_origin_course_and_school(
    transferred, student_a, bureau, school_a, vocational_a
):
    transcript = transcript_build(user=bureau, student=student_a)

    lines = {line.record: line for line in transcript.terms[0].lines}
    recognised = lines[transferred["recognised_physics"]]
    assert recognised.is_recognised
    assert recognised.origin == transferred["physics"]
    assert recognised.origin.course.school == school_a
    assert recognised.record.course.school == vocational_a
    origin = lines[transferred["physics"]]
    assert not origin.is_recognised
    assert origin.recognition == transferred["recognised_physics"]
    assert not lines[transferred["english"]].is_recognised
    assert lines[transferred["english"]].recognition is None


def test_the_page_marks_recognised_credits_with_origin_course_and_school(
    client_as, transferred, student_a, school_a
):
    response = client_as("bureau").get(reverse("credits:transcript", args=[student_a.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("Recognised</span>") == 2
    # 物理 3.0 at the general school became 1.5 credits at the vocational school.
    assert f"from 物理 (WL01) at {school_a.name}, 3.0 credits" in page
    assert f"from 语文 (YW01) at {school_a.name}, 2.0 credits" in page
    assert "2024–2025 First semester" in page
    assert "2024–2025 Second semester" in page


def test_recognised_credits_count_once_through_the_recognition(transferred, student_a, bureau):
    transcript = transcript_build(user=bureau, student=student_a)

    first, second = transcript.terms
    # 英语 2.0 (no rule) + 语文 2.0 and 物理 1.5 recognised; the origins' 2.0 and 3.0 are not
    # counted a second time.
    assert (first.credits, first.recognised_credits) == (D("5.5"), D("3.5"))
    assert (second.credits, second.recognised_credits) == (D("2.0"), D(0))
    assert (transcript.total_credits, transcript.recognised_credits) == (D("7.5"), D("3.5"))
    by_category = {total.category: total.credits for total in transcript.categories}
    assert by_category == {
        Course.Category.GENERAL_CULTURE: D("5.5"),
        Course.Category.VOCATIONAL_TECHNICAL: D("2.0"),
        Course.Category.ELECTIVE: D(0),
    }


def test_the_page_shows_the_totals(client_as, transferred, student_a):
    response = client_as("student_a").get(reverse("credits:transcript", args=[student_a.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<td class="text-end" data-testid="term-total">5.5</td>' in page
    assert '<td class="text-end" data-testid="term-total">2.0</td>' in page
    assert '<dd class="col-sm-9" data-testid="total-credits">7.5</dd>' in page
    assert '<dd class="col-sm-9" data-testid="recognised-credits">3.5</dd>' in page


@pytest.mark.parametrize("extra_records", [0, 6])
def test_it_takes_two_queries_however_long_the_transcript(
    transferred, student_a, bureau, terms, school_a, extra_records, django_assert_num_queries
):
    for _ in range(extra_records):
        CreditRecordFactory(student=student_a, course=CourseFactory(school=school_a), term=terms[1])

    with django_assert_num_queries(2):
        transcript = transcript_build(user=bureau, student=student_a)
        # Everything the templates read is loaded already.
        for section in transcript.terms:
            for line in section.lines:
                str(line.record.course.school)
                str(line.record.term)
                if line.origin:
                    str(line.origin.course.school)
                if line.recognition:
                    str(line.recognition.course.school)
        [str(record.school) for record in transcript.history]

    assert sum(len(section.lines) for section in transcript.terms) == 6 + extra_records
