"""The reference page of the pages-under-load figure: a minimal logged-in Django view.

Served by gunicorn with the same settings as the app (``bench.reference_wsgi:application``):
the project's WSGI application, with one more path in front of the project's URLs. The view
reads ``request.user`` (the session and the user, through the auth middleware) and runs one
query of its own, so it costs what any signed-in page costs before it does its own work.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from config.wsgi import application  # sets Django up, before the models below
from schools.models import User


@login_required
def reference(request):
    last_login = User.objects.filter(pk=request.user.pk).values_list("last_login", flat=True)
    return HttpResponse(f"{request.user.username} {last_login.first()}", content_type="text/plain")


urlpatterns = [
    path("bench/reference/", reference),
    path("", include("config.urls")),
]
settings.ROOT_URLCONF = __name__

__all__ = ["application"]
