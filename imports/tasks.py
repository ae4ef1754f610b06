"""The import's task: it fetches its job by id and calls a service inside its body. Its name
is the one it had in the students app, so a job a broker still holds finds it."""

from celery import shared_task
from django.conf import settings
from django.utils import translation


@shared_task(name="students.tasks.import_job_run")
def import_job_run(job_id: int, commit: bool = False, language: str | None = None) -> str:
    """Check an uploaded file (a dry run) or, with ``commit``, import it. Safe to run
    twice: a check is redone, an import already committed is not."""
    from .models import ImportJob
    from .services import import_job_check, import_job_commit

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    # The messages per row are kept in the language of the person who uploaded the file.
    with translation.override(language or settings.LANGUAGE_CODE):
        job = import_job_commit(job=job) if commit else import_job_check(job=job)
    return job.state
