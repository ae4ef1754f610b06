"""What checking a file decides for each row, shared by the three kinds of file."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from schools.models import School

from .rows import RowCheck, shown


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class Plan:
    """A result per row, and what writing the file would do."""

    results: list[dict] = field(default_factory=list)
    writes: dict[str, Any] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(result["action"] == Action.ERROR for result in self.results)

    def add(self, check: RowCheck, *, action: str, label: str, changes=()) -> None:
        result = {
            "line": check.line,
            "action": Action.ERROR if check.errors else action,
            "label": shown(label, 60),
            "errors": check.errors,
        }
        if changes and not check.errors:
            result["changes"] = list(changes)
        self.results.append(result)


def check_school(check: RowCheck, column: str, code: str, schools: dict, own: School):
    """A registrar imports into their own school only; the code names which."""
    if not code:
        return None
    school = schools.get(code)
    if school is None:
        check.error(column, _("No school has the code %(code)s.") % {"code": shown(code)})
        return None
    if school.pk != own.pk:
        check.error(
            column,
            _("%(school)s is not your school: you can import only into %(own)s (%(code)s).")
            % {"school": school.name, "own": own.name, "code": own.code},
        )
        return None
    return school


def note_duplicate(check: RowCheck, column: str, key, seen: dict, message) -> None:
    """The first row with a key stands; each later one is an error naming the first."""
    if key is None:
        return
    if key in seen:
        check.error(column, message % {"line": seen[key]})
    else:
        seen[key] = check.line
