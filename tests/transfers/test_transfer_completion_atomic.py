"""Rule 8, all or nothing: the bureau's approval, the end of the old registration, the new
one, the recognised credits and the history are one transaction. If any step fails, the
student is where they were and the application is still waiting for the bureau."""

import pytest
from django.core.exceptions import PermissionDenied
from transfer_world import drive, enrol, submit

from credits.models import CreditRecord
from notifications.models import Notification
from students.models import StatusRecord
from transfers import services
from transfers.models import Application, ApplicationEvent
from transfers.services import completion

S = Application.State


def _snapshot(student):
    return {
        "statuses": list(
            StatusRecord.objects.filter(student=student).values_list(
                "pk", "school_id", "state", "end_date"
            )
        ),
        "credit records": list(CreditRecord.objects.values_list("pk", flat=True)),
        "events": list(ApplicationEvent.objects.values_list("pk", flat=True)),
        "notifications": Notification.objects.count(),
    }


@pytest.fixture
def recommended(world, policy, applicant):
    return drive(world, submit(policy, applicant), S.RECOMMENDED)


def test_a_failure_half_way_through_the_move_changes_nothing(
    world, recommended, applicant, monkeypatch
):
    recognise = completion.credits_recognise
    calls = []

    def recognise_then_fail(**kwargs):
        calls.append(recognise(**kwargs))  # the credits are written, then the failure
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(completion, "credits_recognise", recognise_then_fail)
    before = _snapshot(applicant)

    with pytest.raises(RuntimeError, match="the disk is full"):
        services.application_approve(actor=world.bureau, application=recommended)

    assert len(calls[0]) == 2  # the failure came after real writes
    recommended.refresh_from_db()
    assert recommended.state == S.RECOMMENDED
    assert recommended.new_status is None
    old = StatusRecord.objects.get(pk=recommended.from_status_id)
    assert (old.state, old.end_date) == (StatusRecord.State.ACTIVE, None)
    assert not StatusRecord.objects.filter(school=world.vocational).exists()
    assert not CreditRecord.objects.filter(recognised_from__isnull=False).exists()
    assert _snapshot(applicant) == before


def test_after_a_failed_move_the_bureau_can_approve_again(
    world, recommended, applicant, monkeypatch
):
    def fail(**kwargs):
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(completion, "credits_recognise", fail)
        with pytest.raises(RuntimeError):
            services.application_approve(actor=world.bureau, application=recommended)

    application = services.application_approve(actor=world.bureau, application=recommended)

    assert application.state == S.COMPLETED
    assert StatusRecord.objects.get(student=applicant, state="active").school == world.vocational
    assert CreditRecord.objects.filter(recognised_from__isnull=False).count() == 2


def test_a_failing_approval_in_a_batch_stops_no_other(
    world, policy, django_capture_on_commit_callbacks
):
    first, second = (drive(world, submit(policy, enrol(world)), S.RECOMMENDED) for _ in range(2))
    # The first one's registration ended meanwhile: its move is refused.
    StatusRecord.objects.filter(pk=first.from_status_id).update(
        state=StatusRecord.State.WITHDRAWN, end_date=first.from_status.start_date
    )

    # The bureau's batch, through the task that carries it out (run when the batch commits).
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.approval_batch_start(actor=world.bureau, applications=[first, second])
    batch.refresh_from_db()

    assert batch.approved_ids == [second.pk]
    assert [(r["id"], "no longer active" in r["reason"]) for r in batch.refusals] == [
        (first.pk, True)
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (S.RECOMMENDED, S.COMPLETED)


def test_a_queued_batch_records_each_refusal_and_running_it_again_changes_nothing(
    world, policy, django_capture_on_commit_callbacks
):
    first, second = (drive(world, submit(policy, enrol(world)), S.RECOMMENDED) for _ in range(2))
    StatusRecord.objects.filter(pk=first.from_status_id).update(
        state=StatusRecord.State.WITHDRAWN, end_date=first.from_status.start_date
    )

    with django_capture_on_commit_callbacks(execute=True):
        batch = services.approval_batch_start(actor=world.bureau, applications=[first, second])
    batch.refresh_from_db()

    assert (batch.state, batch.approved_ids, batch.percent) == ("finished", [second.pk], 100)
    assert [(r["id"], "no longer active" in r["reason"]) for r in batch.refusals] == [
        (first.pk, True)
    ]
    events = ApplicationEvent.objects.count()
    again = services.approval_batch_run(batch=batch)
    assert (again.approved_ids, len(again.refusals)) == ([second.pk], 1)
    assert ApplicationEvent.objects.count() == events


def test_only_the_bureau_starts_a_batch(world, policy, applicant):
    application = drive(world, submit(policy, applicant), S.RECOMMENDED)

    with pytest.raises(PermissionDenied):
        services.approval_batch_start(actor=world.district, applications=[application])

    application.refresh_from_db()
    assert application.state == S.RECOMMENDED
