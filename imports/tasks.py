"""The import's tasks: each fetches its job by id and calls a service inside its body. The
import's name is the one it had in the students app, so a job a broker still holds finds it."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="students.tasks.import_job_run")
def import_job_run(job_id: int, commit: bool = False, language: str | None = None) -> str:
    """Check an uploaded file (a dry run) or, with ``commit``, import it. Each delivery is
    counted on the job, and past ``JOB_MAX_ATTEMPTS`` the job fails instead of running. Safe
    to run twice: a job already checked or imported is left as it is."""
    from .services import import_job_attempt

    return import_job_attempt(job_id=job_id, commit=commit, language=language)


@shared_task(name="imports.tasks.import_jobs_sweep")
def import_jobs_sweep() -> int:
    """Run by beat: queue again the imports whose worker died while they ran; returns how
    many. Two runs at once queue each job once."""
    from .services import import_jobs_sweep as sweep

    return sweep(now=timezone.now())


@shared_task(name="imports.tasks.import_files_purge_sweep")
def import_files_purge_sweep() -> int:
    """Run by beat once a day: empty the files of the imports committed or kept their time
    (``IMPORT_FILE_RETENTION_DAYS``); returns how many."""
    from .services import import_files_purge

    return import_files_purge(now=timezone.now())
