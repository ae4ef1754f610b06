"""Published results as a record: each publication or correction freezes the ranking as the
next numbered version, with what changed from the one before.

Every version holds, per assessed applicant on notice: the scores with each component's
maximum, pass mark and weight, the weighted total, whether they met the standards, the rank
and whether within the seats. A version is never changed (the database refuses); a
correction is a new version whose ``changes`` say who moved, from which rank to which, and
why, and the notice period starts again for each of them, with a message.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.stored_text import join_lines, text
from notifications.services import notify
from schools.models import User

from ..models import Application, ApplicationChoice, ResultsVersion, Score, TransferPolicy
from ..notice import CORRECTED, MOVED, NEW, REMOVED, change_piece
from ..selectors import Plan, allocation_plan, seat_order_violations, seats_open_to_ranking
from ..workflow import SEAT_HOLDING_STATES
from .notifications import recipients_for

S = Application.State


def results_rows(policy: TransferPolicy) -> tuple[list[dict], list[dict]]:
    """The ranking as it stands, as a version records it: a row per applicant whose results
    were published and who is still in the ranking, and per programme they chose (one row
    each under one choice), with each programme's seats."""
    seats = seats_open_to_ranking(policy)
    applications = list(
        Application.objects.filter(
            policy=policy, results_published_at__isnull=False, total_score__isnull=False
        )
        .exclude(state__in=[S.WITHDRAWN, S.INELIGIBLE])
        .select_related("student", "from_school", "to_school", "to_major")
        .prefetch_related(
            Prefetch("scores", queryset=Score.objects.select_related("component").order_by("pk")),
            Prefetch(
                "choices",
                queryset=ApplicationChoice.objects.select_related("school", "major").order_by(
                    "order"
                ),
            ),
        )
    )
    plan = allocation_plan(policy)
    rows = []
    for a in applications:
        scores = [
            {
                "component": s.component.name,
                "kind": s.component.kind,
                "value": str(s.value),
                "max": str(s.component.max_score),
                "pass_mark": str(s.component.pass_mark),
                "weight": str(s.component.weight),
                "passed": s.value >= s.component.pass_mark,
            }
            for s in a.scores.all()
        ]
        for choice in a.choices.all():
            programme = (choice.school_id, choice.major_id)
            rows.append(
                {
                    "application": a.pk,
                    "choice": choice.order,
                    "name": a.student.name,
                    "gender": a.student.gender,
                    "from_school": a.from_school.name,
                    "school": choice.school_id,
                    "school_name": choice.school.name,
                    "major": choice.major_id,
                    "major_name": choice.major.name,
                    "direction": a.direction,
                    "scores": scores,
                    "total": str(a.total_score),
                    "passed": bool(a.passed),
                    "rank": choice.rank,
                    "in_seats": _in_seats(a, programme, plan),
                    "submitted_at": a.submitted_at.isoformat(),
                }
            )
    rows.sort(key=lambda r: (r["school"], r["major"], r["rank"] is None, r["rank"] or 0))
    programmes = [
        {"school": school, "major": major, "seats": n}
        for (school, major), n in sorted(seats.items())
    ]
    return rows, programmes


def _in_seats(application: Application, programme: tuple[int, int], plan: Plan) -> bool:
    """Within the seats of ``programme``: holding its seat, once decided; placed there by the
    allocation as it stands, before it is confirmed."""
    if application.state in SEAT_HOLDING_STATES:
        return programme == (application.to_school_id, application.to_major_id)
    if application.state not in (S.ASSESSED, S.PUBLISHED):
        return False
    return plan.placed.get(application.pk) == programme


def _key(row: dict) -> tuple[int, int, int]:
    return (row["application"], row["school"], row["major"])


def _differences(before: list[dict], after: list[dict]) -> list[dict]:
    old = {_key(row): row for row in before}
    new = {_key(row): row for row in after}
    changes = []
    for pk, row in new.items():
        was = old.get(pk)
        if was is None:
            if before:
                changes.append(_change(row, None, row, NEW))
            continue
        if was["total"] != row["total"]:
            changes.append(_change(row, was, row, CORRECTED))
        elif was["rank"] != row["rank"] or was["in_seats"] != row["in_seats"]:
            changes.append(_change(row, was, row, MOVED))
    for pk, was in old.items():
        if pk not in new:
            changes.append(_change(was, was, None, REMOVED))
    return changes


def _change(row: dict, was: dict | None, now: dict | None, why: str) -> dict:
    return {
        "application": row["application"],
        "name": row["name"],
        "school": row["school"],
        "major": row["major"],
        "major_name": row.get("major_name", ""),
        "choice": row.get("choice", 1),
        "from_rank": was["rank"] if was else None,
        "to_rank": now["rank"] if now else None,
        "from_total": was["total"] if was else None,
        "to_total": now["total"] if now else None,
        "from_in_seats": was["in_seats"] if was else None,
        "to_in_seats": now["in_seats"] if now else None,
        "why": why,
    }


def assert_seats_in_rank_order(policy: TransferPolicy) -> None:
    """A correction or a late score may not unseat an applicant already recommended or
    approved without a word: it is refused, naming who would be passed over."""
    violations = seat_order_violations(policy)
    if not violations:
        return
    holder, better = violations[0]
    if holder.pk == better.pk:
        raise ValidationError(
            _(
                "This would leave %(holder)s, who already holds a seat (%(state)s), below the "
                "standards. A seat is not taken back silently: the district takes the "
                "recommendation back first, with a reason, or the bureau decides."
            )
            % {"holder": holder.student.name, "state": holder.get_state_display()}
        )
    raise ValidationError(
        _(
            "This would rank %(better)s (rank %(better_rank)s) ahead of %(holder)s (rank "
            "%(holder_rank)s), who already holds a seat (%(state)s). A seat is not taken back "
            "silently: the district takes the recommendation back first, with a reason."
        )
        % {
            "better": better.student.name,
            "better_rank": better.rank,
            "holder": holder.student.name,
            "holder_rank": holder.rank,
            "state": holder.get_state_display(),
        }
    )


def results_version_publish(
    *, actor: User, policy: TransferPolicy, reason: str, now: datetime.datetime
) -> ResultsVersion:
    """Freeze the ranking as the policy's next version. Each applicant whose rank, total or
    seat changed from the version before is told, and the notice period starts again for
    those still on notice."""
    assert_seats_in_rank_order(policy)
    previous = policy.results_versions.order_by("-number").first()
    rows, seats = results_rows(policy)
    changes = _differences(previous.rows if previous else [], rows)
    version = ResultsVersion.objects.create(
        policy=policy,
        number=(previous.number + 1) if previous else 1,
        published_at=now,
        published_by=actor,
        reason=reason,
        rows=rows,
        seats=seats,
        changes=changes,
    )
    moved = sorted({c["application"] for c in changes if c["why"] in (CORRECTED, MOVED)})
    if moved:
        Application.objects.filter(pk__in=moved, state=S.PUBLISHED).update(results_published_at=now)
        for application in Application.objects.filter(pk__in=moved).select_related(
            "policy__pilot_area", "student", "to_school", "to_major"
        ):
            own = [c for c in changes if c["application"] == application.pk]
            notify(
                recipients=recipients_for(application),
                subject=text(
                    gettext_noop(
                        "Results of application %(number)s corrected (version %(version)s)"
                    ),
                    number=application.pk,
                    version=version.number,
                ),
                body=[
                    *join_lines(change_piece(c) for c in own),
                    "\n\n",
                    reason,
                    *(
                        [
                            "\n\n",
                            text(
                                gettext_noop(
                                    "The public notice period starts again: objections until "
                                    "%(ends)s."
                                ),
                                ends=policy.notice_ends(now).date(),
                            ),
                        ]
                        if application.state == S.PUBLISHED
                        else []
                    ),
                ],
                about=application,
            )
    return version
