"""The world of the import tests: school A (a general school) with one integration class of
the 2026 cohort and the 2026-2027 terms, its registrar, and helpers that upload a file and
commit it the way the pages do, with the Celery task run when the transaction commits."""

from types import SimpleNamespace

import pytest
from factories import AcademicYearFactory, IntegrationClassFactory, TermFactory

from imports.services import import_job_commit_start, import_job_create


@pytest.fixture
def world(school_a, pairing_a, registrar_a):
    klass = IntegrationClassFactory(
        pairing=pairing_a, host_school=school_a, name="融通1班", cohort_year=2026
    )
    year = AcademicYearFactory(start_year=2026)
    return SimpleNamespace(
        school=school_a,
        klass=klass,
        major=klass.major,
        registrar=registrar_a,
        term=TermFactory(academic_year=year, semester=1),
        term2=TermFactory(academic_year=year, semester=2),
    )


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """``upload(user, kind, content, filename)``: the job after its check has run."""

    def run(user, kind, content, filename="students.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(
                actor=user, kind=kind, filename=filename, content=content, language="en"
            )
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``commit(user, job)``: the job after the import task has run."""

    def run(user, job):
        with django_capture_on_commit_callbacks(execute=True):
            import_job_commit_start(actor=user, job=job, language="en")
        job.refresh_from_db()
        return job

    return run
