"""The assessment session's score sheet as a file: its columns and the template's rows.

One row per applicant awaiting assessment; one column per distinct component name across the
policy's directions (both directions' applicants may share a file: 面试 is one column; a
component only one direction has says so in its header, and its cells stay empty for the
others). The headers are the file's format, in Chinese and English like the registrar
import's (``imports.columns``), so they are not translated; the notes sheet is. Student and
ID-card numbers are never in the file: the application number names the row.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.columns import Column

from .models import Application, AssessmentComponent, Direction

APPLICATION = "application_number"
READ_ONLY = gettext_lazy("For reading only; not imported.")

FIXED_COLUMNS = (
    Column(
        APPLICATION,
        "申请编号",
        gettext_lazy("The application's number, as in the template; do not change it."),
        english="Application number",
    ),
    Column(
        "student_name",
        "学生姓名",
        READ_ONLY,
        required=False,
        informational=True,
        english="Student name",
    ),
    Column(
        "receiving_school",
        "转入学校",
        READ_ONLY,
        required=False,
        informational=True,
        english="Receiving school",
    ),
    Column("major", "专业", READ_ONLY, required=False, informational=True, english="Major"),
    Column(
        "direction", "转学方向", READ_ONLY, required=False, informational=True, english="Direction"
    ),
)

#: The directions as a header writes them, whatever the compiled catalogue holds.
DIRECTION_HEADERS = {
    Direction.GENERAL_TO_VOCATIONAL: ("普高转中职", "general → vocational"),
    Direction.VOCATIONAL_TO_GENERAL: ("中职转普高", "vocational → general"),
}


@dataclass(frozen=True)
class SheetColumns:
    """A policy's score sheet: its columns, and for each component column (by its name,
    the component's) the component of each direction that has one."""

    columns: tuple[Column, ...]
    components: dict[str, dict[str, AssessmentComponent]]


def sheet_columns(components: Iterable[AssessmentComponent]) -> SheetColumns:
    by_name: dict[str, dict[str, AssessmentComponent]] = {}
    for component in components:
        by_name.setdefault(component.name, {})[component.direction] = component
    directions = {direction for of_name in by_name.values() for direction in of_name}
    columns = list(FIXED_COLUMNS)
    for name, of_direction in by_name.items():
        columns.append(_component_column(name, of_direction, everyone=directions))
    return SheetColumns(columns=tuple(columns), components=by_name)


def _component_column(
    name: str, of_direction: dict[str, AssessmentComponent], *, everyone: set[str]
) -> Column:
    first = next(iter(of_direction.values()))
    with translation.override("en"):
        kind = str(AssessmentComponent.Kind(first.kind).label)
    chinese, english = name, kind
    notes = [
        _("%(direction)s: out of %(max)s, pass mark %(pass_mark)s.")
        % {
            "direction": Direction(direction).label,
            "max": plain(component.max_score),
            "pass_mark": plain(component.pass_mark),
        }
        for direction, component in of_direction.items()
    ]
    if set(of_direction) != everyone:
        only = [DIRECTION_HEADERS[Direction(direction)] for direction in of_direction]
        chinese = f"{name}（仅{'、'.join(zh for zh, _en in only)}）"
        english = f"{kind}, {' and '.join(en for _zh, en in only)} only"
        notes.append(_("Only applicants of this direction have it: leave it empty for the others."))
    # Keyed by the component's name: "面试" alone is a header that names the column too.
    return Column(name, chinese, " ".join(notes), english=english)


def plain(number) -> str:
    """100.0 as 100, 92.50 as 92.5: a score as people write it."""
    return f"{number.normalize():f}"


def template_rows(applications: Iterable[Application], sheet: SheetColumns) -> list[list]:
    """A row per application, its scores left to fill in."""
    blanks = [None] * (len(sheet.columns) - len(FIXED_COLUMNS))
    return [
        [
            application.pk,
            application.student.name,
            application.to_school.name,
            application.to_major.name,
            application.get_direction_display(),
            *blanks,
        ]
        for application in applications
    ]
