"""More than one choice: a policy may let a student list up to K ordered choices of major at
the paired school; each choice is ranked among those who chose it, and the seats go by
student-proposing deferred acceptance. A freed seat moves the next applicant up, to a better
choice where that is theirs."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from factories import saying
from transfer_world import (
    AFTER_NOTICE,
    PUBLISH_AT,
    SUBMIT_AT,
    approve_and_publish,
    draft_policy,
    drive,
    enrol,
    scores_for,
)

from transfers import services
from transfers.models import Application, ApplicationChoice, ApplicationEvent

S = Application.State
pytestmark = pytest.mark.django_db


def _policy(world, *, max_choices=2, seats=1):
    quotas = [
        services.QuotaSpec(world.vocational, world.major, seats),
        services.QuotaSpec(world.vocational, world.major_without_class, seats),
        services.QuotaSpec(world.general, world.major, seats),
        services.QuotaSpec(world.general, world.major_without_class, 0),
    ]
    draft = draft_policy(world, quotas=quotas)
    services.policy_update(actor=world.district, policy=draft, max_choices=max_choices)
    return approve_and_publish(world, draft)


def _apply(policy, student, majors):
    return services.application_submit(
        actor=student.user,
        policy=policy,
        to_major=majors[0],
        more_choices=majors[1:],
        reason="兴趣。",
        guardian_name="王芳",
        guardian_relation="母亲",
        guardian_phone="13800001111",
        guardian_consent_date=SUBMIT_AT.date(),
        now=SUBMIT_AT,
    )


@pytest.fixture
def three(world):
    """甲 (best), 乙, 丙 (worst) all list 计算机应用 then 电子商务; one seat in each."""
    policy = _policy(world)
    people = []
    for name, bonus in (("甲", 30), ("乙", 20), ("丙", 10)):
        application = _apply(
            policy, enrol(world, name=name), [world.major, world.major_without_class]
        )
        drive(world, application, S.ELIGIBLE)
        services.scores_enter(
            actor=world.district,
            policy=policy,
            scores={application.pk: scores_for(application, bonus=bonus)},
        )
        people.append(application)
    services.results_publish(actor=world.district, policy=policy, now=PUBLISH_AT)
    return policy, people


def _state(application):
    application.refresh_from_db()
    return (application.state, application.to_major_id)


def test_each_choice_is_ranked_and_the_seats_go_by_deferred_acceptance(world, three):
    policy, (jia, yi, bing) = three
    ranks = {
        (c.application_id, c.order): c.rank
        for c in ApplicationChoice.objects.filter(application__policy=policy)
    }
    assert ranks == {
        (jia.pk, 1): 1, (jia.pk, 2): 1,
        (yi.pk, 1): 2, (yi.pk, 2): 2,
        (bing.pk, 1): 3, (bing.pk, 2): 3,
    }  # fmt: skip

    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)

    # 甲 gets the first choice; 乙 the second (the first is 甲's); 丙 waits.
    assert _state(jia) == (S.RECOMMENDED, world.major.pk)
    assert _state(yi) == (S.RECOMMENDED, world.major_without_class.pk)
    assert _state(bing)[0] == S.WAITLISTED
    yi.refresh_from_db()
    assert yi.rank == 2  # the rank in the programme of the seat
    event = ApplicationEvent.objects.get(application=yi, to_state=S.RECOMMENDED)
    assert "choice 2" in event.comment


def test_a_freed_seat_moves_the_next_up_to_a_better_choice(world, three):
    policy, (jia, yi, bing) = three
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)

    services.application_withdraw(actor=jia.student.user, application=jia)

    # 乙 moves to the first choice, 丙 takes the second: both by the rule, both told.
    assert _state(yi) == (S.RECOMMENDED, world.major.pk)
    assert _state(bing) == (S.RECOMMENDED, world.major_without_class.pk)
    moved = ApplicationEvent.objects.filter(application=yi, actor=None).get()
    assert (moved.from_state, moved.to_state) == (S.RECOMMENDED, S.RECOMMENDED)
    assert "choice you prefer" in moved.comment
    assert saying(yi.student.user.notifications.all(), "choice you prefer", field="body")


def test_the_choices_are_checked_when_submitting(world):
    policy = _policy(world, max_choices=2)
    student = enrol(world)
    with pytest.raises(ValidationError, match="2 choices at most"):
        _apply(policy, student, [world.major, world.major_without_class, world.major_outside])
    with pytest.raises(ValidationError, match="different major"):
        _apply(policy, student, [world.major, world.major])
    with pytest.raises(ValidationError, match="not a cooperative major"):
        _apply(policy, student, [world.major, world.major_outside])
    assert not Application.objects.exists()


def test_one_choice_policies_take_one(world):
    policy = _policy(world, max_choices=1)
    with pytest.raises(ValidationError, match="1 choices at most"):
        _apply(policy, enrol(world), [world.major, world.major_without_class])


def test_the_notice_and_the_decision_say_which_choice(world, client, three):
    policy, (jia, yi, _bing) = three
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    client.force_login(yi.student.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    notice = client.get(reverse("transfers:notice", args=[policy.pk, 1])).content.decode()
    assert "Their choice" in notice
    assert "deferred acceptance" in notice
    page = client.get(reverse("transfers:application_detail", args=[yi.pk])).content.decode()
    assert "Your choices, in your order" in page
    assert "Outside the seats: better-ranked applicants who chose it took them" in page
    assert "Your seat" in page


def test_the_form_offers_the_further_choices_in_order(world, client):
    policy = _policy(world, max_choices=2)
    student = enrol(world)
    client.force_login(student.user)
    page = client.get(reverse("transfers:apply")).content.decode()
    assert 'name="choice_2"' in page and 'name="choice_3"' not in page
    assert policy.max_choices == 2
