"""The decision on an application, explained to the student and their guardian: each check
and its outcome, each score beside its maximum, pass mark and weight, how the total is
computed, the rank of how many, the seats and the cut-off, the tie-break if it mattered, the
notice period and the objection, and every correction with its version.

Read from the published versions (what was posted), with the live state for what happened
since; nothing here writes."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from credits.models import CreditRecord
from schools.models import Term

from .models import (
    Application,
    ApplicationEvent,
    AssessmentComponent,
    Objection,
    ResultsVersion,
    Score,
)
from .notice import change_text


@dataclass
class Check:
    text: str
    outcome: bool | None  # None: not decided yet


@dataclass
class ScoreLine:
    component: str
    kind: str
    value: str
    max: str
    pass_mark: str
    weight: str
    passed: bool


@dataclass
class ChoiceLine:
    order: int
    major: str
    rank: int | None
    ranked: int
    seats: int | None
    cut_off: str | None
    in_seats: bool


@dataclass
class Decision:
    checks: list[Check]
    scores: list[ScoreLine] = field(default_factory=list)
    formula: str = ""
    total: str | None = None
    passed: bool | None = None
    rank: int | None = None
    ranked: int = 0
    seats: int | None = None
    cut_off: str | None = None
    in_seats: bool | None = None
    tie: str = ""
    version: int | None = None
    notice_ends: datetime.datetime | None = None
    objection: Objection | None = None
    corrections: list[tuple[int, str]] = field(default_factory=list)
    waiting_place: int | None = None
    choices: list[ChoiceLine] = field(default_factory=list)

    @property
    def has_results(self) -> bool:
        return self.total is not None


def _credits_check(application: Application) -> Check | None:
    needed = application.policy.min_first_semester_credits
    if needed is None:
        return None
    term = Term.objects.filter(
        academic_year__start_year=application.policy.cohort_year, semester=Term.Semester.FIRST
    ).first()
    earned = (
        CreditRecord.objects.filter(student_id=application.student_id, term=term).aggregate(
            total=Sum("credits_earned")
        )["total"]
        or Decimal(0)
    ).quantize(Decimal("0.1"))
    return Check(
        _("First-semester credits: %(earned)s earned, at least %(needed)s asked for.")
        % {"earned": earned, "needed": needed},
        earned >= needed,
    )


def _eligibility_checks(application: Application) -> list[Check]:
    policy = application.policy
    checks = [
        Check(
            _(
                "A student of the %(year)s integration classes of %(area)s, registered at the "
                "class's school (rule 3)."
            )
            % {"year": policy.cohort_year, "area": policy.pilot_area.name},
            True,
        ),
        Check(
            _("Applied inside the window, once, with the guardian's consent (rule 4)."),
            True,
        ),
    ]
    credits = _credits_check(application)
    if credits is not None:
        checks.append(credits)
    verdict = (
        ApplicationEvent.objects.filter(
            application=application,
            to_state__in=[Application.State.ELIGIBLE, Application.State.INELIGIBLE],
        )
        .order_by("-at")
        .first()
    )
    text = _("The sending school's registrar confirmed the eligibility.")
    if verdict is None:
        checks.append(Check(text, None))
    else:
        outcome = verdict.to_state == Application.State.ELIGIBLE
        if not outcome and verdict.comment:
            text = _("The sending school's registrar found the applicant not eligible: %(why)s") % {
                "why": verdict.comment
            }
        checks.append(Check(text, outcome))
    return checks


def _formula(scores: list[ScoreLine]) -> str:
    weights = sum(Decimal(s.weight) for s in scores)
    parts = " + ".join(f"{s.value}/{s.max} × {s.weight}" for s in scores)
    if weights == 1:
        return f"({parts}) × 100"
    return f"({parts}) ÷ {weights} × 100"


def decision_build(application: Application) -> Decision:
    decision = Decision(checks=_eligibility_checks(application))
    decision.objection = Objection.objects.filter(application=application).first()
    versions = list(
        ResultsVersion.objects.filter(policy_id=application.policy_id).order_by("number")
    )
    mine = None
    for version in versions:
        rows = [r for r in version.rows if r["application"] == application.pk]
        if rows:
            mine = (version, rows)
        for change in version.changes:
            if change["application"] == application.pk:
                decision.corrections.append((version.number, change_text(change)))
    if mine is None:
        # Scored but not yet on notice: the scores are shown, the rank is not yet posted.
        scores = Score.objects.filter(application=application).select_related("component")
        decision.scores = [
            ScoreLine(
                s.component.name,
                s.component.get_kind_display(),
                str(s.value),
                str(s.component.max_score),
                str(s.component.pass_mark),
                str(s.component.weight),
                s.value >= s.component.pass_mark,
            )
            for s in scores
        ]
        if decision.scores and application.total_score is not None:
            decision.formula = _formula(decision.scores)
            decision.total = str(application.total_score)
            decision.passed = application.passed
        return decision
    version, rows = mine
    placed = (application.to_school_id, application.to_major_id)
    row = next((r for r in rows if (r["school"], r["major"]) == placed), rows[0])
    kinds = dict(AssessmentComponent.Kind.choices)
    decision.scores = [
        ScoreLine(
            s["component"],
            str(kinds.get(s["kind"], s["kind"])),
            s["value"],
            s["max"],
            s["pass_mark"],
            s["weight"],
            s["passed"],
        )
        for s in row["scores"]
    ]
    decision.formula = _formula(decision.scores)
    decision.total, decision.passed = row["total"], row["passed"]
    decision.version = version.number
    seats = {(p["school"], p["major"]): p["seats"] for p in version.seats}
    for mine_row in sorted(rows, key=lambda r: r.get("choice", 1)):
        key = (mine_row["school"], mine_row["major"])
        programme = [r for r in version.rows if (r["school"], r["major"]) == key]
        within = [Decimal(r["total"]) for r in programme if r["in_seats"]]
        decision.choices.append(
            ChoiceLine(
                order=mine_row.get("choice", 1),
                major=mine_row.get("major_name", ""),
                rank=mine_row["rank"],
                ranked=sum(1 for r in programme if r["rank"] is not None),
                seats=seats.get(key),
                cut_off=str(min(within)) if within else None,
                in_seats=mine_row["in_seats"],
            )
        )
    line = next(c for c in decision.choices if c.order == row.get("choice", 1))
    decision.rank, decision.in_seats = line.rank, line.in_seats
    decision.ranked, decision.seats, decision.cut_off = line.ranked, line.seats, line.cut_off
    programme = [
        r for r in version.rows if (r["school"], r["major"]) == (row["school"], row["major"])
    ]
    equal = [
        r
        for r in programme
        if r["passed"] and r["total"] == row["total"] and r["application"] != application.pk
    ]
    if row["passed"] and equal:
        decision.tie = _("%(count)s other applicants have the same total; %(rule)s") % {
            "count": len(equal),
            "rule": application.policy.tie_break_text(),
        }
    decision.notice_ends = application.notice_ends_at()
    if application.state == Application.State.WAITLISTED:
        decision.waiting_place = (
            Application.objects.filter(
                policy_id=application.policy_id,
                to_school_id=application.to_school_id,
                to_major_id=application.to_major_id,
                state=Application.State.WAITLISTED,
                rank__lt=application.rank,
            ).count()
            + 1
        )
    return decision
