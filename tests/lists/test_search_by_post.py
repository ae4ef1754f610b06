"""A list's search is sent by POST and kept in the session under a random token: no name or
number typed into a search box reaches a URL (an access log, the browser's history), and
the other filters, the sort and the pages keep working (core.lists.searched_by_post)."""

import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from factories import StatusRecordFactory, StudentFactory, TermFactory

from core.lists import SEARCHES_KEPT
from students.review.services import review_open

pytestmark = pytest.mark.django_db


def _search(client, url, **fields):
    response = client.post(url, fields)
    assert response.status_code == 302
    return response


def test_a_number_search_redirects_to_a_url_without_it_and_finds_the_student(
    client_as, registrar_a, student_a, school_a
):
    StatusRecordFactory(student=StudentFactory(name="王五"), school=school_a)
    client = client_as(registrar_a)

    response = _search(client, "/students/", q=student_a.student_number, track="general")

    location = response.url
    assert location.startswith("/students/?")
    assert student_a.student_number not in location
    assert student_a.id_card_number[6:14] not in location
    assert "search=" in location and "track=general" in location
    page = client.get(location)
    assert list(page.context["page"]) == [student_a]
    assert page.context["filter"].form["q"].value() == student_a.student_number


def test_a_name_search_is_not_in_the_url_either(client_as, registrar_a, student_a):
    response = _search(client_as(registrar_a), "/students/", q="张三")

    assert "张三" not in response.url
    assert "%E5%BC%A0" not in response.url  # nor percent-encoded


def test_an_unknown_token_is_no_search(client_as, registrar_a, student_a):
    response = client_as(registrar_a).get("/students/", {"search": "not-a-token"})

    assert response.status_code == 200
    assert list(response.context["page"]) == [student_a]


def test_a_search_written_into_the_url_is_not_a_search(client_as, registrar_a, school_a, student_a):
    StatusRecordFactory(student=StudentFactory(name="王五"), school=school_a)

    response = client_as(registrar_a).get("/students/", {"q": "王五"})

    assert len(response.context["page"]) == 2


def test_pages_and_sorting_keep_the_search_and_never_the_text(client_as, bureau, school_a):
    for i in range(60):
        StatusRecordFactory(student=StudentFactory(name=f"学生{i:02d}"), school=school_a)
    client = client_as(bureau)

    location = _search(client, "/students/", q="学生", sort="-name").url
    first = client.get(location)
    token = location.split("search=")[1].split("&")[0]
    second = client.get(location + "&page=2")

    assert first.context["page"].paginator.count == 60
    assert f"search={token}" in first.context["querystring"]
    assert "q=" not in first.context["querystring"]
    assert [s.name for s in second.context["page"]][:1] == ["学生09"]
    links = [unquote(href) for href in re.findall(r'href="([^"]*)"', first.content.decode())]
    assert any(f"search={token}" in link and "page=2" in link for link in links)
    assert not any("学生" in link for link in links)


def test_a_session_keeps_only_the_latest_searches(client_as, registrar_a, student_a):
    client = client_as(registrar_a)
    first = _search(client, "/students/", q="张三").url
    for i in range(SEARCHES_KEPT):
        _search(client, "/students/", q=f"其他{i}")

    assert len(client.session["list_searches"]) == SEARCHES_KEPT
    assert list(client.get(first).context["page"]) == [student_a]  # forgotten: no search


@pytest.mark.parametrize(
    "name",
    [
        "transfers:applications",
        "transfers:approvals",
        "transfers:policies",
        "schools:list",
        "students_review:list",
        "students_review:findings",
        "students_review:detail",
    ],
)
def test_every_list_with_a_search_takes_it_by_post(client_as, bureau, school_a, name):
    review = review_open(school=school_a, term=TermFactory())
    client = client_as(bureau)
    url = reverse(name, args=[review.pk] if name == "students_review:detail" else [])

    page = client.get(url).content.decode()
    response = _search(client, url, q="G33011020080101001X")

    assert 'method="post" role="search"' in page
    assert "G33011020080101001X" not in response.url
    assert client.get(response.url).status_code == 200
