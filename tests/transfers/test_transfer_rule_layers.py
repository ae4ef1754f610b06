"""Each rule's own check, apart from the layer behind it: the window closes to the second
(rule 4); the service refuses a second application before the database's unique constraint
is ever asked (rule 4, the constraint is tested in ``test_transfer_constraints``); and only a
student registered at their class's own school may apply (rule 3)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from transfer_world import WINDOW_CLOSES, enrol, submit

from students.models import StatusRecord
from transfers.models import Application

pytestmark = pytest.mark.django_db


def test_the_window_is_open_at_its_closing_second_and_shut_one_second_later(
    world, policy, applicant, vocational_applicant
):
    assert submit(policy, applicant, now=WINDOW_CLOSES).pk
    with pytest.raises(ValidationError, match="only while the window is open"):
        submit(policy, vocational_applicant, now=WINDOW_CLOSES + datetime.timedelta(seconds=1))
    assert not Application.objects.filter(student=vocational_applicant).exists()


def test_the_service_refuses_a_second_application_before_the_database_is_asked(
    world, policy, applicant
):
    submit(policy, applicant)
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(ValidationError, match="You have already applied once"),
    ):
        submit(policy, applicant)
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert inserts == [], "the second application reached the database's constraint"


def test_a_student_registered_away_from_their_classs_school_may_not_apply(world, policy):
    student = enrol(world)  # in the general school's class
    # Registered at the vocational school while still in the general school's class list.
    StatusRecord.objects.filter(student=student).update(school=world.vocational)
    with pytest.raises(ValidationError, match="registered at the class's school"):
        submit(policy, student)
    assert not Application.objects.filter(student=student).exists()
