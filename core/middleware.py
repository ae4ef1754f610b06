from django.http import Http404
from django.utils.cache import patch_cache_control

from .exceptions import NotFound


class NotFoundMiddleware:
    """A service's or selector's ``NotFound`` is the 404 page, like a missing URL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404 from exception
        return None


class PrivatePagesMiddleware:
    """Pages seen signed in hold personal data (minors' names, scores, guardians' phones): no
    browser or shared cache keeps a copy, so the next person at a school computer cannot page
    back to them after signing out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True, max_age=0)
        return response
