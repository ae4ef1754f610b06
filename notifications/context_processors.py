from functools import cache

from .selectors import unread_count


def inbox(request) -> dict:
    """The unread count beside "Notifications" on every page; one cheap indexed query.

    The template reads it twice (whether there are any, then how many); the count is asked
    once per request, and only by a page that shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        return unread_count(user)

    return {"unread_notifications": count}
