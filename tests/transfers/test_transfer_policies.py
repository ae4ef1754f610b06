"""Rule 9: a policy is approved by the bureau before use and versioned; an approved version
never changes, a change is a new version that supersedes it. Rule 4: the window lies at the
end of the cohort's first semester."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from transfer_world import (
    COHORT,
    WINDOW_CLOSES,
    WINDOW_OPENS,
    WRITTEN_AT,
    approve_and_publish,
    at,
    default_quotas,
    draft_policy,
    drive,
    enrol,
    publish_policy,
    submit,
)

from transfers import services
from transfers.models import Application, AssessmentComponent, SeatQuota, TransferPolicy

P = TransferPolicy.State
S = Application.State


def _content(policy):
    components = sorted(
        policy.components.values_list("direction", "kind", "name", "max_score", "pass_mark")
    )
    quotas = sorted(policy.quotas.values_list("school_id", "major_id", "seats"))
    return components, quotas


# --- approval ------------------------------------------------------------------------------


def test_a_draft_goes_to_the_bureau_and_is_approved_before_publication(world):
    policy = draft_policy(world)

    with pytest.raises(ValidationError, match="Only an approved version is published"):
        services.policy_publish(actor=world.district, policy=policy)
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    policy = services.policy_review(actor=world.bureau, policy=policy, approve=True, now=WRITTEN_AT)

    assert (policy.state, policy.approved_by) == (P.APPROVED, world.bureau)
    assert policy.approved_at is not None
    assert services.policy_publish(actor=world.district, policy=policy).state == P.PUBLISHED


def test_the_bureau_returns_a_draft_with_its_reasons_and_the_district_may_change_it(world):
    policy = draft_policy(world)
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)

    with pytest.raises(ValidationError, match="Say what must change"):
        services.policy_review(actor=world.bureau, policy=policy, approve=False, now=WRITTEN_AT)
    policy = services.policy_review(
        actor=world.bureau, policy=policy, approve=False, comment="名额过多。", now=WRITTEN_AT
    )
    assert (policy.state, policy.review_comment) == (P.RETURNED, "名额过多。")

    changed = services.policy_update(
        actor=world.district, policy=policy, quotas=default_quotas(world, seats=2)
    )
    assert {q.seats for q in changed.quotas.all()} == {2, 0}  # 0: offers none, said so


@pytest.mark.parametrize("reviewer", ["district", "bureau_other"])
def test_only_the_areas_bureau_approves(world, reviewer):
    policy = draft_policy(world)
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)

    with pytest.raises(PermissionDenied):
        services.policy_review(
            actor=getattr(world, reviewer), policy=policy, approve=True, now=WRITTEN_AT
        )

    policy.refresh_from_db()
    assert policy.state == P.PENDING


def test_another_areas_district_cannot_write_this_areas_policy(world):
    with pytest.raises(PermissionDenied):
        services.policy_create(
            actor=world.district_other,
            pilot_area=world.area,
            cohort_year=COHORT,
            title="越权",
            window_opens=WINDOW_OPENS,
            window_closes=WINDOW_CLOSES,
            components=[],
            quotas=[],
        )

    assert not TransferPolicy.objects.exists()


def test_a_second_first_version_for_the_cohort_is_refused(world):
    draft_policy(world)

    with pytest.raises(ValidationError, match="write a new version of it instead"):
        draft_policy(world)

    assert TransferPolicy.objects.count() == 1


def test_the_standards_need_a_written_test_an_interview_and_both_directions(world):
    only_g2v_written = [
        services.ComponentSpec("g2v", "written", "笔试", Decimal(100), Decimal(60), Decimal(1))
    ]

    with pytest.raises(ValidationError) as refused:
        services.policy_create(
            actor=world.district,
            pilot_area=world.area,
            cohort_year=COHORT,
            title="不完整",
            window_opens=WINDOW_OPENS,
            window_closes=WINDOW_CLOSES,
            components=only_g2v_written,
            quotas=[services.QuotaSpec(world.vocational, world.major_outside, 3)],
        )

    messages = " ".join(refused.value.message_dict["components"])
    assert "both directions" in messages
    assert "interview" in messages
    assert "no cooperative major 会计事务" in " ".join(refused.value.message_dict["quotas"])


# --- approved versions never change ---------------------------------------------------------


@pytest.mark.parametrize("state", [P.APPROVED, P.PUBLISHED])
def test_an_approved_version_can_no_longer_change_through_the_service(world, state):
    policy = draft_policy(world)
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    services.policy_review(actor=world.bureau, policy=policy, approve=True, now=WRITTEN_AT)
    if state == P.PUBLISHED:
        services.policy_publish(actor=world.district, policy=policy)
    before = _content(policy)

    with pytest.raises(ValidationError, match="Version 1 is .* and can no longer change"):
        services.policy_update(
            actor=world.district,
            policy=policy,
            window_closes=WINDOW_CLOSES - datetime.timedelta(days=1),
            quotas=default_quotas(world, seats=9),
        )

    policy.refresh_from_db()
    assert (policy.state, policy.window_closes) == (state, WINDOW_CLOSES)
    assert _content(policy) == before


def test_a_new_version_supersedes_the_published_one_when_it_is_published(world):
    v1 = publish_policy(world)

    v2 = services.policy_new_version(actor=world.district, policy=v1)

    assert (v2.version, v2.supersedes, v2.state) == (2, v1, P.DRAFT)
    assert _content(v2) == _content(v1)
    v1.refresh_from_db()
    assert v1.state == P.PUBLISHED  # still the rules students see, until v2 is approved
    v2 = services.policy_update(
        actor=world.district, policy=v2, quotas=default_quotas(world, seats=6)
    )

    approve_and_publish(world, v2)

    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.state, v2.state) == (P.SUPERSEDED, P.PUBLISHED)
    assert {q.seats for q in v1.quotas.all()} == {4, 0}
    assert {q.seats for q in v2.quotas.all()} == {6, 0}


def test_only_one_new_version_is_written_at_a_time(world):
    v1 = publish_policy(world)
    services.policy_new_version(actor=world.district, policy=v1)

    with pytest.raises(ValidationError, match="already being written"):
        services.policy_new_version(actor=world.district, policy=v1)

    assert TransferPolicy.objects.count() == 2


def test_a_draft_is_changed_in_place_not_by_a_new_version(world):
    with pytest.raises(ValidationError, match="Only an approved or published version"):
        services.policy_new_version(actor=world.district, policy=draft_policy(world))


def test_an_approved_version_superseded_before_publication_cannot_be_published(world):
    v1 = draft_policy(world)
    services.policy_submit(actor=world.district, policy=v1, now=WRITTEN_AT)
    services.policy_review(actor=world.bureau, policy=v1, approve=True, now=WRITTEN_AT)
    v2 = services.policy_new_version(actor=world.district, policy=v1)
    approve_and_publish(world, v2)

    v1.refresh_from_db()
    assert v1.state == P.SUPERSEDED  # retired, though it was never published
    with pytest.raises(ValidationError, match="Only an approved version is published"):
        services.policy_publish(actor=world.district, policy=v1)

    v2.refresh_from_db()
    assert v2.state == P.PUBLISHED


def test_seats_taken_under_the_previous_version_still_count(world):
    v1 = publish_policy(world, seats=1)
    drive(world, submit(v1, enrol(world)), S.RECOMMENDED)
    v2 = services.policy_new_version(actor=world.district, policy=v1)
    approve_and_publish(world, v2)
    late = drive(world, submit(v2, enrol(world)), S.PUBLISHED)

    with pytest.raises(ValidationError, match="All 1 seats of 余杭职业高级中学 in 计算机应用"):
        services.application_recommend(
            actor=world.district,
            application=late,
            recommend=True,
            now=late.notice_ends_at(),
        )


# --- the window (rule 4) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        (at(2024, 11, 1, 8), WINDOW_CLOSES),  # before the middle of the first semester
        (WINDOW_OPENS, at(2025, 2, 20, 8)),  # the day the second semester starts
        (at(2025, 3, 1, 8), at(2025, 3, 15, 17)),  # in the second semester
    ],
    ids=["opens-too-early", "closes-in-the-second-semester", "wholly-outside"],
)
def test_a_window_outside_the_end_of_the_first_semester_is_refused(world, opens, closes):
    with pytest.raises(ValidationError) as refused:
        draft_policy(world, window_opens=opens, window_closes=closes)

    assert refused.value.message_dict["window_opens"] == [
        "The application window lies at the end of the first semester of the 2024 cohort's "
        "first year: between Nov. 10, 2024 and Feb. 19, 2025."
    ]
    assert not TransferPolicy.objects.exists()


def test_the_window_may_span_the_whole_allowed_period(world):
    policy = draft_policy(
        world, window_opens=at(2024, 11, 10, 0), window_closes=at(2025, 2, 19, 23)
    )

    assert policy.window_closes == at(2025, 2, 19, 23)


def test_a_window_closing_before_it_opens_is_refused(world):
    with pytest.raises(ValidationError, match="must close after it opens"):
        draft_policy(world, window_opens=WINDOW_CLOSES, window_closes=WINDOW_OPENS)


def test_a_cohort_without_a_term_calendar_has_no_window(world):
    with pytest.raises(ValidationError, match="no first semester for the 2030 cohort"):
        services.policy_validate_window(
            cohort_year=2030, opens=at(2030, 12, 1), closes=at(2031, 1, 10)
        )


def test_a_window_change_on_a_draft_is_validated_too(world):
    policy = draft_policy(world)

    with pytest.raises(ValidationError, match="lies at the end of the first semester"):
        services.policy_update(actor=world.district, policy=policy, window_closes=at(2025, 3, 1))

    policy.refresh_from_db()
    assert policy.window_closes == WINDOW_CLOSES


def test_the_standards_and_seats_are_copied_rows_not_shared(world):
    v1 = publish_policy(world)
    v2 = services.policy_new_version(actor=world.district, policy=v1)

    assert not set(v1.components.values_list("pk", flat=True)) & set(
        v2.components.values_list("pk", flat=True)
    )
    assert AssessmentComponent.objects.count() == 2 * v1.components.count()
    assert SeatQuota.objects.count() == 2 * v1.quotas.count()
