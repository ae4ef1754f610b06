"""A policy is complete before anyone can send or approve it: each direction is assessed by a
written test and an interview (rule 5), and a direction's weights add up to 1. A draft may be
saved incomplete; the page says what is missing."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from transfer_world import draft_policy

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
        services.policy_submit(actor=world.district, policy=policy)

    policy.refresh_from_db()
    assert policy.state == P.DRAFT
    assert list(PolicyEvent.objects.filter(policy=policy).values_list("to_state", flat=True)) == [
        P.DRAFT
    ]


def test_weights_that_do_not_add_up_to_one_cannot_be_sent(world):
    policy = _with(world, WEIGHTS_SHORT)

    with pytest.raises(ValidationError) as refused:
        services.policy_submit(actor=world.district, policy=policy)

    assert refused.value.messages == [
        "The weights of General → vocational add up to 0.60; they must add up to 1, so that a "
        "total is on the scale of the scores."
    ]


def test_the_bureau_cannot_approve_an_incomplete_version(world):
    policy = draft_policy(world)
    services.policy_submit(actor=world.district, policy=policy)
    # Past the services, as a version written before the check would be.
    policy.components.filter(direction="v2g", kind="interview").delete()

    with pytest.raises(ValidationError, match="has no interview"):
        services.policy_review(actor=world.bureau, policy=policy, approve=True)
    # Returning it with the reasons is still possible.
    returned = services.policy_review(
        actor=world.bureau, policy=policy, approve=False, comment="缺少面试。"
    )
    assert returned.state == P.RETURNED


def test_a_complete_version_has_no_problems(world):
    assert services.policy_problems(draft_policy(world)) == []


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
