"""Writing the semester status review (学籍核查, rule 8: person and registration consistent,
reviewed every semester).

Each term every school with registered students has one review. Its registrar confirms that
each registered student attends (人籍一致), one by one or many at a time, then finishes the
review; the students left unconfirmed stay flagged as possible empty registrations (空挂学籍)
for the district and the bureau. A finished review takes no more confirmations: what the
school declared is what the district sees, until the district or the bureau reopens it.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from core.stored_text import as_piece, text
from notifications.services import notify
from schools.models import School, Term, User
from schools.selectors import schools_visible_to

from ..models import ReviewEvent, StatusConfirmation, StatusRecord, StatusReview
from .selectors import review_progress

ACTIVE = StatusRecord.State.ACTIVE


def review_may_confirm(actor: User, review: StatusReview) -> bool:
    """Attendance is the school's word: only its registrar gives it (and finishes the
    review), not the district, the bureau or an administrator."""
    return actor.role == User.Role.REGISTRAR and actor.school_id == review.school_id


def review_may_reopen(actor: User, review: StatusReview) -> bool:
    return actor.sees_everything or (
        actor.role in (User.Role.DISTRICT, User.Role.BUREAU)
        and schools_visible_to(actor).filter(pk=review.school_id).exists()
    )


def _assert_is_the_schools_registrar(actor: User, review: StatusReview) -> None:
    if not review_may_confirm(actor, review):
        raise PermissionDenied


def _locked(review: StatusReview) -> StatusReview:
    # Two registrars of a school (or one with two tabs) confirming while the other finishes:
    # the row lock orders them, so nothing is confirmed into a review already finished.
    return StatusReview.objects.select_for_update().get(pk=review.pk)


@transaction.atomic
def review_open(*, school: School, term: Term) -> StatusReview:
    """The school's one review for the term; opening it again returns the same row."""
    review, _created = StatusReview.objects.get_or_create(school=school, term=term)
    return review


@transaction.atomic
def reviews_open_due(*, today: datetime.date) -> int:
    """Open the review of the term containing ``today`` for every school with registered
    students. Idempotent: returns how many were opened now, zero on a second run."""
    terms = Term.objects.filter(start_date__lte=today, end_date__gte=today)
    opened = 0
    for term in terms:
        schools = School.objects.filter(
            Exists(StatusRecord.objects.filter(school=OuterRef("pk"), state=ACTIVE))
        ).exclude(Exists(StatusReview.objects.filter(school=OuterRef("pk"), term=term)))
        for school in schools:
            _review, created = StatusReview.objects.get_or_create(school=school, term=term)
            opened += created
    return opened


def _confirm(*, actor: User, review: StatusReview, student_ids: set[int]) -> int:
    review = _locked(review)
    if review.state != StatusReview.State.OPEN:
        raise ValidationError(
            _("The status review of %(term)s is finished: it takes no more confirmations.")
            % {"term": review.term}
        )
    if not student_ids:
        raise ValidationError(_("Choose at least one student to confirm."))
    registered = set(
        StatusRecord.objects.filter(
            school=review.school_id, state=ACTIVE, student_id__in=student_ids
        ).values_list("student_id", flat=True)
    )
    strangers = len(student_ids - registered)
    if strangers:
        # Counted, not named: the ids came from a form, and may be another school's students.
        raise ValidationError(
            ngettext(
                "%(count)d of the chosen students is not registered at this school; "
                "nothing was confirmed.",
                "%(count)d of the chosen students are not registered at this school; "
                "nothing was confirmed.",
                strangers,
            )
            % {"count": strangers}
        )
    already = set(
        StatusConfirmation.objects.filter(review=review, student_id__in=registered).values_list(
            "student_id", flat=True
        )
    )
    new = [
        StatusConfirmation(review=review, student_id=pk, confirmed_by=actor)
        for pk in sorted(registered - already)
    ]
    # The review's lock serialises confirmations, so no other transaction adds these rows;
    # the unique constraint stays the last word.
    StatusConfirmation.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def review_confirm(*, actor: User, review: StatusReview, student_ids: Iterable[int]) -> int:
    """Confirm that each chosen student attends. Every one must be registered at the
    review's school (a confirmation elsewhere is itself a finding), or none is confirmed.
    Confirming a student twice is harmless. Returns how many were confirmed now."""
    _assert_is_the_schools_registrar(actor, review)
    return _confirm(actor=actor, review=review, student_ids=set(student_ids))


@transaction.atomic
def review_confirm_all(*, actor: User, review: StatusReview) -> int:
    """Confirm every registered student not yet confirmed (the registrar's "select all")."""
    _assert_is_the_schools_registrar(actor, review)
    _locked(review)  # lock before reading who is left, so the list cannot go stale
    done = StatusConfirmation.objects.filter(review=review, student=OuterRef("student"))
    remaining = set(
        StatusRecord.objects.filter(school=review.school_id, state=ACTIVE)
        .exclude(Exists(done))
        .values_list("student_id", flat=True)
    )
    if not remaining:
        raise ValidationError(_("Every registered student is already confirmed."))
    return _confirm(actor=actor, review=review, student_ids=remaining)


@transaction.atomic
def review_finish(
    *, actor: User, review: StatusReview, now: datetime.datetime | None = None, comment: str = ""
):
    """The school declares its review done. Students still unconfirmed stay flagged as
    possible empty registrations; finishing does not hide them."""
    _assert_is_the_schools_registrar(actor, review)
    review = _locked(review)
    if review.state == StatusReview.State.FINISHED:
        raise ValidationError(_("This status review is already finished."))
    review.state = StatusReview.State.FINISHED
    review.finished_at = now or timezone.now()
    review.save(update_fields=["state", "finished_at"])
    ReviewEvent.objects.create(
        review=review,
        actor=actor,
        from_state=StatusReview.State.OPEN,
        to_state=StatusReview.State.FINISHED,
        comment=comment,
    )
    return review


@transaction.atomic
def review_reopen(*, actor: User, review: StatusReview, reason: str) -> StatusReview:
    """The district or bureau over the school (or an administrator) sends a finished review
    back, say for students who arrived after it was finished, and says why."""
    if not review_may_reopen(actor, review):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Say why the review is reopened."))
    review = _locked(review)
    if review.state != StatusReview.State.FINISHED:
        raise ValidationError(_("This status review is open already."))
    review.state = StatusReview.State.OPEN
    review.finished_at = None
    review.save(update_fields=["state", "finished_at"])
    ReviewEvent.objects.create(
        review=review,
        actor=actor,
        from_state=StatusReview.State.FINISHED,
        to_state=StatusReview.State.OPEN,
        comment=reason.strip(),
    )
    return review


def review_reminders_send(*, now: datetime.datetime) -> int:
    """Remind the registrars of every school whose review of the current term is not
    finished, at most once a calendar day (China's date) per review, however often this
    runs. Returns how many reviews were reminded."""
    today = timezone.localdate(now)
    due = (
        StatusReview.objects.filter(
            state=StatusReview.State.OPEN, term__start_date__lte=today, term__end_date__gte=today
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    reminded = 0
    for pk in due:
        with transaction.atomic():
            # Re-read under a lock: two beat runs at once must not both remind.
            review = (
                StatusReview.objects.select_for_update()
                .select_related("school", "term__academic_year")
                .get(pk=pk)
            )
            if review.state != StatusReview.State.OPEN:
                continue
            if review.reminded_at and timezone.localdate(review.reminded_at) >= today:
                continue
            registrars = list(
                User.objects.filter(
                    role=User.Role.REGISTRAR, school=review.school_id, is_active=True
                )
            )
            if not registrars:
                continue
            progress = review_progress(review)
            term = term_piece(review.term)
            notify(
                recipients=registrars,
                subject=text(
                    gettext_noop(
                        "Status review of %(term)s: %(confirmed)d of %(registered)d confirmed"
                    ),
                    term=term,
                    confirmed=progress.confirmed,
                    registered=progress.registered,
                ),
                body=text(
                    gettext_noop(
                        "The status review of %(term)s at %(school)s is not finished: "
                        "%(confirmed)d of %(registered)d registered students are confirmed as "
                        "attending. Confirm the others on the status review page, then finish "
                        "the review; students left unconfirmed are reported as possible empty "
                        "registrations."
                    ),
                    term=term,
                    school=review.school.name,
                    confirmed=progress.confirmed,
                    registered=progress.registered,
                ),
                dedupe_key=f"status-review:{review.pk}:{today.isoformat()}",
            )
            review.reminded_at = now
            review.save(update_fields=["reminded_at"])
            reminded += 1
    return reminded


def term_piece(term: Term) -> list:
    """A term as a stored text (its year, then its semester translated when read)."""
    return [str(term.academic_year), " ", as_piece(Term.Semester(term.semester).label)]
