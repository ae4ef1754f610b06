"""Rule 5 from a spreadsheet: the district downloads the session's score sheet, fills it in
Excel, and uploads it.

The upload is checked first (the dry run): every row, with its line, column and message, and
nothing is saved. Only a file whose every row is valid can be saved, and saving goes through
``scores_enter``, so the rules of the on-screen sheet hold, checked again under its row
locks, all or nothing. Between the two steps the checked scores travel signed, for this
district officer and this policy only, so what is saved is what was checked.

Reading the file is the registrar import's (``imports``): its reader, its header matching
and its cell-by-cell checks, with their messages.
"""

from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from imports.exports import write_csv, write_xlsx
from imports.plan import Action, Lookup, Plan, RowResult, note_duplicate
from imports.reading import FileRefused, read_table
from imports.rows import RowCheck
from imports.services import PART_ROWS, table_layout
from schools.models import User

from ..models import Application, TransferPolicy
from ..score_sheets import APPLICATION, SheetColumns, plain, sheet_columns, template_rows
from ..selectors import applications_visible_to
from .assessment import application_result, assert_assessor_of, scores_enter, to_assess

S = Application.State
FORMATS = ("csv", "xlsx")
#: How long a checked file may wait to be saved; then it is checked again.
CHECK_VALID_SECONDS = 60 * 60


@dataclass
class ScoreSheetCheck:
    """The dry run of one uploaded file: a refusal of the whole file, or a result per row;
    and, when every row is valid, the signed scores the commit step saves."""

    error: str = ""
    results: list[RowResult] = field(default_factory=list)
    errors: int = 0
    token: str = ""

    @property
    def may_commit(self) -> bool:
        return bool(self.token)


@dataclass
class _Row:
    check: RowCheck
    number: int | None
    #: The component name's score, None when the cell is empty or was refused.
    values: dict[str, Decimal | None]
    #: Component names whose cell was refused (not a number, a formula...).
    refused: set[str]
    #: What the row says of its application, once checked against it.
    label: str = ""
    changes: list[str] = field(default_factory=list)


def score_template(*, actor: User, policy: TransferPolicy, fmt: str) -> bytes:
    """The session's sheet to fill in: one row per applicant awaiting assessment, by
    direction then application number."""
    assert_assessor_of(actor, policy)
    if fmt not in FORMATS:
        raise ValueError(f"no score sheet as {fmt!r}")
    sheet = _sheet(policy)
    applications = (
        to_assess(actor, policy, applications_visible_to(actor))
        .filter(state=S.ELIGIBLE)
        .order_by("direction", "pk")
    )
    rows = template_rows(applications, sheet)
    if fmt == "csv":
        return write_csv(columns=sheet.columns, rows=rows)
    return write_xlsx(columns=sheet.columns, rows=rows, title=_("Scores"), notes=True)


def score_sheet_check(
    *, actor: User, policy: TransferPolicy, filename: str, content: bytes
) -> ScoreSheetCheck:
    """The dry run: check every row against the policy's applicants and components; nothing
    is written. The file is read once, and the applications are read a part of the file at
    a time (a query per part, never per row)."""
    assert_assessor_of(actor, policy)
    sheet = _sheet(policy)
    try:
        with closing(read_table(filename=filename, content=content)) as table:
            layout = table_layout(table, sheet.columns)
            rows = []
            for line, cells in table.rows:
                check = RowCheck(line=line, cells=cells, layout=layout)
                rows.append(_read_row(check, sheet))
                check.done()
    except FileRefused as refused:
        return ScoreSheetCheck(error=refused.message)
    plan = Plan()
    scores: dict[int, dict[int, Decimal]] = {}
    seen: dict[int, int] = {}
    # Only this policy's applications: another policy's or area's number is "not found",
    # as an unknown one is.
    applications = Lookup(to_assess(actor, policy, applications_visible_to(actor)), "pk")
    # A row's problems are listed in the order of its columns, as the file has them.
    order = {layout.headers[column.name]: index for index, column in enumerate(sheet.columns)}
    remaining = iter(rows)
    while part := list(islice(remaining, PART_ROWS)):
        found = applications.read(row.number for row in part)
        for row in part:
            _check_row(row, found, sheet, seen, scores)
            if isinstance(row.check.errors, list):
                row.check.errors.sort(key=lambda error: order.get(error["column"], 0))
            plan.add(row.check, action=Action.CREATE, label=row.label, changes=row.changes)
    token = "" if plan.has_errors else _sign(actor, policy, scores)
    return ScoreSheetCheck(results=plan.results, errors=plan.errors, token=token)


@transaction.atomic
def score_sheet_commit(*, actor: User, policy: TransferPolicy, token: str) -> list[Application]:
    """Save the scores of a checked file, all or nothing, through ``scores_enter``: what
    changed since the check (an application withdrawn, scores typed on the sheet) is
    refused there."""
    assert_assessor_of(actor, policy)
    try:
        signed = signing.loads(token, salt=_salt(actor, policy), max_age=CHECK_VALID_SECONDS)
        scores = {
            int(application): {
                int(component): Decimal(value) for component, value in components.items()
            }
            for application, components in signed.items()
        }
    except (signing.BadSignature, AttributeError, TypeError, ValueError) as exc:
        raise ValidationError(
            _("This check has expired or is not for this policy: upload the file again.")
        ) from exc
    if not scores:
        raise ValidationError(_("The file has no scores to save."))
    return scores_enter(actor=actor, policy=policy, scores=scores)


def _sheet(policy: TransferPolicy) -> SheetColumns:
    return sheet_columns(policy.components.order_by("direction", "pk"))


def _read_row(check: RowCheck, sheet: SheetColumns) -> _Row:
    """The row's cells, checked one by one (a number, not a formula...)."""
    number = check.integer(APPLICATION)
    values: dict[str, Decimal | None] = {}
    refused = set()
    for name in sheet.components:
        before = len(check.errors)
        values[name] = check.decimal(name, required=False)
        if len(check.errors) > before:
            refused.add(name)
    return _Row(check=check, number=number, values=values, refused=refused)


def _check_row(
    row: _Row,
    found: dict,
    sheet: SheetColumns,
    seen: dict[int, int],
    scores: dict[int, dict[int, Decimal]],
) -> None:
    """The row against its application: there, awaiting assessment, once in the file, a
    score for each of its direction's components within the component's range. A valid
    row's scores go into ``scores``."""
    check, number = row.check, row.number
    row.label = "" if number is None else str(number)
    note_duplicate(
        check,
        APPLICATION,
        number,
        seen,
        _("This application is on line %(line)s already: give each application one row."),
    )
    application = found.get(number) if number is not None else None
    if number is not None and application is None:
        check.error(APPLICATION, _("Application %(number)s was not found.") % {"number": number})
    elif application is not None and application.state != S.ELIGIBLE:
        check.error(
            APPLICATION,
            _("Application %(number)s is %(state)s, not awaiting assessment.")
            % {"number": application.pk, "state": application.get_state_display()},
        )
        application = None
    if application is None:
        return
    row.label = f"{application.pk} {application.student.name}"
    given: dict[int, Decimal] = {}
    own = []
    for name, of_direction in sheet.components.items():
        component = of_direction.get(application.direction)
        value = row.values[name]
        if name in row.refused:
            continue
        if component is None:
            if value is not None:
                check.error(
                    name,
                    _("Applicants %(direction)s have no such component: leave the cell empty.")
                    % {"direction": application.get_direction_display()},
                )
            continue
        own.append(component)
        if value is None:
            check.error(name, _("The score is missing."))
        elif value < 0:
            check.error(name, _("%(value)s is below the minimum 0.") % {"value": plain(value)})
        elif value > component.max_score:
            check.error(
                name,
                _("%(value)s is above the maximum %(max)s.")
                % {"value": plain(value), "max": plain(component.max_score)},
            )
        elif _decimal_places(value) > 1:
            check.error(
                name,
                _("%(value)s has more than one decimal place.") % {"value": plain(value)},
            )
        else:
            given[component.pk] = value
    if check.errors or not own:
        return
    scores[application.pk] = given
    total, passed = application_result(application, given, own)
    row.changes = [f"{component.name} {plain(given[component.pk])}" for component in own]
    row.changes.append(
        _("Weighted total %(total)s; %(verdict)s.")
        % {
            "total": total,
            "verdict": _("meets the standards") if passed else _("does not meet the standards"),
        }
    )


def _decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _salt(actor: User, policy: TransferPolicy) -> str:
    return f"transfers.score_sheet:{policy.pk}:{actor.pk}"


def _sign(actor: User, policy: TransferPolicy, scores: dict[int, dict[int, Decimal]]) -> str:
    payload = {
        str(application): {str(component): str(value) for component, value in given.items()}
        for application, given in scores.items()
    }
    return signing.dumps(payload, salt=_salt(actor, policy), compress=True)
