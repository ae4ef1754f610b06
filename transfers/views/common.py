"""What every workflow page does with a service's refusal."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def refuse(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def posted_action(get_object):
    """A button's view: POST only, signed in, on an object the user may see (``get_object``
    raises ``NotFound`` otherwise); the view calls one service. A refusal is shown as a
    message, a refusal of the user's role looks like "not there" (404), and either way the
    user lands back on the object's page."""

    def decorator(view):
        @require_POST
        @login_required
        @wraps(view)
        def wrapped(request, pk: int):
            obj = get_object(user=request.user, pk=pk)
            try:
                response = view(request, obj)
            except ValidationError as exc:
                refuse(request, exc)
            except PermissionDenied:
                raise Http404 from None
            else:
                if response is not None:
                    return response
            return redirect(obj)

        return wrapped

    return decorator
