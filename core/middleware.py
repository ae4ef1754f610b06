from django.http import Http404

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
