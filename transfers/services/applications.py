"""A student's application, from submission to the bureau's decision.

Each named service checks its own rule (the window, the seats, the notice period) and then
changes the state through ``transitions``, the one module that writes an application's state
and its history.
"""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.stored_text import text as stored_text
from credits.models import CreditRecord
from schools.models import Guardianship, Major, Term, User
from students.models import StatusRecord, Student

from ..criteria import EARLIER_FIELDS, assert_criteria, assert_may_apply_again, once_message
from ..models import (
    Application,
    ApplicationChoice,
    Direction,
    SeatQuota,
    TransferPolicy,
)
from ..selectors import RANKED_STATES, objection_is_open, status_placement
from .completion import application_complete
from .seats import assert_seat_free, lock_policy_quotas, lock_quota, reallocate
from .transitions import application_created, application_transition

S = Application.State


def _first_semester(cohort_year: int) -> Term | None:
    return Term.objects.filter(
        academic_year__start_year=cohort_year, semester=Term.Semester.FIRST
    ).first()


def application_check_eligibility(
    *, student: Student, policy: TransferPolicy
) -> tuple[StatusRecord, str]:
    """Who may apply under a policy: a student of that cohort's integration classes in the
    area, with an active status at the class's host school (rule 3), and the first-semester
    credits the policy asks for. Returns the status and the direction, or raises."""
    status = (
        student.status_records.select_related(
            "integration_class__pairing", "school", "integration_class__host_school"
        )
        .filter(state=StatusRecord.State.ACTIVE)
        .first()
    )
    placement = status_placement(status)
    if (
        status is None
        or placement is None
        or placement[1] != policy.cohort_year
        or placement[0].pilot_area_id != policy.pilot_area_id
    ):
        raise ValidationError(
            _(
                "Only students of the %(year)s integration classes of %(area)s who are "
                "registered at the class's school may apply."
            )
            % {"year": policy.cohort_year, "area": policy.pilot_area.name}
        )
    if policy.min_first_semester_credits is not None:
        term = _first_semester(policy.cohort_year)
        # Credits earned, not their recognitions: after a move each counts once.
        earned = (
            CreditRecord.objects.filter(
                student=student, term=term, recognised_from__isnull=True
            ).aggregate(total=Sum("credits_earned"))["total"]
            or Decimal(0)
        ).quantize(Decimal("0.1"))
        if earned < policy.min_first_semester_credits:
            raise ValidationError(
                _(
                    "The policy asks for at least %(needed)s first-semester credits; "
                    "you have %(earned)s."
                )
                % {"needed": policy.min_first_semester_credits, "earned": earned}
            )
    direction = (
        Direction.GENERAL_TO_VOCATIONAL
        if status.track == "general"
        else Direction.VOCATIONAL_TO_GENERAL
    )
    return status, direction


#: The related rows ``application_submit`` reads itself before it checks the application.
SUBMIT_READ_ABOVE = ["student", "policy", "from_status", "from_school", "to_school", "to_major"]


@transaction.atomic
def application_submit(
    *,
    actor: User,
    policy: TransferPolicy,
    to_major: Major,
    reason: str,
    guardian_name: str,
    guardian_relation: str,
    guardian_phone: str,
    guardian_consent_date: datetime.date,
    more_choices: Sequence[Major] = (),
    now: datetime.datetime | None = None,
) -> Application:
    """Rule 4: a student of an integration class applies voluntarily, inside the window at the
    end of the first semester, to the paired school in one of its cooperative majors, once.
    Where the policy allows several choices, ``more_choices`` are the next ones, in order."""
    now = now or timezone.now()
    student = Student.objects.filter(user=actor).first()
    if actor.role != User.Role.STUDENT or student is None:
        raise PermissionDenied
    # Serialise this student's submissions so the second one gets the friendly message; the
    # constraints below (the attempt number unique per student and within the limit, one open
    # application at a time) are what make the rule hold whatever happens.
    Student.objects.select_for_update().filter(pk=student.pk).first()
    policy = TransferPolicy.objects.select_related("pilot_area").get(pk=policy.pk)
    earlier = list(Application.objects.filter(student=student).values_list(*EARLIER_FIELDS))
    transfer_back = assert_may_apply_again(earlier, policy)
    if not policy.window_is_open(now):
        raise ValidationError(
            _("Applications are accepted only while the window is open: %(opens)s to %(closes)s.")
            % {
                "opens": timezone.localtime(policy.window_opens).strftime("%Y-%m-%d %H:%M"),
                "closes": timezone.localtime(policy.window_closes).strftime("%Y-%m-%d %H:%M"),
            }
        )
    status, direction = application_check_eligibility(student=student, policy=policy)
    # Eligibility admits only students of an integration class, or moved from one (rule 3).
    placement = status_placement(status)
    assert placement is not None
    pairing = placement[0]
    to_school = pairing.partner_of(status.school)
    majors = [to_major, *more_choices]
    if len(majors) > policy.max_choices:
        raise ValidationError(
            _("This policy lets you list %(count)s choices at most.")
            % {"count": policy.max_choices}
        )
    if len({major.pk for major in majors}) != len(majors):
        raise ValidationError(_("Each choice is a different major."))
    assert_criteria(
        policy=policy,
        direction=direction,
        student=student,
        pairing=pairing,
        to_school=to_school,
        majors=majors,
    )
    cooperative = set(pairing.cooperations.values_list("major_id", flat=True))
    with_seats = set(
        SeatQuota.objects.filter(policy=policy, school=to_school, seats__gt=0).values_list(
            "major_id", flat=True
        )
    )
    for major in majors:
        if major.pk not in cooperative:
            raise ValidationError(
                {
                    "to_major": _("%(major)s is not a cooperative major of your school's pairing.")
                    % {"major": major.name}
                }
            )
        if major.pk not in with_seats:
            raise ValidationError(
                {
                    "to_major": _("%(school)s offers no seats in %(major)s under this policy.")
                    % {"school": to_school.name, "major": major.name}
                }
            )
    application = Application(
        student=student,
        policy=policy,
        from_status=status,
        from_school=status.school,
        to_school=to_school,
        to_major=to_major,
        direction=direction,
        reason=reason,
        guardian_name=guardian_name,
        guardian_relation=guardian_relation,
        guardian_phone=guardian_phone,
        guardian_consent_date=guardian_consent_date,
        attempt=len(earlier) + 1,
        attempts_allowed=policy.max_applications,
        transfer_back=transfer_back,
    )
    # Every related row was read above; asking the database again whether each exists would
    # cost six queries in the window's busiest minute.
    application.full_clean(exclude=SUBMIT_READ_ABOVE, validate_constraints=False)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise ValidationError(once_message(policy)) from exc
    ApplicationChoice.objects.bulk_create(
        ApplicationChoice(application=application, order=order, school=to_school, major=major)
        for order, major in enumerate(majors, start=1)
    )
    return application_created(application=application, actor=actor)


@transaction.atomic
def application_withdraw(*, actor: User, application: Application) -> Application:
    """The student may withdraw until the bureau decides; the one chance is still used. A
    seat they held goes to the next on the waiting list."""
    application = Application.objects.select_related("policy", "to_school", "to_major").get(
        pk=application.pk
    )
    # The seats' locks before the application's, in the order every seat step takes them.
    lock_policy_quotas(application.policy)
    held_seat = application.state == S.RECOMMENDED
    application = application_transition(
        application=application,
        to_state=S.WITHDRAWN,
        actor=actor,
        comment=stored_text(gettext_noop("Withdrawn")),
    )
    if held_seat:
        reallocate(
            application.policy,
            because=stored_text(
                gettext_noop("an applicant ranked %(rank)s withdrew"), rank=application.rank
            ),
        )
    return application


def guardian_may_confirm(user: User, application: Application) -> bool:
    """A guardian linked to the applicant's account confirms the consent once, while the
    application is still going."""
    return (
        user.role == User.Role.GUARDIAN
        and application.guardian_confirmed_at is None
        and application.state in Application.OPEN_STATES
        and application.state != S.APPROVED
        and application.student.user_id is not None
        and Guardianship.objects.filter(
            guardian=user, student_id=application.student.user_id
        ).exists()
    )


@transaction.atomic
def application_guardian_confirm(*, actor: User, application: Application) -> Application:
    """The guardian confirms, signed in to their own account, the consent the student
    declared on the application; the schools see who confirmed it and when."""
    application = (
        Application.objects.select_for_update().select_related("student").get(pk=application.pk)
    )
    if not guardian_may_confirm(actor, application):
        if application.guardian_confirmed_at is not None:
            raise ValidationError(_("The consent is already confirmed."))
        raise PermissionDenied
    application.guardian_confirmed_by = actor
    application.guardian_confirmed_at = timezone.now()
    application.save(update_fields=["guardian_confirmed_by", "guardian_confirmed_at"])
    return application


@transaction.atomic
def application_take_back(*, actor: User, application: Application, reason: str) -> Application:
    """Before the bureau decides, the district may take a recommendation back, saying why;
    the seat goes to the next on the waiting list, in rank order."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason the recommendation is taken back.")})
    application = Application.objects.select_related("policy", "to_school", "to_major").get(
        pk=application.pk
    )
    lock_policy_quotas(application.policy)
    application = application_transition(
        application=application,
        to_state=S.NOT_RECOMMENDED,
        actor=actor,
        comment=stored_text(gettext_noop("Recommendation taken back: %(reason)s"), reason=reason),
    )
    reallocate(
        application.policy,
        because=stored_text(
            gettext_noop("the recommendation of the applicant ranked %(rank)s was taken back"),
            rank=application.rank,
        ),
    )
    return application


def application_confirm_eligibility(
    *, actor: User, application: Application, eligible: bool, reason: str = ""
) -> Application:
    """The sending school's registrar confirms the applicant is eligible, or says why not."""
    if not eligible and not reason.strip():
        raise ValidationError({"reason": _("Give the reason the applicant is not eligible.")})
    return application_transition(
        application=application,
        to_state=S.ELIGIBLE if eligible else S.INELIGIBLE,
        actor=actor,
        comment=reason,
    )


def _notice_period_over(application: Application, now) -> bool:
    ends = application.notice_ends_at()
    return ends is not None and now >= ends


def _assert_no_better_rank_waits(application: Application) -> None:
    """Seats follow rank: no one is recommended while a better-ranked applicant of the same
    receiving school and major still waits for the district's decision."""
    if application.rank is None:
        return
    waiting = list(
        Application.objects.filter(
            policy_id=application.policy_id,
            to_school_id=application.to_school_id,
            to_major_id=application.to_major_id,
            state__in=RANKED_STATES,
            passed=True,
            rank__lt=application.rank,
        )
        .exclude(pk=application.pk)
        .order_by("rank")
        .values_list("rank", flat=True)
    )
    if waiting:
        raise ValidationError(
            _(
                "Decide first on the better-ranked applicants of this school and major "
                "(rank %(ranks)s): seats go in rank order."
            )
            % {"ranks": ", ".join(str(rank) for rank in waiting)}
        )


@transaction.atomic
def application_recommend(
    *,
    actor: User,
    application: Application,
    recommend: bool,
    comment: str = "",
    now: datetime.datetime | None = None,
) -> Application:
    """After the public notice period, the district recommends those who met the standards,
    within the receiving school's seats."""
    now = now or timezone.now()
    application = Application.objects.select_related("policy").get(pk=application.pk)
    if application.state == S.RECOMMENDED and not recommend:
        raise ValidationError(
            _("A recommendation is taken back with a reason, by the take-back step.")
        )
    if application.state == S.PUBLISHED:
        if not _notice_period_over(application, now):
            raise ValidationError(_("The public notice period has not ended yet."))
        if objection_is_open(application):
            raise ValidationError(_("Resolve the applicant's objection first."))
    if recommend:
        if application.passed is not True:
            raise ValidationError(_("Only an applicant who met the standards can be recommended."))
        # The quota row is the lock every recommendation and approval for these seats takes,
        # so two officers cannot both fill the last seat, nor pass over a better rank.
        quota = lock_quota(application)
        _assert_no_better_rank_waits(application)
        assert_seat_free(application, quota)
    return application_transition(
        application=application,
        to_state=S.RECOMMENDED if recommend else S.NOT_RECOMMENDED,
        actor=actor,
        comment=comment,
    )


@transaction.atomic
def application_approve(*, actor: User, application: Application) -> Application:
    """Rule 6: the bureau's approval makes the transfer final, and the status moves at once."""
    current = Application.objects.get(pk=application.pk)
    if current.state != S.RECOMMENDED:
        # Say what is wrong with the application before talking about seats.
        raise ValidationError(
            _("An application that is %(from)s cannot become %(to)s.")
            % {"from": current.get_state_display(), "to": S.APPROVED.label}
        )
    quota = lock_quota(application)
    assert_seat_free(application, quota)
    application = application_transition(
        application=application, to_state=S.APPROVED, actor=actor, comment=""
    )
    return application_complete(actor=actor, application=application)


@transaction.atomic
def application_reject(*, actor: User, application: Application, reason: str) -> Application:
    """The bureau refuses a recommended transfer, saying why; the seat goes to the next on
    the waiting list."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    application = Application.objects.select_related("policy", "to_school", "to_major").get(
        pk=application.pk
    )
    lock_policy_quotas(application.policy)
    application = application_transition(
        application=application, to_state=S.REJECTED, actor=actor, comment=reason
    )
    reallocate(
        application.policy,
        because=stored_text(
            gettext_noop("the bureau did not approve the applicant ranked %(rank)s"),
            rank=application.rank,
        ),
    )
    return application
