"""What a policy version's page offers and what keeps a version from being sent or approved."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from schools.models import Pairing, Term, User

from ..models import (
    AssessmentComponent,
    Direction,
    PolicyEvent,
    TransferPolicy,
)
from ..workflow import POLICY_ACTIONS, policy_may_move


def policy_actions_for(user, policy: TransferPolicy) -> set[str]:
    """What the user may do on a policy version's page: the moves the policy's transition
    table gives their role (in their area: the page is scoped already), editing a draft or a
    returned version, and starting a new version of an approved or published one."""
    actions = {
        name
        for name, to_state in POLICY_ACTIONS.items()
        if policy_may_move(policy.state, to_state, user.role)
    }
    if "submit" in actions and policy_problems(policy):
        actions.discard("submit")  # the page says what is missing instead
    if user.role == User.Role.DISTRICT:
        if policy.is_editable:
            actions.add("edit")
        if policy.state in (TransferPolicy.State.APPROVED, TransferPolicy.State.PUBLISHED):
            actions.add("new_version")
    return actions


def policy_problems_for(user, policy: TransferPolicy) -> list[str]:
    """What is missing from a version, for the district writing it and the bureau reviewing
    it; nothing for anyone else, or once it is approved."""
    staff = user.role in (User.Role.DISTRICT, User.Role.BUREAU)
    if not staff or not (policy.is_editable or policy.state == TransferPolicy.State.PENDING):
        return []
    return policy_problems(policy)


def policy_history(user, policy: TransferPolicy) -> QuerySet[PolicyEvent] | None:
    """A version's history, for the staff who write and approve policies; None for others."""
    if not (user.sees_everything or user.role in (User.Role.DISTRICT, User.Role.BUREAU)):
        return None
    return policy.events.select_related(*(f"actor__{name}" for name in User.SIGNATURE_RELATED))


def policy_window_bounds(cohort_year: int) -> tuple[datetime.date, datetime.date]:
    """Rule 4: applications are made at the end of the first semester of the first year.

    We read that as: from the middle of the cohort's first semester until the day before the
    second semester starts (the winter break included, when results are usually known).
    """
    terms = {
        term.semester: term for term in Term.objects.filter(academic_year__start_year=cohort_year)
    }
    first = terms.get(Term.Semester.FIRST)
    if first is None:
        raise ValidationError(
            _("The term calendar has no first semester for the %(year)s cohort; add it first.")
            % {"year": cohort_year}
        )
    opens = first.start_date + (first.end_date - first.start_date) / 2
    second = terms.get(Term.Semester.SECOND)
    closes = (
        second.start_date - datetime.timedelta(days=1)
        if second
        else first.end_date + datetime.timedelta(days=21)
    )
    return opens, closes


def policy_problems(policy: TransferPolicy, now: datetime.datetime | None = None) -> list[str]:
    """What keeps a version from going to the bureau, or from being approved; each message
    names its rule. Empty when the version is complete.

    - Rule 5: each direction is assessed by a written test and an interview.
    - The weights of a direction's components add up to 1, so a total is on the scale of the
      components' scores and two directions' totals compare.
    - Rule 4: the window lies at the end of the cohort's first semester and has not closed.
    - Every receiving school of the area's pairings gives its seats in each cooperative major,
      or says it offers none (0 seats).
    - Equal totals are ranked by a stated rule.
    """
    now = now or timezone.now()
    problems = []
    try:
        earliest, latest = policy_window_bounds(policy.cohort_year)
    except ValidationError as exc:
        problems.extend(exc.messages)
    else:
        opens = timezone.localtime(policy.window_opens).date()
        closes = timezone.localtime(policy.window_closes).date()
        if opens < earliest or closes > latest:
            problems.append(
                _(
                    "The application window must lie at the end of the %(year)s cohort's first "
                    "semester, between %(earliest)s and %(latest)s (rule 4)."
                )
                % {
                    "year": policy.cohort_year,
                    "earliest": date_format(earliest),
                    "latest": date_format(latest),
                }
            )
    if policy.window_closes <= now:
        problems.append(
            _(
                "The application window closed on %(closes)s: no student could apply. Move "
                "it to dates still to come (rule 4)."
            )
            % {"closes": date_format(timezone.localtime(policy.window_closes).date())}
        )
    given = set(policy.quotas.values_list("school_id", "major_id"))
    pairings = Pairing.objects.filter(pilot_area_id=policy.pilot_area_id).select_related(
        "general_school", "vocational_school"
    )
    for pairing in pairings.prefetch_related("cooperations__major").order_by("pk"):
        for cooperation in pairing.cooperations.all():
            for school in (pairing.general_school, pairing.vocational_school):
                if (school.pk, cooperation.major_id) not in given:
                    problems.append(
                        _(
                            "%(school)s gives no seats in the cooperative major %(major)s: "
                            "give its seats, or 0 to say it offers none."
                        )
                        % {"school": school.name, "major": cooperation.major.name}
                    )
    if policy.tie_break is None:
        problems.append(
            _(
                "Choose how equal totals are ranked: by components' scores in an order, or by "
                "the earlier submission (the ranking must be one anyone can check)."
            )
        )
    components = list(policy.components.all())
    for direction, label in Direction.choices:
        own = [c for c in components if c.direction == direction]
        kinds = {c.kind for c in own}
        if AssessmentComponent.Kind.WRITTEN not in kinds:
            problems.append(
                _("%(direction)s has no written test (rule 5: a written test and an interview).")
                % {"direction": label}
            )
        if AssessmentComponent.Kind.INTERVIEW not in kinds:
            problems.append(
                _("%(direction)s has no interview (rule 5: a written test and an interview).")
                % {"direction": label}
            )
        total = sum((c.weight for c in own), Decimal(0))
        if own and total != Decimal(1):
            problems.append(
                _(
                    "The weights of %(direction)s add up to %(total)s; they must add up to 1, "
                    "so that a total is on the scale of the scores."
                )
                % {"direction": label, "total": total}
            )
    return problems


def results_version_latest(policy: TransferPolicy):
    return policy.results_versions.order_by("-number").first()
