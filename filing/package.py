"""The bureau's filing package (备案材料) for the provincial education department.

For one pilot area, one cohort and a period (by default the cohort's academic year): the
approved policy version the transfers were made under, every transfer completed in the period,
and the credits recognised for those students, as one XLSX workbook whose first sheet sums it
up. The package is the bureau's to file: only the bureau of the area's municipality and
administrators get it, so its student numbers are masked (``students.privacy``).
"""

import datetime
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from credits.models import Course, CreditRecord
from credits.selectors import credit_records_visible_to
from schools.models import AcademicYear, PilotArea, User
from schools.selectors import pilot_areas_visible_to
from students.privacy import student_number_for
from transfers.decision import Decision, decision_text, decisions_build
from transfers.models import (
    Application,
    ApplicationEvent,
    Direction,
    Score,
    SeatQuota,
    TransferPolicy,
)
from transfers.rules import pack_of, policy_rule_rows
from transfers.selectors import applications_visible_to, policies_visible_to

from .cells import BOLD
from .cells import field_label as _field
from .cells import local_time as _local
from .cells import person as _person
from .cells import row as _row
from .cells import widths as _widths

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

S = Application.State
P = TransferPolicy.State
APPROVED_VERSIONS = (P.APPROVED, P.PUBLISHED, P.SUPERSEDED)


def filing_areas_visible_to(user) -> QuerySet[PilotArea]:
    """The areas a user may download the package of: the bureau's own municipality's, the
    provincial department's every city's (read-only, as it receives them), or every area for
    an administrator. District staff prepare the data but do not file it."""
    if not (user and user.is_authenticated and user.is_active):
        return PilotArea.objects.none()
    if not (user.sees_everything or user.role in (User.Role.BUREAU, User.Role.PROVINCE)):
        return PilotArea.objects.none()
    return pilot_areas_visible_to(user)


def filing_default_period(cohort_year: int) -> tuple[datetime.date, datetime.date]:
    """The cohort's first academic year, when its transfers happen (rule 4)."""
    year = AcademicYear.objects.filter(start_year=cohort_year).first()
    if year is not None:
        return year.start_date, year.end_date
    return datetime.date(cohort_year, 9, 1), datetime.date(cohort_year + 1, 8, 31)


@dataclass(frozen=True)
class DirectionSummary:
    direction: str
    transfers: int
    recognitions: int
    origin_credits: Decimal
    recognised_credits: Decimal

    @property
    def label(self) -> str:
        return str(Direction(self.direction).label) if self.direction else _("All directions")


class Moments(TypedDict):
    """What ``filing_package_build`` annotates a transfer with."""

    approved_at: datetime.datetime | None
    completed_at: datetime.datetime | None


@dataclass(frozen=True)
class FilingPackage:
    area: PilotArea
    cohort_year: int
    start: datetime.date
    end: datetime.date
    #: The approved versions the transfers were made under, and the one in force; oldest first.
    policies: list[TransferPolicy]
    #: Completed in the period, each with ``approved_at`` and ``completed_at`` and its scores.
    transfers: "Sequence[WithAnnotations[Application, Moments]]"
    recognitions: list[CreditRecord]
    generated_at: datetime.datetime
    generated_by: User
    #: Each transfer's decision explained, as the student's page shows it (by application id).
    decisions: "dict[int, Decision]" = field(default_factory=dict)

    @property
    def policy_in_force(self) -> TransferPolicy | None:
        return _in_force(self.policies)

    def components(self) -> list[tuple[str, str]]:
        """(direction, subject) of every component of the policies, one column each."""
        seen: dict[tuple[str, str], None] = {}
        for policy in self.policies:
            for c in policy.components.all():
                seen.setdefault((c.direction, c.name), None)
        order = list(Direction.values)
        return sorted(seen, key=lambda key: order.index(key[0]))

    def summary(self) -> list[DirectionSummary]:
        """One row per direction, then the total."""
        direction_of = {t.student_id: t.direction for t in self.transfers}
        transfers = Counter(t.direction for t in self.transfers)
        recognitions: Counter[str] = Counter()
        origin: defaultdict[str, Decimal] = defaultdict(Decimal)
        recognised: defaultdict[str, Decimal] = defaultdict(Decimal)
        for record in self.recognitions:
            direction = direction_of[record.student_id]
            recognitions[direction] += 1
            origin[direction] += _recognised_from(record).credits_earned
            recognised[direction] += record.credits_earned
        rows = [
            DirectionSummary(
                d,
                transfers[d],
                recognitions[d],
                Decimal(origin[d]),
                Decimal(recognised[d]),
            )
            for d in Direction.values
        ]
        rows.append(
            DirectionSummary(
                "",
                sum(r.transfers for r in rows),
                sum(r.recognitions for r in rows),
                sum((r.origin_credits for r in rows), Decimal(0)),
                sum((r.recognised_credits for r in rows), Decimal(0)),
            )
        )
        return rows


def _in_force(versions: list[TransferPolicy]) -> TransferPolicy | None:
    """The published version; before publication, the latest approved one."""
    published = [p for p in versions if p.state == P.PUBLISHED]
    candidates = published or versions
    return candidates[-1] if candidates else None


def _recognised_from(record: CreditRecord) -> CreditRecord:
    """The record a recognised one was recognised from: the package holds recognised ones."""
    origin = record.recognised_from
    if origin is None:  # as reading the origin's fields off None would fail
        raise AttributeError(f"credit record {record.pk} was not recognised from another")
    return origin


def _event_at(to_state: str) -> Subquery:
    return Subquery(
        ApplicationEvent.objects.filter(application=OuterRef("pk"), to_state=to_state)
        .order_by("-at")
        .values("at")[:1]
    )


def filing_package_build(
    *,
    user: User,
    area: PilotArea,
    cohort_year: int,
    start: datetime.date,
    end: datetime.date,
) -> FilingPackage:
    """Everything the package holds, read through the user's scope in six queries. A transfer
    belongs to the period its status moved in (the new registration's start date)."""
    if end < start:
        raise ValidationError(_("The period must end on or after its start."))
    transfers = list(
        applications_visible_to(user)
        .filter(
            policy__pilot_area=area,
            policy__cohort_year=cohort_year,
            state=S.COMPLETED,
            new_status__start_date__gte=start,
            new_status__start_date__lte=end,
        )
        .select_related("policy", "from_status__major", "new_status")
        .annotate(approved_at=_event_at(S.APPROVED), completed_at=_event_at(S.COMPLETED))
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("component")))
        .order_by("direction", "new_status__start_date", "student__student_number")
    )
    recognitions = list(
        credit_records_visible_to(user)
        .filter(
            student__in=[t.student_id for t in transfers],
            recognised_from__isnull=False,
        )
        .select_related("recognised_from__course__school")
        .order_by("student__student_number", "term__start_date", "recognised_from__course__code")
    )
    versions = list(
        policies_visible_to(user)
        .filter(pilot_area=area, cohort_year=cohort_year, state__in=APPROVED_VERSIONS)
        .select_related("approved_by")
        .prefetch_related(
            "components",
            Prefetch("quotas", queryset=SeatQuota.objects.select_related("school", "major")),
        )
        .order_by("version")
    )
    in_force = _in_force(versions)
    wanted = {t.policy_id for t in transfers} | ({in_force.pk} if in_force else set())
    return FilingPackage(
        area=area,
        cohort_year=cohort_year,
        start=start,
        end=end,
        policies=[p for p in versions if p.pk in wanted],
        transfers=transfers,
        recognitions=recognitions,
        generated_at=timezone.now(),
        generated_by=user,
        # In Chinese, as the whole package is.
        decisions=_decisions_in_chinese(transfers),
    )


def _decisions_in_chinese(transfers) -> "dict[int, Decision]":
    with translation.override("zh-hans"):
        return decisions_build(list(transfers))


# --- the workbook -----------------------------------------------------------------------------


def _summary_sheet(sheet, package: FilingPackage) -> None:
    sheet.title = _("Summary")
    policy = package.policy_in_force
    _row(sheet, [_("Filing package: student-status transfers")], bold=True)
    sheet["A1"].font = Font(bold=True, size=14)
    _row(sheet, [])
    for label, value in [
        (_("Pilot area"), f"{package.area.name} ({package.area.code})"),
        (_("Municipality"), package.area.municipality.name),
        (_("Cohort"), package.cohort_year),
        (_("Start date"), package.start),
        (_("End date"), package.end),
        (_("Transfer policy"), str(policy) if policy else _("No approved policy version")),
        (_("Generated at"), _local(package.generated_at)),
        (_("Generated by"), _person(package.generated_by)),
    ]:
        _row(sheet, [label, value])
        sheet.cell(sheet.max_row, 1).font = BOLD
    _row(sheet, [])
    _row(
        sheet,
        [
            _("Direction"),
            _("Completed transfers"),
            _("Credit recognitions"),
            _("Credits at the sending school"),
            _("Credits recognised"),
        ],
        bold=True,
    )
    for line in package.summary():
        _row(
            sheet,
            [
                str(line.label),
                line.transfers,
                line.recognitions,
                line.origin_credits,
                line.recognised_credits,
            ],
            bold=not line.direction,
        )
    _widths(sheet, [24, 40, 18, 22, 18])


#: The pack's settings the policy sheet lists with the version's own fields, as numbers.
LISTED_ABOVE = {"min_first_semester_credits", "notice_days", "max_applications", "max_choices"}


def _policy_sheet(sheet, package: FilingPackage) -> None:
    sheet.title = _("Transfer policy")
    if not package.policies:
        _row(sheet, [_("No approved policy version")])
    for policy in package.policies:
        _row(sheet, [str(policy)], bold=True)
        for name, value in [
            ("title", policy.title),
            ("version", policy.version),
            ("state", policy.get_state_display()),
            ("window_opens", _local(policy.window_opens)),
            ("window_closes", _local(policy.window_closes)),
            ("min_first_semester_credits", policy.min_first_semester_credits),
            ("notice_days", policy.notice_days),
            ("max_applications", policy.max_applications),
            ("max_choices", policy.max_choices),
            ("approved_at", _local(policy.approved_at)),
            ("approved_by", _person(policy.approved_by)),
        ]:
            _row(sheet, [_field(TransferPolicy, name), value])
        _row(sheet, [])
        pack = pack_of(policy)
        _row(sheet, [_("Rule pack"), str(pack.title), date_format(pack.dated)], bold=True)
        _row(sheet, [_("Setting"), _("This version"), _("The pack"), _("Source")], bold=True)
        for rule in policy_rule_rows(policy):
            if rule.name not in LISTED_ABOVE:
                _row(sheet, [rule.label, rule.words, rule.pack_words, rule.source])
        _row(sheet, [])
        _row(sheet, [_("Assessment standards")], bold=True)
        _row(
            sheet,
            [
                _("Direction"),
                _("Kind"),
                _("Subject"),
                _("Maximum score"),
                _("Pass mark"),
                _("Weight"),
            ],
            bold=True,
        )
        for c in policy.components.all():
            _row(
                sheet,
                [
                    c.get_direction_display(),
                    c.get_kind_display(),
                    c.name,
                    c.max_score,
                    c.pass_mark,
                    c.weight,
                ],
            )
        _row(sheet, [])
        _row(sheet, [_("Seats")], bold=True)
        _row(sheet, [_("Receiving school"), _("Major"), _("Seats")], bold=True)
        for quota in policy.quotas.all():
            _row(sheet, [quota.school.name, str(quota.major), quota.seats])
        _row(sheet, [])
    _widths(sheet, [30, 30, 16, 14, 12, 10])


def _transfers_sheet(sheet, package: FilingPackage) -> None:
    sheet.title = _("Completed transfers")
    components = package.components()
    _row(
        sheet,
        [
            _("No."),
            _("Student number"),
            pgettext("person", "Name"),
            _("Direction"),
            _("Sending school"),
            _("Major at the sending school"),
            _("Receiving school"),
            _("Major at the receiving school"),
            _("Policy version"),
            _("Submitted on"),
            _("Approved on"),
            _("Completed on"),
            _("Weighted total"),
            *[f"{Direction(d).label} · {name}" for d, name in components],
        ],
        bold=True,
    )
    for number, t in enumerate(package.transfers, start=1):
        scores = {(s.component.direction, s.component.name): s.value for s in t.scores.all()}
        from_major = t.from_status.major
        _row(
            sheet,
            [
                number,
                student_number_for(package.generated_by, t.student),
                t.student.name,
                t.get_direction_display(),
                t.from_school.name,
                str(from_major) if from_major else "",
                t.to_school.name,
                str(t.to_major),
                t.policy.version,
                _local(t.submitted_at),
                _local(t.approved_at),
                _local(t.completed_at),
                t.total_score,
                *[scores.get(key) for key in components],
            ],
        )
    sheet.freeze_panes = "D2"
    _widths(sheet, [6, 22, 10, 16, 22, 20, 22, 20, 8, 17, 17, 17, 10] + [14] * len(components))


def _recognitions_sheet(sheet, package: FilingPackage) -> None:
    sheet.title = _("Credit recognitions")
    _row(
        sheet,
        [
            _("No."),
            _("Student number"),
            pgettext("person", "Name"),
            _("Term"),
            _("Original course code"),
            _("Original course"),
            _("Original school"),
            _("Original credits"),
            _("Recognised course code"),
            _("Recognised course"),
            _("Recognising school"),
            _field(Course, "category"),
            _("Credits recognised"),
        ],
        bold=True,
    )
    for number, record in enumerate(package.recognitions, start=1):
        origin = _recognised_from(record)
        _row(
            sheet,
            [
                number,
                student_number_for(package.generated_by, record.student),
                record.student.name,
                str(record.term),
                origin.course.code,
                origin.course.name,
                origin.course.school.name,
                origin.credits_earned,
                record.course.code,
                record.course.name,
                record.course.school.name,
                record.course.get_category_display(),
                record.credits_earned,
            ],
        )
    sheet.freeze_panes = "D2"
    _widths(sheet, [6, 22, 10, 22, 16, 20, 22, 10, 18, 24, 22, 14, 10])


def _decisions_sheet(sheet, package: FilingPackage) -> None:
    """Each transfer's decision, explained as on the student's page: the checks, the scores
    against their maxima, pass marks and weights, the total's formula, the rank of N, the
    seats and cut-off, the tie-break if it mattered, and every correction by version."""
    sheet.title = _("Decisions explained")
    _row(sheet, [_("No."), pgettext("person", "Name"), _("How the decision was made")], bold=True)
    for number, t in enumerate(package.transfers, start=1):
        decision = package.decisions.get(t.pk)
        _row(sheet, [number, t.student.name, decision_text(decision) if decision else ""])
    for cell in sheet["C"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    _widths(sheet, [6, 12, 110])


def filing_package_xlsx(*, package: FilingPackage) -> bytes:
    """The package as an XLSX workbook, in Chinese whatever the reader's language: it goes to
    the provincial department as it is. The summary is the first sheet."""
    workbook = Workbook()
    with translation.override("zh-hans"):
        _summary_sheet(workbook.active, package)
        _policy_sheet(workbook.create_sheet(), package)
        _transfers_sheet(workbook.create_sheet(), package)
        _recognitions_sheet(workbook.create_sheet(), package)
        _decisions_sheet(workbook.create_sheet(), package)
        workbook.properties.title = _("Filing package: student-status transfers")
    workbook.properties.creator = _person(package.generated_by)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
