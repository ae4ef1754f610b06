"""The public notice (公示) of a published results version: who may read it, and what it
lists, per receiving school and major, with the names masked by the policy's rule.

The notice is read from the version's frozen rows, never from the live ranking: what was
posted is what it shows, whatever was corrected later (that is a later version)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_noop

from core.exceptions import NotFound
from core.stored_text import render, text
from schools.models import Major, School, User
from students.models import StatusRecord

from .models import Application, ResultsVersion, TransferPolicy
from .selectors import policies_visible_to


def notice_readers_include(user, policy: TransferPolicy) -> bool:
    """The cohort's students (and their guardians, who read with them), the area's schools
    and the staff concerned; nobody else."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if not policies_visible_to(user).filter(pk=policy.pk).exists():
        return False
    if user.role != User.Role.STUDENT:
        return True
    in_cohort = StatusRecord.objects.filter(
        student__user=user,
        integration_class__cohort_year=policy.cohort_year,
        integration_class__pairing__pilot_area_id=policy.pilot_area_id,
    )
    applied = Application.objects.filter(student__user=user, policy__pilot_area=policy.pilot_area)
    return in_cohort.exists() or applied.filter(policy__cohort_year=policy.cohort_year).exists()


def notice_version_get_for_user(*, user, pk: int, number: int | None = None) -> ResultsVersion:
    """A published version of a policy's results (the latest without ``number``), for its
    readers only: for anyone else it does not exist."""
    policy = TransferPolicy.objects.filter(pk=pk).select_related("pilot_area").first()
    if policy is None or not notice_readers_include(user, policy):
        raise NotFound
    versions = ResultsVersion.objects.filter(policy=policy).select_related(
        "policy__pilot_area", "published_by"
    )
    version = (
        versions.filter(number=number).first()
        if number is not None
        else versions.order_by("-number").first()
    )
    if version is None:
        raise NotFound
    return version


#: Why an applicant's line changed between two versions (shown translated).
CORRECTED, NEW, REMOVED, MOVED = "corrected", "new", "removed", "moved"


def change_text(change: dict) -> str:
    """One change between versions in words."""
    return render(change_piece(change))


def change_piece(change: dict) -> list:
    """One change between versions as a stored text (core.stored_text), for a message that
    is translated when it is read."""
    if change["why"] == NEW:
        return [
            text(
                gettext_noop("%(name)s: newly published, rank %(to)s."),
                name=change["name"],
                to=change["to_rank"] or "—",
            )
        ]
    if change["why"] == REMOVED:
        return [
            text(
                gettext_noop("%(name)s: no longer in the ranking (withdrawn), was rank %(from)s."),
                name=change["name"],
                **{"from": change["from_rank"] or "—"},
            )
        ]
    piece: list = [
        text(
            gettext_noop("%(name)s: rank %(from)s → %(to)s"),
            name=change["name"],
            to=change["to_rank"] or "—",
            **{"from": change["from_rank"] or "—"},
        )
    ]
    if change["why"] == CORRECTED:
        piece.append(
            text(
                gettext_noop("; total corrected %(from)s → %(to)s"),
                to=change["to_total"],
                **{"from": change["from_total"]},
            )
        )
    else:
        piece.append(text(gettext_noop("; moved by another applicant's correction")))
    if change["from_in_seats"] != change["to_in_seats"]:
        piece.append(
            text(gettext_noop("; now within the seats"))
            if change["to_in_seats"]
            else text(gettext_noop("; now outside the seats"))
        )
    return [*piece, "."]


@dataclass
class NoticeLine:
    choice: int
    name: str
    from_school: str
    scores: list[str | None]
    total: str
    passed: bool
    rank: int | None
    in_seats: bool


@dataclass
class NoticeProgramme:
    school: str
    major: str
    seats: int
    components: list[str]
    lines: list[NoticeLine] = field(default_factory=list)


@dataclass
class Notice:
    version: ResultsVersion
    policy: TransferPolicy
    programmes: list[NoticeProgramme]
    changes: list[str]
    notice_ends: datetime.datetime
    numbers: list[int]


def notice_build(version: ResultsVersion) -> Notice:
    policy = version.policy
    rows = version.rows
    seats = {(p["school"], p["major"]): p["seats"] for p in version.seats}
    schools = dict(
        School.objects.filter(pk__in={r["school"] for r in rows}).values_list("pk", "name")
    )
    majors = dict(Major.objects.filter(pk__in={r["major"] for r in rows}).values_list("pk", "name"))
    programmes: dict[tuple[int, int], NoticeProgramme] = {}
    for row in rows:
        key = (row["school"], row["major"])
        programme = programmes.get(key)
        if programme is None:
            programme = programmes[key] = NoticeProgramme(
                school=schools.get(row["school"], row["school_name"]),
                major=majors.get(row["major"], row["major_name"]),
                seats=seats.get(key, 0),
                components=[],
            )
        for score in row["scores"]:
            if score["component"] not in programme.components:
                programme.components.append(score["component"])
    for row in sorted(
        rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, -Decimal(r["total"]))
    ):
        programme = programmes[(row["school"], row["major"])]
        values = {s["component"]: s["value"] for s in row["scores"]}
        programme.lines.append(
            NoticeLine(
                choice=row.get("choice", 1),
                name=policy.mask(row["name"]),
                from_school=row["from_school"],
                scores=[values.get(name) for name in programme.components],
                total=row["total"],
                passed=row["passed"],
                rank=row["rank"],
                in_seats=row["in_seats"],
            )
        )
    changes = [change_text({**c, "name": policy.mask(c["name"])}) for c in version.changes]
    return Notice(
        version=version,
        policy=policy,
        programmes=[programmes[key] for key in sorted(programmes)],
        changes=changes,
        notice_ends=policy.notice_ends(version.published_at),
        numbers=list(
            ResultsVersion.objects.filter(policy=policy)
            .order_by("number")
            .values_list("number", flat=True)
        ),
    )
