"""The receiving schools' seats: the lock every step that gives or frees one takes, and the
rule that fills a freed seat from the waiting list.

Seats are the receiving school's, not a policy version's: every version of the area's policy
for the cohort counts against the same quota rows, so every step locks all of them, in one
order (``lock_quota``). A step that frees a seat (a withdrawal, a recommendation taken back,
the bureau's rejection) takes every quota lock of the policy first (``lock_policy_quotas``)
and then fills it in the same transaction, by the allocation's rule (``reallocate``).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.stored_text import Piece
from core.stored_text import text as stored_text
from schools.models import Major, User

from ..models import Application, SeatQuota, TransferPolicy
from ..selectors import Plan, Programme, allocation_plan, seats_taken
from .transitions import application_transition, application_transition_by_rule

S = Application.State


def lock_quota(application: Application) -> SeatQuota:
    """Lock the receiving school's quota rows for this major in every version of the policy,
    in one order, and return the one of the application's own version."""
    policy = application.policy
    quotas = list(
        SeatQuota.objects.select_for_update()
        .filter(
            policy__pilot_area_id=policy.pilot_area_id,
            policy__cohort_year=policy.cohort_year,
            school_id=application.to_school_id,
            major_id=application.to_major_id,
        )
        .select_related("school", "major")
        .order_by("pk")
    )
    for quota in quotas:
        if quota.policy_id == application.policy_id:
            return quota
    raise ValidationError(
        _("%(school)s offers no seats in %(major)s under this policy.")
        % {"school": application.to_school.name, "major": application.to_major.name}
    )


def lock_policy_quotas(policy) -> list[SeatQuota]:
    """Every quota row of the area's policies for the cohort, locked in the same order as
    ``lock_quota`` takes them: what the allocation of a whole policy holds."""
    return list(
        SeatQuota.objects.select_for_update()
        .filter(policy__pilot_area_id=policy.pilot_area_id, policy__cohort_year=policy.cohort_year)
        .order_by("pk")
    )


def free_seats(application: Application, quota: SeatQuota) -> int:
    taken = seats_taken(
        application.policy,
        school_id=quota.school_id,
        major_id=quota.major_id,
        excluding=application,
    ).get((quota.school_id, quota.major_id), 0)
    return quota.seats - taken


def assert_seat_free(application: Application, quota: SeatQuota) -> None:
    """Seats are the receiving school's, whatever version an applicant came in under."""
    if free_seats(application, quota) <= 0:
        raise ValidationError(
            _("All %(seats)s seats of %(school)s in %(major)s are taken.")
            % {"seats": quota.seats, "school": quota.school.name, "major": quota.major.name}
        )


def _choice_words(plan: Plan, application: Application, programme: Programme) -> Piece:
    order = plan.choice_order(application.pk, programme)
    major = Major.objects.filter(pk=programme[1]).values_list("name", flat=True).first() or ""
    return stored_text(
        gettext_noop("choice %(order)s, %(major)s, at rank %(rank)s"),
        order=order,
        major=major,
        rank=plan.rank_in(application.pk, programme),
    )


def place(
    application: Application,
    programme: Programme,
    plan: Plan,
    *,
    actor: User | None,
    comment: Piece,
) -> Application:
    """Give an applicant the seat the plan gives them: the application now names that
    programme (its rank there) and is recommended; by ``actor``, or by the rule."""
    Application.objects.filter(pk=application.pk).update(
        to_school_id=programme[0],
        to_major_id=programme[1],
        rank=plan.rank_in(application.pk, programme),
    )
    comment = [comment, " (", _choice_words(plan, application, programme), ")"]
    if actor is None:
        return application_transition_by_rule(
            application=application, to_state=S.RECOMMENDED, comment=comment
        )
    return application_transition(
        application=application, to_state=S.RECOMMENDED, actor=actor, comment=comment
    )


def reallocate(policy: TransferPolicy, *, because: Piece) -> list[Application]:
    """After a seat was freed (the caller holds every quota lock of the policy): the
    allocation is computed again and applied by the rule to those it moves up, each told why:
    one on the waiting list takes a seat, or one recommended moves to a choice they prefer.

    A better-ranked applicant not yet allocated (scored after the allocation) keeps the seat
    the plan gives them until the district confirms the next allocation: nobody is moved past
    them."""
    applications = list(
        Application.objects.select_for_update(of=("self",))
        .filter(policy=policy)
        .exclude(state__in=[S.WITHDRAWN, S.INELIGIBLE])
        .order_by("pk")
    )
    plan = allocation_plan(policy, applications)
    moved = []
    for application in applications:
        programme = plan.placed.get(application.pk)
        if programme is None:
            continue
        current = (application.to_school_id, application.to_major_id)
        if application.state == S.WAITLISTED:
            moved.append(
                place(
                    application,
                    programme,
                    plan,
                    actor=None,
                    comment=stored_text(
                        gettext_noop("Moved up from the waiting list into the seats: %(because)s"),
                        because=because,
                    ),
                )
            )
        elif application.state == S.RECOMMENDED and programme != current:
            moved.append(move_to_preferred(application, programme, plan, because=because))
    return moved


def move_to_preferred(
    application: Application, programme: Programme, plan: Plan, *, because: Piece
) -> Application:
    """A recommended applicant moves, by the rule, to a seat of a choice they prefer."""
    Application.objects.filter(pk=application.pk).update(
        to_school_id=programme[0],
        to_major_id=programme[1],
        rank=plan.rank_in(application.pk, programme),
    )
    return application_transition_by_rule(
        application=application,
        to_state=S.RECOMMENDED,
        comment=stored_text(
            gettext_noop("Moved up to a choice you prefer: %(because)s (%(choice)s)"),
            because=because,
            choice=_choice_words(plan, application, programme),
        ),
    )
