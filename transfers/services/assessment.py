"""Rule 5: written tests and interviews, scored by the district, ranked and published.

The weighted total is on a 0–100 scale: each component's score as a share of its maximum,
weighted. An applicant meets the standards when every component reaches its pass mark.
Ranks are per receiving school and major, among those who met the standards.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.exceptions import NotFound
from core.stored_text import text as stored_text
from notifications.services import notify
from schools.models import User

from ..models import (
    Application,
    ApplicationChoice,
    AssessmentComponent,
    Assessor,
    Objection,
    Score,
    ScoreCorrection,
    TransferPolicy,
)
from ..workflow import actor_concerned
from .notifications import recipients_for
from .results import assert_seats_in_rank_order, results_version_publish
from .transitions import application_transition

S = Application.State
HUNDRED = Decimal(100)


def assert_district_of(actor: User, policy: TransferPolicy) -> None:
    if actor.role != User.Role.DISTRICT:
        raise PermissionDenied
    if actor.pilot_area_id != policy.pilot_area_id:
        raise NotFound  # another area's policy: not there, as far as this user can tell


def assert_assessor_of(actor: User, policy: TransferPolicy) -> None:
    """The policy's assessor: the district of its area, or (under packs where the receiving
    school assesses) a registrar of a receiving school of the area, for its own applicants."""
    if policy.assessor == Assessor.DISTRICT:
        assert_district_of(actor, policy)
        return
    if actor.role != User.Role.REGISTRAR:
        raise PermissionDenied
    if actor.school is None or actor.school.pilot_area_id != policy.pilot_area_id:
        raise NotFound


def to_assess(actor: User, policy: TransferPolicy, applications=None):
    """The policy's applications the actor scores (of ``applications``, by default all):
    all of them for the district, a receiving school's own for its registrar."""
    applications = (Application.objects if applications is None else applications).filter(
        policy=policy
    )
    if actor.role == User.Role.REGISTRAR:
        applications = applications.filter(to_school_id=actor.school_id)
    return applications


def application_result(
    application: Application, scores: dict[int, Decimal], components
) -> tuple[Decimal, bool]:
    """The weighted total and whether every pass mark is reached."""
    weight_sum = sum(c.weight for c in components)
    total = sum(scores[c.pk] / c.max_score * c.weight for c in components) / weight_sum * HUNDRED
    passed = all(scores[c.pk] >= c.pass_mark for c in components)
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), passed


def _components_by_direction(policy: TransferPolicy) -> dict[str, list[AssessmentComponent]]:
    grouped: dict[str, list[AssessmentComponent]] = {}
    for component in policy.components.all():
        grouped.setdefault(component.direction, []).append(component)
    return grouped


def _rerank(policy: TransferPolicy) -> None:
    """Rank those who met the standards in each receiving school and major they chose: higher
    total first; equal totals by the policy's tie-break (the named components' scores, in
    order), then by the earlier submission. Each choice keeps its rank; the application's
    rank is the one in the programme it is placed in (its first choice until then)."""
    assessed = {
        a.pk: a
        for a in Application.objects.filter(policy=policy, passed__isnull=False).exclude(
            state__in=[S.WITHDRAWN, S.INELIGIBLE]
        )
    }
    order = policy.tie_break or []
    scores: dict[tuple[int, str], Decimal] = {}
    if order:
        for application_id, name, value in Score.objects.filter(
            application__in=list(assessed), component__name__in=order
        ).values_list("application_id", "component__name", "value"):
            scores[(application_id, name)] = value

    def rank_order(choice: ApplicationChoice) -> tuple:
        application = assessed[choice.application_id]
        return (
            choice.school_id,
            choice.major_id,
            -(application.total_score or Decimal(0)),
            # A component a direction does not have counts as 0 for all of that programme's
            # applicants, who share one direction.
            *(-scores.get((application.pk, name), Decimal(0)) for name in order),
            application.submitted_at,
            application.pk,
        )

    choices = sorted(
        ApplicationChoice.objects.filter(application_id__in=list(assessed)), key=rank_order
    )
    changed_choices, position, group = [], 0, None
    placed_rank: dict[int, int | None] = {}
    for choice in choices:
        application = assessed[choice.application_id]
        key = (choice.school_id, choice.major_id)
        if key != group:
            group, position = key, 0
        if application.passed:
            position += 1
            rank = position
        else:
            rank = None
        if choice.rank != rank:
            choice.rank = rank
            changed_choices.append(choice)
        if key == (application.to_school_id, application.to_major_id):
            placed_rank[application.pk] = rank
    ApplicationChoice.objects.bulk_update(changed_choices, ["rank"])
    changed = []
    for pk, application in assessed.items():
        rank = placed_rank.get(pk)
        if application.rank != rank:
            application.rank = rank
            changed.append(application)
    Application.objects.bulk_update(changed, ["rank"])


@transaction.atomic
def scores_enter(
    *,
    actor: User,
    policy: TransferPolicy,
    scores: dict[int, dict[int, Decimal]],
) -> list[Application]:
    """Enter a whole assessment session at once: ``{application id: {component id: score}}``.

    Every eligible applicant in the dictionary needs a score for every component of their
    direction; nothing is saved unless all are valid.
    """
    assert_assessor_of(actor, policy)
    components = _components_by_direction(policy)
    applications = list(
        to_assess(actor, policy).select_for_update().filter(pk__in=scores.keys()).order_by("pk")
    )
    if len(applications) != len(scores):
        raise NotFound
    errors = []
    for application in applications:
        if application.state != S.ELIGIBLE:
            errors.append(
                _("Application %(number)s is %(state)s, not awaiting assessment.")
                % {"number": application.pk, "state": application.get_state_display()}
            )
            continue
        given = scores[application.pk]
        for component in components.get(application.direction, []):
            value = given.get(component.pk)
            if value is None:
                errors.append(
                    _("Application %(number)s has no score for %(component)s.")
                    % {"number": application.pk, "component": component.name}
                )
            elif not Decimal(0) <= value <= component.max_score:
                errors.append(
                    _("Application %(number)s: %(component)s is scored out of %(max)s.")
                    % {
                        "number": application.pk,
                        "component": component.name,
                        "max": component.max_score,
                    }
                )
    if errors:
        raise ValidationError(errors)
    for application in applications:
        own = components[application.direction]
        values = {c.pk: scores[application.pk][c.pk] for c in own}
        Score.objects.bulk_create(
            Score(application=application, component=c, value=values[c.pk], entered_by=actor)
            for c in own
        )
        application.total_score, application.passed = application_result(application, values, own)
        application.save(update_fields=["total_score", "passed"])
        application_transition(
            application=application,
            to_state=S.ASSESSED,
            actor=actor,
            comment=stored_text(
                gettext_noop("Weighted total %(total)s; %(verdict)s."),
                total=application.total_score,
                verdict=stored_text(
                    gettext_noop("meets the standards")
                    if application.passed
                    else gettext_noop("does not meet the standards")
                ),
            ),
        )
    _rerank(policy)
    # A late score may not pass over an applicant who already holds a seat.
    assert_seats_in_rank_order(policy)
    return applications


@transaction.atomic
def results_publish(
    *, actor: User, policy: TransferPolicy, now: datetime.datetime | None = None
) -> int:
    """Rule 10: the results go on public notice; the notice period starts now. The ranking
    is frozen as the policy's next results version; later results (late scores) make a new
    version, in which those they pass show as moved."""
    assert_district_of(actor, policy)
    now = now or timezone.now()
    assessed = list(Application.objects.select_for_update().filter(policy=policy, state=S.ASSESSED))
    if not assessed:
        raise ValidationError(_("There are no assessed applications to publish."))
    for application in assessed:
        Application.objects.filter(pk=application.pk).update(results_published_at=now)
        application_transition(
            application=application,
            to_state=S.PUBLISHED,
            actor=actor,
            comment=stored_text(
                gettext_noop("Results on public notice for %(days)s days."),
                days=policy.notice_days,
            ),
        )
    first = not policy.results_versions.exists()
    results_version_publish(
        actor=actor,
        policy=policy,
        reason=_("Results published.")
        if first
        else _("Results of %(count)s more applicants published.") % {"count": len(assessed)},
        now=now,
    )
    return len(assessed)


@transaction.atomic
def objection_lodge(
    *, actor: User, application: Application, text: str, now: datetime.datetime | None = None
) -> Objection:
    """The applicant may object once, during the public notice period."""
    now = now or timezone.now()
    application = (
        Application.objects.select_for_update().select_related("policy").get(pk=application.pk)
    )
    if actor.role != User.Role.STUDENT or not actor_concerned(actor, application):
        raise NotFound
    if application.state != S.PUBLISHED or now >= application.notice_ends_at():
        raise ValidationError(_("Objections are accepted only during the public notice period."))
    if Objection.objects.filter(application=application).exists():
        raise ValidationError(_("You have already lodged your one objection."))
    if not text.strip():
        raise ValidationError({"text": _("Say what you object to.")})
    objection = Objection.objects.create(application=application, text=text)
    notify(
        recipients=list(
            User.objects.filter(
                role=User.Role.DISTRICT,
                pilot_area_id=application.policy.pilot_area_id,
                is_active=True,
            )
        ),
        subject=stored_text(
            gettext_noop("Objection to the results of application %(number)s"),
            number=application.pk,
        ),
        body=text,
        about=application,
    )
    return objection


@transaction.atomic
def objection_resolve(
    *,
    actor: User,
    objection: Objection,
    upheld: bool,
    resolution: str,
    corrections: dict[int, Decimal] | None = None,
    now: datetime.datetime | None = None,
) -> Objection:
    """District staff answer the objection; an upheld one may correct scores, and every
    correction keeps the value it replaced."""
    now = now or timezone.now()
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    application = (
        Application.objects.select_for_update()
        .select_related("policy")
        .get(pk=objection.application_id)
    )
    assert_district_of(actor, application.policy)
    if objection.state != Objection.State.OPEN:
        raise ValidationError(_("This objection has been resolved already."))
    if not resolution.strip():
        raise ValidationError({"resolution": _("Write the answer to the objection.")})
    corrections = corrections or {}
    if corrections and not upheld:
        raise ValidationError(_("Scores are corrected only when the objection is upheld."))
    scores = {s.component_id: s for s in application.scores.select_related("component")}
    for component_id, new_value in corrections.items():
        score = scores.get(component_id)
        if score is None:
            raise ValidationError(_("That component was not part of this assessment."))
        if not Decimal(0) <= new_value <= score.component.max_score:
            raise ValidationError(
                _("%(component)s is scored out of %(max)s.")
                % {"component": score.component.name, "max": score.component.max_score}
            )
        if new_value == score.value:
            continue
        ScoreCorrection.objects.create(
            score=score,
            old_value=score.value,
            new_value=new_value,
            reason=resolution,
            corrected_by=actor,
        )
        score.value = new_value
        score.save(update_fields=["value"])
    if corrections:
        components = [s.component for s in scores.values()]
        values = {s.component_id: s.value for s in scores.values()}
        application.total_score, application.passed = application_result(
            application, values, components
        )
        application.save(update_fields=["total_score", "passed"])
        _rerank(application.policy)
        results_version_publish(
            actor=actor,
            policy=application.policy,
            reason=_("Objection of application %(number)s upheld: %(resolution)s")
            % {"number": application.pk, "resolution": resolution},
            now=now,
        )
    objection.state = Objection.State.UPHELD if upheld else Objection.State.DISMISSED
    objection.resolution = resolution
    objection.resolved_by = actor
    objection.resolved_at = now
    objection.save(update_fields=["state", "resolution", "resolved_by", "resolved_at"])
    notify(
        recipients=recipients_for(application),
        subject=stored_text(
            gettext_noop("Objection to application %(number)s: %(state)s"),
            number=application.pk,
            state=Objection.State(objection.state).label,
        ),
        body=resolution,
        about=application,
    )
    return objection
