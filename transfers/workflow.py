"""Every state of a transfer application and every move between them, with who may make it.

This table is the whole state machine: ``services.application_transition`` refuses any move
that is not listed here, or that is made by another role. Nothing else writes the state.
"""

from schools.models import User

from .models import Application

S = Application.State
R = User.Role

#: (from, to) -> the roles that may take that step.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    # The sending school's registrar checks eligibility; the student may withdraw until
    # the assessment.
    (S.SUBMITTED, S.ELIGIBLE): frozenset({R.REGISTRAR}),
    (S.SUBMITTED, S.INELIGIBLE): frozenset({R.REGISTRAR}),
    (S.SUBMITTED, S.WITHDRAWN): frozenset({R.STUDENT}),
    (S.ELIGIBLE, S.WITHDRAWN): frozenset({R.STUDENT}),
    # The district scores the written test and interview, then publishes the results.
    (S.ELIGIBLE, S.ASSESSED): frozenset({R.DISTRICT}),
    (S.ASSESSED, S.PUBLISHED): frozenset({R.DISTRICT}),
    # After the notice period the district recommends within the seats.
    (S.PUBLISHED, S.RECOMMENDED): frozenset({R.DISTRICT}),
    (S.PUBLISHED, S.NOT_RECOMMENDED): frozenset({R.DISTRICT}),
    # Rule 6: final only when the municipal bureau approves; the move follows at once.
    (S.RECOMMENDED, S.APPROVED): frozenset({R.BUREAU}),
    (S.RECOMMENDED, S.REJECTED): frozenset({R.BUREAU}),
    (S.APPROVED, S.COMPLETED): frozenset({R.BUREAU}),
}

FINAL_STATES = frozenset({S.WITHDRAWN, S.INELIGIBLE, S.NOT_RECOMMENDED, S.REJECTED, S.COMPLETED})

#: States in which an application holds one of the receiving school's seats.
SEAT_HOLDING_STATES = frozenset({S.RECOMMENDED, S.APPROVED, S.COMPLETED})


def allowed_targets(state: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == state]


def may_move(state: str, to_state: str, role: str) -> bool:
    return role in TRANSITIONS.get((state, to_state), frozenset())
