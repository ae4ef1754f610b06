"""The database's own guard of the workflow's invariants: each test writes the bad row
directly, past every service, and expects ``IntegrityError``.

The unique and check constraints and the append-only triggers exist on both engines (the
migration installs SQLite triggers too), so those tests run on whichever engine the suite
runs on; CI runs it on PostgreSQL and on SQLite. The frozen-policy triggers are PostgreSQL's
only and carry the ``postgres`` mark.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from transfer_world import DURING_NOTICE, WRITTEN_AT, approve_and_publish, drive, submit

from transfers import services
from transfers.models import (
    Application,
    ApplicationEvent,
    AssessmentComponent,
    Objection,
    ScoreCorrection,
    SeatQuota,
    TransferPolicy,
)

S = Application.State


def _copy_of(application: Application, **changes) -> Application:
    fields = {
        f.name: getattr(application, f.name)
        for f in Application._meta.concrete_fields
        if f.name not in ("id", "submitted_at", "state_changed_at")
    }
    return Application(**{**fields, **changes})


@pytest.fixture
def submitted(world, policy, applicant):
    return submit(policy, applicant)


def test_a_second_application_row_for_a_student_is_refused(world, submitted):
    second = _copy_of(submitted, to_major=world.major_without_class, state=S.SUBMITTED)

    with (
        pytest.raises(IntegrityError, match="application_once_per_student|student_id"),
        transaction.atomic(),
    ):
        second.save()

    assert Application.objects.filter(student=submitted.student).count() == 1


def test_an_application_to_the_students_own_school_is_refused(world, submitted):
    with pytest.raises(IntegrityError, match="application_changes_school"), transaction.atomic():
        Application.objects.filter(pk=submitted.pk).update(to_school=world.general)


def test_a_completed_application_without_its_new_status_is_refused(submitted):
    with (
        pytest.raises(IntegrityError, match="application_completed_has_new_status"),
        transaction.atomic(),
    ):
        Application.objects.filter(pk=submitted.pk).update(state=S.COMPLETED)


def test_a_second_published_version_for_a_cohort_is_refused(world, policy):
    v2 = services.policy_new_version(actor=world.district, policy=policy)
    services.policy_submit(actor=world.district, policy=v2, now=WRITTEN_AT)
    services.policy_review(actor=world.bureau, policy=v2, approve=True, now=WRITTEN_AT)

    with (
        pytest.raises(IntegrityError, match="policy_one_published_per_cohort|UNIQUE"),
        transaction.atomic(),
    ):
        TransferPolicy.objects.filter(pk=v2.pk).update(state=TransferPolicy.State.PUBLISHED)


def test_a_second_objection_row_is_refused(world, policy, applicant):
    application = drive(world, submit(policy, applicant), S.PUBLISHED)
    services.objection_lodge(
        actor=applicant.user, application=application, text="一", now=DURING_NOTICE
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(application=application, text="二")

    assert Objection.objects.count() == 1


# --- history is append-only --------------------------------------------------------------------


@pytest.fixture
def correction(world, policy, applicant):
    application = drive(world, submit(policy, applicant), S.PUBLISHED)
    objection = services.objection_lodge(
        actor=applicant.user, application=application, text="复核", now=DURING_NOTICE
    )
    score = application.scores.first()
    services.objection_resolve(
        actor=world.district,
        objection=objection,
        upheld=True,
        resolution="加分",
        corrections={score.component_id: score.value + 1},
    )
    return ScoreCorrection.objects.get()


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda rows: rows.update(to_state=S.COMPLETED),
        lambda rows: rows.update(comment="改写"),
        lambda rows: rows.delete(),
    ],
    ids=["update-state", "update-comment", "delete"],
)
@pytest.mark.owner  # the trigger itself; the app role is refused before it (test_app_role)
def test_application_events_cannot_be_rewritten(submitted, rewrite):
    before = list(ApplicationEvent.objects.values_list("pk", "to_state", "comment"))

    with (
        pytest.raises(IntegrityError, match="applicationevent: history is append-only"),
        transaction.atomic(),
    ):
        rewrite(ApplicationEvent.objects.filter(application=submitted))

    assert list(ApplicationEvent.objects.values_list("pk", "to_state", "comment")) == before


def test_an_application_event_refuses_a_second_save(submitted):
    event = submitted.events.get()
    event.comment = "改写"

    with pytest.raises(ValueError, match="append-only"):
        event.save()

    assert submitted.events.get().comment == ""


@pytest.mark.parametrize(
    "rewrite",
    [lambda rows: rows.update(old_value=Decimal(0)), lambda rows: rows.delete()],
    ids=["update", "delete"],
)
@pytest.mark.owner  # the trigger itself; the app role is refused before it (test_app_role)
def test_score_corrections_cannot_be_rewritten(correction, rewrite):
    with (
        pytest.raises(IntegrityError, match="scorecorrection: history is append-only"),
        transaction.atomic(),
    ):
        rewrite(ScoreCorrection.objects.all())

    assert ScoreCorrection.objects.get() == correction
    assert ScoreCorrection.objects.get().old_value == correction.old_value


# --- an approved policy is frozen (PostgreSQL triggers) -------------------------------------

FROZEN = "policy_frozen"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "change",
    [
        {"window_closes": datetime.datetime(2025, 2, 15, 9, tzinfo=datetime.UTC)},
        {"window_opens": datetime.datetime(2024, 12, 1, 9, tzinfo=datetime.UTC)},
        {"min_first_semester_credits": Decimal(20)},
        {"notice_days": 1},
        {"state": TransferPolicy.State.DRAFT},
    ],
    ids=["window-closes", "window-opens", "credit-minimum", "notice-days", "back-to-draft"],
)
def test_an_approved_policy_row_cannot_change(policy, change):
    with pytest.raises(IntegrityError, match=FROZEN), transaction.atomic():
        TransferPolicy.objects.filter(pk=policy.pk).update(**change)

    policy.refresh_from_db()
    assert policy.state == TransferPolicy.State.PUBLISHED
    assert policy.notice_days == 5


@pytest.mark.postgres
@pytest.mark.parametrize(
    "change",
    [
        lambda p, w: AssessmentComponent.objects.filter(policy=p).update(pass_mark=Decimal(0)),
        lambda p, w: AssessmentComponent.objects.filter(policy=p).delete(),
        lambda p, w: AssessmentComponent.objects.create(
            policy=p,
            direction="g2v",
            kind="skills",
            name="加试",
            max_score=Decimal(100),
            pass_mark=Decimal(1),
            weight=Decimal("0.1"),
        ),
        lambda p, w: SeatQuota.objects.filter(policy=p).update(seats=99),
        lambda p, w: SeatQuota.objects.filter(policy=p).delete(),
        lambda p, w: SeatQuota.objects.create(
            policy=p, school=w.general, major=w.major_without_class, seats=1
        ),
    ],
    ids=[
        "component-pass-mark",
        "component-delete",
        "component-insert",
        "quota-seats",
        "quota-delete",
        "quota-insert",
    ],
)
def test_an_approved_policys_standards_and_seats_cannot_change(world, policy, change):
    components = list(policy.components.values_list("pk", "pass_mark"))
    quotas = list(policy.quotas.values_list("pk", "seats"))

    with pytest.raises(IntegrityError, match=FROZEN), transaction.atomic():
        change(policy, world)

    assert list(policy.components.values_list("pk", "pass_mark")) == components
    assert list(policy.quotas.values_list("pk", "seats")) == quotas


@pytest.mark.postgres
def test_a_draft_policy_and_the_state_of_an_approved_one_may_still_change(world, policy):
    """The triggers freeze content, not the life cycle: drafts change, and a published
    version still retires when its successor is published."""
    v2 = services.policy_new_version(actor=world.district, policy=policy)
    SeatQuota.objects.filter(policy=v2).update(seats=7)
    TransferPolicy.objects.filter(pk=v2.pk).update(notice_days=7)

    approve_and_publish(world, v2)

    policy.refresh_from_db()
    v2.refresh_from_db()
    assert (policy.state, v2.state, v2.notice_days) == ("superseded", "published", 7)
    assert set(v2.quotas.values_list("seats", flat=True)) == {7}
