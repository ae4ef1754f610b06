"""Rule 7, once: credit recognition run again for a transfer already carried out writes
nothing more. The approval stops early for a completed transfer, so these call the
recognition itself, the path with nothing in front of its own guard."""

from decimal import Decimal

import pytest
from factories import CourseFactory, CreditRecordFactory
from transfer_world import drive, submit

from credits.models import Course, CreditRecord
from credits.services import credits_recognise
from transfers.models import Application

S = Application.State


def _recognise_again(world, student):
    return credits_recognise(
        student=student,
        pairing=world.pairing,
        from_school=world.general,
        to_school=world.vocational,
    )


def _rows():
    return {
        "credit records": sorted(
            CreditRecord.objects.values_list(
                "pk", "student", "course", "term", "credits_earned", "recognised_from"
            )
        ),
        "courses": sorted(Course.objects.values_list("pk", "school", "code")),
    }


@pytest.fixture
def completed(world, policy, applicant):
    return drive(world, submit(policy, applicant), S.COMPLETED)


def test_recognising_a_completed_transfers_credits_again_writes_nothing(
    world, completed, applicant
):
    before = _rows()
    # The approval recognised both courses: one by a target course, one into a category.
    assert (
        CreditRecord.objects.filter(student=applicant, recognised_from__isnull=False).count() == 2
    )

    again = _recognise_again(world, applicant)

    assert again == []
    assert _rows() == before


def test_a_second_run_recognises_only_the_record_the_first_did_not_see(world, completed, applicant):
    late = CreditRecordFactory(
        student=applicant,
        course=CourseFactory(school=world.general, name="历史", credit_value=Decimal("2.0")),
        term=world.first_term,
    )
    world.pairing.recognition_rules.create(
        source_course=late.course, target_category=late.course.category, factor=Decimal("1.00")
    )
    before = _rows()

    recognised = _recognise_again(world, applicant)
    third = _recognise_again(world, applicant)

    assert [record.recognised_from for record in recognised] == [late]
    assert third == []
    added = set(_rows()["credit records"]) - set(before["credit records"])
    assert len(added) == 1
    assert CreditRecord.objects.filter(recognised_from__isnull=False).count() == 3
