"""Reading the semester status review (学籍核查, rule 8): its progress per school and its
findings, always within the reader's scope.

The review is of the registrations as they are now: a school's registered students are those
with an active status record there, and a confirmation counts only while the student is still
registered at the school that confirmed them. Three kinds of finding:

* unconfirmed: registered at a school but not confirmed in that school's review for the term,
  a possible empty registration (空挂学籍);
* confirmed without status: a school confirmed a student who holds no active status there;
* duplicate: the same person, by ID-card number, with more than one active status
  (重复学籍). The constraints forbid it for rows written today; the review proves it on the
  data, including rows that came in before the constraints, as two Student rows whose
  ID-card numbers differ only in how they were typed (a lowercase x, spaces, full-width digits).
"""

import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.exceptions import get_or_not_found
from core.parsing import parse_id
from schools.models import School, Term, User
from schools.selectors import schools_visible_to

from ..models import (
    StatusConfirmation,
    StatusRecord,
    StatusReview,
    Student,
    normalised_id_card_number,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ACTIVE = StatusRecord.State.ACTIVE


class Progress(TypedDict):
    """What ``with_progress`` annotates a review with."""

    registered: int
    confirmed: int
    percent: int


# --- terms and reviews ----------------------------------------------------------------------


def term_current(*, today: datetime.date | None = None) -> Term | None:
    """The term whose dates contain today (China's date: the settings' time zone)."""
    today = today or timezone.localdate()
    return (
        Term.objects.select_related("academic_year")
        .filter(start_date__lte=today, end_date__gte=today)
        .order_by("-start_date")
        .first()
    )


def _may_see_reviews(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and user.role != User.Role.STUDENT
    )


def reviews_visible_to(user) -> QuerySet[StatusReview]:
    """A registrar sees their school's reviews, a district its area's, a bureau its city's;
    students none (the review is the schools' business, not a student's)."""
    reviews = StatusReview.objects.select_related("school__pilot_area", "term__academic_year")
    if not _may_see_reviews(user):
        return reviews.none()
    return reviews.filter(school__in=schools_visible_to(user))


def review_get_for_user(*, user, pk) -> StatusReview:
    """Another school's review is not there for you: 404, like one that does not exist."""
    return get_or_not_found(reviews_visible_to(user), pk=pk)


def review_terms_for(
    user, *, today: datetime.date | None = None, current: Term | None = None
) -> QuerySet[Term]:
    """Terms worth choosing: the current one and any with a review in the user's scope."""
    current = current or term_current(today=today)
    condition = Q(pk__in=reviews_visible_to(user).values("term"))
    if current is not None:
        condition |= Q(pk=current.pk)
    return Term.objects.select_related("academic_year").filter(condition).order_by("-start_date")


def review_term_for(user, raw=None, *, today: datetime.date | None = None) -> Term | None:
    """The term a page shows: the one asked for if it is on offer, else the current term,
    else the latest with a review, else none."""
    current = term_current(today=today)
    terms = review_terms_for(user, current=current)
    if (term_id := parse_id(raw)) is not None:
        chosen = terms.filter(pk=term_id).first()
        if chosen is not None:
            return chosen
    return current or terms.first()


# --- progress -------------------------------------------------------------------------------


def _count(queryset, group_by: str):
    counted = queryset.order_by().values(group_by).annotate(n=Count("student", distinct=True))
    return Coalesce(Subquery(counted.values("n")[:1]), 0, output_field=IntegerField())


def with_progress(
    reviews: QuerySet[StatusReview],
) -> "QuerySet[WithAnnotations[StatusReview, Progress]]":
    """Annotate ``registered``, ``confirmed`` and ``percent`` (rounded down, so 199 of 200 is
    99, never 100) in one query whatever the number of schools."""
    registered = StatusRecord.objects.filter(school=OuterRef("school"), state=ACTIVE)
    confirmed = StatusConfirmation.objects.filter(
        review=OuterRef("pk"),
        student__status_records__school=OuterRef("school"),
        student__status_records__state=ACTIVE,
    )
    return reviews.annotate(
        registered=_count(registered, "school"),
        confirmed=_count(confirmed, "review"),
    ).annotate(
        percent=Case(
            When(registered=0, then=Value(100)),
            default=F("confirmed") * 100 / F("registered"),
            output_field=IntegerField(),
        )
    )


def review_progress(review: StatusReview) -> "WithAnnotations[StatusReview, Progress]":
    """The one review, annotated as ``with_progress`` annotates a list."""
    return with_progress(StatusReview.objects.select_related("school", "term__academic_year")).get(
        pk=review.pk
    )


@dataclass
class ProgressTotals:
    schools: int = 0
    finished: int = 0
    registered: int = 0
    confirmed: int = 0

    @property
    def percent(self) -> int:
        return 100 * self.confirmed // self.registered if self.registered else 100


def progress_totals(reviews: QuerySet[StatusReview]) -> ProgressTotals:
    totals = ProgressTotals()
    for state, registered, confirmed in with_progress(reviews).values_list(
        "state", "registered", "confirmed"
    ):
        totals.schools += 1
        totals.finished += state == StatusReview.State.FINISHED
        totals.registered += registered
        totals.confirmed += confirmed
    return totals


def review_records(review: StatusReview) -> QuerySet[StatusRecord]:
    """The school's registered students for the review page, each with ``confirmed``."""
    confirmation = StatusConfirmation.objects.filter(review=review, student=OuterRef("student"))
    return (
        StatusRecord.objects.filter(school=review.school_id, state=ACTIVE)
        .select_related("student", "integration_class")
        .annotate(
            confirmed=Exists(confirmation),
            confirmed_at=Subquery(confirmation.values("confirmed_at")[:1]),
        )
    )


# --- findings -------------------------------------------------------------------------------


def _scoped_schools(user, school: School | None) -> QuerySet[School]:
    schools = schools_visible_to(user) if _may_see_reviews(user) else School.objects.none()
    return schools.filter(pk=school.pk) if school is not None else schools


def _scoped_school_ids(user, school: School | None) -> list[int]:
    """The scope as a list of ids, read once: the planner then sizes the records it covers
    from their own statistics. Behind a subquery it guessed (one school for the bureau's whole
    city, the schools table not yet analysed) and probed the confirmations once per record:
    1.7 s at city scale, where one hash anti join takes about a tenth of that."""
    return list(_scoped_schools(user, school).order_by().values_list("pk", flat=True))


def _term_review_ids(term: Term, schools: list[int]) -> list[int]:
    """The term's reviews at these schools, as ids: the confirmations are narrowed to them
    before they are matched (a district's, not the city's), by an estimate the planner takes
    from the confirmations' own statistics."""
    reviews = StatusReview.objects.filter(term=term, school__in=schools).order_by()
    return list(reviews.values_list("pk", flat=True))


def unconfirmed_records(
    user, *, term: Term, school: School | None = None
) -> QuerySet[StatusRecord]:
    """Registered, not confirmed for the term: possible empty registrations. A school whose
    review has not been opened counts too, so nothing hides behind a missing review."""
    schools = _scoped_school_ids(user, school)
    confirmed = StatusConfirmation.objects.filter(
        review__in=_term_review_ids(term, schools),
        review__school=OuterRef("school"),
        student=OuterRef("student"),
    )
    return (
        StatusRecord.objects.filter(state=ACTIVE, school__in=schools)
        .exclude(Exists(confirmed))
        .select_related("student", "school")
    )


def confirmations_without_status(
    user, *, term: Term, school: School | None = None
) -> QuerySet[StatusConfirmation]:
    """Confirmed as attending by a school where the student holds no active status."""
    registered_there = StatusRecord.objects.filter(
        student=OuterRef("student"), school=OuterRef("review__school"), state=ACTIVE
    )
    return (
        StatusConfirmation.objects.filter(
            review__in=_term_review_ids(term, _scoped_school_ids(user, school))
        )
        .exclude(Exists(registered_there))
        .select_related("student", "review__school", "confirmed_by")
    )


@dataclass
class DuplicateRegistration:
    """One person with more than one active status. Records at schools outside the reader's
    scope are listed by school only (``visible`` is False): the reader learns where to ask,
    not another school's student details."""

    person: str
    records: Sequence[StatusRecord] = field(default_factory=list)
    visible: set[int] = field(default_factory=set)

    def entries(self):
        return [(record, record.school_id in self.visible) for record in self.records]


# Whether the index of one active record per student stands, and a unique index on the
# ID-card number alone. PostgreSQL's catalogue, in one statement: Django's introspection reads
# every constraint of both tables, a few milliseconds more than the whole check it guards.
_UNIQUE_INDEXES_SQL = """
SELECT EXISTS (
    SELECT 1 FROM pg_index
    WHERE indexrelid = to_regclass(%s) AND indisunique AND indisvalid
) AND EXISTS (
    SELECT 1 FROM pg_index i
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = to_regclass(%s) AND a.attname = %s
        AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1 AND i.indpred IS NULL
)
"""


def _unique_indexes_stand() -> bool:
    """One Student row per ID-card number and one active record per student: what the
    database guarantees today, read from it rather than assumed, since data restored from
    before these indexes (or an index dropped by hand) may break either."""
    one_active = "status_one_active_per_student"  # the model's UniqueConstraint
    students = Student._meta.db_table
    number = Student._meta.get_field("id_card_number").column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_UNIQUE_INDEXES_SQL, [one_active, students, number])
            return cursor.fetchone()[0]
        introspection = connection.introspection
        records = introspection.get_constraints(cursor, StatusRecord._meta.db_table)
        student_constraints = introspection.get_constraints(cursor, students).values()
    return records.get(one_active, {}).get("unique", False) and any(
        c["unique"] and c["columns"] == [number] for c in student_constraints
    )


def duplicate_registrations(user, *, school: School | None = None) -> list[DuplicateRegistration]:
    """Every person with two or more active statuses of whom one is in the reader's scope."""
    active = StatusRecord.objects.filter(state=ACTIVE).annotate(
        person=normalised_id_card_number("student__id_card_number")
    )
    if _unique_indexes_stand():
        # Then a person with two active records is two registered Student rows whose numbers
        # differ only in typing, and one of the two is irregular (not in its normal form).
        # Those are a few rows from before the format check, in an index of their own: the
        # records read are theirs and those of the students holding their numbers' normal
        # forms. Almost always none is registered, and nothing else is read.
        irregular = (
            Student.objects.filter(id_card_number_irregular=True)
            .filter(Exists(StatusRecord.objects.filter(student=OuterRef("pk"), state=ACTIVE)))
            .order_by()
        )
        if not irregular.exists():
            return []
        normal_forms = irregular.values(person=normalised_id_card_number("id_card_number"))
        twins = Student.objects.filter(id_card_number__in=normal_forms).order_by()
        active = active.filter(
            student__in=irregular.values("pk").union(twins.values("pk"), all=True)
        )
    # Otherwise every active record is read: two Student rows of one number, or (the index
    # gone) one Student with two active records, could each be a person registered twice.
    # One pass finds the repeated people; the join below runs only when there are some.
    repeated = list(
        active.order_by()
        .values("person")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("person", flat=True)
    )
    if not repeated:
        return []
    records = list(
        active.filter(person__in=repeated)
        .select_related("student", "school")
        .order_by("person", "school__code", "pk")
    )
    # Details of every record in the reader's scope, not only of the one school asked about.
    visible = set(
        _scoped_schools(user, None)
        .filter(pk__in={r.school_id for r in records})
        .values_list("pk", flat=True)
    )
    asked = visible if school is None else visible & {school.pk}
    groups = [
        (person, list(group))
        for person, group in itertools.groupby(records, key=lambda r: r.person)
    ]
    return [
        DuplicateRegistration(person=person, records=group, visible=visible)
        for person, group in groups
        if any(record.school_id in asked for record in group)
    ]


@dataclass
class Findings:
    term: Term
    unconfirmed: QuerySet[StatusRecord]
    without_status: QuerySet[StatusConfirmation]
    duplicates: list[DuplicateRegistration]

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.unconfirmed.exists() or self.without_status.exists())


def review_findings(user, *, term: Term, school: School | None = None) -> Findings:
    """Everything the review flags for the term, in the user's scope (or one school of it)."""
    return Findings(
        term=term,
        unconfirmed=unconfirmed_records(user, term=term, school=school),
        without_status=confirmations_without_status(user, term=term, school=school),
        duplicates=duplicate_registrations(user, school=school),
    )
