"""Which import jobs a user may see: a registrar their school's, an administrator all."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from schools.models import User

from .models import ImportJob


def import_jobs_visible_to(user) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("school", "uploaded_by").defer("content")
    if not (user and user.is_authenticated and user.is_active):
        return jobs.none()
    if user.sees_everything:
        return jobs
    if user.role == User.Role.REGISTRAR:
        return jobs.filter(school_id=user.school_id)
    return jobs.none()


def import_job_get_for_user(*, user, pk, with_results: bool = True) -> ImportJob:
    """Another school's job is a 404, like one that does not exist. A progress poll does
    not need the results of 10,000 rows."""
    jobs = import_jobs_visible_to(user)
    return get_object_or_404(jobs if with_results else jobs.defer("results"), pk=pk)
