"""A list page runs the same number of SQL queries for 5 rows as for 500."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from factories import SchoolFactory, UserFactory

from schools.models import User
from students.models import StatusRecord, Student, Track
from students.validators import make_id_card_number
from transfers.models import Application, Direction, TransferPolicy

pytestmark = pytest.mark.django_db


def _students(school, count, start):
    birth = datetime.date(2010, 3, 1)
    students = Student.objects.bulk_create(
        Student(
            student_number=f"G{make_id_card_number('330110', birth, start + i)}",
            id_card_number=make_id_card_number("330110", birth, start + i),
            name=f"学生{start + i}",
            gender="M" if (start + i) % 2 else "F",
            birth_date=birth,
            guardian_name="家长",
            guardian_phone="13800000000",
        )
        for i in range(count)
    )
    StatusRecord.objects.bulk_create(
        StatusRecord(
            student=student,
            school=school,
            track=Track.GENERAL,
            start_date=datetime.date(2024, 9, 1),
        )
        for student in students
    )
    return StatusRecord.objects.filter(student__in=students).select_related("student")


def _applications(statuses, policy, to_school, major):
    Application.objects.bulk_create(
        Application(
            student=status.student,
            policy=policy,
            from_status=status,
            from_school=status.school,
            to_school=to_school,
            to_major=major,
            direction=Direction.GENERAL_TO_VOCATIONAL,
            reason="理由",
            guardian_name="家长",
            guardian_relation="父亲",
            guardian_phone="13800000000",
            guardian_consent_date=datetime.date(2025, 1, 5),
            total_score=Decimal("80.00"),
            state=Application.State.RECOMMENDED,
        )
        for status in statuses
    )


def _searched(client, url) -> str:
    """The URL of ``url``'s list with its ``q`` searched the way the page searches: posted,
    kept in the session, and named by a token in the URL the list redirects to."""
    path, _, query = url.partition("?")
    params = QueryDict(query)
    if "q" not in params:
        return url
    response = client.post(path, params)
    assert response.status_code == 302
    return response.url


def _count_queries(client, url) -> int:
    url = _searched(client, url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def policy(area_a, district_a, bureau):
    now = timezone.now()
    return TransferPolicy.objects.create(
        pilot_area=area_a,
        cohort_year=2024,
        title="政策",
        window_opens=now - datetime.timedelta(days=1),
        window_closes=now + datetime.timedelta(days=1),
        created_by=district_a,
        state=TransferPolicy.State.PUBLISHED,
        approved_by=bureau,
        approved_at=now,
    )


@pytest.mark.parametrize(
    "url",
    ["/students/", "/students/?sort=-name", "/transfers/applications/", "/transfers/approvals/"],
)
def test_list_pages_run_constant_queries(client, bureau, school_a, vocational_a, policy, url):
    major = vocational_a.pairings_as_vocational.first().cooperative_majors.first()
    client.force_login(bureau)
    _applications(_students(school_a, 5, 100), policy, vocational_a, major)
    small = _count_queries(client, url)
    _applications(_students(school_a, 495, 200), policy, vocational_a, major)
    large = _count_queries(client, url)
    assert small == large, f"{url}: {small} queries for 5 rows, {large} for 500"


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        # The two pages the load figure drives, as it drives them.
        ("registrar_a", "/students/"),
        ("bureau", "/transfers/approvals/"),
        # Filtered (the count is then the filtered list's own) and sorted otherwise.
        ("registrar_a", "/students/?q=学生&track=general"),
        ("registrar_a", "/students/?sort=-name&page=2"),
        ("bureau", "/transfers/approvals/?state=recommended&direction=g2v"),
        ("bureau", "/transfers/approvals/?sort=-total&page=3"),
    ],
)
def test_the_busiest_lists_run_constant_queries(
    client, request, school_a, vocational_a, policy, persona, url
):
    """The registrar's students and the bureau's approval queue, at two lengths: what grows
    with the list is the one COUNT's work, never the number of queries."""
    major = vocational_a.pairings_as_vocational.first().cooperative_majors.first()
    client.force_login(request.getfixturevalue(persona))
    _applications(_students(school_a, 5, 100), policy, vocational_a, major)
    small = _count_queries(client, url)
    _applications(_students(school_a, 495, 200), policy, vocational_a, major)
    large = _count_queries(client, url)
    assert small == large, f"{url}: {small} queries for 5 rows, {large} for 500"


#: The queries each page runs: the session and the user (every signed-in page), the unread
#: count beside "Notifications" (every page), the list's COUNT and its page of rows, and one
#: query per model the filter offers choices of.
QUERY_BUDGET = {
    # session, user, COUNT, rows, unread, the school (the registrar's own), and the schools
    # of the page's students' registrations (whose numbers the registrar sees whole)
    ("registrar_a", "/students/"): 7,
    # session, user, COUNT, rows, unread, pilot areas, schools
    ("bureau", "/transfers/approvals/"): 7,
}


@pytest.mark.parametrize(("persona", "url"), list(QUERY_BUDGET))
def test_the_busiest_lists_keep_to_their_query_budget(
    client, request, school_a, vocational_a, policy, persona, url
):
    major = vocational_a.pairings_as_vocational.first().cooperative_majors.first()
    _applications(_students(school_a, 60, 100), policy, vocational_a, major)
    client.force_login(request.getfixturevalue(persona))
    assert _count_queries(client, url) == QUERY_BUDGET[(persona, url)]


def test_school_list_runs_constant_queries(client, municipality):
    bureau = UserFactory(role=User.Role.BUREAU, municipality=municipality)
    client.force_login(bureau)
    SchoolFactory.create_batch(5, municipality=municipality)
    small = _count_queries(client, "/schools/?sort=-students")
    SchoolFactory.create_batch(495, municipality=municipality)
    large = _count_queries(client, "/schools/?sort=-students")
    assert small == large


def test_student_list_is_paginated_filterable_and_sortable(client, bureau, school_a, school_b):
    client.force_login(bureau)
    _students(school_a, 60, 100)
    _students(school_b, 3, 900)
    page = client.get("/students/")
    assert len(page.context["page"]) == 50
    assert page.context["page"].paginator.count == 63
    only_b = client.get(f"/students/?school={school_b.pk}")
    assert {s.name for s in only_b.context["page"]} == {"学生900", "学生901", "学生902"}
    by_name_desc = client.get(_searched(client, "/students/?sort=-name&q=学生90"))
    assert [s.name for s in by_name_desc.context["page"]] == ["学生902", "学生901", "学生900"]
    unknown_sort = client.get("/students/?sort=id_card_number")
    assert unknown_sort.context["sort"] == "number"
