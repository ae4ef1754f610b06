"""An import queued while the broker is down neither fails the registrar's request nor
waits for ever: the job is saved "queued", a warning is logged, and the sweep run by beat
queues it again once it has been queued JOB_QUEUED_STALE_MINUTES (2) ago. The file is then
checked, and imported, exactly once, however often the task is delivered after that."""

import datetime
import logging
import threading
from functools import partial

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from import_files import csv_file, student_row
from kombu.exceptions import OperationalError
from races import race

from core import jobs as core_jobs
from imports import services, tasks
from imports.models import ImportJob
from students.models import Student

pytestmark = pytest.mark.django_db
STUDENTS = ImportJob.Kind.STUDENTS
LATER = datetime.timedelta(minutes=3)


class Broker:
    """The import task's broker: while down it refuses every message, as kombu does."""

    def __init__(self):
        self.patch = pytest.MonkeyPatch()
        self.refused: list[tuple] = []

    def down(self):
        def refuse(*args, **kwargs):
            self.refused.append(args)
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        self.patch.setattr(tasks.import_job_run, "delay", refuse)

    def up(self):
        self.patch.undo()


@pytest.fixture
def broker_down():
    broker = Broker()
    broker.down()
    yield broker
    broker.up()


def _sweep(captured, *, at) -> int:
    with captured(execute=True):
        return services.import_jobs_sweep(now=at)


def _file(world) -> bytes:
    return csv_file([student_row(world, n) for n in (1, 2)])


def test_the_default_is_two_minutes():
    assert settings.JOB_QUEUED_STALE_MINUTES == 2


def test_broker_down_queue_broker_up_the_file_is_checked_and_imported_once(
    world, broker_down, caplog, django_capture_on_commit_callbacks
):
    captured = django_capture_on_commit_callbacks
    with caplog.at_level(logging.WARNING, logger="core.jobs"), captured(execute=True):
        job = services.import_job_create(
            actor=world.registrar, kind=STUDENTS, filename="s.csv", content=_file(world)
        )

    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.QUEUED, 0)
    assert broker_down.refused == [(job.pk,)]
    assert f"students.tasks.import_job_run for job {job.pk} not queued" in caplog.text

    # Before JOB_QUEUED_STALE_MINUTES the job may yet be on its way: left alone.
    assert _sweep(captured, at=timezone.now() + datetime.timedelta(minutes=1)) == 0
    broker_down.up()
    assert _sweep(captured, at=timezone.now() + LATER) == 1

    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.CHECKED, 1)
    assert not Student.objects.exists()

    # The commit, queued while the broker is down again.
    broker_down.down()
    with captured(execute=True):
        services.import_job_commit_start(actor=world.registrar, job=job)
    broker_down.up()
    job.refresh_from_db()
    assert (job.state, job.stage, job.attempts) == (
        ImportJob.State.QUEUED,
        ImportJob.Stage.COMMIT,
        0,
    )

    assert _sweep(captured, at=timezone.now() + LATER) == 1

    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.COMMITTED, 1)
    assert Student.objects.count() == 2

    # A second sweep finds nothing; the message the broker may still deliver changes nothing.
    assert _sweep(captured, at=timezone.now() + 2 * LATER) == 0
    assert tasks.import_job_run(job.pk, commit=True) == ImportJob.State.COMMITTED
    assert tasks.import_job_run(job.pk, commit=False) == ImportJob.State.COMMITTED
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJob.State.COMMITTED, 1)
    assert Student.objects.count() == 2


@pytest.mark.postgres  # a transactional test; SQLite's flush trips over its triggers
@pytest.mark.django_db(transaction=True)
def test_the_upload_page_answers_while_the_broker_is_down(world, client, broker_down):
    # A real commit, so the job is queued (and refused) inside the request.
    client.force_login(world.registrar)
    upload = SimpleUploadedFile("students.csv", _file(world), content_type="text/csv")

    response = client.post(reverse("imports:index"), {"kind": STUDENTS, "file": upload})

    job = ImportJob.objects.get()
    assert broker_down.refused == [(job.pk,)]
    assert response.status_code == 302
    assert response["Location"].endswith(f"/imports/{job.pk}/")
    assert job.state == ImportJob.State.QUEUED


def test_a_queued_job_the_sweep_queued_again_is_not_queued_again_at_once(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.import_job_run, "delay", lambda *a, **kw: sent.append(a))
    job = ImportJob.objects.create(
        kind=STUDENTS,
        school=world.school,
        uploaded_by=world.registrar,
        filename="s.csv",
        content=_file(world),
    )
    now = timezone.now() + LATER

    assert _sweep(django_capture_on_commit_callbacks, at=now) == 1
    assert _sweep(django_capture_on_commit_callbacks, at=now + datetime.timedelta(minutes=1)) == 0
    assert _sweep(django_capture_on_commit_callbacks, at=now + LATER) == 1

    assert sent == [(job.pk,), (job.pk,)]


def test_a_queued_job_out_of_attempts_fails_instead_of_being_queued(
    world, django_capture_on_commit_callbacks
):
    job = ImportJob.objects.create(
        kind=STUDENTS,
        school=world.school,
        uploaded_by=world.registrar,
        filename="s.csv",
        content=_file(world),
        attempts=settings.JOB_MAX_ATTEMPTS,
        language="en",
    )

    assert _sweep(django_capture_on_commit_callbacks, at=timezone.now() + LATER) == 0

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.error.startswith("The import stopped 3 times before it could finish")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_a_job_left_queued_once(world, monkeypatch):
    job = ImportJob.objects.create(
        kind=STUDENTS,
        school=world.school,
        uploaded_by=world.registrar,
        filename="s.csv",
        content=_file(world),
        language="en",
    )
    sent = []
    monkeypatch.setattr(tasks.import_job_run, "delay", lambda *a, **kw: sent.append((a, kw)))
    # Both sweeps have looked for jobs left queued before either queues one.
    both_looked = threading.Barrier(2, timeout=10)
    queued_stale = core_jobs.jobs_queued_stale

    def look_then_wait(*args, **kwargs):
        found = queued_stale(*args, **kwargs)
        both_looked.wait()
        return found

    monkeypatch.setattr(core_jobs, "jobs_queued_stale", look_then_wait)

    done, _refused = race([partial(services.import_jobs_sweep, now=timezone.now() + LATER)] * 2)

    assert sorted(done) == [0, 1]
    assert sent == [((job.pk,), {"commit": False, "language": "en"})]
