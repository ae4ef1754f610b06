"""One admin base class for every model: the same scope as the pages, view-only for staff.

Superusers and administrators manage reference data here. Bureau, district and registrar
staff may browse what their selectors allow and nothing else; their work is done through the
workflow pages, which go through the services.
"""

from collections.abc import Callable

from django.contrib import admin
from django.db.models import QuerySet

from .models import User


def _is_manager(user) -> bool:
    return user.is_active and (user.is_superuser or user.role == User.Role.ADMIN)


class ScopedModelAdmin(admin.ModelAdmin):
    #: A selector ``f(user) -> QuerySet`` giving what the user may see of this model.
    visible_to: Callable[..., QuerySet] | None = None

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if _is_manager(request.user):
            return queryset
        visible_to = type(self).visible_to
        if visible_to is None:
            raise TypeError(f"{type(self).__name__} names no visible_to selector")
        return queryset.filter(pk__in=visible_to(request.user).values("pk"))

    def has_module_permission(self, request) -> bool:
        return _is_manager(request.user) or self._is_scoped_staff(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_manager(request.user) or self._is_scoped_staff(request.user)

    def has_add_permission(self, request) -> bool:
        return _is_manager(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_manager(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_manager(request.user)

    @staticmethod
    def _is_scoped_staff(user) -> bool:
        return (
            user.is_active
            and user.is_staff
            and user.role in (User.Role.BUREAU, User.Role.DISTRICT, User.Role.REGISTRAR)
        )


class ReadOnlyScopedAdmin(ScopedModelAdmin):
    """Workflow records change only through the services, so even administrators read here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
