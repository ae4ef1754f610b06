"""What checking a file decides for each row, shared by the three kinds of file."""

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from schools.models import School

from .rows import RowCheck, shown


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


class RowResult(NamedTuple):
    """A row's result, held as a tuple: a file of 100,000 rows keeps 100,000 of them."""

    line: int
    action: str
    label: str
    errors: list | None = None
    changes: list | None = None

    def as_dict(self) -> dict:
        """As the job stores it: errors and changes only where a row has some."""
        result = {"line": self.line, "action": self.action, "label": self.label}
        if self.errors:
            result["errors"] = self.errors
        if self.changes:
            result["changes"] = self.changes
        return result


@dataclass
class Plan:
    """A result per row of a part of the file, and what writing that part would do."""

    results: list[RowResult] = field(default_factory=list)
    writes: dict[str, Any] = field(default_factory=dict)
    errors: int = 0

    @property
    def has_errors(self) -> bool:
        return self.errors > 0

    def add(self, check: RowCheck, *, action: str, label: str, changes=()) -> None:
        if check.errors:
            self.errors += 1
            self.results.append(RowResult(check.line, Action.ERROR, shown(label, 60), check.errors))
        else:
            self.results.append(
                RowResult(check.line, action, shown(label, 60), None, list(changes) or None)
            )


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


class Lookup:
    """Records named in a file, by a key (a school's code, a class's name), read a part of
    the file at a time: each key is asked for once, the first time a part names it."""

    def __init__(self, queryset, key: str, *, many: bool = False):
        self._queryset = queryset
        self._key = key
        self._many = many
        self._asked: set = set()
        self.found: dict = {}

    def read(self, keys) -> dict:
        """Read the keys not asked for yet; returns everything found so far, by key."""
        missing = {key for key in keys if key} - self._asked
        if missing:
            for record in self._queryset.filter(**{f"{self._key}__in": missing}):
                key = getattr(record, self._key)
                if self._many:
                    self.found.setdefault(key, []).append(record)
                else:
                    self.found[key] = record
            self._asked |= missing
        return self.found
