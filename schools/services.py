"""Changes to pilot areas, pilot schools and pairings, under rule 1 and rule 2 of DESIGN.md,
and the entrance exam's admission lines the bureau records."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound

from .models import AdmissionLine, CooperativeMajor, Major, Pairing, PilotArea, School, User

PILOT_PERIOD_YEARS = 3


def _today() -> datetime.date:
    return timezone.localdate()


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def pilot_area_assert_adjustable(pilot_area: PilotArea | None, *, today=None) -> None:
    """Rule 1: pilot schools and pairings are not adjusted during an approved pilot period."""
    if pilot_area is None:
        return
    today = today or _today()
    if pilot_area.pilot_running_on(today):
        raise ValidationError(
            _(
                "The pilot schools and pairings of %(area)s cannot be changed during its pilot "
                "period (%(start)s to %(end)s)."
            )
            % {
                "area": pilot_area.name,
                "start": pilot_area.pilot_start,
                "end": pilot_area.pilot_end,
            }
        )


def _assert_manages(actor: User, pilot_area: PilotArea) -> None:
    if not actor.has_perm("schools.manage_pilot_area", pilot_area):
        raise PermissionDenied


@transaction.atomic
def pilot_area_approve(*, actor: User, pilot_area: PilotArea) -> PilotArea:
    """Rule 1: the municipal bureau approves a pilot area for a pilot period of three years."""
    if not actor.has_perm("schools.approve_pilot_area", pilot_area):
        raise PermissionDenied
    pilot_area = PilotArea.objects.select_for_update().get(pk=pilot_area.pk)
    if pilot_area.approval == PilotArea.Approval.APPROVED:
        return pilot_area
    expected_end = _add_years(pilot_area.pilot_start, PILOT_PERIOD_YEARS) - datetime.timedelta(1)
    if pilot_area.pilot_end != expected_end:
        raise ValidationError(
            _("A pilot period lasts three years: from %(start)s it ends on %(end)s.")
            % {"start": pilot_area.pilot_start, "end": expected_end}
        )
    pilot_area.approval = PilotArea.Approval.APPROVED
    pilot_area.approved_at = timezone.now()
    pilot_area.full_clean()
    pilot_area.save(update_fields=["approval", "approved_at"])
    return pilot_area


def _validate_pairing_schools(
    *, pilot_area: PilotArea, general_school: School, vocational_school: School
) -> None:
    errors = {}
    if general_school.kind != School.Kind.GENERAL:
        errors["general_school"] = _("%(school)s is not a general high school.") % {
            "school": general_school.name
        }
    if vocational_school.kind != School.Kind.VOCATIONAL:
        errors["vocational_school"] = _("%(school)s is not a secondary vocational school.") % {
            "school": vocational_school.name
        }
    for field, school in (
        ("general_school", general_school),
        ("vocational_school", vocational_school),
    ):
        if field not in errors and school.pilot_area_id != pilot_area.pk:
            errors[field] = _("%(school)s is not a pilot school of %(area)s.") % {
                "school": school.name,
                "area": pilot_area.name,
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def pairing_create(
    *,
    actor: User,
    pilot_area: PilotArea,
    general_school: School,
    vocational_school: School,
    majors: Iterable[Major],
    today: datetime.date | None = None,
) -> Pairing:
    """Rule 2: a general and a vocational pilot school of one area, with at least one
    cooperative major. Rule 1: not while the area's pilot period is running."""
    _assert_manages(actor, pilot_area)
    pilot_area = PilotArea.objects.select_for_update().get(pk=pilot_area.pk)
    pilot_area_assert_adjustable(pilot_area, today=today)
    majors = list(majors)
    if not majors:
        raise ValidationError(
            {"cooperative_majors": _("A pairing cooperates in at least one major.")}
        )
    _validate_pairing_schools(
        pilot_area=pilot_area, general_school=general_school, vocational_school=vocational_school
    )
    pairing = Pairing(
        pilot_area=pilot_area, general_school=general_school, vocational_school=vocational_school
    )
    pairing.full_clean()
    pairing.save()
    CooperativeMajor.objects.bulk_create(
        CooperativeMajor(pairing=pairing, major=major) for major in majors
    )
    return pairing


@transaction.atomic
def pairing_set_majors(
    *, actor: User, pairing: Pairing, majors: Iterable[Major], today: datetime.date | None = None
) -> Pairing:
    _assert_manages(actor, pairing.pilot_area)
    pilot_area = PilotArea.objects.select_for_update().get(pk=pairing.pilot_area_id)
    pilot_area_assert_adjustable(pilot_area, today=today)
    majors = list(majors)
    if not majors:
        raise ValidationError(
            {"cooperative_majors": _("A pairing cooperates in at least one major.")}
        )
    dropped = pairing.cooperations.exclude(major__in=majors)
    in_use = pairing.integration_classes.filter(major__in=dropped.values("major")).order_by("name")
    if in_use.exists():
        raise ValidationError(
            {
                "cooperative_majors": _(
                    "Keep the majors that integration classes train in: %(classes)s."
                )
                % {"classes": "、".join(f"{c.name} ({c.major.name})" for c in in_use)}
            }
        )
    dropped.delete()
    existing = set(pairing.cooperations.values_list("major_id", flat=True))
    CooperativeMajor.objects.bulk_create(
        CooperativeMajor(pairing=pairing, major=m) for m in majors if m.pk not in existing
    )
    return pairing


@transaction.atomic
def pairing_delete(*, actor: User, pairing: Pairing, today: datetime.date | None = None) -> None:
    _assert_manages(actor, pairing.pilot_area)
    pilot_area = PilotArea.objects.select_for_update().get(pk=pairing.pilot_area_id)
    pilot_area_assert_adjustable(pilot_area, today=today)
    if pairing.integration_classes.exists():
        raise ValidationError(
            _("This pairing has integration classes; a pairing with classes is not deleted.")
        )
    pairing.delete()


@transaction.atomic
def school_set_pilot_area(
    *,
    actor: User,
    school: School,
    pilot_area: PilotArea | None,
    today: datetime.date | None = None,
) -> School:
    """Rule 1: a school joins or leaves a pilot only when neither area's period is running."""
    school = School.objects.select_for_update().get(pk=school.pk)
    if school.pilot_area_id == (pilot_area.pk if pilot_area else None):
        return school
    for area in (school.pilot_area, pilot_area):
        if area is not None:
            _assert_manages(actor, area)
            pilot_area_assert_adjustable(area, today=today)
    if Pairing.objects.filter(Q(general_school=school) | Q(vocational_school=school)).exists():
        raise ValidationError(
            {
                "pilot_area": _(
                    "%(school)s is paired; delete its pairing before it leaves its pilot area."
                )
                % {"school": school.name}
            }
        )
    if pilot_area is not None and pilot_area.municipality_id != school.municipality_id:
        raise ValidationError(
            {"pilot_area": _("A pilot area can only take schools of its own municipality.")}
        )
    school.pilot_area = pilot_area
    school.full_clean()
    school.save(update_fields=["pilot_area"])
    return school


@transaction.atomic
def admission_line_set(
    *, actor: User, year: int, score: Decimal, school: School | None = None
) -> AdmissionLine:
    """The municipal bureau records a year's entrance exam (中考) admission line: a general
    school's lowest admitted score, or (no school) the city's minimum line. Giving the same
    school and year again corrects it. Rule packs that ask a student moving into a general
    school to reach "that year's line" compare with these."""
    if actor.role != User.Role.BUREAU or actor.municipality_id is None:
        raise PermissionDenied
    if school is not None and school.municipality_id != actor.municipality_id:
        raise NotFound  # another city's school: not there, as far as this bureau can tell
    if school is not None and school.kind == School.Kind.VOCATIONAL:
        raise ValidationError({"school": _("Admission lines are those of general high schools.")})
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Give the exam's year, e.g. 2026.")})
    if not Decimal(0) < score < Decimal(10000):
        raise ValidationError({"score": _("A line is a score above 0, e.g. 585.5.")})
    line, _created = AdmissionLine.objects.update_or_create(
        municipality_id=actor.municipality_id,
        school=school,
        year=year,
        defaults={"score": score},
    )
    return line
