"""Transfer policies: written by the district, approved by the bureau, published to students.

Rule 9: rules are approved by the municipal bureau before use, and versioned; an approved
version never changes. Rule 10: what is published is what students see.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from schools.models import Major, Pairing, PilotArea, School, User

from ..models import AssessmentComponent, NameMasking, PolicyEvent, SeatQuota, TransferPolicy
from ..selectors import policy_problems, policy_window_bounds
from ..workflow import NEW, POLICY_TRANSITIONS


@dataclass(frozen=True)
class ComponentSpec:
    direction: str
    kind: str
    name: str
    max_score: Decimal
    pass_mark: Decimal
    weight: Decimal


@dataclass(frozen=True)
class QuotaSpec:
    school: School
    major: Major
    seats: int


def _is_district_of(actor: User, area: PilotArea) -> bool:
    return actor.role == User.Role.DISTRICT and actor.pilot_area_id == area.pk


def _is_bureau_of(actor: User, area: PilotArea) -> bool:
    return actor.role == User.Role.BUREAU and actor.municipality_id == area.municipality_id


def policy_validate_window(*, cohort_year: int, opens: datetime.datetime, closes) -> None:
    earliest, latest = policy_window_bounds(cohort_year)
    if closes <= opens:
        raise ValidationError({"window_closes": _("The window must close after it opens.")})
    if timezone.localtime(opens).date() < earliest or timezone.localtime(closes).date() > latest:
        raise ValidationError(
            {
                "window_opens": _(
                    "The application window lies at the end of the first semester of the "
                    "%(year)s cohort's first year: between %(earliest)s and %(latest)s."
                )
                % {
                    "year": cohort_year,
                    "earliest": date_format(earliest),
                    "latest": date_format(latest),
                }
            }
        )


def _validate_content(
    *,
    area: PilotArea,
    components: list[ComponentSpec],
    quotas: list[QuotaSpec],
) -> None:
    errors: dict[str, list[str]] = {}
    for direction in ("g2v", "v2g"):
        if not any(c.direction == direction for c in components):
            errors.setdefault("components", []).append(
                _("Give the assessment standards for both directions.")
            )
            break
    # One row per subject and direction, one per school and major: the unique constraints
    # would otherwise refuse the second row as an error of the database.
    given = Counter((spec.direction, spec.name) for spec in components)
    for _direction, name in (key for key, count in given.items() if count > 1):
        errors.setdefault("components", []).append(
            _("%(name)s is given twice for the same direction.") % {"name": name}
        )
    for spec in components:
        if spec.pass_mark > spec.max_score:
            errors.setdefault("components", []).append(
                _("The pass mark of %(name)s is above its maximum score.") % {"name": spec.name}
            )
    if not any(spec.kind == AssessmentComponent.Kind.INTERVIEW for spec in components):
        errors.setdefault("components", []).append(
            _("The assessment must include an interview (rule 5).")
        )
    if not any(spec.kind == AssessmentComponent.Kind.WRITTEN for spec in components):
        errors.setdefault("components", []).append(
            _("The assessment must include a written test (rule 5).")
        )
    cooperative = set(
        Pairing.objects.filter(pilot_area=area).values_list(
            "general_school_id", "cooperations__major_id"
        )
    ) | set(
        Pairing.objects.filter(pilot_area=area).values_list(
            "vocational_school_id", "cooperations__major_id"
        )
    )
    seats_given = Counter((quota.school, quota.major) for quota in quotas)
    for school, major in (key for key, count in seats_given.items() if count > 1):
        errors.setdefault("quotas", []).append(
            _("The seats of %(school)s in %(major)s are given twice.")
            % {"school": school.name, "major": major.name}
        )
    for quota in quotas:
        if (quota.school.pk, quota.major.pk) not in cooperative:
            errors.setdefault("quotas", []).append(
                _("%(school)s has no cooperative major %(major)s in this pilot area.")
                % {"school": quota.school.name, "major": quota.major.name}
            )
    if not any(quota.seats > 0 for quota in quotas):
        errors.setdefault("quotas", []).append(_("Offer seats in at least one major."))
    if errors:
        raise ValidationError(errors)


def _assert_complete(policy: TransferPolicy, now: datetime.datetime | None) -> None:
    problems = policy_problems(policy, now)
    if problems:
        raise ValidationError(problems)


def _validate_tie_break(tie_break: list[str] | None, components: list[ComponentSpec]) -> None:
    """A tie-break names components of the policy, each once; None is not chosen yet."""
    if tie_break is None:
        return
    names = {c.name for c in components}
    unknown = [name for name in tie_break if name not in names]
    if unknown:
        raise ValidationError(
            {
                "tie_break": _("The tie-break names no component of this policy: %(names)s.")
                % {"names": "、".join(unknown)}
            }
        )
    if len(set(tie_break)) != len(tie_break):
        raise ValidationError({"tie_break": _("The tie-break names a component twice.")})


def _write_content(policy, components, quotas) -> None:
    policy.components.all().delete()
    policy.quotas.all().delete()
    AssessmentComponent.objects.bulk_create(
        AssessmentComponent(
            policy=policy,
            direction=c.direction,
            kind=c.kind,
            name=c.name,
            max_score=c.max_score,
            pass_mark=c.pass_mark,
            weight=c.weight,
        )
        for c in components
    )
    SeatQuota.objects.bulk_create(
        SeatQuota(policy=policy, school=q.school, major=q.major, seats=q.seats) for q in quotas
    )


@transaction.atomic
def policy_create(
    *,
    actor: User,
    pilot_area: PilotArea,
    cohort_year: int,
    title: str,
    window_opens: datetime.datetime,
    window_closes: datetime.datetime,
    components: Iterable[ComponentSpec],
    quotas: Iterable[QuotaSpec],
    min_first_semester_credits: Decimal | None = None,
    notice_days: int = 5,
    tie_break: list[str] | None = None,
    name_masking: str = NameMasking.MIDDLE,
    max_choices: int = 1,
    max_applications: int = 1,
) -> TransferPolicy:
    """District staff write the first version of a policy for their area and a cohort."""
    if not _is_district_of(actor, pilot_area):
        raise PermissionDenied
    components, quotas = list(components), list(quotas)
    policy_validate_window(cohort_year=cohort_year, opens=window_opens, closes=window_closes)
    _validate_content(area=pilot_area, components=components, quotas=quotas)
    _validate_tie_break(tie_break, components)
    last = (
        TransferPolicy.objects.filter(pilot_area=pilot_area, cohort_year=cohort_year)
        .order_by("-version")
        .first()
    )
    if last is not None:
        raise ValidationError(
            _("A policy for this cohort exists already; write a new version of it instead.")
        )
    policy = TransferPolicy(
        pilot_area=pilot_area,
        cohort_year=cohort_year,
        title=title,
        window_opens=window_opens,
        window_closes=window_closes,
        min_first_semester_credits=min_first_semester_credits,
        notice_days=notice_days,
        tie_break=tie_break,
        name_masking=name_masking,
        max_choices=max_choices,
        max_applications=max_applications,
        created_by=actor,
    )
    policy.full_clean()
    policy.save()
    _write_content(policy, components, quotas)
    _record(policy, actor=actor, from_state=NEW, comment="")
    return policy


@transaction.atomic
def policy_update(
    *,
    actor: User,
    policy: TransferPolicy,
    components: Iterable[ComponentSpec] | None = None,
    quotas: Iterable[QuotaSpec] | None = None,
    **fields,
) -> TransferPolicy:
    """Change a draft (or a version the bureau returned). Approved versions never change."""
    policy = TransferPolicy.objects.select_for_update().get(pk=policy.pk)
    if not _is_district_of(actor, policy.pilot_area):
        raise PermissionDenied
    if not policy.is_editable:
        raise ValidationError(
            _("Version %(version)s is %(state)s and can no longer change; write a new version.")
            % {"version": policy.version, "state": policy.get_state_display()}
        )
    allowed = {
        "title",
        "window_opens",
        "window_closes",
        "min_first_semester_credits",
        "notice_days",
        "tie_break",
        "name_masking",
        "max_choices",
        "max_applications",
    }
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(f"policy_update() cannot change {name}")
        setattr(policy, name, value)
    policy_validate_window(
        cohort_year=policy.cohort_year, opens=policy.window_opens, closes=policy.window_closes
    )
    components = list(components) if components is not None else _specs_of(policy)[0]
    quotas = list(quotas) if quotas is not None else _specs_of(policy)[1]
    _validate_content(area=policy.pilot_area, components=components, quotas=quotas)
    _validate_tie_break(policy.tie_break, components)
    policy.full_clean()
    policy.save()
    _write_content(policy, components, quotas)
    return policy


def _specs_of(policy: TransferPolicy) -> tuple[list[ComponentSpec], list[QuotaSpec]]:
    components = [
        ComponentSpec(c.direction, c.kind, c.name, c.max_score, c.pass_mark, c.weight)
        for c in policy.components.all()
    ]
    quotas = [
        QuotaSpec(q.school, q.major, q.seats)
        for q in policy.quotas.select_related("school", "major")
    ]
    return components, quotas


@transaction.atomic
def policy_new_version(*, actor: User, policy: TransferPolicy) -> TransferPolicy:
    """Start a change to an approved or published policy: a draft copy that supersedes it."""
    policy = TransferPolicy.objects.select_for_update().get(pk=policy.pk)
    if not _is_district_of(actor, policy.pilot_area):
        raise PermissionDenied
    if policy.state not in (TransferPolicy.State.APPROVED, TransferPolicy.State.PUBLISHED):
        raise ValidationError(_("Only an approved or published version is changed by a new one."))
    if TransferPolicy.objects.filter(supersedes=policy).exists():
        raise ValidationError(_("A newer version of this policy is already being written."))
    components, quotas = _specs_of(policy)
    latest = (
        TransferPolicy.objects.filter(pilot_area=policy.pilot_area, cohort_year=policy.cohort_year)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    ) or policy.version  # the versions include this one
    draft = TransferPolicy.objects.create(
        pilot_area=policy.pilot_area,
        cohort_year=policy.cohort_year,
        version=latest + 1,
        supersedes=policy,
        title=policy.title,
        window_opens=policy.window_opens,
        window_closes=policy.window_closes,
        min_first_semester_credits=policy.min_first_semester_credits,
        notice_days=policy.notice_days,
        tie_break=policy.tie_break,
        name_masking=policy.name_masking,
        max_choices=policy.max_choices,
        max_applications=policy.max_applications,
        created_by=actor,
    )
    _write_content(draft, components, quotas)
    _record(draft, actor=actor, from_state=NEW, comment="")
    return draft


def _record(policy: TransferPolicy, *, actor: User, from_state: str, comment: str) -> None:
    """The append-only history row of a version's change of state."""
    roles = POLICY_TRANSITIONS.get((from_state, policy.state))
    if roles is None or actor.role not in roles:
        raise PermissionDenied
    PolicyEvent.objects.create(
        policy=policy, actor=actor, from_state=from_state, to_state=policy.state, comment=comment
    )


def _move(
    policy: TransferPolicy,
    *,
    to_state: str,
    actor: User,
    comment: str = "",
    update_fields: tuple[str, ...] = (),
) -> TransferPolicy:
    """The one place that changes a policy version's state: the policy's transition table
    is checked, the row saved, and the history row written. The caller holds the row lock."""
    if (policy.state, to_state) not in POLICY_TRANSITIONS:
        raise ValidationError(
            _("A policy version that is %(from)s cannot become %(to)s.")
            % {"from": policy.get_state_display(), "to": TransferPolicy.State(to_state).label}
        )
    from_state = policy.state
    policy.state = to_state
    policy.save(update_fields=["state", *update_fields])
    _record(policy, actor=actor, from_state=from_state, comment=comment)
    return policy


@transaction.atomic
def policy_submit(
    *, actor: User, policy: TransferPolicy, now: datetime.datetime | None = None
) -> TransferPolicy:
    """The district sends a complete version to the bureau; an incomplete one is refused with
    what is missing, each naming its rule."""
    policy = TransferPolicy.objects.select_for_update().get(pk=policy.pk)
    if not _is_district_of(actor, policy.pilot_area):
        raise PermissionDenied
    if not policy.is_editable:
        raise ValidationError(_("Only a draft is sent for approval."))
    _assert_complete(policy, now)
    return _move(policy, to_state=TransferPolicy.State.PENDING, actor=actor)


@transaction.atomic
def policy_review(
    *,
    actor: User,
    policy: TransferPolicy,
    approve: bool,
    comment: str = "",
    now: datetime.datetime | None = None,
) -> TransferPolicy:
    """Rule 9: the municipal bureau approves, or returns the version with its reasons. Each
    review's comment is kept in the version's history; the version shows the latest."""
    policy = TransferPolicy.objects.select_for_update().get(pk=policy.pk)
    if not _is_bureau_of(actor, policy.pilot_area):
        raise PermissionDenied
    if policy.state != TransferPolicy.State.PENDING:
        raise ValidationError(_("This version is not awaiting approval."))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say what must change before approval.")})
    if approve:
        _assert_complete(policy, now)
    policy.review_comment = comment
    if approve:
        policy.approved_by = actor
        policy.approved_at = timezone.now()
    return _move(
        policy,
        to_state=TransferPolicy.State.APPROVED if approve else TransferPolicy.State.RETURNED,
        actor=actor,
        comment=comment,
        update_fields=("review_comment", "approved_by", "approved_at"),
    )


@transaction.atomic
def policy_publish(*, actor: User, policy: TransferPolicy) -> TransferPolicy:
    """Rule 10: publish an approved version to students; the version it supersedes retires."""
    policy = TransferPolicy.objects.select_for_update().get(pk=policy.pk)
    if not (_is_district_of(actor, policy.pilot_area) or _is_bureau_of(actor, policy.pilot_area)):
        raise PermissionDenied
    if policy.state != TransferPolicy.State.APPROVED:
        raise ValidationError(_("Only an approved version is published."))
    versions = TransferPolicy.objects.select_for_update().filter(
        pilot_area=policy.pilot_area, cohort_year=policy.cohort_year
    )
    if versions.filter(
        version__gt=policy.version,
        state__in=[TransferPolicy.State.PUBLISHED, TransferPolicy.State.SUPERSEDED],
    ).exists():
        raise ValidationError(
            _("A newer version of this policy has been published; this one is out of date.")
        )
    # Every older approved or published version retires, published or not, each with its
    # history row.
    for older in versions.filter(
        version__lt=policy.version,
        state__in=[TransferPolicy.State.APPROVED, TransferPolicy.State.PUBLISHED],
    ).order_by("version"):
        _move(
            older,
            to_state=TransferPolicy.State.SUPERSEDED,
            actor=actor,
            comment=_("Replaced by version %(version)s.") % {"version": policy.version},
        )
    policy.published_at = timezone.now()
    return _move(
        policy,
        to_state=TransferPolicy.State.PUBLISHED,
        actor=actor,
        update_fields=("published_at",),
    )
