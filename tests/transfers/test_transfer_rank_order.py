"""Seats follow rank: the district cannot recommend an applicant while a better-ranked one
of the same receiving school and major still waits for its decision."""

import pytest
from django.core.exceptions import ValidationError
from transfer_world import AFTER_NOTICE, PUBLISH_AT, drive, enrol, submit

from transfers import services
from transfers.models import Application

S = Application.State


@pytest.fixture
def ranked(world, policy):
    """Two applicants to one programme on public notice: ``better`` (rank 1) and ``worse``
    (rank 2)."""
    better = drive(world, submit(policy, enrol(world)), S.ASSESSED, bonus=10)
    worse = drive(world, submit(policy, enrol(world)), S.ASSESSED)
    services.results_publish(actor=world.district, policy=policy, now=PUBLISH_AT)
    better.refresh_from_db()
    worse.refresh_from_db()
    assert (better.rank, worse.rank) == (1, 2)
    return better, worse


def test_a_worse_rank_cannot_be_recommended_while_a_better_one_waits(world, ranked):
    better, worse = ranked

    with pytest.raises(ValidationError, match=r"better-ranked applicants .* \(rank 1\)"):
        services.application_recommend(
            actor=world.district, application=worse, recommend=True, now=AFTER_NOTICE
        )

    worse.refresh_from_db()
    assert worse.state == S.PUBLISHED


@pytest.mark.parametrize("first_decision", [True, False], ids=["recommended", "not-recommended"])
def test_once_the_better_rank_is_decided_the_next_may_be_recommended(world, ranked, first_decision):
    better, worse = ranked
    services.application_recommend(
        actor=world.district,
        application=better,
        recommend=first_decision,
        comment="" if first_decision else "放弃。",
        now=AFTER_NOTICE,
    )

    services.application_recommend(
        actor=world.district, application=worse, recommend=True, now=AFTER_NOTICE
    )

    worse.refresh_from_db()
    assert worse.state == S.RECOMMENDED


def test_not_recommending_needs_no_order(world, ranked):
    _better, worse = ranked

    services.application_recommend(
        actor=world.district,
        application=worse,
        recommend=False,
        comment="未达到接收学校要求。",
        now=AFTER_NOTICE,
    )

    worse.refresh_from_db()
    assert worse.state == S.NOT_RECOMMENDED
