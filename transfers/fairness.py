"""The bureau's fairness report of a policy version: who applied, met the standards, got a
seat and was approved, by direction, sending school and gender; each programme's seats and
cut-off; and the justified envy, which seats given in rank order leave at 0.

Read only, like ``selectors``: a handful of queries whatever the number of applicants (the
applications are read once, as plain rows, and counted here).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schools.models import Major, School
from students.models import Student

from .allocation import Matching, blocking_pairs
from .models import Application, Direction, TransferPolicy
from .selectors import choices_of, seats_open_to_ranking
from .workflow import SEAT_HOLDING_STATES

S = Application.State
Programme = tuple[int, int]  # (receiving school id, major id)
Row = Mapping[str, Any]  # an application, as ``values()`` reads it

#: Approved by the bureau (rule 6), whether or not the student has moved yet.
APPROVED_STATES = frozenset({S.APPROVED, S.COMPLETED})
#: Met the standards and hold no seat, with no decision taken against them: the applicants
#: who may envy a seat holder. Those not recommended or rejected were taken out for a stated
#: reason, and those who withdrew gave their seat up.
WAITING_STATES = frozenset({S.WAITLISTED, S.PUBLISHED})


@dataclass
class Tally:
    """One row of a breakdown: how many applied, met the standards, hold a seat, and were
    approved."""

    label: str | Promise
    applicants: int = 0
    met: int = 0
    allocated: int = 0
    approved: int = 0

    def add(self, row: Row) -> None:
        self.applicants += 1
        self.met += row["passed"] is True
        self.allocated += row["state"] in SEAT_HOLDING_STATES
        self.approved += row["state"] in APPROVED_STATES


@dataclass(frozen=True)
class Breakdown:
    title: str | Promise
    column: str | Promise  # what the rows are
    rows: list[Tally]


@dataclass(frozen=True)
class ProgrammeFill:
    """A receiving school and major: the seats open to this version, how many of its
    applicants hold one, and the lowest total among them (None: no seat holder)."""

    school: str
    major: str
    seats: int
    taken: int
    cut_off: Decimal | None

    @property
    def fill_percent(self) -> int | None:
        return round(100 * self.taken / self.seats) if self.seats else None


@dataclass(frozen=True)
class Person:
    name: str
    total_score: Decimal | None
    rank: int | None


@dataclass(frozen=True)
class Envy:
    """An applicant still waiting who ranks above a seat holder of the programme they
    applied for (``below``), or whose programme has a seat free."""

    applicant: Person
    school: str
    major: str
    below: list[Person]
    free_seat: bool


@dataclass(frozen=True)
class FairnessReport:
    total: Tally
    breakdowns: list[Breakdown]
    programmes: list[ProgrammeFill]
    #: False until a seat of this version has been given: before that every waiting
    #: applicant "envies" a free seat, which says nothing.
    envy_counted: bool
    envy: list[Envy] = field(default_factory=list)

    @property
    def envy_count(self) -> int:
        return len(self.envy)


def _applicant_rows(policy: TransferPolicy) -> list[Row]:
    """Every application of the version except those withdrawn before the assessment (no
    score): a withdrawal then is no outcome of the selection."""
    return list(
        Application.objects.filter(policy=policy)
        .exclude(state=S.WITHDRAWN, total_score__isnull=True)
        .order_by()
        .values(
            "pk",
            "state",
            "passed",
            "total_score",
            "rank",
            "direction",
            "from_school_id",
            "to_school_id",
            "to_major_id",
            from_school_name=F("from_school__name"),
            student_name=F("student__name"),
            student_gender=F("student__gender"),
        )
    )


def _breakdown(
    title: str | Promise,
    column: str | Promise,
    rows: Iterable[Row],
    key: str,
    labels: Iterable[tuple[Any, str | Promise]],
) -> Breakdown:
    """Tallies of ``rows`` by ``key``, a row per label given (none left out for having no
    applicant)."""
    tallies = {value: Tally(label=label) for value, label in labels}
    for row in rows:
        tallies.setdefault(row[key], Tally(label=str(row[key]))).add(row)
    return Breakdown(title=title, column=column, rows=list(tallies.values()))


def _programme(row: Row) -> Programme:
    return (row["to_school_id"], row["to_major_id"])


def _person(row: Row) -> Person:
    return Person(name=row["student_name"], total_score=row["total_score"], rank=row["rank"])


def fairness_report(policy: TransferPolicy) -> FairnessReport:
    """The report of one version, in a few queries however many applied."""
    rows = _applicant_rows(policy)
    seats = seats_open_to_ranking(policy)

    total = Tally(label=_("All applicants"))
    for row in rows:
        total.add(row)
    schools = sorted({(r["from_school_name"], r["from_school_id"]) for r in rows})
    breakdowns = [
        _breakdown(_("By direction"), _("Direction"), rows, "direction", Direction.choices),
        _breakdown(
            _("By sending school"),
            _("Sending school"),
            rows,
            "from_school_id",
            [(pk, name) for name, pk in schools],
        ),
        _breakdown(_("By gender"), _("Gender"), rows, "student_gender", Student.Gender.choices),
    ]

    holders_rows = [r for r in rows if r["state"] in SEAT_HOLDING_STATES]
    programmes_ids = sorted(set(seats) | {_programme(r) for r in holders_rows})
    school_names = dict(
        School.objects.filter(pk__in={s for s, _m in programmes_ids}).values_list("pk", "name")
    )
    major_names = dict(
        Major.objects.filter(pk__in={m for _s, m in programmes_ids}).values_list("pk", "name")
    )

    def names(programme: Programme) -> tuple[str, str]:
        return school_names.get(programme[0], ""), major_names.get(programme[1], "")

    programmes = []
    for programme in programmes_ids:
        held = [r for r in holders_rows if _programme(r) == programme]
        scores = [r["total_score"] for r in held if r["total_score"] is not None]
        school, major = names(programme)
        programmes.append(
            ProgrammeFill(
                school=school,
                major=major,
                seats=seats.get(programme, 0),
                taken=len(held),
                cut_off=min(scores) if scores else None,
            )
        )
    programmes.sort(key=lambda p: (p.school, p.major))

    envy_counted = bool(holders_rows) or policy.allocations.exists()
    return FairnessReport(
        total=total,
        breakdowns=breakdowns,
        programmes=programmes,
        envy_counted=envy_counted,
        envy=_justified_envy(rows, holders_rows, seats, names) if envy_counted else [],
    )


def _justified_envy(
    rows: list[Row],
    holders_rows: list[Row],
    seats: dict[Programme, int],
    names: Callable[[Programme], tuple[str, str]],
) -> list[Envy]:
    """The blocking pairs of the current seats (``allocation.blocking_pairs``): each
    programme ranks those who met the standards in rank order; a seat holder who did not
    meet them (never by the services) ranks below all of them."""
    by_pk = {r["pk"]: r for r in rows}
    # Each applicant's choices in their order, each with their rank there (one choice under
    # most policies: the programme applied for).
    choices = choices_of(by_pk)
    candidates = [r for r in rows if r["passed"] is True or r["state"] in SEAT_HOLDING_STATES]
    ranked: dict[Programme, list[tuple[tuple, int]]] = {}
    for r in candidates:
        for programme, rank in choices.get(r["pk"], [(_programme(r), r["rank"])]):
            key = (r["passed"] is not True, rank is None, rank or 0, r["pk"])
            ranked.setdefault(programme, []).append((key, r["pk"]))
    rankings: dict[Programme, list[int]] = {
        programme: [pk for _key, pk in sorted(entries)] for programme, entries in ranked.items()
    }
    position = {
        (programme, pk): i
        for programme, ranking in rankings.items()
        for i, pk in enumerate(ranking)
    }
    holders: dict[Programme, list[int]] = {}
    for r in sorted(holders_rows, key=lambda r: position.get((_programme(r), r["pk"]), 0)):
        holders.setdefault(_programme(r), []).append(r["pk"])
    waiting = [r for r in rows if r["passed"] is True and r["state"] in WAITING_STATES]
    preferences = {
        r["pk"]: [p for p, _rank in choices.get(r["pk"], [(_programme(r), None)])]
        for r in [*holders_rows, *waiting]
    }
    matching = Matching(
        seat_of={r["pk"]: _programme(r) for r in holders_rows},
        holders=holders,
    )
    envy = []
    for pk, programme in blocking_pairs(
        matching, preferences=preferences, rankings=rankings, seats=seats
    ):
        held = holders.get(programme, [])
        below = [h for h in held if position[(programme, h)] > position[(programme, pk)]]
        # A free seat is envied only by those the allocation already left waiting: one on
        # notice, not yet allocated, waits for the allocation, not for a seat denied.
        if not below and by_pk[pk]["state"] != S.WAITLISTED:
            continue
        school, major = names(programme)
        envy.append(
            Envy(
                applicant=_person(by_pk[pk]),
                school=school,
                major=major,
                below=[_person(by_pk[h]) for h in below],
                free_seat=len(held) < seats.get(programme, 0),
            )
        )
    return envy
