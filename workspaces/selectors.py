"""What each role's home shows: "what needs me now?", read from the database in a few
aggregate queries, always through the user's scope."""

import datetime

from django.db.models import Count, F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.models import User
from schools.selectors import pairings_visible_to, pilot_areas_visible_to
from students.models import StatusRecord, Track
from students.selectors import active_status
from transfers.models import (
    Application,
    Assessor,
    Direction,
    Objection,
    SeatQuota,
    TransferPolicy,
)
from transfers.rules import pack_of, policy_rule_rows
from transfers.selectors import (
    applications_visible_to,
    may_apply_again,
    policies_visible_to,
    policy_for_student,
    seats_taken_subquery,
)

S = Application.State
#: The pack's settings a student reads on their home: when, how often, who decides, and
#: what they need.
STUDENT_SETTINGS = {
    "terms_g2v",
    "terms_v2g",
    "max_applications",
    "transfer_back",
    "assessor",
    "entrance_line",
    "required_passes",
    "excluded_programmes",
    "max_choices",
}

#: For a student: what happens next after each state, in plain words.
NEXT_STEP: dict[str, Promise] = {
    S.SUBMITTED: gettext_lazy("Your school's registrar checks that you are eligible."),
    S.ELIGIBLE: gettext_lazy("The district holds the written test and the interview."),
    S.ASSESSED: gettext_lazy("The district publishes the results."),
    S.PUBLISHED: gettext_lazy(
        "The results are on public notice; you may lodge one objection until it ends. "
        "Then the district recommends students within the seats."
    ),
    S.RECOMMENDED: gettext_lazy("The municipal education bureau decides on your transfer."),
    S.APPROVED: gettext_lazy("Your status is being moved to the new school."),
    S.COMPLETED: gettext_lazy("Your transfer is complete. Welcome to your new school."),
    S.WITHDRAWN: gettext_lazy("You withdrew your application. You cannot apply again."),
    S.INELIGIBLE: gettext_lazy("Your school found you not eligible; see the reason below."),
    S.NOT_RECOMMENDED: gettext_lazy("The district did not recommend your transfer."),
    S.REJECTED: gettext_lazy("The municipal education bureau did not approve the transfer."),
}


def _counts_by(queryset, *fields) -> dict:
    return {
        tuple(row[f] for f in fields) if len(fields) > 1 else row[fields[0]]: row["n"]
        for row in queryset.order_by().values(*fields).annotate(n=Count("pk"))
    }


def student_home(user: User, now: datetime.datetime) -> dict:
    student = getattr(user, "student", None)
    application = applications_visible_to(user).first()
    policy = policy_for_student(user)
    context = {
        "student": student,
        "status": active_status(student) if student else None,
        "policy": policy,
        "application": application,
        "now": now,
    }
    if policy is not None:
        context["window_open"] = policy.window_is_open(now)
        context["window_not_yet_open"] = now < policy.window_opens
    if application is not None:
        context["events"] = application.events.select_related("actor")
        context["next_step"] = NEXT_STEP.get(application.state)
        if application.state == S.ELIGIBLE and application.policy.assessor == "receiving":
            context["next_step"] = _(
                "The receiving school holds the written test and the interview."
            )
        if may_apply_again(user, policy):
            context["may_apply_again"] = True
            context["next_step"] = (
                _(
                    "Your transfer is complete. The policy lets you apply to return to your "
                    "original school, in its window."
                )
                if application.state == S.COMPLETED
                else _(
                    "This application has ended. The policy lets you apply again, in its window."
                )
            )
        context["notice_ends_at"] = application.notice_ends_at()
    if policy is not None:
        context["pack"] = pack_of(policy)
        context["rule_rows"] = [
            row for row in policy_rule_rows(policy) if row.name in STUDENT_SETTINGS
        ]
    return context


def registrar_home(user: User) -> dict:
    school = user.school
    active = StatusRecord.objects.filter(school=school, state=StatusRecord.State.ACTIVE)
    by_class = (
        active.order_by()
        .values("integration_class__name", "track")
        .annotate(n=Count("pk"))
        .order_by("integration_class__name", "track")
    )
    applications = applications_visible_to(user)
    outgoing = _counts_by(applications.filter(from_school=school), "state")
    incoming = _counts_by(applications.filter(to_school=school), "state")
    return {
        "school": school,
        "student_total": active.count(),
        "by_class": [
            {
                "class": row["integration_class__name"] or _("Not in an integration class"),
                "track": dict(Track.choices)[row["track"]],
                "count": row["n"],
            }
            for row in by_class
        ],
        "transfer_rows": [
            (label, outgoing.get(value, 0), incoming.get(value, 0))
            for value, label in S.choices
            if outgoing.get(value) or incoming.get(value)
        ],
        "eligibility_queue": applications.filter(from_school=school, state=S.SUBMITTED).order_by(
            "submitted_at"
        )[:10],
        "eligibility_count": outgoing.get(S.SUBMITTED, 0),
        # Where the receiving school assesses (its policy's rule pack says so): the sessions
        # with applicants of this school still to score.
        "to_assess": list(
            applications.filter(
                to_school=school, state=S.ELIGIBLE, policy__assessor=Assessor.RECEIVING_SCHOOL
            )
            .order_by()
            .values("policy_id", "policy__title")
            .annotate(n=Count("pk"))
            .order_by("policy_id")
        ),
        "incoming_to_place": applications.filter(
            to_school=school, state__in=[S.RECOMMENDED, S.APPROVED, S.COMPLETED]
        ).select_related("new_status__integration_class")[:20],
    }


def district_home(user: User, now: datetime.datetime) -> dict:
    applications = applications_visible_to(user)
    pairings = list(pairings_visible_to(user))
    per_pairing = _counts_by(
        applications.annotate(pairing_id=F("from_status__integration_class__pairing_id")),
        "pairing_id",
        "state",
    )
    states = [(value, label) for value, label in S.choices]
    policies = list(
        policies_visible_to(user)
        .filter(state=TransferPolicy.State.PUBLISHED)
        .annotate(
            to_score=Count("applications", filter=Q(applications__state=S.ELIGIBLE)),
            to_publish=Count("applications", filter=Q(applications__state=S.ASSESSED)),
        )
    )
    on_notice = (
        applications.filter(state=S.PUBLISHED)
        .order_by()
        .values("policy_id", "policy__title", "results_published_at")
        .annotate(n=Count("pk"))
        .order_by("results_published_at")
    )
    notices = []
    on_notice_policies = TransferPolicy.objects.in_bulk({row["policy_id"] for row in on_notice})
    for row in on_notice:
        ends = on_notice_policies[row["policy_id"]].notice_ends(row["results_published_at"])
        notices.append(
            {"policy": row["policy__title"], "ends": ends, "count": row["n"], "over": now >= ends}
        )
    return {
        "pairings": pairings,
        "state_rows": [
            (label, [per_pairing.get((pairing.pk, value), 0) for pairing in pairings])
            for value, label in states
        ],
        "policies": policies,
        "drafts": policies_visible_to(user).filter(
            state__in=[TransferPolicy.State.DRAFT, TransferPolicy.State.RETURNED]
        ),
        "notices": notices,
        "objections_open": Objection.objects.filter(
            application__in=applications, state=Objection.State.OPEN
        ).count(),
        "seats": _seats(policies),
    }


def _seats(policies) -> list[dict]:
    quotas = SeatQuota.objects.filter(policy__in=policies).select_related(
        "policy", "school", "major"
    )
    return [
        {
            "policy": quota.policy,
            "school": quota.school,
            "major": quota.major,
            "seats": quota.seats,
            "taken": quota.taken,
        }
        for quota in quotas.annotate(taken=seats_taken_subquery())
    ]


def bureau_home(user: User) -> dict:
    applications = applications_visible_to(user)
    areas = list(pilot_areas_visible_to(user))
    by_area = _counts_by(
        applications.annotate(area_id=F("policy__pilot_area_id")), "area_id", "state"
    )
    approved_states = {S.APPROVED, S.COMPLETED}

    def area_row(area):
        total = sum(n for (a, _state), n in by_area.items() if a == area.pk)
        approved = sum(
            n for (a, state), n in by_area.items() if a == area.pk and state in approved_states
        )
        completed = by_area.get((area.pk, S.COMPLETED), 0)
        return {"label": area.name, "values": [total, approved, completed]}

    by_direction = _counts_by(applications, "direction", "state")
    by_cohort = _counts_by(
        applications.annotate(cohort=F("policy__cohort_year")), "cohort", "state"
    )

    def totals(counts, key):
        total = sum(n for (k, _s), n in counts.items() if k == key)
        approved = sum(n for (k, s), n in counts.items() if k == key and s in approved_states)
        return [total, approved, counts.get((key, S.COMPLETED), 0)]

    series = [_("Applications"), _("Approved"), _("Completed moves")]
    return {
        "policies_pending": policies_visible_to(user)
        .filter(state=TransferPolicy.State.PENDING)
        .order_by("pilot_area"),
        "awaiting_approval": applications.filter(state=S.RECOMMENDED).count(),
        "series": series,
        "charts": [
            chart(_("By pilot area"), series, [area_row(area) for area in areas]),
            chart(
                _("By direction"),
                series,
                [
                    {"label": label, "values": totals(by_direction, value)}
                    for value, label in Direction.choices
                ],
            ),
            chart(
                _("By cohort"),
                series,
                [
                    {"label": str(cohort), "values": totals(by_cohort, cohort)}
                    for cohort in sorted({c for c, _s in by_cohort})
                ],
            ),
        ],
    }


BAR_COLOURS = ["#0d6efd", "#198754", "#6f42c1"]


def chart(title: str, series: list[str], rows: list[dict]) -> dict:
    """A horizontal grouped bar chart, laid out here and drawn as SVG by the template; the
    same rows are shown as a table beside it."""
    bar, gap, label_width, width = 14, 10, 160, 600
    peak = max([max(row["values"]) for row in rows] + [1])
    y = 0
    groups = []
    for row in rows:
        bars = []
        for index, value in enumerate(row["values"]):
            bars.append(
                {
                    "y": y + index * bar,
                    "width": round((width - label_width - 40) * value / peak, 1),
                    "value": value,
                    "series": series[index],
                    "colour": BAR_COLOURS[index % len(BAR_COLOURS)],
                }
            )
        groups.append({"label": row["label"], "y": y, "bars": bars, "values": row["values"]})
        y += bar * len(row["values"]) + gap
    return {
        "title": title,
        "series": [(name, BAR_COLOURS[i % len(BAR_COLOURS)]) for i, name in enumerate(series)],
        "groups": groups,
        "height": max(y, 20),
        "width": width,
        "label_width": label_width,
        "bar": bar,
    }
