from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .selectors import notifications_for
from .services import notifications_mark_read


@login_required
def inbox(request):
    """The user's messages, newest first; the ones shown unread are marked read."""
    notifications = notifications_for(request.user).prefetch_related("about", "deliveries")
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    unread = [n.pk for n in page if n.read_at is None]
    if unread:
        notifications_mark_read(user=request.user, ids=unread)
    return render(request, "notifications/inbox.html", {"page": page, "unread": unread})
