"""A policy version's states move by its own transition table, and every move is kept in an
append-only history with who made it and their comment (rule 9: the bureau's reasons for
returning a version are kept, whatever a later review says)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from transfer_world import WRITTEN_AT, approve_and_publish, default_quotas, draft_policy, enrol

from transfers import services
from transfers.models import PolicyEvent, TransferPolicy
from transfers.workflow import NEW, POLICY_TRANSITIONS

P = TransferPolicy.State


def _history(policy):
    return list(
        PolicyEvent.objects.filter(policy=policy).values_list(
            "from_state", "to_state", "actor__username", "comment"
        )
    )


def test_every_change_of_a_version_is_kept_with_who_made_it_and_why(world):
    policy = draft_policy(world)
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    services.policy_review(
        actor=world.bureau, policy=policy, approve=False, comment="名额过多。", now=WRITTEN_AT
    )
    services.policy_update(
        actor=world.district, policy=policy, quotas=default_quotas(world, seats=2)
    )
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    services.policy_review(
        actor=world.bureau, policy=policy, approve=True, comment="同意。", now=WRITTEN_AT
    )
    services.policy_publish(actor=world.district, policy=policy)

    district, bureau = world.district.username, world.bureau.username
    assert _history(policy) == [
        (NEW, P.DRAFT, district, ""),
        (P.DRAFT, P.PENDING, district, ""),
        (P.PENDING, P.RETURNED, bureau, "名额过多。"),
        (P.RETURNED, P.PENDING, district, ""),
        (P.PENDING, P.APPROVED, bureau, "同意。"),
        (P.APPROVED, P.PUBLISHED, district, ""),
    ]


def test_publishing_a_new_version_records_the_retirement_of_the_old_one(world):
    first = approve_and_publish(world, draft_policy(world))
    second = services.policy_new_version(actor=world.district, policy=first)
    approve_and_publish(world, second)

    first.refresh_from_db()
    assert first.state == P.SUPERSEDED
    last = PolicyEvent.objects.filter(policy=first).last()
    assert (last.from_state, last.to_state, last.actor) == (
        P.PUBLISHED,
        P.SUPERSEDED,
        world.district,
    )
    assert "2" in last.comment
    assert _history(second)[0] == (NEW, P.DRAFT, world.district.username, "")


def test_every_move_the_services_make_is_in_the_table(world):
    first = approve_and_publish(world, draft_policy(world))
    approve_and_publish(world, services.policy_new_version(actor=world.district, policy=first))

    moves = set(PolicyEvent.objects.values_list("from_state", "to_state"))
    assert moves <= set(POLICY_TRANSITIONS)
    assert (P.PUBLISHED, P.SUPERSEDED) in moves


def test_a_move_outside_the_table_is_refused_and_writes_nothing(world):
    policy = draft_policy(world)
    before = PolicyEvent.objects.count()

    with pytest.raises(ValidationError, match="not awaiting approval"):
        services.policy_review(actor=world.bureau, policy=policy, approve=True, now=WRITTEN_AT)

    assert PolicyEvent.objects.count() == before
    policy.refresh_from_db()
    assert policy.state == P.DRAFT


def test_the_policy_page_shows_the_history_to_staff_but_not_to_students(world, client):
    policy = draft_policy(world)
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    services.policy_review(
        actor=world.bureau, policy=policy, approve=False, comment="名额过多。", now=WRITTEN_AT
    )
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    services.policy_review(
        actor=world.bureau, policy=policy, approve=True, comment="同意。", now=WRITTEN_AT
    )
    services.policy_publish(actor=world.district, policy=policy)
    url = reverse("transfers:policy_detail", args=[policy.pk])

    client.force_login(world.district)
    page = client.get(url).content.decode()
    # The returned version's reasons stay on the page after the approval.
    assert "名额过多。" in page and "同意。" in page
    assert 'id="history"' in page

    client.force_login(enrol(world).user)
    page = client.get(url).content.decode()
    assert page.count(policy.title) >= 1
    assert 'id="history"' not in page and "名额过多。" not in page


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda rows: rows.update(to_state=P.DRAFT),
        lambda rows: rows.update(comment="改写"),
        lambda rows: rows.delete(),
    ],
    ids=["update-state", "update-comment", "delete"],
)
@pytest.mark.owner  # the trigger itself; the app role is refused before it (test_app_role)
def test_policy_events_cannot_be_rewritten(world, rewrite):
    policy = approve_and_publish(world, draft_policy(world))
    before = list(PolicyEvent.objects.values_list("pk", "to_state", "comment"))

    with (
        pytest.raises(IntegrityError, match="policyevent: history is append-only"),
        transaction.atomic(),
    ):
        rewrite(PolicyEvent.objects.filter(policy=policy))

    assert list(PolicyEvent.objects.values_list("pk", "to_state", "comment")) == before


def test_a_policy_event_refuses_a_second_save(world):
    event = PolicyEvent.objects.filter(policy=draft_policy(world)).get()
    event.comment = "改写"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
