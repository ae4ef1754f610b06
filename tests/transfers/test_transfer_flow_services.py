"""One application through every state, via the services only: the policy's approval and
publication, the application, eligibility, assessment, public notice with an objection that
corrects a score, recommendation, the bureau's approval and the atomic move (rules 4–10)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from factories import saying
from transfer_world import (
    AFTER_NOTICE,
    DURING_NOTICE,
    NOTICE_DAYS,
    PUBLISH_AT,
    WRITTEN_AT,
    draft_policy,
    drive,
    enrol,
    give_credits,
    scores_for,
    submit,
)

from credits.models import CreditRecord
from notifications.models import Notification
from students.models import StatusRecord
from transfers import services
from transfers.models import (
    Application,
    ApplicationEvent,
    Objection,
    Score,
    ScoreCorrection,
    TransferPolicy,
)

S = Application.State
D = Decimal


def _counts():
    return {
        "status records": StatusRecord.objects.count(),
        "credit records": CreditRecord.objects.count(),
        "events": ApplicationEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


@pytest.mark.parametrize("origin", ["general", "vocational"])
def test_an_application_goes_through_every_state_and_moves_status_and_credits(world, origin):
    from_school = getattr(world, origin)
    to_school = world.partner_of(from_school)
    student = enrol(world, school=from_school, name="张三")
    origins = give_credits(world, student)
    old_status = student.status_records.get()

    # Rule 9: written by the district, approved by the bureau, then published.
    policy = draft_policy(world)
    assert policy.state == TransferPolicy.State.DRAFT
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    policy = services.policy_review(actor=world.bureau, policy=policy, approve=True, now=WRITTEN_AT)
    assert (policy.state, policy.approved_by) == (TransferPolicy.State.APPROVED, world.bureau)
    policy = services.policy_publish(actor=world.district, policy=policy)
    assert policy.state == TransferPolicy.State.PUBLISHED

    # Rule 4: the student applies inside the window.
    application = submit(policy, student, major=world.major)
    assert (application.state, application.from_school, application.to_school) == (
        S.SUBMITTED,
        from_school,
        to_school,
    )
    assert application.direction == ("g2v" if origin == "general" else "v2g")

    registrar = world.registrar_of(from_school)
    services.application_confirm_eligibility(
        actor=registrar, application=application, eligible=True
    )

    # Rule 5: written test and interview, scored by the district, then published.
    given = scores_for(application)
    services.scores_enter(actor=world.district, policy=policy, scores={application.pk: given})
    application.refresh_from_db()
    assert (application.state, application.passed, application.rank) == (S.ASSESSED, True, 1)
    assert services.results_publish(actor=world.district, policy=policy, now=PUBLISH_AT) == 1
    application.refresh_from_db()
    assert application.state == S.PUBLISHED
    assert application.results_published_at == PUBLISH_AT

    # Rule 10: an objection during the notice period, upheld with a corrected score.
    written = policy.components.get(direction=application.direction, kind="written")
    objection = services.objection_lodge(
        actor=student.user, application=application, text="笔试漏判一题。", now=DURING_NOTICE
    )
    total_before = application.total_score
    services.objection_resolve(
        actor=world.district,
        objection=objection,
        upheld=True,
        resolution="复核后笔试加 8 分。",
        corrections={written.pk: given[written.pk] + 8},
        now=DURING_NOTICE,
    )
    correction = ScoreCorrection.objects.get(score__application=application)
    assert (correction.old_value, correction.new_value) == (
        given[written.pk],
        given[written.pk] + 8,
    )
    assert correction.corrected_by == world.district
    assert Score.objects.get(application=application, component=written).value == (
        given[written.pk] + 8
    )
    application.refresh_from_db()
    assert application.total_score > total_before
    assert Objection.objects.get(pk=objection.pk).state == Objection.State.UPHELD

    # The corrected total is a new version of the results, and the notice period starts
    # again for the applicant whose line changed.
    versions = list(application.policy.results_versions.all())
    assert [v.number for v in versions] == [1, 2]
    assert [c["why"] for c in versions[1].changes] == ["corrected"]
    assert application.results_published_at == DURING_NOTICE
    with pytest.raises(ValidationError, match="notice period"):
        services.application_recommend(
            actor=world.district, application=application, recommend=True, now=AFTER_NOTICE
        )

    # Rule 6: recommended after the notice period, final when the bureau approves.
    services.application_recommend(
        actor=world.district,
        application=application,
        recommend=True,
        now=DURING_NOTICE + datetime.timedelta(days=NOTICE_DAYS, hours=1),
    )
    application = services.application_approve(actor=world.bureau, application=application)
    assert application.state == S.COMPLETED

    # Rule 8: the old registration is closed, naming the application; one active at the
    # receiving school, in the major and that school's integration class.
    old_status.refresh_from_db()
    today = timezone.localdate()  # the date in China, where the schools are
    assert (old_status.state, old_status.end_date) == (StatusRecord.State.TRANSFERRED_OUT, today)
    assert str(application.pk) in old_status.reason
    new_status = StatusRecord.objects.get(student=student, state=StatusRecord.State.ACTIVE)
    assert application.new_status == new_status
    assert (new_status.school, new_status.major) == (to_school, world.major)
    assert new_status.integration_class == world.class_at(to_school)
    assert new_status.track == ("vocational" if origin == "general" else "general")
    assert new_status.start_date == today

    # Rule 7: funding for a move to a vocational school only.
    if to_school.kind == "vocational":
        assert new_status.funding_eligible_from == new_status.start_date
    else:
        assert new_status.funding_eligible_from is None

    # Rule 7: each origin record is recognised once at the receiving school, linked back.
    by_course_rule, by_category_rule = origins
    recognised = CreditRecord.objects.filter(student=student, recognised_from__isnull=False)
    assert {r.recognised_from for r in recognised} == set(origins)
    assert all(r.course.school == to_school for r in recognised)
    same_course = recognised.get(recognised_from=by_course_rule)
    assert (
        same_course.course
        == world.courses[f"{'vocational' if origin == 'general' else 'general'}_chinese"]
    )
    assert same_course.credits_earned == by_course_rule.credits_earned
    by_category = recognised.get(recognised_from=by_category_rule)
    assert by_category.course.category == by_category_rule.course.category
    assert by_category.credits_earned == D("1.5")  # 3.0 at half weight
    assert by_category.term == by_category_rule.term

    # The history: every transition, in order, with who made it.
    events = list(application.events.order_by("pk"))
    assert [(e.from_state, e.to_state, e.actor) for e in events] == [
        ("", S.SUBMITTED, student.user),
        (S.SUBMITTED, S.ELIGIBLE, registrar),
        (S.ELIGIBLE, S.ASSESSED, world.district),
        (S.ASSESSED, S.PUBLISHED, world.district),
        (S.PUBLISHED, S.RECOMMENDED, world.district),
        (S.RECOMMENDED, S.APPROVED, world.bureau),
        (S.APPROVED, S.COMPLETED, world.bureau),
    ]

    # Everyone concerned was told of every step; nobody outside the scope was.
    concerned = {
        student.user,
        world.registrar_general,
        world.registrar_vocational,
        world.district,
        world.bureau,
    }
    notifications = Notification.objects.filter(application=application)
    assert {n.recipient for n in notifications} == concerned
    # One per transition for everyone concerned, and the objection's answer and the
    # corrected results on top.
    results = saying(notifications, "Results of application", start=True)
    transitions = [
        n
        for n in notifications
        if n not in results and n not in saying(notifications, "Objection", start=True)
    ]
    for user in concerned:
        assert any(n.recipient == user for n in results)
    for user in concerned:
        assert len([n for n in transitions if n.recipient == user]) == len(events)
    answer = saying(notifications, "Objection to application", start=True)
    assert {n.recipient for n in answer} == concerned
    lodged = saying(notifications, "Objection to the results", start=True)
    assert {n.recipient for n in lodged} == {world.district}
    assert saying(notifications.filter(recipient=student.user), "Completed")

    # Carrying out the transfer again changes nothing.
    before = _counts()
    again = services.application_complete(actor=world.bureau, application=application)
    assert again.state == S.COMPLETED
    assert again.new_status == new_status
    assert _counts() == before


def test_a_major_without_a_class_at_the_receiving_school_leaves_the_class_empty(
    world, policy, applicant
):
    application = drive(
        world, submit(policy, applicant, major=world.major_without_class), S.COMPLETED
    )

    new_status = application.new_status
    assert (new_status.school, new_status.major) == (world.vocational, world.major_without_class)
    assert new_status.integration_class is None


def test_a_student_without_credit_records_moves_with_nothing_to_recognise(world, policy):
    student = enrol(world)

    application = drive(world, submit(policy, student), S.COMPLETED)

    assert application.new_status.school == world.vocational
    assert not CreditRecord.objects.filter(student=student).exists()


def test_completing_a_transfer_twice_recognises_each_credit_once(world, policy, applicant):
    application = drive(world, submit(policy, applicant), S.COMPLETED)
    recognised = CreditRecord.objects.filter(recognised_from__isnull=False).count()

    services.application_complete(actor=world.bureau, application=application)

    assert recognised == 2
    assert CreditRecord.objects.filter(recognised_from__isnull=False).count() == 2


def test_rejection_leaves_the_student_where_they_are(world, policy, applicant):
    application = drive(world, submit(policy, applicant), S.RECOMMENDED)

    with pytest.raises(ValidationError, match="reason"):
        services.application_reject(actor=world.bureau, application=application, reason=" ")
    services.application_reject(
        actor=world.bureau, application=application, reason="实训条件暂不具备。"
    )

    application.refresh_from_db()
    assert application.state == S.REJECTED
    assert application.new_status is None
    status = StatusRecord.objects.get(student=applicant, state=StatusRecord.State.ACTIVE)
    assert status.school == world.general
    assert not CreditRecord.objects.filter(recognised_from__isnull=False).exists()
