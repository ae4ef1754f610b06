"""The tie-break is part of the policy: the district chooses it (components' scores in an
order, or the earlier submission), the bureau approves it with the rest, and every page
that shows a rank states it."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from transfer_world import WRITTEN_AT, approve_and_publish, draft_policy, drive, enrol, submit

from transfers import services
from transfers.forms import PolicyForm
from transfers.models import Application, TransferPolicy

S = Application.State


def _tied(world, policy):
    """Two applicants to one programme with equal totals (76.00): the first submitted has
    the better written test, the second the better interview."""
    first = drive(world, submit(policy, enrol(world, name="甲")), S.ELIGIBLE)
    second = drive(world, submit(policy, enrol(world, name="乙")), S.ELIGIBLE)
    components = {c.kind: c.pk for c in policy.components.filter(direction=first.direction)}
    services.scores_enter(
        actor=world.district,
        policy=policy,
        scores={
            first.pk: {components["written"]: D(80), components["interview"]: D(70)},
            second.pk: {components["written"]: D(70), components["interview"]: D(85)},
        },
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.total_score == second.total_score == D("76.00")
    return first, second


def test_equal_totals_are_ranked_by_the_earlier_submission_when_the_policy_says_so(world):
    policy = approve_and_publish(world, draft_policy(world, tie_break=[]))

    first, second = _tied(world, policy)

    assert (first.rank, second.rank) == (1, 2)


def test_equal_totals_are_ranked_by_the_named_component_first(world):
    policy = approve_and_publish(world, draft_policy(world, tie_break=["面试"]))

    first, second = _tied(world, policy)

    assert (first.rank, second.rank) == (2, 1)


def test_a_version_without_a_tie_break_cannot_be_sent(world):
    policy = draft_policy(world)
    TransferPolicy.objects.filter(pk=policy.pk).update(tie_break=None)

    with pytest.raises(ValidationError, match="Choose how equal totals are ranked"):
        services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)


def test_a_tie_break_must_name_the_policys_components(world):
    with pytest.raises(ValidationError, match="names no component of this policy: 体育"):
        draft_policy(world, tie_break=["面试", "体育"])
    policy = draft_policy(world, tie_break=["面试"])
    with pytest.raises(ValidationError, match="names a component twice"):
        services.policy_update(actor=world.district, policy=policy, tie_break=["面试", "面试"])


def test_a_new_version_keeps_the_tie_break(world):
    first = approve_and_publish(world, draft_policy(world, tie_break=["专业基础知识", "面试"]))

    draft = services.policy_new_version(actor=world.district, policy=first)

    assert draft.tie_break == ["专业基础知识", "面试"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"tie_break_method": "submission", "tie_break_components": "语文"}, []),
        (
            {"tie_break_method": "components", "tie_break_components": "语文，数学, 英语"},
            ["语文", "数学", "英语"],
        ),
    ],
)
def test_the_form_reads_the_tie_break(db, data, expected):
    form = PolicyForm(
        {
            "title": "办法",
            "cohort_year": "2024",
            "window_opens": "2025-01-10T08:00",
            "window_closes": "2025-02-10T17:00",
            "notice_days": "5",
            **data,
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["tie_break"] == expected


def test_the_form_asks_for_the_subjects_when_they_break_ties(db):
    form = PolicyForm(
        {
            "title": "办法",
            "cohort_year": "2024",
            "window_opens": "2025-01-10T08:00",
            "window_closes": "2025-02-10T17:00",
            "notice_days": "5",
            "tie_break_method": "components",
            "tie_break_components": " ，",
        }
    )

    assert not form.is_valid()
    assert form.errors["tie_break_components"] == ["Name the subjects that break a tie."]


def test_the_pages_that_show_a_rank_state_the_tie_break(world, client):
    policy = approve_and_publish(world, draft_policy(world, tie_break=["面试"]))
    first, _second = _tied(world, policy)
    services.results_publish(actor=world.district, policy=policy)
    stated = "Equal totals are ranked by the score in 面试, in that order, then by the earlier"

    client.force_login(world.district)
    for url in (
        reverse("transfers:results", args=[policy.pk]),
        reverse("transfers:policy_detail", args=[policy.pk]),
        reverse("transfers:application_detail", args=[first.pk]),
        reverse("transfers:notice", args=[policy.pk, 1]),
    ):
        page = client.get(url, headers={"Accept-Language": "en"}).content.decode()
        assert stated in page, url


@pytest.mark.postgres
def test_an_approved_versions_tie_break_cannot_change(world):
    policy = approve_and_publish(world, draft_policy(world, tie_break=["面试"]))

    with pytest.raises(IntegrityError, match="policy_frozen"), transaction.atomic():
        TransferPolicy.objects.filter(pk=policy.pk).update(tie_break=[])

    policy.refresh_from_db()
    assert policy.tie_break == ["面试"]
