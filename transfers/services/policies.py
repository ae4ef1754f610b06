"""Transfer policies: written by the district, approved by the bureau, published to students.

Rule 9: rules are approved by the municipal bureau before use, and versioned; an approved
version never changes. Rule 10: what is published is what students see.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.stored_text import Piece
from core.stored_text import text as stored_text
from schools.models import PilotArea, Province, User

from ..models import (
    AssessmentComponent,
    NameMasking,
    PolicyEvent,
    SeatQuota,
    TransferPolicy,
)
from ..rules import DEFAULT_PACK, PACKS, SETTING_NAMES, pack_values
from ..selectors import policy_problems
from ..workflow import NEW, POLICY_TRANSITIONS
from .policy_checks import (
    ComponentSpec,
    QuotaSpec,
    validate_content,
    validate_rules,
    validate_tie_break,
    validate_window_of,
)


def _is_district_of(actor: User, area: PilotArea) -> bool:
    return actor.role == User.Role.DISTRICT and actor.pilot_area_id == area.pk


def _is_bureau_of(actor: User, area: PilotArea) -> bool:
    return actor.role == User.Role.BUREAU and actor.municipality_id == area.municipality_id


def _assert_complete(policy: TransferPolicy, now: datetime.datetime | None) -> None:
    problems = policy_problems(policy, now)
    if problems:
        raise ValidationError(problems)


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
    tie_break: list[str] | None = None,
    name_masking: str = NameMasking.MIDDLE,
    rule_pack: str = DEFAULT_PACK,
    **settings,
) -> TransferPolicy:
    """District staff write the first version of a policy for their area and a cohort,
    starting from a rule pack: each setting not given is the pack's, and one the pack fixes
    may not be set otherwise (``settings``: the names of ``rules.SETTINGS``)."""
    if not _is_district_of(actor, pilot_area):
        raise PermissionDenied
    if rule_pack not in PACKS:
        raise ValidationError({"rule_pack": _("Choose one of the rule packs.")})
    province = pilot_area.municipality.province
    if province is not None and province.rule_pack and rule_pack != province.rule_pack:
        raise ValidationError(
            {
                "rule_pack": _(
                    "%(province)s runs the %(pack)s pack in all its cities: start from it."
                )
                % {"province": province.name, "pack": PACKS[province.rule_pack].title}
            }
        )
    unknown = set(settings) - set(SETTING_NAMES)
    if unknown:
        raise TypeError(f"policy_create() got unknown settings {sorted(unknown)}")
    values = {**pack_values(rule_pack), **settings}
    components, quotas = list(components), list(quotas)
    policy = TransferPolicy(
        pilot_area=pilot_area,
        cohort_year=cohort_year,
        title=title,
        window_opens=window_opens,
        window_closes=window_closes,
        tie_break=tie_break,
        name_masking=name_masking,
        rule_pack=rule_pack,
        created_by=actor,
        **values,
    )
    validate_rules(policy)
    validate_window_of(policy)
    validate_content(area=pilot_area, components=components, quotas=quotas)
    validate_tie_break(tie_break, components)
    if TransferPolicy.objects.filter(pilot_area=pilot_area, cohort_year=cohort_year).exists():
        raise ValidationError(
            _("A policy for this cohort exists already; write a new version of it instead.")
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
    allowed = {"title", "window_opens", "window_closes", "tie_break", "name_masking"}
    for name, value in fields.items():
        if name not in allowed and name not in SETTING_NAMES:
            raise TypeError(f"policy_update() cannot change {name}")
        setattr(policy, name, value)
    validate_rules(policy)
    validate_window_of(policy)
    components = list(components) if components is not None else _specs_of(policy)[0]
    quotas = list(quotas) if quotas is not None else _specs_of(policy)[1]
    validate_content(area=policy.pilot_area, components=components, quotas=quotas)
    validate_tie_break(policy.tie_break, components)
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
        tie_break=policy.tie_break,
        name_masking=policy.name_masking,
        rule_pack=policy.rule_pack,
        created_by=actor,
        **{name: getattr(policy, name) for name in SETTING_NAMES},
    )
    _write_content(draft, components, quotas)
    _record(draft, actor=actor, from_state=NEW, comment="")
    return draft


def _record(policy: TransferPolicy, *, actor: User, from_state: str, comment: Piece) -> None:
    """The append-only history row of a version's change of state."""
    roles = POLICY_TRANSITIONS.get((from_state, policy.state))
    if roles is None or actor.role not in roles:
        raise PermissionDenied
    PolicyEvent.objects.create(
        policy=policy,
        actor=actor,
        from_state=from_state,
        to_state=policy.state,
        **PolicyEvent.comment_fields(comment),
    )


def _move(
    policy: TransferPolicy,
    *,
    to_state: str,
    actor: User,
    comment: Piece = "",
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
            comment=stored_text(
                gettext_noop("Replaced by version %(version)s."), version=policy.version
            ),
        )
    policy.published_at = timezone.now()
    return _move(
        policy,
        to_state=TransferPolicy.State.PUBLISHED,
        actor=actor,
        update_fields=("published_at",),
    )


@transaction.atomic
def province_set_pack(*, actor: User, province: Province, rule_pack: str) -> Province:
    """The provincial education department sets the rule pack all its cities' new policies
    start from and keep ("" for none: each district chooses). Versions written already keep
    their pack: an approved version never changes (rule 9)."""
    if actor.role != User.Role.PROVINCE or actor.province_id != province.pk:
        raise PermissionDenied
    if rule_pack and rule_pack not in PACKS:
        raise ValidationError({"rule_pack": _("Choose one of the rule packs.")})
    province = Province.objects.select_for_update().get(pk=province.pk)
    province.rule_pack = rule_pack
    province.save(update_fields=["rule_pack"])
    return province
