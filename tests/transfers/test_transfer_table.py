"""The transition table, entry by entry, through the one function that moves an application:
each listed move is taken by each role the table names and refused to every other role; each
pair the table does not list is refused to every role. The table is also written out here as
the rules read, so a wrong entry in it fails a test."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from transfer_world import drive, enrol, publish_policy, submit

from core.exceptions import NotFound
from schools.models import User
from transfers.models import Application
from transfers.services.transitions import application_transition
from transfers.workflow import ASSESSOR, NEW, TRANSITIONS

S = Application.State
R = User.Role
pytestmark = pytest.mark.django_db

#: The rules (seed 002, rules 4 to 10, and the selection's steps), as the README's table
#: states them; the workflow's table must be exactly this.
EXPECTED = {
    (NEW, S.SUBMITTED): {R.STUDENT},
    (S.SUBMITTED, S.ELIGIBLE): {R.REGISTRAR},
    (S.SUBMITTED, S.INELIGIBLE): {R.REGISTRAR},
    (S.SUBMITTED, S.WITHDRAWN): {R.STUDENT},
    (S.ELIGIBLE, S.WITHDRAWN): {R.STUDENT},
    (S.PUBLISHED, S.WITHDRAWN): {R.STUDENT},
    (S.WAITLISTED, S.WITHDRAWN): {R.STUDENT},
    (S.RECOMMENDED, S.WITHDRAWN): {R.STUDENT},
    (S.ELIGIBLE, S.ASSESSED): {R.DISTRICT},
    (S.ASSESSED, S.PUBLISHED): {R.DISTRICT},
    (S.PUBLISHED, S.RECOMMENDED): {R.DISTRICT},
    (S.PUBLISHED, S.WAITLISTED): {R.DISTRICT},
    (S.PUBLISHED, S.NOT_RECOMMENDED): {R.DISTRICT},
    (S.RECOMMENDED, S.NOT_RECOMMENDED): {R.DISTRICT},
    (S.RECOMMENDED, S.APPROVED): {R.BUREAU},
    (S.RECOMMENDED, S.REJECTED): {R.BUREAU},
    (S.APPROVED, S.COMPLETED): {R.BUREAU},
}
ROLES = [R.STUDENT, R.REGISTRAR, R.DISTRICT, R.BUREAU]


def test_the_table_is_the_rules():
    """Under Hangzhou's pack the assessor is the district: the table, so read, is seed 002's."""
    resolved = {
        pair: {R.DISTRICT if role == ASSESSOR else role for role in roles}
        for pair, roles in TRANSITIONS.items()
    }
    assert resolved == EXPECTED
    assert TRANSITIONS[(S.ELIGIBLE, S.ASSESSED)] == {ASSESSOR}


def test_where_the_receiving_school_assesses_its_registrar_alone_scores(world):
    policy = publish_policy(world, rule_pack="shandong-2026")
    application = _in_state(drive(world, submit(policy, enrol(world)), S.SUBMITTED), S.ELIGIBLE)
    receiving = world.registrar_of(application.to_school)
    for actor in (world.district, world.registrar_of(application.from_school), world.bureau):
        with pytest.raises((PermissionDenied, NotFound)):
            application_transition(application=application, to_state=S.ASSESSED, actor=actor)

    moved = application_transition(application=application, to_state=S.ASSESSED, actor=receiving)

    assert moved.state == S.ASSESSED
    assert moved.events.order_by("-pk").first().actor == receiving


@pytest.fixture
def application(world, policy):
    return drive(world, submit(policy, enrol(world)), S.SUBMITTED)


def _in_state(application, state) -> Application:
    # Past the services: each case starts from the state it tests (a completed one with the
    # new status the database asks for).
    extra = {"new_status": application.from_status} if state == S.COMPLETED else {}
    Application.objects.filter(pk=application.pk).update(state=state, **extra)
    return Application.objects.get(pk=application.pk)


def _actor(world, role, application):
    return {
        R.STUDENT: application.student.user,
        R.REGISTRAR: world.registrar_of(application.from_school),
        R.DISTRICT: world.district,
        R.BUREAU: world.bureau,
    }[role]


CASES = [
    (from_state, to_state, role)
    for (from_state, to_state) in EXPECTED
    if from_state != NEW
    for role in ROLES
]


@pytest.mark.parametrize(("from_state", "to_state", "role"), CASES)
def test_each_listed_move_is_taken_by_its_roles_only(
    world, application, from_state, to_state, role
):
    application = _in_state(application, from_state)
    if to_state == S.COMPLETED:
        # The database holds "completed has its new status"; the completion service writes it.
        Application.objects.filter(pk=application.pk).update(new_status=application.from_status)
    actor = _actor(world, role, application)
    if role in EXPECTED[(from_state, to_state)]:
        moved = application_transition(application=application, to_state=to_state, actor=actor)
        assert moved.state == to_state
        assert moved.events.order_by("-pk").first().actor == actor
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            application_transition(application=application, to_state=to_state, actor=actor)
        assert Application.objects.get(pk=application.pk).state == from_state


UNLISTED = [
    (a, b) for a, b in itertools.product(S.values, S.values) if (a, b) not in EXPECTED and a != b
]


@pytest.mark.parametrize(("from_state", "to_state"), UNLISTED)
def test_every_unlisted_move_is_refused_to_every_role(world, application, from_state, to_state):
    application = _in_state(application, from_state)
    for role in ROLES:
        with pytest.raises((ValidationError, PermissionDenied, NotFound)):
            application_transition(
                application=application, to_state=to_state, actor=_actor(world, role, application)
            )
        assert Application.objects.get(pk=application.pk).state == from_state
