"""Who may see which places: the one source of scope that every list, detail and admin uses.

Staff see the schools of the place their role names; a student sees the schools they are or
were registered at. "Not yours" must look exactly like "does not exist", so detail lookups
go through these querysets and 404 on a miss.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import IntegrationClass, Municipality, Pairing, PilotArea, School, User


def _is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def schools_visible_to(user) -> QuerySet[School]:
    schools = School.objects.all()
    if not _is_signed_in(user):
        return schools.none()
    if user.sees_everything:
        return schools
    match user.role:
        case User.Role.PROVINCE:
            return schools.filter(municipality__province_id=user.province_id)
        case User.Role.BUREAU:
            return schools.filter(municipality_id=user.municipality_id)
        case User.Role.DISTRICT:
            return schools.filter(pilot_area_id=user.pilot_area_id)
        case User.Role.REGISTRAR:
            return schools.filter(pk=user.school_id)
        case User.Role.STUDENT:
            # The schools where the student holds a status record, of any state; through the
            # reverse relation, since the students app lies above this one.
            registered = School.objects.filter(
                pk=OuterRef("pk"), status_records__student__user=user
            )
            return schools.filter(Exists(registered))
        case User.Role.GUARDIAN:
            # Where their children hold status records, of any state.
            registered = School.objects.filter(
                pk=OuterRef("pk"), status_records__student__user__guardianships__guardian=user
            )
            return schools.filter(Exists(registered))
    return schools.none()


def pilot_areas_visible_to(user) -> QuerySet[PilotArea]:
    areas = PilotArea.objects.select_related("municipality")
    if not _is_signed_in(user):
        return areas.none()
    if user.sees_everything:
        return areas
    match user.role:
        case User.Role.PROVINCE:
            return areas.filter(municipality__province_id=user.province_id)
        case User.Role.BUREAU:
            return areas.filter(municipality_id=user.municipality_id)
        case User.Role.DISTRICT:
            return areas.filter(pk=user.pilot_area_id)
    return areas.filter(pk__in=schools_visible_to(user).values("pilot_area"))


def municipalities_visible_to(user) -> QuerySet[Municipality]:
    if not _is_signed_in(user):
        return Municipality.objects.none()
    if user.sees_everything:
        return Municipality.objects.all()
    if user.role == User.Role.PROVINCE:
        return Municipality.objects.filter(province_id=user.province_id)
    if user.role == User.Role.BUREAU:
        return Municipality.objects.filter(pk=user.municipality_id)
    return Municipality.objects.filter(pk__in=schools_visible_to(user).values("municipality"))


def pairings_visible_to(user) -> QuerySet[Pairing]:
    pairings = Pairing.objects.select_related("pilot_area", "general_school", "vocational_school")
    if not _is_signed_in(user):
        return pairings.none()
    if user.sees_everything:
        return pairings
    if user.role in (User.Role.PROVINCE, User.Role.BUREAU, User.Role.DISTRICT):
        return pairings.filter(pilot_area__in=pilot_areas_visible_to(user))
    schools = schools_visible_to(user)
    return pairings.filter(Q(general_school__in=schools) | Q(vocational_school__in=schools))


def integration_classes_visible_to(user) -> QuerySet[IntegrationClass]:
    return IntegrationClass.objects.select_related("host_school", "major").filter(
        host_school__in=schools_visible_to(user)
    )
