"""The one place that changes an application's state and writes its history.

``application_transition`` locks the row, checks the transition table (``transfers.workflow``)
and the actor's role and scope, saves the new state, and writes the append-only history row
and the notifications; ``application_created`` writes the first history row of a new
application. Nothing else assigns ``Application.state`` or writes an ``ApplicationEvent``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.stored_text import Piece
from schools.models import User

from ..models import Application, ApplicationEvent
from ..workflow import AUTOMATIC_TRANSITIONS, NEW, TRANSITIONS, may_act, step_roles
from .notifications import notify_transition

S = Application.State


@transaction.atomic
def application_transition(
    *, application: Application, to_state: str, actor: User, comment: Piece = ""
) -> Application:
    # Re-read under a row lock: two officers may click at the same moment, and the second
    # must see the first one's result rather than overwrite it.
    application = _locked(application)
    if not may_act(actor, application, to_state):
        raise NotFound  # not yours looks like not there
    roles = step_roles(application, to_state)
    if roles is None:
        raise _cannot_become(application, to_state)
    if actor.role not in roles:
        raise PermissionDenied(
            _("Your role cannot move an application from %(from)s to %(to)s.")
            % {"from": application.get_state_display(), "to": S(to_state).label}
        )
    return _move(application, to_state=to_state, actor=actor, comment=comment)


@transaction.atomic
def application_transition_by_rule(
    *, application: Application, to_state: str, comment: Piece
) -> Application:
    """A step the rules take, not a person (``AUTOMATIC_TRANSITIONS``): the history row has
    no actor, and its comment says which rule took it."""
    application = _locked(application)
    if (application.state, to_state) not in AUTOMATIC_TRANSITIONS:
        raise _cannot_become(application, to_state)
    return _move(application, to_state=to_state, actor=None, comment=comment)


def _cannot_become(application: Application, to_state: str) -> ValidationError:
    return ValidationError(
        _("An application that is %(from)s cannot become %(to)s.")
        % {"from": application.get_state_display(), "to": S(to_state).label}
    )


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("policy__pilot_area", "student", "to_school", "to_major")
        .get(pk=application.pk)
    )


def _move(
    application: Application, *, to_state: str, actor: User | None, comment: Piece
) -> Application:
    from_state = application.state
    application.state = to_state
    application.state_changed_at = timezone.now()
    application.save(update_fields=["state", "state_changed_at"])
    _record(application, actor=actor, from_state=from_state, to_state=to_state, comment=comment)
    return application


def application_created(*, application: Application, actor: User) -> Application:
    """The history's first row: a new application, just saved as submitted (by
    ``application_submit``, which has checked the rules of submission)."""
    roles = TRANSITIONS.get((NEW, application.state))
    if roles is None or actor.role not in roles:
        raise PermissionDenied
    _record(application, actor=actor, from_state=NEW, to_state=application.state, comment="")
    return application


def _record(
    application: Application, *, actor: User | None, from_state: str, to_state: str, comment: Piece
) -> None:
    """The append-only history row of a change, and the messages to everyone concerned."""
    ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        **ApplicationEvent.comment_fields(comment),
    )
    notify_transition(application, to_state, comment)
