"""What each role may do; what it may see is in ``selectors``."""

import rules

from .models import User


@rules.predicate
def is_administrator(user) -> bool:
    return user.is_active and (user.is_superuser or user.role == User.Role.ADMIN)


@rules.predicate
def is_bureau_of_area(user, pilot_area) -> bool:
    return (
        pilot_area is not None
        and user.is_active
        and user.role == User.Role.BUREAU
        and user.municipality_id == pilot_area.municipality_id
    )


@rules.predicate
def is_district_of_area(user, pilot_area) -> bool:
    return (
        pilot_area is not None
        and user.is_active
        and user.role == User.Role.DISTRICT
        and user.pilot_area_id == pilot_area.pk
    )


rules.add_perm("schools.approve_pilot_area", is_administrator | is_bureau_of_area)
rules.add_perm(
    "schools.manage_pilot_area", is_administrator | is_bureau_of_area | is_district_of_area
)
