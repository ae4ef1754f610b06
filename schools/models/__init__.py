"""Where students are registered: municipalities, pilot areas, schools, pairings, classes, terms.

A user account lives here too, because a user's scope is a place in this hierarchy: a
registrar belongs to one school, district staff to one pilot area, bureau staff to one
municipality.
"""

from .calendar import AcademicYear, Term
from .codes import AccountCode
from .places import AdmissionLine, Municipality, PilotArea, ProgrammeType, Province, School
from .programmes import CooperativeMajor, IntegrationClass, Major, Pairing
from .users import Guardianship, User

__all__ = [
    "AccountCode",
    "AcademicYear",
    "AdmissionLine",
    "CooperativeMajor",
    "Guardianship",
    "IntegrationClass",
    "Major",
    "Municipality",
    "Pairing",
    "PilotArea",
    "ProgrammeType",
    "Province",
    "School",
    "Term",
    "User",
]
