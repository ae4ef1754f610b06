"""Whose review is whose: a registrar sees and confirms only their school's, a district its
area's schools, a bureau its city's; anything else is a 404, like a review that does not
exist. Students find nothing here."""

import pytest
from django.urls import reverse
from factories import StatusRecordFactory

from students.models import StatusConfirmation, StatusReview
from students.review.selectors import review_findings, reviews_visible_to
from students.review.services import review_finish, review_open


@pytest.fixture
def reviews(term, review_a, review_b, students_a, students_b, school_other, vocational_a):
    StatusRecordFactory(school=school_other)
    return {
        "a": review_a,
        "b": review_b,
        "other": review_open(school=school_other, term=term),
        "vocational_a": review_open(school=vocational_a, term=term),
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar_a", {"a"}),
        ("registrar_b", {"b"}),
        ("district_a", {"a", "vocational_a"}),
        ("district_b", {"b"}),
        ("bureau", {"a", "b", "vocational_a"}),
        ("bureau_other", {"other"}),
        ("admin_user", {"a", "b", "other", "vocational_a"}),
        ("student_a", set()),
    ],
)
def test_each_persona_sees_the_reviews_of_its_scope(request, reviews, persona, expected):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)

    visible = set(reviews_visible_to(user).values_list("pk", flat=True))

    assert visible == {reviews[name].pk for name in expected}


@pytest.mark.parametrize("name", ["detail", "confirm", "finish", "reopen"])
def test_registrar_b_finds_no_review_of_school_a(client_as, reviews, students_a, name):
    client = client_as("registrar_b")
    url = reverse(f"students_review:{name}", args=[reviews["a"].pk])

    response = (
        client.get(url)
        if name == "detail"
        else client.post(url, {"one": students_a[0].pk, "action": "all"})
    )

    assert response.status_code == 404
    assert not StatusConfirmation.objects.exists()
    assert StatusReview.objects.get(pk=reviews["a"].pk).state == StatusReview.State.OPEN


def test_district_b_does_not_see_area_as_progress(client_as, reviews, term):
    client = client_as("district_b")

    listing = client.get(reverse("students_review:list"), {"term": term.pk})
    detail = client.get(reverse("students_review:detail", args=[reviews["a"].pk]))
    export = client.get(reverse("students_review:export_progress"), {"term": term.pk})

    assert [r.pk for r in listing.context["page"]] == [reviews["b"].pk]
    assert detail.status_code == 404
    csv = b"".join(export.streaming_content).decode("utf-8-sig")
    assert reviews["b"].school.code in csv
    assert reviews["a"].school.code not in csv
    assert reviews["vocational_a"].school.code not in csv


def test_bureau_other_sees_nothing_of_this_city(client_as, bureau_other, reviews, term):
    client = client_as(bureau_other)
    ours = [reviews[name] for name in ("a", "b", "vocational_a")]

    listing = client.get(reverse("students_review:list"), {"term": term.pk})
    progress = client.get(reverse("students_review:export_progress"), {"term": term.pk})
    findings = client.get(reverse("students_review:export_findings"), {"term": term.pk})

    assert [r.pk for r in listing.context["page"]] == [reviews["other"].pk]
    for review in ours:
        assert client.get(reverse("students_review:detail", args=[review.pk])).status_code == 404
        for content in (progress, findings):
            csv = b"".join(content.streaming_content).decode("utf-8-sig")
            assert review.school.name not in csv and review.school.code not in csv
    unconfirmed = review_findings(bureau_other, term=term).unconfirmed
    assert {r.school for r in unconfirmed} == {reviews["other"].school}


def test_a_term_chosen_from_another_scope_shows_nothing_of_it(client_as, reviews, term):
    # A term with a review only in area B is not on area A's list: the page falls back.
    from factories import TermFactory

    spring = TermFactory(semester=2)
    review_open(school=reviews["b"].school, term=spring)

    response = client_as("district_a").get(reverse("students_review:list"), {"term": spring.pk})

    assert response.context["term"] == term
    assert reviews["b"].pk not in [r.pk for r in response.context["page"]]


@pytest.mark.parametrize(
    "url",
    [
        ("students_review:list", []),
        ("students_review:findings", []),
        ("students_review:export_progress", []),
        ("students_review:export_findings", []),
        ("students_review:detail", ["a"]),
    ],
)
def test_a_student_finds_nothing_here(client_as, reviews, url):
    name, args = url

    response = client_as("student_a").get(reverse(name, args=[reviews[a].pk for a in args]))

    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, reviews):
    response = client.get(reverse("students_review:detail", args=[reviews["a"].pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_findings_page_keeps_to_the_districts_area(client_as, reviews, term, registrar_a):
    review_finish(actor=registrar_a, review=reviews["a"])

    response = client_as("district_b").get(reverse("students_review:findings"), {"term": term.pk})

    schools = {r.school for r in response.context["page"]}
    assert schools == {reviews["b"].school}
