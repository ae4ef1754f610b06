"""Who may open a page at all: the one access decorator of the project's views.

What a user may see on the page is the selectors' work; this only keeps a role out of the
pages of other roles. A page of another role is not there for you: 404, like anything out of
scope, never 403, so "not yours" looks the same as "does not exist".
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .models import User

#: Everyone who works for a school or an authority: every role but the student.
STAFF = (User.Role.REGISTRAR, User.Role.DISTRICT, User.Role.BUREAU, User.Role.ADMIN)


def role_required(*roles: str, superuser: bool = False):
    """Signed in, and of one of ``roles`` (or, with ``superuser``, a superuser); else 404."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            user = request.user
            if user.role not in roles and not (superuser and user.is_superuser):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
