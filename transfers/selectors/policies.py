"""What a policy version's page offers and what keeps a version from being sent or approved."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.workdays import is_working_day
from schools.models import Pairing, Term, User

from ..models import (
    AssessmentComponent,
    Direction,
    PolicyEvent,
    TransferPolicy,
    WindowTerm,
)
from ..rules import pack_of, rule_source
from ..workflow import POLICY_ACTIONS, policy_may_move

#: How long after the window the notice of its results may run, at the latest.
NOTICE_HORIZON = datetime.timedelta(days=60)


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


def policy_window_bounds(
    cohort_year: int, term: str = WindowTerm.G10_S1, lead_days: int = 0
) -> tuple[datetime.date, datetime.date]:
    """Where a window may lie: at the end of the semester ``term`` names (rule 4 for
    Hangzhou: the end of the first semester of the first year).

    We read "at the end of a semester" as: from the middle of that semester until the day
    before the next one starts (the break included, when results are usually known). A pack
    that asks for the application period before the semester ends (``lead_days``) closes it
    that many days before the semester's last day.
    """
    window = WindowTerm(term)
    year = cohort_year + window.year_offset
    terms = {
        (t.academic_year.start_year, t.semester): t
        for t in Term.objects.filter(academic_year__start_year__in=[year, year + 1]).select_related(
            "academic_year"
        )
    }
    this = terms.get((year, window.semester))
    if this is None and window == WindowTerm.G10_S1:
        raise ValidationError(
            _("The term calendar has no first semester for the %(year)s cohort; add it first.")
            % {"year": cohort_year}
        )
    if this is None:
        raise ValidationError(
            _(
                "The term calendar has no %(term)s for the %(year)s cohort (the %(start)s–"
                "%(end)s school year); add it first."
            )
            % {"term": window.label, "year": cohort_year, "start": year, "end": year + 1}
        )
    opens = this.start_date + (this.end_date - this.start_date) / 2
    following = terms.get((year, 2) if window.semester == 1 else (year + 1, 1))
    if lead_days:
        closes = this.end_date - datetime.timedelta(days=lead_days)
    elif following is not None:
        closes = following.start_date - datetime.timedelta(days=1)
    else:
        closes = this.end_date + datetime.timedelta(days=21)
    return opens, closes


def _window_problem(policy: TransferPolicy) -> str | None:
    """Why the version's window lies outside the end of its semester, or None."""
    try:
        earliest, latest = policy_window_bounds(
            policy.cohort_year, policy.window_term, policy.window_lead_days
        )
    except ValidationError as exc:
        return " ".join(exc.messages)
    opens = timezone.localtime(policy.window_opens).date()
    closes = timezone.localtime(policy.window_closes).date()
    if (opens < earliest or closes > latest) and policy.window_term == WindowTerm.G10_S1:
        return _(
            "The application window must lie at the end of the %(year)s cohort's first "
            "semester, between %(earliest)s and %(latest)s (rule 4)."
        ) % {
            "year": policy.cohort_year,
            "earliest": date_format(earliest),
            "latest": date_format(latest),
        }
    if opens < earliest or closes > latest:
        return _(
            "The application window must lie at the %(term)s of the %(year)s cohort, between "
            "%(earliest)s and %(latest)s (%(source)s)."
        ) % {
            "term": WindowTerm(policy.window_term).label,
            "year": policy.cohort_year,
            "earliest": date_format(earliest),
            "latest": date_format(latest),
            "source": rule_source(policy, "window_term"),
        }
    return None


def policy_problems(policy: TransferPolicy, now: datetime.datetime | None = None) -> list[str]:
    """What keeps a version from going to the bureau, or from being approved; each message
    names its rule. Empty when the version is complete.

    - Rule 5: each direction is assessed by a written test and an interview.
    - The weights of a direction's components add up to 1, so a total is on the scale of the
      components' scores and two directions' totals compare.
    - Rule 4 as the pack sets it: the window lies at the end of the semester the version
      names, one at which a direction is open, and has not closed.
    - Every receiving school of the area's pairings gives its seats in each cooperative major,
      or says it offers none (0 seats).
    - Equal totals are ranked by a stated rule.
    """
    now = now or timezone.now()
    problems = []
    window = _window_problem(policy)
    if window:
        problems.append(window)
    if policy.window_term not in (*policy.terms_g2v, *policy.terms_v2g):
        problems.append(
            _(
                "Neither direction is open at the %(term)s under %(pack)s: choose a window the "
                "pack allows."
            )
            % {"term": WindowTerm(policy.window_term).label, "pack": pack_of(policy).title}
        )
    if policy.notice_working_days:
        # The notice follows the assessment, weeks after the window: the holiday calendar
        # must know those weeks, or the notice's end could not be counted when it is due.
        try:
            is_working_day(timezone.localtime(policy.window_closes).date() + NOTICE_HORIZON)
        except ValidationError as exc:
            problems.extend(exc.messages)
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
