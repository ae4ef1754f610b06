"""An uploaded file holds a school's students' numbers, so it is not kept longer than it is
needed: a daily sweep empties the file of every import committed, and of every import
uploaded more than IMPORT_FILE_RETENTION_DAYS (30) ago. The job, its results and its error
stay, and its page still shows them; a checked file emptied can no longer be imported."""

import datetime

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from import_files import csv_file, student_row

from imports import services, tasks
from imports.models import ImportJob

pytestmark = pytest.mark.django_db
STUDENTS = ImportJob.Kind.STUDENTS
GONE = "This file is no longer kept on the server. Upload it again to import it."


def _file(world) -> bytes:
    return csv_file([student_row(world, n) for n in (1, 2)])


def _uploaded_ago(job: ImportJob, days: int) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )
    job.refresh_from_db()
    return job


def _content(job: ImportJob) -> bytes:
    return bytes(ImportJob.objects.values_list("content", flat=True).get(pk=job.pk))


def test_the_sweep_runs_daily_and_keeps_files_thirty_days_by_default():
    assert settings.IMPORT_FILE_RETENTION_DAYS == 30
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == tasks.import_files_purge_sweep.name
    ]
    assert tasks.import_files_purge_sweep.name == "imports.tasks.import_files_purge_sweep"
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab) and len(schedule.hour) == len(schedule.minute) == 1


def test_a_committed_files_content_goes_and_its_job_and_results_stay(world, upload, commit, client):
    job = commit(world.registrar, upload(world.registrar, STUDENTS, _file(world)))
    results = job.results

    assert tasks.import_files_purge_sweep() == 1

    job.refresh_from_db()
    assert _content(job) == b""
    assert job.file_purged_at is not None
    assert (job.state, job.total_rows, job.results) == (ImportJob.State.COMMITTED, 2, results)
    client.force_login(world.registrar)
    page = client.get(reverse("imports:job", args=[job.pk]))
    assert page.status_code == 200
    assert "Imported: 2 created, 0 updated, 0 unchanged." in page.content.decode()
    assert tasks.import_files_purge_sweep() == 0  # nothing left to empty


def test_a_file_not_imported_is_kept_until_its_time_is_up(world, upload, settings):
    recent = upload(world.registrar, STUDENTS, _file(world))
    old = _uploaded_ago(upload(world.registrar, STUDENTS, _file(world)), days=31)
    failed = _uploaded_ago(upload(world.registrar, STUDENTS, b"not,a\nfile"), days=31)

    assert services.import_files_purge(now=timezone.now()) == 2

    assert _content(recent) == _file(world)
    assert _content(old) == _content(failed) == b""
    old.refresh_from_db()
    assert (old.state, len(old.results)) == (ImportJob.State.CHECKED, 2)

    settings.IMPORT_FILE_RETENTION_DAYS = 0
    assert services.import_files_purge(now=timezone.now()) == 1
    assert _content(recent) == b""


def test_a_checked_file_that_is_gone_cannot_be_imported(world, upload, client):
    job = _uploaded_ago(upload(world.registrar, STUDENTS, _file(world)), days=31)
    services.import_files_purge(now=timezone.now())
    client.force_login(world.registrar)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(reverse("imports:job", args=[job.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("Would create") >= 2  # the results per row stay
    assert GONE in text
    assert reverse("imports:commit", args=[job.pk]) not in text

    with pytest.raises(services.ValidationError, match="no longer kept on the server"):
        services.import_job_commit_start(actor=world.registrar, job=job, language="en")


def test_a_delivery_for_a_job_whose_file_is_gone_fails_it_saying_so(world):
    job = ImportJob.objects.create(
        kind=STUDENTS,
        school=world.school,
        uploaded_by=world.registrar,
        filename="s.csv",
        content=_file(world),
        language="en",
    )
    _uploaded_ago(job, days=31)
    services.import_files_purge(now=timezone.now())

    assert tasks.import_job_run(job.pk, language="en") == ImportJob.State.FAILED

    job.refresh_from_db()
    assert job.error == GONE
