def inbox(request) -> dict:
    """The unread count beside "Notifications" on every page; one cheap indexed query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .models import Notification

    count = Notification.objects.filter(recipient=user, read_at__isnull=True).count
    return {"unread_notifications": count}
