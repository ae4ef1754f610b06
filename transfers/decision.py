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


@dataclass
class _Context:
    """What the decisions of many applications read, each table read once."""

    credits: dict[int, Decimal]  # application id -> first-semester credits earned
    verdicts: dict[int, ApplicationEvent]
    objections: dict[int, Objection]
    versions: dict[int, list[ResultsVersion]]  # policy id -> its versions, in order
    scores: dict[int, list[Score]]
    waiting: dict[tuple[int, int, int], list[int | None]]  # (policy, school, major) -> ranks


def _context(applications: list[Application]) -> _Context:
    pks = [a.pk for a in applications]
    policies = {a.policy_id: a.policy for a in applications}
    cohorts = {p.cohort_year for p in policies.values() if p.min_first_semester_credits is not None}
    terms = dict(
        Term.objects.filter(
            academic_year__start_year__in=cohorts, semester=Term.Semester.FIRST
        ).values_list("academic_year__start_year", "pk")
    )
    earned: dict[tuple[int, int], Decimal] = {}
    if terms:
        for student, term, total in (
            CreditRecord.objects.filter(
                student_id__in=[a.student_id for a in applications], term_id__in=terms.values()
            )
            .values("student_id", "term_id")
            .annotate(total=Sum("credits_earned"))
            .values_list("student_id", "term_id", "total")
        ):
            earned[(student, term)] = total or Decimal(0)
    credits = {
        a.pk: earned.get((a.student_id, terms.get(a.policy.cohort_year, 0)), Decimal(0)).quantize(
            Decimal("0.1")
        )
        for a in applications
    }
    verdicts = {}
    for event in ApplicationEvent.objects.filter(
        application_id__in=pks,
        to_state__in=[Application.State.ELIGIBLE, Application.State.INELIGIBLE],
    ).order_by("at", "pk"):
        verdicts[event.application_id] = event
    versions: dict[int, list[ResultsVersion]] = {}
    for version in ResultsVersion.objects.filter(policy_id__in=list(policies)).order_by(
        "policy_id", "number"
    ):
        versions.setdefault(version.policy_id, []).append(version)
    scores: dict[int, list[Score]] = {}
    for score in Score.objects.filter(application_id__in=pks).select_related("component"):
        scores.setdefault(score.application_id, []).append(score)
    waiting: dict[tuple[int, int, int], list[int | None]] = {}
    for policy, school, major, rank in Application.objects.filter(
        policy_id__in=list(policies), state=Application.State.WAITLISTED
    ).values_list("policy_id", "to_school_id", "to_major_id", "rank"):
        waiting.setdefault((policy, school, major), []).append(rank)
    return _Context(
        credits=credits,
        verdicts=verdicts,
        objections={o.application_id: o for o in Objection.objects.filter(application_id__in=pks)},
        versions=versions,
        scores=scores,
        waiting=waiting,
    )


def _eligibility_checks(application: Application, context: _Context) -> list[Check]:
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
    needed = policy.min_first_semester_credits
    if needed is not None:
        earned = context.credits[application.pk]
        checks.append(
            Check(
                _("First-semester credits: %(earned)s earned, at least %(needed)s asked for.")
                % {"earned": earned, "needed": needed},
                earned >= needed,
            )
        )
    verdict = context.verdicts.get(application.pk)
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
    """The decision on one application, explained."""
    return decisions_build([application])[application.pk]


def decisions_build(applications: list[Application]) -> dict[int, Decision]:
    """The decisions on many applications (a filing package's), in a fixed number of
    queries: each table is read once for all of them."""
    context = _context(applications)
    return {a.pk: _decision(a, context) for a in applications}


def _decision(application: Application, context: _Context) -> Decision:
    decision = Decision(checks=_eligibility_checks(application, context))
    decision.objection = context.objections.get(application.pk)
    mine = None
    for version in context.versions.get(application.policy_id, []):
        rows = [r for r in version.rows if r["application"] == application.pk]
        if rows:
            mine = (version, rows)
        for change in version.changes:
            if change["application"] == application.pk:
                decision.corrections.append((version.number, change_text(change)))
    if mine is None:
        # Scored but not yet on notice: the scores are shown, the rank is not yet posted.
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
            for s in context.scores.get(application.pk, [])
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
        ranks = context.waiting.get(
            (application.policy_id, application.to_school_id, application.to_major_id), []
        )
        decision.waiting_place = (
            sum(1 for r in ranks if r is not None and application.rank and r < application.rank) + 1
        )
    return decision


def decision_text(decision: Decision) -> str:
    """The same block in words, one line each, for a printed or filed record."""
    mark = {True: "✓", False: "✗", None: "○"}
    lines = [f"{mark[c.outcome]} {c.text}" for c in decision.checks]
    for s in decision.scores:
        lines.append(
            _("%(component)s (%(kind)s): %(value)s of %(max)s, pass %(pass)s, × %(weight)s")
            % {
                "component": s.component,
                "kind": s.kind,
                "value": s.value,
                "max": s.max,
                "pass": s.pass_mark,
                "weight": s.weight,
            }
        )
    if decision.total is not None:
        verdict = (
            _("meets the standards (every pass mark reached)")
            if decision.passed
            else _("does not meet the standards (a pass mark not reached)")
        )
        lines.append(f"{decision.formula} = {decision.total} · {verdict}")
    if decision.version:
        if decision.rank:
            lines.append(
                _("Rank %(rank)s of %(ranked)s who met the standards for this school and major")
                % {"rank": decision.rank, "ranked": decision.ranked}
            )
        lines.append(
            _("Seats: %(seats)s") % {"seats": decision.seats}
            + (
                " · " + _("Cut-off total: %(total)s") % {"total": decision.cut_off}
                if decision.cut_off
                else ""
            )
            + " · "
            + (_("within the seats") if decision.in_seats else _("outside the seats"))
            + " · "
            + _("results version %(number)s") % {"number": decision.version}
        )
        if len(decision.choices) > 1:
            for c in decision.choices:
                lines.append(
                    _("Choice %(order)s, %(major)s: rank %(rank)s of %(ranked)s; %(outcome)s")
                    % {
                        "order": c.order,
                        "major": c.major,
                        "rank": c.rank or "—",
                        "ranked": c.ranked,
                        "outcome": _("Your seat") if c.in_seats else _("outside the seats"),
                    }
                )
        if decision.tie:
            lines.append(decision.tie)
    if decision.objection is not None:
        lines.append(_("Objection: %(state)s.") % {"state": decision.objection.get_state_display()})
    for number, text in decision.corrections:
        lines.append(_("Version %(number)s:") % {"number": number} + " " + text)
    return "\n".join(lines)
