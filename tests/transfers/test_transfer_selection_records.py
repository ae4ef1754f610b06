"""What a selection leaves on record cannot be rewritten, and seats stay safe when people
act at once: published results versions and confirmed allocations refuse UPDATE and DELETE
in the database (both engines' triggers), and concurrent steps that free and fill seats
never give more seats than there are (PostgreSQL, real threads)."""

import pytest
import races
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from transfer_world import (
    AFTER_NOTICE,
    PUBLISH_AT,
    drive,
    enrol,
    publish_policy,
    published_ranking,
    scores_for,
    submit,
)

from core.exceptions import NotFound
from transfers import services
from transfers.models import Allocation, Application, ResultsVersion
from transfers.selectors import seat_order_violations

S = Application.State


def _allocated(world, *, seats: int, applicants: int) -> tuple:
    policy, ranked = published_ranking(
        world, seats=seats, bonuses=[20 - n for n in range(applicants)]
    )
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    return policy, [Application.objects.get(pk=a.pk) for a in ranked]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rewrite",
    [
        lambda rows: rows.update(reason="改写"),
        lambda rows: rows.update(rows=[]),
        # Past Django's own PROTECT of the allocations that name the version.
        lambda rows: rows._raw_delete(rows.db),
    ],
    ids=["update-reason", "update-rows", "delete"],
)
@pytest.mark.owner  # the trigger itself; the app role is refused before it (test_app_role)
def test_a_published_results_version_cannot_be_rewritten(world, rewrite):
    _allocated(world, seats=1, applicants=2)
    before = list(ResultsVersion.objects.values_list("pk", "reason", "rows"))

    with pytest.raises(IntegrityError, match="resultsversion"), transaction.atomic():
        rewrite(ResultsVersion.objects.all())

    assert list(ResultsVersion.objects.values_list("pk", "reason", "rows")) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rewrite",
    [lambda rows: rows.update(programmes=[]), lambda rows: rows.delete()],
    ids=["update", "delete"],
)
@pytest.mark.owner  # the trigger itself; the app role is refused before it (test_app_role)
def test_a_confirmed_allocation_cannot_be_rewritten(world, rewrite):
    _allocated(world, seats=1, applicants=2)
    before = list(Allocation.objects.values_list("pk", "programmes"))

    with pytest.raises(IntegrityError, match="allocation"), transaction.atomic():
        rewrite(Allocation.objects.all())

    assert list(Allocation.objects.values_list("pk", "programmes")) == before


@pytest.mark.django_db
def test_a_version_refuses_a_second_save(world):
    _allocated(world, seats=1, applicants=1)
    version = ResultsVersion.objects.get()
    version.reason = "改写"
    with pytest.raises(ValueError, match="append-only"):
        version.save()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seats_freed_at_once_are_each_filled_once_in_rank_order(world):
    """Two seat holders give up their seats at the same moment (one withdraws, the district
    takes the other back): the two best on the waiting list move up, no more."""
    policy, ranked = _allocated(world, seats=2, applicants=5)
    first, second, *waiting = ranked
    assert [a.state for a in ranked] == [S.RECOMMENDED] * 2 + [S.WAITLISTED] * 3

    done, refused = races.race(
        [
            lambda: services.application_withdraw(actor=first.student.user, application=first),
            lambda: services.application_take_back(
                actor=world.district, application=second, reason="材料不符。"
            ),
        ],
        refusals=(ValidationError, PermissionDenied, NotFound),
    )

    assert (len(done), refused) == (2, [])
    states = [Application.objects.get(pk=a.pk).state for a in ranked]
    assert states == [
        S.WITHDRAWN,
        S.NOT_RECOMMENDED,
        S.RECOMMENDED,
        S.RECOMMENDED,
        S.WAITLISTED,
    ]
    assert seat_order_violations(policy) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_confirming_the_allocation_at_once_record_it_once(world):
    from factories import UserFactory

    from schools.models import User

    policy = publish_policy(world, seats=1)
    for bonus in (10, 5):
        application = submit(policy, enrol(world))
        drive(world, application, S.ELIGIBLE)
        services.scores_enter(
            actor=world.district,
            policy=policy,
            scores={application.pk: scores_for(application, bonus=bonus)},
        )
    services.results_publish(actor=world.district, policy=policy, now=PUBLISH_AT)
    officers = [world.district, UserFactory(role=User.Role.DISTRICT, pilot_area=world.area)]

    done, refused = races.race(
        [
            lambda officer=officer: services.allocation_confirm(
                actor=officer, policy=policy, now=AFTER_NOTICE
            )
            for officer in officers
        ],
        refusals=(ValidationError, PermissionDenied, NotFound),
    )

    assert (len(done), len(refused)) == (1, 1)
    assert "No applicant awaits" in str(refused[0])
    assert Allocation.objects.count() == 1
    assert sorted(Application.objects.values_list("state", flat=True)) == sorted(
        [S.RECOMMENDED, S.WAITLISTED]
    )
