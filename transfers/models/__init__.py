"""Transfer policies, applications and everything recorded about them, a module each."""

from .applications import Application, ApplicationEvent, ApprovalBatch
from .assessment import Objection, Score, ScoreCorrection
from .policies import AssessmentComponent, Direction, PolicyEvent, SeatQuota, TransferPolicy
from .selection import Allocation, ResultsVersion

__all__ = [
    "Allocation",
    "Application",
    "ApplicationEvent",
    "ApprovalBatch",
    "AssessmentComponent",
    "Direction",
    "Objection",
    "PolicyEvent",
    "ResultsVersion",
    "Score",
    "ScoreCorrection",
    "SeatQuota",
    "TransferPolicy",
]
