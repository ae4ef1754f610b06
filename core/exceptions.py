"""The project's own errors, raised by services and selectors.

A service never raises an HTTP exception: it may run in a Celery task or a management
command, where "404" means nothing. Views (through ``core.middleware``) turn ``NotFound``
into the 404 page, so "not yours" and "does not exist" look the same to the user.
"""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class NotFound(Exception):  # noqa: N818 - the name says what the user sees
    """The object does not exist, or the user may not know that it does."""


def get_or_not_found(queryset: QuerySet[M], **lookup: Any) -> M:
    """The one object of ``queryset`` matching ``lookup``; ``NotFound`` when there is none."""
    try:
        return queryset.get(**lookup)
    # django-stubs gives DoesNotExist to concrete models only, not to Model; a queryset's is one.
    except queryset.model.DoesNotExist as exc:  # type: ignore[attr-defined]
        raise NotFound from exc
