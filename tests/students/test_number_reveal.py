"""District and bureau staff and administrators, who see numbers masked, may have one
student's whole numbers shown on the student's page by giving a reason: the reveal is
written down (never the number), the answer shows them once, a GET never does, and a
student out of scope does not exist (404)."""

import logging

import pytest
from django.urls import reverse

from students.models import IdNumberReveal
from students.privacy import masked_id_card_number

pytestmark = pytest.mark.django_db
REASON = "核对学籍转出材料"


def _reveal(client, student, reason=REASON):
    return client.post(reverse("students:reveal_numbers", args=[student.pk]), {"reason": reason})


@pytest.mark.parametrize("persona", ["district_a", "bureau", "admin_user"])
def test_a_reveal_with_a_reason_is_written_and_shows_the_numbers_once(
    client_as, request, student_a, persona, caplog
):
    viewer = request.getfixturevalue(persona)
    client = client_as(viewer)
    page = reverse("students:detail", args=[student_a.pk])
    before = client.get(page).content.decode()
    assert student_a.id_card_number not in before
    assert masked_id_card_number(student_a.id_card_number) in before
    assert 'data-testid="reveal-numbers"' in before

    with caplog.at_level(logging.DEBUG):
        response = _reveal(client, student_a)

    assert response.status_code == 200
    shown = response.content.decode()
    assert student_a.id_card_number in shown
    assert student_a.student_number in shown
    assert 'data-testid="reveal-numbers"' not in shown
    reveal = IdNumberReveal.objects.get()
    assert (reveal.student, reveal.viewer, reveal.reason) == (student_a, viewer, REASON)
    assert student_a.id_card_number not in caplog.text
    # Once: the page read again shows them masked, nothing kept in the session.
    after = client.get(page).content.decode()
    assert student_a.id_card_number not in after
    assert student_a.id_card_number not in str(dict(client.session))


@pytest.mark.parametrize("reason", ["", "   ", "看看"])
def test_a_reveal_without_a_reason_is_refused(client_as, district_a, student_a, reason):
    response = _reveal(client_as(district_a), student_a, reason)

    assert response.status_code == 400
    body = response.content.decode()
    assert student_a.id_card_number not in body
    assert 'class="invalid-feedback d-block"' in body  # the form says what is missing
    assert not IdNumberReveal.objects.exists()


def test_a_get_never_reveals(client_as, district_a, student_a):
    response = client_as(district_a).get(
        reverse("students:reveal_numbers", args=[student_a.pk]), {"reason": REASON}
    )

    assert response.status_code == 405
    assert student_a.id_card_number not in response.content.decode()
    assert not IdNumberReveal.objects.exists()


@pytest.mark.parametrize("persona", ["district_b", "bureau_other", "registrar_b"])
def test_a_student_out_of_scope_is_not_there(client_as, request, student_a, persona):
    response = _reveal(client_as(persona), student_a)

    assert response.status_code == 404
    assert student_a.id_card_number not in response.content.decode()
    assert not IdNumberReveal.objects.exists()


@pytest.mark.parametrize("persona", ["registrar_a", "student_a"])
def test_those_who_see_the_numbers_whole_have_nothing_to_ask(client_as, student_a, persona):
    client = client_as(persona)

    page = client.get(reverse("students:detail", args=[student_a.pk])).content.decode()
    response = _reveal(client, student_a)

    assert 'data-testid="reveal-numbers"' not in page
    assert response.status_code == 404
    assert not IdNumberReveal.objects.exists()
