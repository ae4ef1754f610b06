"""How many applications a student may make is the policy's setting (issue 14, item 3), held
by the database: each application carries its number for the student and the limit of the
policy it was made under, numbers are unique per student and within the limit, and no
student has two open at once. Under Hangzhou's pilot (the default, 1) it is "once, ever"."""

import datetime

import pytest
import races
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from transfer_world import SUBMIT_AT, enrol, give_credits, publish_policy, submit

from core.exceptions import NotFound
from transfers import services
from transfers.models import Application

S = Application.State
#: A pack of each limit: Hangzhou's once, Shandong's three times.
PACK_OF_LIMIT = {1: "hangzhou-2023", 3: "shandong-2026"}
REFUSALS = (ValidationError, PermissionDenied, NotFound)


def _withdraw(application):
    return services.application_withdraw(actor=application.student.user, application=application)


def _row(application, **changes):
    """A copy of an application's row with ``changes``, written past the services."""
    fields = {
        field.attname: getattr(application, field.attname)
        for field in Application._meta.concrete_fields
        if not field.primary_key
    }
    fields.update(changes)
    return Application(**fields)


@pytest.fixture
def thrice(world):
    """A published policy that lets each student apply three times: Shandong's pack."""
    return publish_policy(world, rule_pack="shandong-2026")


@pytest.mark.django_db
def test_under_the_default_a_withdrawn_application_is_the_one_chance(policy, applicant):
    assert policy.max_applications == 1
    _withdraw(submit(policy, applicant))

    with pytest.raises(ValidationError, match="only once"):
        submit(policy, applicant)


@pytest.mark.django_db
def test_three_applications_one_at_a_time_then_no_more(thrice, applicant):
    first = submit(thrice, applicant)
    with pytest.raises(ValidationError, match="still going"):
        submit(thrice, applicant)

    _withdraw(first)
    second = submit(thrice, applicant)
    _withdraw(second)
    third = submit(thrice, applicant)
    _withdraw(third)

    assert [(a.attempt, a.attempts_allowed) for a in (first, second, third)] == [
        (1, 3),
        (2, 3),
        (3, 3),
    ]
    with pytest.raises(ValidationError, match="3 applications: this policy allows 3"):
        submit(thrice, applicant)


@pytest.mark.django_db
def test_a_transfer_back_is_not_made_in_the_window_of_the_move(world, thrice, applicant):
    from transfer_world import drive

    drive(world, submit(thrice, applicant), S.COMPLETED)

    with pytest.raises(ValidationError, match="later window than the move"):
        submit(thrice, applicant)


@pytest.mark.django_db
def test_the_student_is_offered_to_apply_again_while_the_policy_allows(
    world, thrice, applicant, client
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(applicant.user)
    _withdraw(submit(thrice, applicant))
    inside_window = thrice.window_opens + datetime.timedelta(days=1)

    with time_machine.travel(inside_window, tick=False):
        home = client.get(reverse("home"))
        apply_page = client.get(reverse("transfers:apply"))

    assert b'data-testid="apply-again"' in home.content
    assert apply_page.status_code == 200
    assert b"3 times at most" in apply_page.content


@pytest.mark.django_db
def test_the_database_refuses_an_attempt_past_the_limit_and_a_second_open_one(thrice, applicant):
    first = submit(thrice, applicant)
    with (
        pytest.raises(IntegrityError, match="one_open_per_student|student_id"),
        transaction.atomic(),
    ):
        _row(first, attempt=2).save()
    _withdraw(first)
    with pytest.raises(IntegrityError, match="attempt_once|student_id"), transaction.atomic():
        _row(first, state=S.WITHDRAWN).save()  # attempt 1 again
    with pytest.raises(IntegrityError, match="within_limit|CHECK"), transaction.atomic():
        _row(first, attempt=4, state=S.WITHDRAWN).save()
    with pytest.raises(IntegrityError, match="within_limit|CHECK"), transaction.atomic():
        _row(first, attempt=2, attempts_allowed=1, state=S.WITHDRAWN).save()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("limit", [1, 3])
def test_twenty_threads_give_exactly_the_allowed_number(world, limit):
    """Each thread writes the student's next application past the services, as a bug or a
    second writer would, each with an attempt number of its own: the database keeps exactly
    ``limit`` of them. Then 20 submissions at once through the services: one, or none left."""
    policy = publish_policy(world, rule_pack=PACK_OF_LIMIT[limit])
    student = enrol(world, name="王五")
    give_credits(world, student)
    first = submit(policy, student)
    _withdraw(first)
    first.refresh_from_db()

    def write(attempt):
        with transaction.atomic():
            _row(first, attempt=attempt, state=S.WITHDRAWN).save()
        return attempt

    done, refused = races.race(
        [lambda n=n: write(n) for n in range(2, 22)], refusals=(IntegrityError,)
    )

    assert sorted(done) == list(range(2, limit + 1))
    assert Application.objects.filter(student=student).count() == limit

    done, refused = races.race(
        [lambda: submit(policy, student, now=SUBMIT_AT)] * 20, refusals=REFUSALS
    )
    assert done == [] and len(refused) == 20
    assert Application.objects.filter(student=student).count() == limit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_applying_again_at_once_make_one_application(world):
    policy = publish_policy(world, rule_pack="shandong-2026")
    student = enrol(world, name="赵六")
    give_credits(world, student)
    _withdraw(submit(policy, student))

    done, refused = races.race([lambda: submit(policy, student)] * 20, refusals=REFUSALS)

    assert len(done) == 1 and len(refused) == 19
    assert [a.attempt for a in Application.objects.filter(student=student).order_by("attempt")] == [
        1,
        2,
    ]
