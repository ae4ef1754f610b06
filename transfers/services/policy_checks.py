"""What a policy version's content must be before it is saved: the window, the rule pack's
settings, the standards and the seats, and the tie-break. Each refusal names its field."""

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from schools.models import Major, Pairing, PilotArea, ProgrammeType, School

from ..models import AssessmentComponent, TransferPolicy, WindowTerm
from ..rules import PACKS, SETTING_NAMES, pack_refusals
from ..selectors import policy_window_bounds


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


def policy_validate_window(
    *,
    cohort_year: int,
    opens: datetime.datetime,
    closes,
    term: str = WindowTerm.G10_S1,
    lead_days: int = 0,
) -> None:
    earliest, latest = policy_window_bounds(cohort_year, term, lead_days)
    if closes <= opens:
        raise ValidationError({"window_closes": _("The window must close after it opens.")})
    outside = (
        timezone.localtime(opens).date() < earliest or timezone.localtime(closes).date() > latest
    )
    if outside and term == WindowTerm.G10_S1:
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
    if outside:
        raise ValidationError(
            {
                "window_opens": _(
                    "The application window lies at the %(term)s of the %(year)s cohort: "
                    "between %(earliest)s and %(latest)s."
                )
                % {
                    "term": WindowTerm(term).label,
                    "year": cohort_year,
                    "earliest": date_format(earliest),
                    "latest": date_format(latest),
                }
            }
        )


def validate_rules(policy: TransferPolicy) -> None:
    """The pack's settings: what the pack fixes stays as the pack has it (each refusal names
    the setting and its source), the window lies at a semester end a direction is open at,
    and the lists hold known values."""
    if policy.rule_pack not in PACKS:
        raise ValidationError({"rule_pack": _("Choose one of the rule packs.")})
    errors: dict[str, list[str]] = {
        name: [message]
        for name, message in pack_refusals(
            policy.rule_pack, {name: getattr(policy, name) for name in SETTING_NAMES}
        ).items()
    }
    for name in ("terms_g2v", "terms_v2g"):
        terms = getattr(policy, name)
        if not isinstance(terms, list) or any(term not in WindowTerm.values for term in terms):
            errors.setdefault(name, []).append(_("Choose semester ends from the list."))
    if policy.window_term not in (*policy.terms_g2v, *policy.terms_v2g):
        errors.setdefault("window_term", []).append(
            _("Neither direction is open at this semester end under the pack.")
        )
    programmes = policy.excluded_programmes
    if not isinstance(programmes, list) or any(p not in ProgrammeType.values for p in programmes):
        errors.setdefault("excluded_programmes", []).append(
            _("Choose programme types from the list.")
        )
    subjects = policy.required_passes
    if not isinstance(subjects, list) or any(not str(s).strip() for s in subjects):
        errors.setdefault("required_passes", []).append(_("Name each subject."))
    if errors:
        raise ValidationError(errors)


def validate_window_of(policy: TransferPolicy) -> None:
    policy_validate_window(
        cohort_year=policy.cohort_year,
        opens=policy.window_opens,
        closes=policy.window_closes,
        term=policy.window_term,
        lead_days=policy.window_lead_days,
    )


def validate_content(
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


def validate_tie_break(tie_break: list[str] | None, components: list[ComponentSpec]) -> None:
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
