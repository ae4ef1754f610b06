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
from dataclasses import dataclass, field

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
from django.db.models.functions import Coalesce, Replace, Upper
from django.shortcuts import get_object_or_404
from django.utils import timezone

from schools.models import School, Term, User
from schools.selectors import schools_visible_to

from .models import StatusConfirmation, StatusRecord, StatusReview

ACTIVE = StatusRecord.State.ACTIVE

# What normalise_id_card_number() folds, as SQL: full-width digits and x, a lowercase x, and
# spaces (ASCII, ideographic, tabs). Kept beside it in tests (test_review_findings) so the two
# cannot drift apart.
_ID_CARD_FOLDS = [(chr(0xFF10 + d), str(d)) for d in range(10)] + [
    ("Ｘ", "X"),
    ("ｘ", "X"),
    (" ", ""),
    ("\u3000", ""),
    ("\t", ""),
]


def normalised_id_card_number(value):
    """An expression giving the ID-card number (a field name or an expression) the way
    normalise_id_card_number() writes it."""
    expression = F(value) if isinstance(value, str) else value
    for typed, meant in _ID_CARD_FOLDS:
        expression = Replace(expression, Value(typed), Value(meant))
    return Upper(expression)


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
    return get_object_or_404(reviews_visible_to(user), pk=pk)


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
    if raw and str(raw).isdigit():
        chosen = terms.filter(pk=int(raw)).first()
        if chosen is not None:
            return chosen
    return current or terms.first()


# --- progress -------------------------------------------------------------------------------


def _count(queryset, group_by: str):
    counted = queryset.order_by().values(group_by).annotate(n=Count("student", distinct=True))
    return Coalesce(Subquery(counted.values("n")[:1]), 0, output_field=IntegerField())


def with_progress(reviews: QuerySet[StatusReview]) -> QuerySet[StatusReview]:
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


def review_progress(review: StatusReview) -> StatusReview:
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


def unconfirmed_records(
    user, *, term: Term, school: School | None = None
) -> QuerySet[StatusRecord]:
    """Registered, not confirmed for the term: possible empty registrations. A school whose
    review has not been opened counts too, so nothing hides behind a missing review."""
    confirmed = StatusConfirmation.objects.filter(
        review__term=term, review__school=OuterRef("school"), student=OuterRef("student")
    )
    return (
        StatusRecord.objects.filter(state=ACTIVE, school__in=_scoped_schools(user, school))
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
            review__term=term, review__school__in=_scoped_schools(user, school)
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
    records: list[StatusRecord] = field(default_factory=list)
    visible: set[int] = field(default_factory=set)

    def entries(self):
        return [(record, record.school_id in self.visible) for record in self.records]


def duplicate_registrations(user, *, school: School | None = None) -> list[DuplicateRegistration]:
    """Every person with two or more active statuses of whom one is in the reader's scope."""
    schools = _scoped_schools(user, school)
    active = StatusRecord.objects.filter(state=ACTIVE).annotate(
        person=normalised_id_card_number("student__id_card_number")
    )
    # Two records of one person, whether as two Student rows or (were the index ever gone)
    # one Student with two active records.
    # One pass over the active records finds the repeated people; almost always there are
    # none, and then nothing else is read (bench/RESULTS.md has the before and after).
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
        .filter(person__in=active.filter(school__in=schools).values("person"))
        .select_related("student", "school")
        .order_by("person", "school__code", "pk")
    )
    # Details of every record in the reader's scope, not only of the one school asked about.
    visible = set(
        _scoped_schools(user, None)
        .filter(pk__in={r.school_id for r in records})
        .values_list("pk", flat=True)
    )
    return [
        DuplicateRegistration(person=person, records=list(group), visible=visible)
        for person, group in itertools.groupby(records, key=lambda r: r.person)
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
