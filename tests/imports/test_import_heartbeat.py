"""An import whose worker dies is neither lost nor retried for ever: each step of progress
writes a heartbeat, a sweep run by beat queues again (on the imports queue) a job running
with no heartbeat for JOB_HEARTBEAT_STALE_MINUTES, and each delivery of the task is counted
on the job, which fails with a message once it has had JOB_MAX_ATTEMPTS of them."""

import datetime
import threading
from functools import partial

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from import_files import csv_file, student_row
from races import race

from config import celery_app
from core import jobs as core_jobs
from imports import services, tasks
from imports.models import ImportJob
from students.models import Student

STUDENTS = ImportJob.Kind.STUDENTS
STALE = datetime.timedelta(minutes=11)
STOPPED = (
    "The import stopped 3 times before it could finish: the file may be too large or too "
    "complex. Nothing was imported. Split it into smaller files and upload them one by one, "
    "or ask your district for help."
)


class WorkerLost(BaseException):
    """What a child killed for memory does to the task: it stops where it is, no handler of
    the import's runs (a BaseException, as SystemExit is)."""


def _file(world, count=2) -> bytes:
    return csv_file([student_row(world, n) for n in range(1, count + 1)])


def _job(world, **fields) -> ImportJob:
    return ImportJob.objects.create(
        kind=STUDENTS,
        school=world.school,
        uploaded_by=world.registrar,
        filename="students.csv",
        content=_file(world),
        language="en",
        **fields,
    )


def _left_running(job: ImportJob, *, attempts: int, ago=STALE) -> ImportJob:
    """The job as a worker that died while running it left it."""
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.RUNNING, attempts=attempts, heartbeat_at=timezone.now() - ago
    )
    job.refresh_from_db()
    return job


def _dies_when_read(monkeypatch) -> list:
    reads = []

    def die(job):
        reads.append(job.pk)
        raise WorkerLost

    monkeypatch.setattr(services, "_table", die)
    return reads


def test_the_defaults_are_ten_minutes_and_three_attempts_and_beat_runs_the_sweep():
    assert (settings.JOB_HEARTBEAT_STALE_MINUTES, settings.JOB_MAX_ATTEMPTS) == (10, 3)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"imports.tasks.import_jobs_sweep", tasks.import_jobs_sweep.name} <= scheduled


@pytest.mark.django_db
def test_the_check_writes_a_heartbeat_and_counts_its_delivery(world, upload):
    before = timezone.now()

    job = upload(world.registrar, STUDENTS, _file(world))

    assert job.state == ImportJob.State.CHECKED
    assert (job.stage, job.attempts, job.language) == (ImportJob.Stage.CHECK, 1, "en")
    assert job.heartbeat_at >= before


@pytest.mark.django_db
def test_the_commit_counts_its_own_deliveries_afresh(world, upload, commit):
    job = commit(world.registrar, upload(world.registrar, STUDENTS, _file(world)))

    assert job.state == ImportJob.State.COMMITTED
    assert (job.stage, job.attempts) == (ImportJob.Stage.COMMIT, 1)


@pytest.mark.django_db
def test_a_stale_running_check_is_queued_again_on_the_imports_queue_and_runs(
    world, django_capture_on_commit_callbacks
):
    job = _left_running(_job(world), attempts=1)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert services.import_jobs_sweep(now=timezone.now()) == 1

    job.refresh_from_db()
    assert job.state == ImportJob.State.QUEUED
    assert len(queued) == 1
    route = celery_app.amqp.router.route({}, tasks.import_job_run.name)
    assert route["queue"].name == "imports"

    queued[0]()  # the worker takes the message

    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.CHECKED, 2)
    assert [result["action"] for result in job.results] == ["create", "create"]
    assert not Student.objects.exists()  # a check writes nothing


@pytest.mark.django_db
def test_a_running_job_with_a_recent_heartbeat_is_left_alone(
    world, django_capture_on_commit_callbacks
):
    job = _left_running(_job(world), attempts=1, ago=datetime.timedelta(minutes=9))

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert tasks.import_jobs_sweep() == 0

    job.refresh_from_db()
    assert (job.state, job.attempts, queued) == (ImportJob.State.RUNNING, 1, [])


@pytest.mark.django_db
def test_a_stale_commit_is_queued_again_as_a_commit_and_imports_the_file_once(
    world, upload, django_capture_on_commit_callbacks
):
    job = upload(world.registrar, STUDENTS, _file(world))
    ImportJob.objects.filter(pk=job.pk).update(stage=ImportJob.Stage.COMMIT)
    job = _left_running(job, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_jobs_sweep(now=timezone.now()) == 1
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.COMMITTED, 2)
    assert Student.objects.count() == 2

    # The broker's own redelivery of the lost message, and the next sweep, change nothing.
    assert tasks.import_job_run(job.pk, commit=True) == ImportJob.State.COMMITTED
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert services.import_jobs_sweep(now=timezone.now() + STALE) == 0
    job.refresh_from_db()
    assert (job.state, job.attempts, queued) == (ImportJob.State.COMMITTED, 2, [])
    assert Student.objects.count() == 2


@pytest.mark.django_db
def test_a_stale_job_out_of_attempts_fails_with_the_message_and_is_not_queued(
    world, django_capture_on_commit_callbacks
):
    job = _left_running(_job(world), attempts=3)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert services.import_jobs_sweep(now=timezone.now()) == 0

    job.refresh_from_db()
    assert queued == []
    assert (job.state, job.attempts, job.error) == (ImportJob.State.FAILED, 3, STOPPED)
    assert job.finished_at is not None


@pytest.mark.django_db
def test_the_job_page_says_why_it_stopped(world, client, django_capture_on_commit_callbacks):
    job = _left_running(_job(world), attempts=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_jobs_sweep(now=timezone.now())
    client.force_login(world.registrar)

    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()

    assert 'data-testid="job-error"' in page
    assert "The import stopped 3 times before it could finish" in page


@pytest.mark.django_db
def test_the_task_delivered_once_past_the_maximum_fails_the_job_instead_of_running(
    world, monkeypatch
):
    reads = _dies_when_read(monkeypatch)
    job = _job(world)

    for _ in range(3):  # each delivery's worker is killed as it reads the file
        with pytest.raises(WorkerLost):
            tasks.import_job_run(job.pk, commit=False, language="en")
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.RUNNING, 3)

    assert tasks.import_job_run(job.pk, commit=False, language="en") == ImportJob.State.FAILED

    assert len(reads) == 3  # the fourth delivery never read the file
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (ImportJob.State.FAILED, 3, STOPPED)
    # Any later delivery leaves it failed.
    assert tasks.import_job_run(job.pk, commit=False, language="en") == ImportJob.State.FAILED
    assert len(reads) == 3


@pytest.mark.django_db
def test_the_maximum_is_a_setting_and_the_message_counts_it(world, monkeypatch, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    reads = _dies_when_read(monkeypatch)
    job = _job(world)

    for _ in range(2):
        with pytest.raises(WorkerLost):
            tasks.import_job_run(job.pk, language="en")

    assert tasks.import_job_run(job.pk, language="en") == ImportJob.State.FAILED
    job.refresh_from_db()
    assert len(reads) == 2
    assert job.error.startswith("The import stopped 2 times before it could finish")


@pytest.mark.django_db
def test_a_delivery_for_the_other_stage_changes_nothing(world, upload):
    job = upload(world.registrar, STUDENTS, _file(world))
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.QUEUED, stage=ImportJob.Stage.COMMIT, attempts=0
    )

    # A late copy of the check's message, delivered while the commit waits for its own.
    assert tasks.import_job_run(job.pk, commit=False) == ImportJob.State.QUEUED

    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.QUEUED, 0)
    assert [result["action"] for result in job.results] == ["create", "create"]


@pytest.mark.django_db
def test_a_delivery_for_a_job_that_is_gone_does_nothing():
    assert tasks.import_job_run(987654) == "missing"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_a_stale_job_once(world, monkeypatch):
    job = _left_running(_job(world), attempts=1)
    sent = []
    monkeypatch.setattr(tasks.import_job_run, "delay", lambda *a, **kw: sent.append((a, kw)))
    # Both sweeps have looked for stale jobs before either queues one.
    both_looked = threading.Barrier(2, timeout=10)
    stale = core_jobs.jobs_stale

    def look_then_wait(*args, **kwargs):
        found = stale(*args, **kwargs)
        both_looked.wait()
        return found

    monkeypatch.setattr(core_jobs, "jobs_stale", look_then_wait)

    done, _refused = race([partial(services.import_jobs_sweep, now=timezone.now())] * 2)

    assert sorted(done) == [0, 1]
    assert sent == [((job.pk,), {"commit": False, "language": "en"})]
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.QUEUED, 1)
