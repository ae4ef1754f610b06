"""The allocation of the seats: computed from the published ranking, confirmed by the
district as a whole, recorded once.

After the notice period, each programme's seats go to the applicants who met the standards,
in rank order (``allocation.deferred_acceptance``: with one choice each, simply the
best-ranked up to the seats). Confirming it recommends those within the seats, puts the
others who met the standards on the waiting list in rank order, and records the district did
not recommend those who did not; the ``Allocation`` row is the one audit entry of the whole.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.stored_text import text as stored_text
from schools.models import User

from ..models import Allocation, Application, Objection, TransferPolicy
from ..selectors import allocation_plan
from ..workflow import SEAT_HOLDING_STATES
from .assessment import assert_district_of
from .seats import lock_policy_quotas, move_to_preferred, place
from .transitions import application_transition

S = Application.State
GONE = frozenset({S.WITHDRAWN, S.INELIGIBLE})

#: Applicants an allocation page lists: those awaiting it, waiting, and seat holders.
PLACED_STATES = SEAT_HOLDING_STATES | {S.PUBLISHED, S.WAITLISTED}


def allocation_problems(
    policy: TransferPolicy, applications: list[Application], now: datetime.datetime
) -> list[str]:
    """What keeps the allocation from being confirmed now, each in words."""
    problems = []
    pending = sorted(a.pk for a in applications if a.state in (S.SUBMITTED, S.ELIGIBLE, S.ASSESSED))
    if pending:
        problems.append(
            _(
                "Applications %(numbers)s are not yet assessed and on notice: seats are "
                "allocated when every result is published."
            )
            % {"numbers": ", ".join(map(str, pending))}
        )
    awaiting = [a for a in applications if a.state == S.PUBLISHED]
    if not awaiting:
        problems.append(_("No applicant awaits the allocation."))
    on_notice = [a for a in awaiting if a.notice_ends_at() and now < a.notice_ends_at()]
    if on_notice:
        ends = max(a.notice_ends_at() for a in on_notice)
        problems.append(
            _("The public notice period is not over: it ends at %(ends)s.")
            % {"ends": timezone.localtime(ends).strftime("%Y-%m-%d %H:%M")}
        )
    open_objections = sorted(
        Objection.objects.filter(
            application__in=[a.pk for a in applications], state=Objection.State.OPEN
        ).values_list("application_id", flat=True)
    )
    if open_objections:
        problems.append(
            _("Answer the open objections first (applications %(numbers)s).")
            % {"numbers": ", ".join(map(str, open_objections))}
        )
    return problems


@transaction.atomic
def allocation_confirm(
    *, actor: User, policy: TransferPolicy, now: datetime.datetime | None = None
) -> Allocation:
    """The district confirms the allocation as a whole: one audit entry, and each applicant
    awaiting it recommended, put on the waiting list, or not recommended, with the reason."""
    assert_district_of(actor, policy)
    now = now or timezone.now()
    policy = TransferPolicy.objects.select_related("pilot_area").get(pk=policy.pk)
    # The seats first, then the applications: the order every seat step takes its locks in.
    lock_policy_quotas(policy)
    applications = list(
        Application.objects.select_for_update(of=("self",))
        .filter(policy=policy)
        .select_related("policy", "student")
        .order_by("pk")
    )
    problems = allocation_problems(policy, applications, now)
    if problems:
        raise ValidationError(problems)
    version = policy.results_versions.order_by("-number").first()
    if version is None:
        raise ValidationError(_("No applicant awaits the allocation."))
    plan = allocation_plan(policy, [a for a in applications if a.state not in GONE])
    number = policy.allocations.count() + 1
    for application in applications:
        if application.state in SEAT_HOLDING_STATES and application.pk not in plan.placed:
            if application.state in (S.APPROVED, S.COMPLETED):
                continue
            raise ValidationError(
                _("%(name)s holds a seat out of rank order; take the recommendation back first.")
                % {"name": application.student.name}
            )
    seats_of = {p.programme: p.seats for p in plan.programmes}
    for application in applications:
        programme = plan.placed.get(application.pk)
        if programme is not None:
            current = (application.to_school_id, application.to_major_id)
            comment = stored_text(
                gettext_noop("Within the %(seats)s seats (allocation %(number)s)"),
                seats=seats_of.get(programme, 0),
                number=number,
            )
            if application.state == S.PUBLISHED:
                place(application, programme, plan, actor=actor, comment=comment)
            elif application.state == S.WAITLISTED:
                place(application, programme, plan, actor=None, comment=comment)
            elif application.state == S.RECOMMENDED and programme != current:
                move_to_preferred(application, programme, plan, because=comment)
    for programme_plan in plan.programmes:
        for place_number, application in enumerate(programme_plan.waitlisted, start=1):
            if application.state == S.PUBLISHED:
                application_transition(
                    application=application,
                    to_state=S.WAITLISTED,
                    actor=actor,
                    comment=stored_text(
                        gettext_noop(
                            "Met the standards, outside the %(seats)s seats: number %(place)s "
                            "on the waiting list, moving up if a seat is freed."
                        ),
                        seats=programme_plan.seats,
                        place=place_number,
                    ),
                )
        for application in programme_plan.not_recommended:
            application_transition(
                application=application,
                to_state=S.NOT_RECOMMENDED,
                actor=actor,
                comment=stored_text(gettext_noop("Did not meet the standards.")),
            )
    return Allocation.objects.create(
        policy=policy,
        number=number,
        results_version=version,
        confirmed_at=now,
        confirmed_by=actor,
        programmes=[
            {
                "school": p.school_id,
                "major": p.major_id,
                "seats": p.seats,
                "recommended": [a.pk for a in p.recommended],
                "waitlisted": [a.pk for a in p.waitlisted],
                "not_recommended": [a.pk for a in p.not_recommended],
            }
            for p in plan.programmes
        ],
    )
