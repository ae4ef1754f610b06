"""The receiving schools' seats: the lock every step that gives or frees one takes, and the
rule that fills a freed seat from the waiting list.

Seats are the receiving school's, not a policy version's: every version of the area's policy
for the cohort counts against the same quota rows, so every step locks all of them, in one
order (``lock_quota``). A step that frees a seat (a withdrawal, a recommendation taken back,
the bureau's rejection) fills it in the same transaction from the waiting list, in rank order.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Application, SeatQuota
from ..selectors import seats_taken
from .transitions import application_transition_by_rule

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


def fill_freed_seats(application: Application, quota: SeatQuota, *, because: str) -> list:
    """After ``application`` gave up its seat (the caller holds ``quota``'s lock): the
    best-ranked applicants on the programme's waiting list move up, as many as there are
    free seats, each told why."""
    free = free_seats(application, quota)
    if free <= 0:
        return []
    waiting = list(
        Application.objects.filter(
            policy_id=application.policy_id,
            to_school_id=application.to_school_id,
            to_major_id=application.to_major_id,
            state=S.WAITLISTED,
        ).order_by("rank", "pk")[:free]
    )
    return [
        application_transition_by_rule(
            application=moved,
            to_state=S.RECOMMENDED,
            comment=_("Moved up from the waiting list into the seats: %(because)s.")
            % {"because": because},
        )
        for moved in waiting
    ]
