"""Confirming attendance (人籍一致): one student, the ticked ones, a page, or all; only the
school's registrar, only its registered students, and never into a finished review."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from factories import StatusRecordFactory

from students.models import StatusConfirmation, StatusReview
from students.review.selectors import review_findings
from students.review.services import (
    review_confirm,
    review_confirm_all,
    review_finish,
    review_reopen,
)


def _confirmed(review) -> set:
    return set(
        StatusConfirmation.objects.filter(review=review).values_list("student_id", flat=True)
    )


def _post(client, review, data, name="confirm"):
    return client.post(reverse(f"students_review:{name}", args=[review.pk]), data, follow=True)


# --- through the page ---------------------------------------------------------------------


def test_a_registrar_confirms_one_student_with_the_rows_button(
    client_as, registrar_a, review_a, students_a
):
    response = _post(client_as(registrar_a), review_a, {"one": students_a[1].pk})

    assert _confirmed(review_a) == {students_a[1].pk}
    confirmation = StatusConfirmation.objects.get(review=review_a)
    assert confirmation.confirmed_by == registrar_a
    assert "1 student confirmed as attending." in response.content.decode()


def test_a_registrar_confirms_the_ticked_students_only(
    client_as, registrar_a, review_a, students_a
):
    ticked = [students_a[0].pk, students_a[2].pk]

    response = _post(
        client_as(registrar_a),
        review_a,
        {"action": "ticked", "students": ticked, "page_students": [s.pk for s in students_a]},
    )

    assert _confirmed(review_a) == set(ticked)
    assert "2 students confirmed as attending." in response.content.decode()


def test_confirm_all_on_this_page_confirms_that_page_and_no_other(
    client_as, registrar_a, review_a, students_a, school_a
):
    everyone = students_a + [StatusRecordFactory(school=school_a).student for _ in range(52)]
    client = client_as(registrar_a)
    page = client.get(reverse("students_review:detail", args=[review_a.pk]))
    # What the browser sends: the page's hidden list of its unconfirmed students.
    on_page = {
        int(pk) for pk in re.findall(r'name="page_students" value="(\d+)"', page.content.decode())
    }
    assert len(on_page) == 50

    _post(client, review_a, {"action": "page", "page_students": sorted(on_page)})

    assert _confirmed(review_a) == on_page
    assert len({s.pk for s in everyone} - on_page) == 5


def test_confirm_all_reaches_students_on_every_page(
    client_as, registrar_a, review_a, students_a, school_a, settings
):
    more = [StatusRecordFactory(school=school_a).student for _ in range(55)]  # past one page

    _post(client_as(registrar_a), review_a, {"action": "all"})

    assert _confirmed(review_a) == {s.pk for s in students_a + more}


def test_the_page_offers_the_bulk_controls_with_a_confirmation_prompt(
    client_as, registrar_a, review_a, students_a
):
    html = client_as(registrar_a).get(reverse("students_review:detail", args=[review_a.pk]))
    content = html.content.decode()

    assert content.count('type="checkbox" name="students"') == 3
    assert 'name="action" value="page" data-confirm=' in content
    assert 'name="action" value="ticked" data-confirm=' in content
    assert 'name="action" value="all" data-confirm=' in content


def test_the_district_sees_the_page_without_the_controls_and_cannot_confirm(
    client_as, district_a, review_a, students_a
):
    client = client_as(district_a)
    page = client.get(reverse("students_review:detail", args=[review_a.pk]))

    assert page.status_code == 200
    assert 'name="students"' not in page.content.decode()
    response = client.post(
        reverse("students_review:confirm", args=[review_a.pk]), {"one": students_a[0].pk}
    )
    assert response.status_code == 403
    assert _confirmed(review_a) == set()


# --- the service's rules ----------------------------------------------------------------


def test_a_student_of_another_school_cannot_be_confirmed_and_nothing_is(
    registrar_a, review_a, students_a, student_b
):
    with pytest.raises(ValidationError, match="1 of the chosen students is not registered"):
        review_confirm(
            actor=registrar_a, review=review_a, student_ids=[students_a[0].pk, student_b.pk]
        )

    assert _confirmed(review_a) == set()


def test_confirming_a_student_twice_is_harmless(registrar_a, review_a, students_a):
    assert review_confirm(actor=registrar_a, review=review_a, student_ids=[students_a[0].pk]) == 1

    again = review_confirm(
        actor=registrar_a, review=review_a, student_ids=[students_a[0].pk, students_a[1].pk]
    )

    assert again == 1
    assert StatusConfirmation.objects.filter(review=review_a).count() == 2


def test_confirming_nobody_is_refused(registrar_a, review_a, students_a):
    with pytest.raises(ValidationError, match="Choose at least one student"):
        review_confirm(actor=registrar_a, review=review_a, student_ids=[])


@pytest.mark.parametrize("persona", ["registrar_b", "district_a", "bureau", "admin_user"])
def test_only_the_schools_registrar_confirms(request, persona, review_a, students_a):
    actor = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        review_confirm(actor=actor, review=review_a, student_ids=[students_a[0].pk])
    with pytest.raises(PermissionDenied):
        review_confirm_all(actor=actor, review=review_a)
    with pytest.raises(PermissionDenied):
        review_finish(actor=actor, review=review_a)


# --- finishing --------------------------------------------------------------------------


def test_a_finished_review_takes_no_more_confirmations(registrar_a, review_a, students_a):
    review_confirm(actor=registrar_a, review=review_a, student_ids=[students_a[0].pk])
    review_finish(actor=registrar_a, review=review_a)

    with pytest.raises(ValidationError, match="is finished: it takes no more confirmations"):
        review_confirm(actor=registrar_a, review=review_a, student_ids=[students_a[1].pk])
    with pytest.raises(ValidationError, match="is finished"):
        review_confirm_all(actor=registrar_a, review=review_a)

    assert _confirmed(review_a) == {students_a[0].pk}


def test_the_page_refuses_a_confirmation_into_a_finished_review(
    client_as, registrar_a, review_a, students_a
):
    review_finish(actor=registrar_a, review=review_a)
    client = client_as(registrar_a)

    response = _post(client, review_a, {"one": students_a[0].pk})

    assert "takes no more confirmations" in response.content.decode()
    assert 'name="one"' not in response.content.decode()  # no button on a finished review
    assert _confirmed(review_a) == set()


def test_finishing_keeps_the_unconfirmed_students_flagged(
    client_as, registrar_a, review_a, students_a, term
):
    review_confirm(actor=registrar_a, review=review_a, student_ids=[students_a[0].pk])

    _post(client_as(registrar_a), review_a, {}, name="finish")

    review_a.refresh_from_db()
    assert review_a.state == StatusReview.State.FINISHED
    assert review_a.finished_at is not None
    unconfirmed = review_findings(registrar_a, term=term).unconfirmed
    assert {r.student_id for r in unconfirmed} == {students_a[1].pk, students_a[2].pk}


def test_a_review_is_finished_once(registrar_a, review_a):
    review_finish(actor=registrar_a, review=review_a)

    with pytest.raises(ValidationError, match="already finished"):
        review_finish(actor=registrar_a, review=review_a)


def test_the_district_reopens_a_finished_review_and_the_school_confirms_again(
    client_as, district_a, registrar_a, review_a, students_a
):
    review_finish(actor=registrar_a, review=review_a)

    _post(client_as(district_a), review_a, {}, name="reopen")
    review_a.refresh_from_db()
    assert review_a.state == StatusReview.State.FINISHED, "a reopening needs a reason"

    _post(client_as(district_a), review_a, {"reason": "两名学生学期中转入"}, name="reopen")

    review_a.refresh_from_db()
    assert review_a.state == StatusReview.State.OPEN and review_a.finished_at is None
    assert [(e.actor, e.from_state, e.to_state, e.comment) for e in review_a.events.all()] == [
        (registrar_a, "open", "finished", ""),
        (district_a, "finished", "open", "两名学生学期中转入"),
    ]
    assert review_confirm(actor=registrar_a, review=review_a, student_ids=[students_a[0].pk]) == 1


@pytest.mark.parametrize("persona", ["registrar_a", "district_b", "bureau_other"])
def test_neither_the_school_nor_another_area_reopens_a_review(
    request, persona, registrar_a, review_a
):
    review_finish(actor=registrar_a, review=review_a)

    with pytest.raises(PermissionDenied):
        review_reopen(actor=request.getfixturevalue(persona), review=review_a, reason="补录")
