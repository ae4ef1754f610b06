"""Large files run as a Celery task: the upload only stores the file and queues the task
when the transaction commits; the task writes its progress as it goes, and the page's JSON
reports it for the progress bar."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from import_files import csv_file, student_row

from imports import services, tasks
from imports.models import ImportJob
from students.models import Student

pytestmark = pytest.mark.django_db


def _upload(client, content, kind="students", name="students.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("imports:index"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def test_the_upload_only_stores_the_file_and_queues_the_check_on_commit(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.registrar)
    content = csv_file([student_row(world, 1)])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(client, content)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:job", args=[job.pk])
    assert job.state == ImportJob.State.QUEUED  # not run inside the request
    assert bytes(job.content) == content
    assert (job.school, job.uploaded_by) == (world.school, world.registrar)
    assert len(callbacks) == 1

    callbacks[0]()  # what the broker does: the task runs elsewhere

    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    assert [r["action"] for r in job.results] == ["create"]


def test_the_task_writes_its_progress_in_batches(world, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.STUDENTS,
        school=world.school,
        uploaded_by=world.registrar,
        filename="five.csv",
        content=csv_file([student_row(world, n) for n in range(1, 6)]),
    )

    with CaptureQueriesContext(connection) as queries:
        state = tasks.import_job_run(job.pk, commit=False, language="en")

    progress = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('UPDATE "imports_importjob" SET "processed_rows"')
    ]
    assert [re.search(r'"processed_rows" = (\d+)', sql)[1] for sql in progress] == ["2", "4", "5"]
    assert all('"heartbeat_at" = ' in sql for sql in progress)  # each step tells the sweep
    assert state == "checked"
    job.refresh_from_db()
    assert (job.processed_rows, job.total_rows, job.percent) == (5, 5, 100)


def test_the_task_run_twice_imports_once(world, upload, commit):
    job = commit(
        world.registrar, upload(world.registrar, "students", csv_file([student_row(world, 1)]))
    )

    assert tasks.import_job_run(job.pk, commit=True) == "committed"
    assert tasks.import_job_run(job.pk, commit=False) == "committed"
    job.refresh_from_db()
    assert [r["action"] for r in job.results] == ["create"]  # not overwritten as "unchanged"
    assert Student.objects.count() == 1


def test_the_json_endpoint_reports_a_running_jobs_progress(world, client):
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.STUDENTS,
        school=world.school,
        uploaded_by=world.registrar,
        filename="big.csv",
        content=b"x",
        state=ImportJob.State.RUNNING,
        total_rows=10_000,
        processed_rows=2_500,
    )
    client.force_login(world.registrar)

    response = client.get(
        reverse("imports:job", args=[job.pk]), headers={"Accept": "application/json"}
    )

    assert response.json() == {
        "state": "running",
        "state_display": "Running",
        "percent": 25,
        "processed": 2_500,
        "total": 10_000,
    }
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'id="import-progress"' in page
    assert "Checking every row" in page
    assert "js/import_progress.js" in page


def test_the_json_endpoint_reports_the_finished_check(world, client, upload):
    job = upload(world.registrar, "students", csv_file([student_row(world, n) for n in (1, 2)]))
    client.force_login(world.registrar)

    data = client.get(
        reverse("imports:job", args=[job.pk]), headers={"Accept": "application/json"}
    ).json()

    assert (data["state"], data["percent"], data["processed"], data["total"]) == (
        "checked",
        100,
        2,
        2,
    )
