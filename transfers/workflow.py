"""Every state of a transfer application and every move between them, with who may make it.

This table is the whole state machine: ``services.transitions`` refuses any move that is not
listed here, or that is made by another role; pages offer the actions it allows. Nothing else
writes the state.
"""

from schools.models import User

from .models import Application, Assessor, TransferPolicy

S = Application.State
R = User.Role

#: The "state" before an application exists: its first history row comes from here.
NEW = ""

#: Not a role: whoever the application's policy names to assess (its rule pack's
#: ``assessor``): the district, or the receiving school's registrar.
ASSESSOR = "assessor"

#: (from, to) -> the roles that may take that step.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    # Rule 4: a student applies; the new application is submitted.
    (NEW, S.SUBMITTED): frozenset({R.STUDENT}),
    # The sending school's registrar checks eligibility; the student may withdraw until
    # the assessment.
    (S.SUBMITTED, S.ELIGIBLE): frozenset({R.REGISTRAR}),
    (S.SUBMITTED, S.INELIGIBLE): frozenset({R.REGISTRAR}),
    (S.SUBMITTED, S.WITHDRAWN): frozenset({R.STUDENT}),
    (S.ELIGIBLE, S.WITHDRAWN): frozenset({R.STUDENT}),
    # ... and after the results, until the bureau decides: a seat they give up goes to the
    # next on the waiting list.
    (S.PUBLISHED, S.WITHDRAWN): frozenset({R.STUDENT}),
    (S.WAITLISTED, S.WITHDRAWN): frozenset({R.STUDENT}),
    (S.RECOMMENDED, S.WITHDRAWN): frozenset({R.STUDENT}),
    # The assessor scores the written test and interview (the district, or under some packs
    # the receiving school); the district publishes the results.
    (S.ELIGIBLE, S.ASSESSED): frozenset({ASSESSOR}),
    (S.ASSESSED, S.PUBLISHED): frozenset({R.DISTRICT}),
    # After the notice period the district confirms the allocation: those within the seats
    # are recommended, the others who met the standards wait on the list in rank order.
    (S.PUBLISHED, S.RECOMMENDED): frozenset({R.DISTRICT}),
    (S.PUBLISHED, S.WAITLISTED): frozenset({R.DISTRICT}),
    (S.PUBLISHED, S.NOT_RECOMMENDED): frozenset({R.DISTRICT}),
    # Before the bureau decides, the district may take a recommendation back, with a reason.
    (S.RECOMMENDED, S.NOT_RECOMMENDED): frozenset({R.DISTRICT}),
    # Rule 6: final only when the municipal bureau approves; the move follows at once.
    (S.RECOMMENDED, S.APPROVED): frozenset({R.BUREAU}),
    (S.RECOMMENDED, S.REJECTED): frozenset({R.BUREAU}),
    (S.APPROVED, S.COMPLETED): frozenset({R.BUREAU}),
}

#: Steps no one takes by hand: the rules take them when a seat is freed (a withdrawal, a
#: recommendation taken back, the bureau's rejection), and the history records them with no
#: actor and the reason.
AUTOMATIC_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (S.WAITLISTED, S.RECOMMENDED),
        # With several choices: a recommended applicant moves to a choice they prefer.
        (S.RECOMMENDED, S.RECOMMENDED),
    }
)

# --- policies ----------------------------------------------------------------------------------

P = TransferPolicy.State

#: (from, to) -> the roles that may move a policy version so (rules 9 and 10): the district
#: writes and sends it, the bureau approves or returns it, and publishing a version retires
#: the older ones (superseded) in the same step.
POLICY_TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (NEW, P.DRAFT): frozenset({R.DISTRICT}),
    (P.DRAFT, P.PENDING): frozenset({R.DISTRICT}),
    (P.RETURNED, P.PENDING): frozenset({R.DISTRICT}),
    (P.PENDING, P.APPROVED): frozenset({R.BUREAU}),
    (P.PENDING, P.RETURNED): frozenset({R.BUREAU}),
    (P.APPROVED, P.PUBLISHED): frozenset({R.DISTRICT, R.BUREAU}),
    (P.APPROVED, P.SUPERSEDED): frozenset({R.DISTRICT, R.BUREAU}),
    (P.PUBLISHED, P.SUPERSEDED): frozenset({R.DISTRICT, R.BUREAU}),
}

#: States in which an application holds one of the receiving school's seats.
SEAT_HOLDING_STATES = frozenset({S.RECOMMENDED, S.APPROVED, S.COMPLETED})


def assessor_role(policy: TransferPolicy) -> str:
    return R.DISTRICT if policy.assessor == Assessor.DISTRICT else R.REGISTRAR


def step_roles(application: Application, to_state: str) -> frozenset[str] | None:
    """The roles that may take an application from its state to ``to_state``, with the
    assessor resolved from its policy; None when the table has no such step."""
    roles = TRANSITIONS.get((application.state, to_state))
    if roles is None or ASSESSOR not in roles:
        return roles
    return (roles - {ASSESSOR}) | {assessor_role(application.policy)}


def may_move(state: str, to_state: str, role: str) -> bool:
    return role in TRANSITIONS.get((state, to_state), frozenset())


# --- who may act on an application, and what its page offers ---------------------------------


def actor_concerned(actor: User, application: Application) -> bool:
    """Whether the actor's scope covers this application at all."""
    area = application.policy.pilot_area
    match actor.role:
        case User.Role.STUDENT:
            return application.student.user_id == actor.pk
        case User.Role.REGISTRAR:
            return actor.school_id in (application.from_school_id, application.to_school_id)
        case User.Role.DISTRICT:
            return actor.pilot_area_id == area.pk
        case User.Role.BUREAU:
            return actor.municipality_id == area.municipality_id
    return False


def assesses(actor: User, application: Application) -> bool:
    """Whether the actor is the one who scores this application under its policy."""
    policy = application.policy
    if policy.assessor == Assessor.RECEIVING_SCHOOL:
        return actor.role == R.REGISTRAR and actor.school_id == application.to_school_id
    return actor.role == R.DISTRICT and actor.pilot_area_id == policy.pilot_area_id


def may_act(actor: User, application: Application, to_state: str | None = None) -> bool:
    """Eligibility is the sending school's business, not the receiving one's; the assessment
    is the assessor's (under some packs the receiving school's)."""
    if to_state is not None and ASSESSOR in TRANSITIONS.get((application.state, to_state), ()):
        return assesses(actor, application)
    if actor.role == User.Role.REGISTRAR:
        return actor.school_id == application.from_school_id
    return actor_concerned(actor, application)


#: The buttons of an application's page that move it, each with the states it leads to
#: (and, where a target is reached from several states, the one it starts from).
ACTIONS: dict[str, tuple[str, ...]] = {
    "withdraw": (S.WITHDRAWN,),
    "eligibility": (S.ELIGIBLE, S.INELIGIBLE),
    "recommend": (S.RECOMMENDED, S.NOT_RECOMMENDED),
    "take_back": (S.NOT_RECOMMENDED,),
    "decide": (S.APPROVED, S.REJECTED),
}
ACTION_FROM: dict[str, frozenset[str]] = {
    "recommend": frozenset({S.PUBLISHED}),
    "take_back": frozenset({S.RECOMMENDED}),
}


def actions_for(actor: User, application: Application) -> set[str]:
    """The moves the actor may offer on this application: the table's, in their scope."""
    if not may_act(actor, application):
        return set()
    return {
        name
        for name, targets in ACTIONS.items()
        if application.state in ACTION_FROM.get(name, {application.state})
        and any(may_move(application.state, target, actor.role) for target in targets)
    }


#: The buttons of a policy version's page that move it, each with the state it leads to.
POLICY_ACTIONS: dict[str, str] = {
    "submit": P.PENDING,
    "review": P.APPROVED,
    "publish": P.PUBLISHED,
}


def policy_may_move(state: str, to_state: str, role: str) -> bool:
    return role in POLICY_TRANSITIONS.get((state, to_state), frozenset())
