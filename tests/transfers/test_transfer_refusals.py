"""What the workflow refuses: moves the transition table does not list, actors of the wrong
role or scope, applications outside the window, a second application, targets outside the
pairing, ineligible students, more transfers than seats, and objections out of time."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from factories import CourseFactory, CreditRecordFactory, IntegrationClassFactory
from transfer_world import (
    AFTER_NOTICE,
    DURING_NOTICE,
    PUBLISH_AT,
    SUBMIT_AT,
    WINDOW_CLOSES,
    WINDOW_OPENS,
    WRITTEN_AT,
    draft_policy,
    drive,
    enrol,
    publish_policy,
    shrink_quota,
    submit,
)

from core.exceptions import NotFound
from notifications.models import Notification
from students.models import StatusRecord
from students.services import status_close
from transfers import services
from transfers.models import Application, ApplicationEvent, SeatQuota
from transfers.services.applications import application_transition

S = Application.State
D = Decimal


def _withdraw(world, application):
    return services.application_withdraw(actor=application.student.user, application=application)


def _eligible(world, application, actor=None):
    return services.application_confirm_eligibility(
        actor=actor or world.registrar_of(application.from_school),
        application=application,
        eligible=True,
    )


def _approve(world, application, actor=None):
    return services.application_approve(actor=actor or world.bureau, application=application)


# (the state to reach, what is tried, what is refused, the message)
ILLEGAL_MOVES = {
    "submitted-to-approved": (
        S.SUBMITTED,
        _approve,
        ValidationError,
        "Submitted cannot become Approved by the bureau",
    ),
    "submitted-to-not-recommended": (
        S.SUBMITTED,
        lambda w, a: services.application_recommend(
            actor=w.district, application=a, recommend=False, now=AFTER_NOTICE
        ),
        ValidationError,
        "Submitted cannot become Not recommended",
    ),
    "withdrawn-to-eligible": (
        S.WITHDRAWN,
        _eligible,
        ValidationError,
        "Withdrawn cannot become Eligible",
    ),
    "assessed-to-withdrawn": (
        S.ASSESSED,
        _withdraw,
        ValidationError,
        "Assessed cannot become Withdrawn",
    ),
    "published-to-completed": (
        S.PUBLISHED,
        lambda w, a: application_transition(application=a, to_state=S.COMPLETED, actor=w.bureau),
        ValidationError,
        "Results published cannot become Completed",
    ),
    "published-carried-out": (
        S.PUBLISHED,
        lambda w, a: services.application_complete(actor=w.bureau, application=a),
        ValidationError,
        "Only an approved transfer",
    ),
    "recommended-to-eligible": (
        S.RECOMMENDED,
        _eligible,
        ValidationError,
        "Recommended cannot become Eligible",
    ),
    "completed-to-rejected": (
        S.COMPLETED,
        lambda w, a: services.application_reject(actor=w.bureau, application=a, reason="不同意"),
        ValidationError,
        "Completed cannot become Rejected by the bureau",
    ),
    "completed-to-withdrawn": (
        S.COMPLETED,
        _withdraw,
        ValidationError,
        "Completed cannot become Withdrawn",
    ),
    # Wrong role: the actor may see the application but the table names another role.
    "student-confirms-own-eligibility": (
        S.SUBMITTED,
        lambda w, a: _eligible(w, a, actor=a.student.user),
        PermissionDenied,
        "Your role cannot move an application from Submitted to Eligible",
    ),
    "registrar-withdraws-for-the-student": (
        S.SUBMITTED,
        lambda w, a: services.application_withdraw(actor=w.registrar_general, application=a),
        PermissionDenied,
        "Your role cannot move an application from Submitted to Withdrawn",
    ),
    "district-approves": (
        S.RECOMMENDED,
        lambda w, a: _approve(w, a, actor=w.district),
        PermissionDenied,
        "Your role cannot move an application from Recommended to Approved",
    ),
    # Wrong scope: not yours looks like not there.
    "receiving-registrar-confirms-eligibility": (
        S.SUBMITTED,
        lambda w, a: _eligible(w, a, actor=w.registrar_vocational),
        NotFound,
        None,
    ),
    "other-areas-registrar-confirms-eligibility": (
        S.SUBMITTED,
        lambda w, a: _eligible(w, a, actor=w.registrar_other),
        NotFound,
        None,
    ),
    "another-student-withdraws": (
        S.SUBMITTED,
        lambda w, a: services.application_withdraw(actor=enrol(w).user, application=a),
        NotFound,
        None,
    ),
    "other-citys-bureau-approves": (
        S.RECOMMENDED,
        lambda w, a: _approve(w, a, actor=w.bureau_other),
        NotFound,
        None,
    ),
    "other-areas-district-scores": (
        S.ELIGIBLE,
        lambda w, a: services.scores_enter(
            actor=w.district_other, policy=a.policy, scores={a.pk: {}}
        ),
        NotFound,
        None,
    ),
    "other-areas-district-recommends": (
        S.PUBLISHED,
        lambda w, a: services.application_recommend(
            actor=w.district_other, application=a, recommend=True, now=AFTER_NOTICE
        ),
        NotFound,
        None,
    ),
}


def _reach(world, application, state):
    if state == S.WITHDRAWN:
        return _withdraw(world, application)
    return drive(world, application, state)


@pytest.mark.parametrize(
    ("state", "attempt", "refusal", "message"),
    ILLEGAL_MOVES.values(),
    ids=ILLEGAL_MOVES.keys(),
)
def test_an_illegal_move_is_refused_and_changes_nothing(
    world, policy, applicant, state, attempt, refusal, message
):
    application = _reach(world, submit(policy, applicant), state)
    events, notifications = ApplicationEvent.objects.count(), Notification.objects.count()

    with pytest.raises(refusal, match=message):
        attempt(world, application)

    application.refresh_from_db()
    assert application.state == state
    assert ApplicationEvent.objects.count() == events
    assert Notification.objects.count() == notifications
    assert StatusRecord.objects.filter(student=applicant).count() == 1 + (state == S.COMPLETED)


def test_a_refused_reason_is_required_to_find_an_applicant_ineligible(world, policy, applicant):
    application = submit(policy, applicant)

    with pytest.raises(ValidationError, match="reason the applicant is not eligible"):
        services.application_confirm_eligibility(
            actor=world.registrar_general, application=application, eligible=False, reason=" "
        )

    application.refresh_from_db()
    assert application.state == S.SUBMITTED


# --- the window (rule 4) ---------------------------------------------------------------------

WINDOW_MESSAGE = "only while the window is open: 2025-01-10 08:00 to 2025-02-10 17:00"


@pytest.mark.parametrize(
    "now",
    [WINDOW_OPENS - datetime.timedelta(hours=1), WINDOW_CLOSES + datetime.timedelta(minutes=1)],
    ids=["an-hour-before-opening", "a-minute-after-closing"],
)
def test_a_submission_outside_the_window_is_refused(policy, applicant, now):
    with pytest.raises(ValidationError, match=WINDOW_MESSAGE):
        submit(policy, applicant, now=now)

    assert not Application.objects.filter(student=applicant).exists()


@pytest.mark.parametrize("now", [WINDOW_OPENS, WINDOW_CLOSES], ids=["opening", "closing"])
def test_the_window_includes_its_first_and_last_minute(policy, applicant, now):
    assert submit(policy, applicant, now=now).state == S.SUBMITTED


def test_a_policy_not_yet_published_takes_no_application(world, applicant):
    policy = draft_policy(world)
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    services.policy_review(actor=world.bureau, policy=policy, approve=True, now=WRITTEN_AT)

    with pytest.raises(ValidationError, match="only while the window is open"):
        submit(policy, applicant)

    assert not Application.objects.exists()


# --- once only (rule 4) ----------------------------------------------------------------------


def test_a_second_submission_after_withdrawal_is_refused(world, policy, applicant):
    first = submit(policy, applicant)
    _withdraw(world, first)

    with pytest.raises(ValidationError, match="only once"):
        submit(policy, applicant)

    assert list(Application.objects.filter(student=applicant)) == [first]


def test_a_second_submission_after_being_found_ineligible_is_refused(world, policy, applicant):
    first = submit(policy, applicant)
    services.application_confirm_eligibility(
        actor=world.registrar_general, application=first, eligible=False, reason="长期缺勤"
    )

    with pytest.raises(ValidationError, match="only once"):
        submit(policy, applicant, major=world.major_without_class)

    assert Application.objects.filter(student=applicant).count() == 1


def test_staff_cannot_submit_an_application(world, policy):
    with pytest.raises(PermissionDenied):
        services.application_submit(
            actor=world.registrar_general,
            policy=policy,
            to_major=world.major,
            reason="代为申请",
            guardian_name="王芳",
            guardian_relation="母亲",
            guardian_phone="13800001111",
            guardian_consent_date=SUBMIT_AT.date(),
            now=SUBMIT_AT,
        )

    assert not Application.objects.exists()


# --- the target (rule 2) ---------------------------------------------------------------------


def test_a_major_outside_the_pairing_is_refused(world, policy, applicant):
    with pytest.raises(ValidationError, match="会计事务 is not a cooperative major"):
        submit(policy, applicant, major=world.major_outside)

    assert not Application.objects.exists()


def test_a_cooperative_major_without_seats_at_the_partner_is_refused(
    world, policy, vocational_applicant
):
    # The general school offers seats in 计算机应用 only.
    with pytest.raises(ValidationError, match="余杭高级中学 offers no seats in 电子商务"):
        submit(policy, vocational_applicant, major=world.major_without_class)

    assert not Application.objects.exists()


# --- eligibility (rules 3 and 4) -------------------------------------------------------------

NOT_IN_A_CLASS = "Only students of the 2024 integration classes of 余杭区"


def test_a_student_outside_the_integration_classes_is_refused(world, policy):
    student = enrol(world, in_class=False)

    with pytest.raises(ValidationError, match=NOT_IN_A_CLASS):
        submit(policy, student)

    assert not Application.objects.exists()


def test_a_student_of_another_cohorts_class_is_refused(world, policy):
    student = enrol(world)
    older = IntegrationClassFactory(
        pairing=world.pairing, host_school=world.general, major=world.major, cohort_year=2023
    )
    StatusRecord.objects.filter(student=student).update(integration_class=older)

    with pytest.raises(ValidationError, match=NOT_IN_A_CLASS):
        submit(policy, student)


def test_a_student_whose_registration_has_ended_is_refused(world, policy, applicant):
    status_close(
        record=applicant.status_records.get(),
        state=StatusRecord.State.WITHDRAWN,
        end_date=SUBMIT_AT.date(),
        reason="退学",
    )

    with pytest.raises(ValidationError, match=NOT_IN_A_CLASS):
        submit(policy, applicant)


def test_the_first_semester_credit_minimum_is_enforced(world, applicant):
    policy = publish_policy(world, min_first_semester_credits=D("10.0"))
    # The applicant fixture earned 2.0 + 3.0 in the first semester.

    # SQLite sums to 5, PostgreSQL to 5.0.
    with pytest.raises(ValidationError, match=r"at least 10\.0 first-semester credits; you have 5"):
        submit(policy, applicant)
    assert not Application.objects.exists()

    CreditRecordFactory(
        student=applicant,
        course=CourseFactory(school=world.general, name="数学", credit_value=D("5.0")),
        term=world.first_term,
    )
    assert submit(policy, applicant).state == S.SUBMITTED


def test_a_student_without_any_credit_record_is_refused_under_a_minimum(world):
    policy = publish_policy(world, min_first_semester_credits=D("0.5"))

    with pytest.raises(ValidationError, match="you have 0"):
        submit(policy, enrol(world))


# --- seats -----------------------------------------------------------------------------------


@pytest.fixture
def one_seat_two_passed(world):
    """A policy with one seat per quota, and two applicants for the same seat who met the
    standards, results published: the first ranked above the second."""
    policy = publish_policy(world, seats=1)
    first, second = (submit(policy, enrol(world)) for _ in range(2))
    for application, bonus in ((first, 5), (second, 0)):
        drive(world, application, S.ASSESSED, bonus=bonus)
    services.results_publish(actor=world.district, policy=policy, now=PUBLISH_AT)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.rank, second.rank) == (1, 2)
    return first, second


def _recommend(world, application, recommend=True):
    return services.application_recommend(
        actor=world.district, application=application, recommend=recommend, now=AFTER_NOTICE
    )


def test_recommending_beyond_the_seats_is_refused(world, one_seat_two_passed):
    first, second = one_seat_two_passed
    _recommend(world, first)

    with pytest.raises(ValidationError, match="All 1 seats of 余杭职业高级中学 in 计算机应用"):
        _recommend(world, second)

    second.refresh_from_db()
    assert second.state == S.PUBLISHED
    assert _recommend(world, second, recommend=False).state == S.NOT_RECOMMENDED


def test_a_seat_freed_by_the_bureaus_rejection_can_be_recommended_again(world, one_seat_two_passed):
    first, second = one_seat_two_passed
    _recommend(world, first)
    services.application_reject(actor=world.bureau, application=first, reason="材料不全")

    assert _recommend(world, second).state == S.RECOMMENDED


@pytest.mark.owner  # shrink_quota switches a trigger off, as only the owner may
def test_approval_is_refused_when_the_seats_are_full(world):
    policy = publish_policy(world, seats=2)
    first, second = (drive(world, submit(policy, enrol(world)), S.RECOMMENDED) for _ in range(2))
    quota = SeatQuota.objects.get(policy=policy, school=world.vocational, major=world.major)
    shrink_quota(quota, 1)

    for application in (first, second):
        with pytest.raises(ValidationError, match="All 1 seats .* are taken"):
            _approve(world, application)

    assert set(Application.objects.values_list("state", flat=True)) == {S.RECOMMENDED}
    assert not StatusRecord.objects.filter(school=world.vocational).exists()


def test_only_an_applicant_who_met_the_standards_is_recommended(world, policy, applicant):
    application = drive(world, submit(policy, applicant), S.PUBLISHED, passed=False)

    with pytest.raises(ValidationError, match="Only an applicant who met the standards"):
        _recommend(world, application)

    assert _recommend(world, application, recommend=False).state == S.NOT_RECOMMENDED


# --- public notice and objections (rule 10) --------------------------------------------------


@pytest.fixture
def published(world, policy, applicant):
    return drive(world, submit(policy, applicant), S.PUBLISHED)


def test_recommending_during_the_notice_period_is_refused(world, published):
    with pytest.raises(ValidationError, match="notice period has not ended"):
        services.application_recommend(
            actor=world.district, application=published, recommend=True, now=DURING_NOTICE
        )

    published.refresh_from_db()
    assert published.state == S.PUBLISHED


def test_an_open_objection_holds_the_recommendation_back(world, published):
    services.objection_lodge(
        actor=published.student.user, application=published, text="面试评分不公", now=DURING_NOTICE
    )

    with pytest.raises(ValidationError, match="Resolve the applicant's objection first"):
        _recommend(world, published)

    published.refresh_from_db()
    assert published.state == S.PUBLISHED


def test_an_objection_after_the_notice_period_is_refused(published):
    with pytest.raises(ValidationError, match="only during the public notice period"):
        services.objection_lodge(
            actor=published.student.user, application=published, text="异议", now=AFTER_NOTICE
        )


def test_a_second_objection_is_refused(published):
    student = published.student.user
    services.objection_lodge(actor=student, application=published, text="一", now=DURING_NOTICE)

    with pytest.raises(ValidationError, match="already lodged your one objection"):
        services.objection_lodge(actor=student, application=published, text="二", now=DURING_NOTICE)


def test_a_dismissed_objection_corrects_no_score(world, published):
    objection = services.objection_lodge(
        actor=published.student.user, application=published, text="异议", now=DURING_NOTICE
    )
    component = published.scores.first().component

    with pytest.raises(ValidationError, match="only when the objection is upheld"):
        services.objection_resolve(
            actor=world.district,
            objection=objection,
            upheld=False,
            resolution="维持原成绩",
            corrections={component.pk: D(99)},
        )

    assert published.scores.get(component=component).value != D(99)
    assert not published.scores.filter(corrections__isnull=False).exists()


# --- the move itself -------------------------------------------------------------------------


def test_approval_is_refused_when_the_old_registration_has_ended(world, policy, applicant):
    application = drive(world, submit(policy, applicant), S.RECOMMENDED)
    status_close(
        record=application.from_status,
        state=StatusRecord.State.WITHDRAWN,
        end_date=SUBMIT_AT.date(),
        reason="退学",
    )

    with pytest.raises(ValidationError, match="no longer active"):
        _approve(world, application)

    application.refresh_from_db()
    assert application.state == S.RECOMMENDED
    assert not StatusRecord.objects.filter(student=applicant, state="active").exists()
