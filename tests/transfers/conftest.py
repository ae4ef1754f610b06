"""Fixtures of the transfer tests: a pilot area ready for transfers (see ``transfer_world``),
a published policy, applicants, and Celery running tasks in-process."""

import pytest
from transfer_world import build_world, enrol, give_credits, publish_policy


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def policy(world):
    """Published, four seats per quota, no credit minimum."""
    return publish_policy(world)


@pytest.fixture
def applicant(world):
    """A student of the general school's integration class, with first-semester credits."""
    student = enrol(world, name="张三")
    give_credits(world, student)
    return student


@pytest.fixture
def vocational_applicant(world):
    """A student of the vocational school's integration class, with first-semester credits."""
    student = enrol(world, school=world.vocational, name="李四")
    give_credits(world, student)
    return student
