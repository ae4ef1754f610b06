"""Transfer policies, applications and everything recorded about them, a module each."""

from .applications import Application, ApplicationChoice, ApplicationEvent, ApprovalBatch
from .assessment import Objection, Score, ScoreCorrection
from .policies import (
    AssessmentComponent,
    Assessor,
    Direction,
    NameMasking,
    PolicyEvent,
    SeatQuota,
    TransferPolicy,
    WindowTerm,
    mask_name,
)
from .selection import Allocation, ResultsVersion

__all__ = [
    "Allocation",
    "Application",
    "ApplicationChoice",
    "ApplicationEvent",
    "ApprovalBatch",
    "AssessmentComponent",
    "Assessor",
    "Direction",
    "NameMasking",
    "Objection",
    "PolicyEvent",
    "ResultsVersion",
    "Score",
    "ScoreCorrection",
    "SeatQuota",
    "TransferPolicy",
    "WindowTerm",
    "mask_name",
]
