"""A policy is complete before anyone can send or approve it: each direction is assessed by a
written test and an interview (rule 5), and a direction's weights add up to 1. A draft may be
saved incomplete; the page says what is missing."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from transfer_world import (
    WINDOW_CLOSES,
    WINDOW_OPENS,
    WRITTEN_AT,
    default_quotas,
    draft_policy,
)

from transfers import services
from transfers.models import PolicyEvent, TransferPolicy

P = TransferPolicy.State

NO_V2G_INTERVIEW = [
    ("g2v", "written", "专业基础知识", D(100), D(60), D("0.6")),
    ("g2v", "interview", "面试", D(100), D(60), D("0.4")),
    ("v2g", "written", "语数英", D(150), D(90), D(1)),
]
WEIGHTS_SHORT = [
    ("g2v", "written", "专业基础知识", D(100), D(60), D("0.3")),
    ("g2v", "interview", "面试", D(100), D(60), D("0.3")),
    ("v2g", "written", "语数英", D(150), D(90), D("0.6")),
    ("v2g", "interview", "面试", D(100), D(60), D("0.4")),
]


def _with(world, standards):
    policy = draft_policy(world)
    return services.policy_update(
        actor=world.district,
        policy=policy,
        components=[services.ComponentSpec(*row) for row in standards],
    )


def test_a_direction_without_an_interview_cannot_be_sent(world):
    policy = _with(world, NO_V2G_INTERVIEW)

    with pytest.raises(ValidationError, match=r"Vocational → general has no interview \(rule 5"):
        services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)

    policy.refresh_from_db()
    assert policy.state == P.DRAFT
    assert list(PolicyEvent.objects.filter(policy=policy).values_list("to_state", flat=True)) == [
        P.DRAFT
    ]


def test_weights_that_do_not_add_up_to_one_cannot_be_sent(world):
    policy = _with(world, WEIGHTS_SHORT)

    with pytest.raises(ValidationError) as refused:
        services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)

    assert refused.value.messages == [
        "The weights of General → vocational add up to 0.60; they must add up to 1, so that a "
        "total is on the scale of the scores."
    ]


def test_the_bureau_cannot_approve_an_incomplete_version(world):
    policy = draft_policy(world)
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    # Past the services, as a version written before the check would be.
    policy.components.filter(direction="v2g", kind="interview").delete()

    with pytest.raises(ValidationError, match="has no interview"):
        services.policy_review(actor=world.bureau, policy=policy, approve=True, now=WRITTEN_AT)
    # Returning it with the reasons is still possible.
    returned = services.policy_review(
        actor=world.bureau, policy=policy, approve=False, comment="缺少面试。", now=WRITTEN_AT
    )
    assert returned.state == P.RETURNED


def test_a_complete_version_has_no_problems(world):
    assert services.policy_problems(draft_policy(world), WRITTEN_AT) == []


def test_a_window_that_has_closed_cannot_be_sent_nor_approved(world):
    policy = draft_policy(world)
    after_it_closed = WINDOW_CLOSES + datetime.timedelta(minutes=1)

    with pytest.raises(ValidationError) as refused:
        services.policy_submit(actor=world.district, policy=policy, now=after_it_closed)
    assert refused.value.messages == [
        "The application window closed on Feb. 10, 2025: no student could apply. Move it to "
        "dates still to come (rule 4)."
    ]
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    with pytest.raises(ValidationError, match="window closed"):
        services.policy_review(actor=world.bureau, policy=policy, approve=True, now=after_it_closed)


def test_a_window_outside_the_end_of_the_first_semester_cannot_be_sent(world):
    policy = draft_policy(world)
    # Past the services, which refuse such a window when it is written: the calendar may
    # change after a draft is saved.
    TransferPolicy.objects.filter(pk=policy.pk).update(
        window_opens=WINDOW_OPENS - datetime.timedelta(days=120)
    )
    with pytest.raises(ValidationError, match=r"must lie at the end of the 2024 cohort's first"):
        services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)


def test_every_receiving_school_gives_seats_in_each_cooperative_major_or_says_none(world):
    without_general = [q for q in default_quotas(world, seats=4) if q.school.pk != world.general.pk]
    policy = draft_policy(world, quotas=without_general)

    with pytest.raises(ValidationError) as refused:
        services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    assert refused.value.messages == [
        f"{world.general.name} gives no seats in the cooperative major {major.name}: give its "
        "seats, or 0 to say it offers none."
        for major in (world.major, world.major_without_class)
    ]
    # Saying "none" (0 seats) explicitly is complete; students cannot apply there.
    services.policy_update(
        actor=world.district,
        policy=policy,
        quotas=[
            *without_general,
            services.QuotaSpec(world.general, world.major, 0),
            services.QuotaSpec(world.general, world.major_without_class, 0),
        ],
    )
    assert services.policy_problems(policy, WRITTEN_AT) == []


def test_a_policy_offers_seats_somewhere(world):
    nowhere = [services.QuotaSpec(q.school, q.major, 0) for q in default_quotas(world, seats=1)]
    with pytest.raises(ValidationError, match="Offer seats in at least one major"):
        draft_policy(world, quotas=nowhere)


def test_the_form_adds_rows_without_saving_and_keeps_what_was_typed(world, client):
    client.force_login(world.district)
    url = reverse("transfers:policy_new")
    page = client.get(url).content.decode()
    assert page.count('name="components-') > 0
    data = {
        "title": "新办法",
        "cohort_year": "2024",
        "components-TOTAL_FORMS": "3",
        "components-INITIAL_FORMS": "0",
        "components-0-name": "语文",
        "quotas-TOTAL_FORMS": "3",
        "quotas-INITIAL_FORMS": "0",
        "add_components": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="components-3-name"' in body  # one more row
    assert 'name="components-4-name"' not in body
    assert 'value="语文"' in body and 'value="新办法"' in body  # nothing typed is lost
    assert not TransferPolicy.objects.filter(title="新办法").exists()  # nothing saved
    assert "errorlist" not in body and "invalid-feedback" not in body


def test_the_policy_page_tells_the_district_what_is_missing(world, client):
    policy = _with(world, NO_V2G_INTERVIEW)
    client.force_login(world.district)

    page = client.get(reverse("transfers:policy_detail", args=[policy.pk])).content.decode()

    assert 'data-testid="policy-problems"' in page
    assert "has no interview" in page
    assert reverse("transfers:policy_submit", args=[policy.pk]) not in page


def test_the_policy_form_shows_what_is_missing(world, client):
    policy = _with(world, WEIGHTS_SHORT)
    client.force_login(world.district)

    page = client.get(reverse("transfers:policy_edit", args=[policy.pk])).content.decode()

    assert 'data-testid="policy-problems"' in page
    assert "add up to 0.60" in page
