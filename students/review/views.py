"""Pages of the semester status review (rule 8). Each reads through the review's selectors,
which scope everything to the user, or calls one service and reports its refusal; the
exports write what the pages show."""

import csv
import itertools

import django_filters
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_POST

from core.filters import SearchFilterSet
from core.lists import list_page, searched_by_post
from core.parsing import parse_ids
from core.spreadsheets import csv_text
from schools.access import STAFF, role_required
from schools.selectors import pilot_areas_visible_to, schools_visible_to

from ..models import StatusRecord, StatusReview
from ..privacy import number_policy
from . import services
from .selectors import (
    progress_totals,
    review_findings,
    review_get_for_user,
    review_progress,
    review_records,
    review_term_for,
    review_terms_for,
    reviews_visible_to,
    with_progress,
)

# --- access and filters ---------------------------------------------------------------------


class TermFilterSet(SearchFilterSet):
    """A filter set with the term select. The view has chosen the term (``_on_term``) and
    filters by it; the filter only keeps the choice in the form."""

    term = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Term"),
        queryset=lambda request: review_terms_for(request.user),
        method="keep",
        empty_label=None,
    )

    def keep(self, queryset, name, value):
        return queryset


def _on_term(request):
    """The term the page is about, written into the query so the filter form shows it."""
    term = review_term_for(request.user, request.GET.get("term"))
    if term is not None and request.GET.get("term") != str(term.pk):
        params = request.GET.copy()
        params["term"] = str(term.pk)
        request.GET = params
    return term


class ReviewFilter(TermFilterSet):
    search_fields = ("school__name__icontains", "school__code__startswith")
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("State"),
        choices=StatusReview.State.choices,
        empty_label=gettext_lazy("Any"),
    )
    pilot_area = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Pilot area"),
        field_name="school__pilot_area",
        queryset=lambda request: pilot_areas_visible_to(request.user),
        empty_label=gettext_lazy("Any"),
    )

    class Meta:
        model = StatusReview
        fields = ["term", "q", "pilot_area", "state"]


class UnconfirmedFilter(TermFilterSet):
    search_fields = ("student__name__icontains", "student__student_number__icontains")
    school = django_filters.ModelChoiceFilter(
        label=gettext_lazy("School"),
        queryset=lambda request: schools_visible_to(request.user),
        empty_label=gettext_lazy("Any"),
    )

    class Meta:
        model = StatusRecord
        fields = ["term", "q", "school"]


class ReviewStudentFilter(SearchFilterSet):
    search_fields = ("student__name__icontains", "student__student_number__icontains")
    confirmed = django_filters.ChoiceFilter(
        label=gettext_lazy("Attendance"),
        choices=[("no", gettext_lazy("Not confirmed")), ("yes", gettext_lazy("Confirmed"))],
        method="by_confirmation",
        empty_label=gettext_lazy("Any"),
    )

    class Meta:
        model = StatusRecord
        fields = ["q", "confirmed"]

    def by_confirmation(self, queryset, name, value):
        return queryset.filter(confirmed=value == "yes")


# --- pages ----------------------------------------------------------------------------------

PROGRESS_SORTS = {
    "name": "school__name",
    "area": "school__pilot_area__name",
    "registered": "registered",
    "confirmed": "confirmed",
    "percent": "percent",
    "state": "state",
}


@role_required(*STAFF)
@searched_by_post
def review_list(request):
    """Progress per school for one term: the registrar's own school, a district's area, a
    bureau's city."""
    term = _on_term(request)
    reviews = reviews_visible_to(request.user).filter(term=term)
    context = list_page(
        request,
        with_progress(reviews),
        filterset_class=ReviewFilter,
        sorts=PROGRESS_SORTS,
        default_sort="name",
    )
    context.update(term=term, totals=progress_totals(reviews))
    return render(request, "students/review/review_list.html", context)


@role_required(*STAFF)
@searched_by_post
def review_detail(request, pk: int):
    review = review_get_for_user(user=request.user, pk=pk)
    context = list_page(
        request,
        review_records(review),
        filterset_class=ReviewStudentFilter,
        sorts={
            "number": "student__student_number",
            "name": "student__name",
            "confirmed": "confirmed",
        },
        default_sort="number",
    )
    findings = review_findings(request.user, term=review.term, school=review.school)
    may_confirm = services.review_may_confirm(request.user, review)
    context.update(
        review=review_progress(review),
        can_confirm=may_confirm and review.state == StatusReview.State.OPEN,
        can_finish=may_confirm and review.state == StatusReview.State.OPEN,
        can_reopen=review.state == StatusReview.State.FINISHED
        and services.review_may_reopen(request.user, review),
        without_status=findings.without_status,
        duplicates=findings.duplicates,
    )
    _prime_numbers(request.user, context)
    return render(request, "students/review/review_detail.html", context)


def _prime_numbers(user, context) -> None:
    """What the page's student numbers need, read at once (``students.privacy``): the page
    of records, the duplicates and the confirmations without a status."""
    ids = [record.student_id for record in context["page"]]
    ids += [record.student_id for group in context["duplicates"] for record in group.records]
    ids += [confirmation.student_id for confirmation in context["without_status"]]
    number_policy(user).prime(ids)


def _ids(values) -> set[int]:
    return parse_ids(values)


def _back(request, review: StatusReview) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return _url(review)


def _url(review: StatusReview) -> str:
    return reverse("students_review:detail", args=[review.pk])


def _refuse(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_POST
@role_required(*STAFF)
def review_confirm(request, pk: int):
    """One student (a row's button), the ticked ones, every one on the page, or all."""
    review = review_get_for_user(user=request.user, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "all":
            count = services.review_confirm_all(actor=request.user, review=review)
        else:
            if request.POST.get("one"):
                chosen = _ids([request.POST["one"]])
            elif action == "page":
                chosen = _ids(request.POST.getlist("page_students"))
            else:
                chosen = _ids(request.POST.getlist("students"))
            count = services.review_confirm(actor=request.user, review=review, student_ids=chosen)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d student confirmed as attending.",
                "%(count)d students confirmed as attending.",
                count,
            )
            % {"count": count},
        )
    return redirect(_back(request, review))


@require_POST
@role_required(*STAFF)
def review_finish(request, pk: int):
    review = review_get_for_user(user=request.user, pk=pk)
    try:
        services.review_finish(actor=request.user, review=review)
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("The status review is finished."))
    return redirect(_url(review))


@require_POST
@role_required(*STAFF)
def review_reopen(request, pk: int):
    review = review_get_for_user(user=request.user, pk=pk)
    try:
        services.review_reopen(
            actor=request.user, review=review, reason=request.POST.get("reason", "")[:2000]
        )
    except ValidationError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, _("The status review is open again."))
    return redirect(_url(review))


@role_required(*STAFF)
@searched_by_post
def review_findings_page(request):
    """What the review flags across the user's scope for one term."""
    term = _on_term(request)
    if term is None:
        return render(request, "students/review/findings.html", {"term": None})
    findings = review_findings(request.user, term=term)
    context = list_page(
        request,
        findings.unconfirmed,
        filterset_class=UnconfirmedFilter,
        sorts={
            "school": "school__code",
            "number": "student__student_number",
            "name": "student__name",
        },
        default_sort="school",
    )
    context.update(
        term=term,
        duplicates=findings.duplicates,
        without_status=findings.without_status.order_by("review__school__code", "student"),
    )
    _prime_numbers(request.user, context)
    return render(request, "students/review/findings.html", context)


# --- exports --------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def _csv_response(filename: str, header: list, rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # the BOM: Excel reads the file as UTF-8 only with it
        yield writer.writerow([csv_text(value) for value in header])
        for row in rows:
            yield writer.writerow([csv_text(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _export_term(request):
    term = review_term_for(request.user, request.GET.get("term"))
    if term is None:
        raise Http404
    return term


@role_required(*STAFF)
def export_progress(request):
    term = _export_term(request)
    reviews = with_progress(reviews_visible_to(request.user).filter(term=term)).order_by(
        "school__code"
    )
    header = [
        _("Term"),
        _("Pilot area"),
        _("School code"),
        _("School"),
        _("Registered"),
        _("Confirmed"),
        _("Percent confirmed"),
        _("Review"),
        _("Finished at"),
    ]
    rows = (
        [
            str(term),
            review.school.pilot_area.name if review.school.pilot_area else "",
            review.school.code,
            review.school.name,
            review.registered,
            review.confirmed,
            review.percent,
            review.get_state_display(),
            _when(review.finished_at),
        ]
        for review in reviews.iterator(chunk_size=500)
    )
    return _csv_response(f"status-review-progress-{term.pk}.csv", header, rows)


@role_required(*STAFF)
def export_findings(request):
    term = _export_term(request)
    findings = review_findings(request.user, term=term)
    header = [
        _("Finding"),
        _("School code"),
        _("School"),
        _("Student number"),
        pgettext("person", "Name"),
        _("Detail"),
    ]

    numbers = number_policy(request.user)

    def rows():
        numbers.prime(
            record.student_id for group in findings.duplicates for record in group.records
        )
        for group in findings.duplicates:
            detail = _("Active registrations of one ID-card number: %(count)d") % {
                "count": len(group.records)
            }
            for record, visible in group.entries():
                yield [
                    _("Duplicate registration"),
                    record.school.code,
                    record.school.name,
                    numbers.student_number(record.student) if visible else "",
                    record.student.name if visible else "",
                    detail,
                ]
        without_status = findings.without_status.order_by("review__school__code", "student")
        numbers.prime(confirmation.student_id for confirmation in without_status)
        for confirmation in without_status:
            yield [
                _("Confirmed without status at the school"),
                confirmation.review.school.code,
                confirmation.review.school.name,
                numbers.student_number(confirmation.student),
                confirmation.student.name,
                _("Confirmed %(when)s by %(user)s")
                % {
                    "when": _when(confirmation.confirmed_at),
                    "user": confirmation.confirmed_by.get_full_name()
                    or confirmation.confirmed_by.get_username(),
                },
            ]
        unconfirmed = findings.unconfirmed.order_by("school__code", "student__student_number")
        for record in _primed(numbers, unconfirmed.iterator(chunk_size=1000)):
            yield [
                _("Not confirmed (possible empty registration)"),
                record.school.code,
                record.school.name,
                numbers.student_number(record.student),
                record.student.name,
                "",
            ]

    return _csv_response(f"status-review-findings-{term.pk}.csv", header, rows())


def _primed(numbers, records, size: int = 1000):
    """``records`` as they come, with the student numbers of each ``size`` of them read at
    once: a long export asks one query per thousand rows, not per row."""
    while chunk := list(itertools.islice(records, size)):
        numbers.prime(record.student_id for record in chunk)
        yield from chunk
