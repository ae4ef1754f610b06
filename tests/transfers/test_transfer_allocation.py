"""Seats by allocation: confirmed as a whole after the notice period, in rank order, with a
waiting list that moves up when a seat is freed (a withdrawal, a recommendation taken back,
the bureau's rejection), each move told to the student."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from factories import saying
from transfer_world import (
    AFTER_NOTICE,
    DURING_NOTICE,
    drive,
    enrol,
    published_ranking,
    scores_for,
    submit,
)

from notifications.models import Notification
from transfers import services
from transfers.models import Allocation, Application, ApplicationEvent
from transfers.selectors import seat_order_violations

S = Application.State
pytestmark = pytest.mark.django_db


def _states(applications):
    return [Application.objects.get(pk=a.pk).state for a in applications]


def test_confirming_the_allocation_recommends_the_best_ranked_up_to_the_seats(world):
    policy, ranked = published_ranking(world, seats=2, bonuses=[5, 20, 10, 1, None])

    record = services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)

    assert _states(ranked) == [
        S.RECOMMENDED,
        S.RECOMMENDED,
        S.WAITLISTED,
        S.WAITLISTED,
        S.NOT_RECOMMENDED,
    ]
    # One audit entry for the whole, naming every applicant in rank order.
    assert Allocation.objects.count() == 1
    programme = next(p for p in record.programmes if p["recommended"])
    assert programme["seats"] == 2
    assert programme["recommended"] == [a.pk for a in ranked[:2]]
    assert programme["waitlisted"] == [a.pk for a in ranked[2:4]]
    assert programme["not_recommended"] == [ranked[4].pk]
    assert record.confirmed_by == world.district
    assert record.results_version.number == 1
    comment = ApplicationEvent.objects.get(application=ranked[3], to_state=S.WAITLISTED).comment
    assert "number 2 on the waiting list" in comment
    assert seat_order_violations(policy) == []


def test_the_allocation_waits_for_the_notice_period_and_the_objections(world):
    policy, ranked = published_ranking(world, seats=2, bonuses=[5, 10])
    with pytest.raises(ValidationError, match="notice period is not over"):
        services.allocation_confirm(actor=world.district, policy=policy, now=DURING_NOTICE)
    services.objection_lodge(
        actor=ranked[1].student.user,
        application=ranked[1],
        text="面试分数有误。",
        now=DURING_NOTICE,
    )
    with pytest.raises(ValidationError, match="open objections"):
        services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    assert not Allocation.objects.exists()
    assert _states(ranked) == [S.PUBLISHED, S.PUBLISHED]


def test_the_allocation_waits_for_every_result_and_is_not_confirmed_twice(world):
    policy, ranked = published_ranking(world, seats=2, bonuses=[5])
    late = submit(policy, enrol(world))
    with pytest.raises(ValidationError, match=f"Applications {late.pk} are not yet assessed"):
        services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    services.application_withdraw(actor=late.student.user, application=late)
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    with pytest.raises(ValidationError, match="No applicant awaits the allocation"):
        services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    assert Allocation.objects.count() == 1


def test_only_the_areas_district_confirms_it(world):
    from core.exceptions import NotFound

    policy, _ranked = published_ranking(world, seats=2, bonuses=[5])
    with pytest.raises(NotFound):
        services.allocation_confirm(actor=world.district_other, policy=policy, now=AFTER_NOTICE)


@pytest.mark.parametrize("how", ["take back", "withdraw", "reject"])
def test_a_freed_seat_goes_to_the_next_on_the_waiting_list_who_is_told(world, how):
    policy, ranked = published_ranking(world, seats=2, bonuses=[30, 20, 10, 5])
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    first = ranked[0]
    if how == "take back":
        with pytest.raises(ValidationError, match="Give the reason"):
            services.application_take_back(actor=world.district, application=first, reason=" ")
        services.application_take_back(
            actor=world.district, application=first, reason="材料核查发现学籍信息不符。"
        )
        gone = S.NOT_RECOMMENDED
    elif how == "withdraw":
        services.application_withdraw(actor=first.student.user, application=first)
        gone = S.WITHDRAWN
    else:
        services.application_reject(actor=world.bureau, application=first, reason="名额调整。")
        gone = S.REJECTED

    # Rank 3 moves up, by the rule (no actor), saying why; rank 4 still waits.
    assert _states(ranked) == [gone, S.RECOMMENDED, S.RECOMMENDED, S.WAITLISTED]
    moved = ApplicationEvent.objects.get(application=ranked[2], to_state=S.RECOMMENDED)
    assert moved.actor is None
    assert moved.from_state == S.WAITLISTED
    assert "Moved up from the waiting list" in moved.comment
    assert "ranked 1" in moved.comment
    assert saying(
        Notification.objects.filter(application=ranked[2], recipient=ranked[2].student.user),
        "Recommended",
    )
    assert seat_order_violations(policy) == []


def test_a_student_can_withdraw_from_the_waiting_list_without_moving_anyone(world):
    policy, ranked = published_ranking(world, seats=1, bonuses=[30, 20, 10])
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    services.application_withdraw(actor=ranked[1].student.user, application=ranked[1])
    assert _states(ranked) == [S.RECOMMENDED, S.WITHDRAWN, S.WAITLISTED]


def test_one_by_one_recommendations_still_follow_rank(world):
    policy, ranked = published_ranking(world, seats=2, bonuses=[30, 20, 10])
    with pytest.raises(ValidationError, match="seats go in rank order"):
        services.application_recommend(
            actor=world.district, application=ranked[1], recommend=True, now=AFTER_NOTICE
        )


def test_a_late_score_that_would_pass_over_a_seat_holder_is_refused(world):
    policy, ranked = published_ranking(world, seats=1, bonuses=[5])
    late = submit(policy, enrol(world))
    drive(world, late, S.ELIGIBLE)
    services.application_recommend(
        actor=world.district, application=ranked[0], recommend=True, now=AFTER_NOTICE
    )
    with pytest.raises(ValidationError, match="already holds a seat"):
        services.scores_enter(
            actor=world.district,
            policy=policy,
            scores={late.pk: scores_for(late, bonus=20)},
        )
    late.refresh_from_db()
    assert late.state == S.ELIGIBLE
    assert late.total_score is None
    # A lower total passes over no one and is taken.
    services.scores_enter(
        actor=world.district, policy=policy, scores={late.pk: scores_for(late, bonus=1)}
    )
    late.refresh_from_db()
    assert (late.state, late.rank) == (S.ASSESSED, 2)


def test_the_take_back_is_only_the_districts_and_only_before_the_bureau_decides(world):
    from django.core.exceptions import PermissionDenied

    policy, ranked = published_ranking(world, seats=1, bonuses=[5])
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    with pytest.raises(PermissionDenied):
        services.application_take_back(actor=world.bureau, application=ranked[0], reason="不行")
    services.application_approve(actor=world.bureau, application=ranked[0])
    with pytest.raises(ValidationError, match="cannot become"):
        services.application_take_back(actor=world.district, application=ranked[0], reason="晚了")


def test_the_notice_period_after_a_correction_is_the_new_one(world):
    policy, ranked = published_ranking(world, seats=1, bonuses=[30, 5])
    objection = services.objection_lodge(
        actor=ranked[1].student.user, application=ranked[1], text="笔试漏判。", now=DURING_NOTICE
    )
    component = ranked[1].scores.order_by("pk").first()
    services.objection_resolve(
        actor=world.district,
        objection=objection,
        upheld=True,
        resolution="复核加分。",
        corrections={component.component_id: component.value + 1},
        now=DURING_NOTICE,
    )
    with pytest.raises(ValidationError, match="ends at"):
        services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    later = DURING_NOTICE + datetime.timedelta(days=policy.notice_days, hours=1)
    services.allocation_confirm(actor=world.district, policy=policy, now=later)
    assert Allocation.objects.get().results_version.number == 2
