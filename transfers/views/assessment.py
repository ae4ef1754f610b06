"""The district's assessment: the score sheet, the ranked results and their publication, and
the objections to answer."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.exceptions import NotFound
from schools.access import role_required
from schools.models import User
from students.privacy import number_policy

from .. import services
from ..forms import ScoreSheetForm
from ..models import Application
from ..selectors import (
    applications_visible_to,
    objections_open_for,
    policy_get_for_user,
    ranked_results,
)
from .common import apply_errors, refuse

S = Application.State


def assessed_policy(user, pk):
    """A policy the user assesses, or 404: the district's, or, where the receiving school
    assesses, one of its area's for the school's registrar."""
    policy = policy_get_for_user(user=user, pk=pk)
    try:
        services.assert_assessor_of(user, policy)
    except (PermissionDenied, NotFound):
        raise Http404 from None
    return policy


@role_required(User.Role.DISTRICT, User.Role.REGISTRAR)
def score_sheet(request, pk):
    policy = assessed_policy(request.user, pk)
    applications = list(
        services.to_assess(request.user, policy, applications_visible_to(request.user))
        .filter(state=S.ELIGIBLE)
        .order_by("direction", "student__student_number")
    )
    number_policy(request.user).prime(a.student_id for a in applications)
    by_direction = {}
    for component in policy.components.all():
        by_direction.setdefault(component.direction, []).append(component)
    form = ScoreSheetForm(
        request.POST or None, applications=applications, components_by_direction=by_direction
    )
    if request.method == "POST" and form.is_valid():
        scores = form.scores()
        if not scores:
            form.add_error(None, _("Type in the scores of at least one applicant."))
        else:
            try:
                services.scores_enter(actor=request.user, policy=policy, scores=scores)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Scores saved for %(count)s applicant.",
                        "Scores saved for %(count)s applicants.",
                        len(scores),
                    )
                    % {"count": len(scores)},
                )
                return redirect("transfers:results", pk=policy.pk)
    return render(request, "transfers/score_sheet.html", {"policy": policy, "form": form})


@role_required(User.Role.DISTRICT, User.Role.BUREAU, User.Role.REGISTRAR)
def results(request, pk):
    """The ranked results of a policy's assessment, and the publish button; a receiving
    school that assesses sees its own applicants'."""
    if request.user.role == User.Role.REGISTRAR:
        policy = assessed_policy(request.user, pk)
    else:
        policy = policy_get_for_user(user=request.user, pk=pk)
    rows = ranked_results(request.user, policy)
    can_publish = request.user.role == User.Role.DISTRICT and any(
        a.state == S.ASSESSED for a, _within in rows
    )
    return render(
        request,
        "transfers/results.html",
        {
            "policy": policy,
            "rows": rows,
            "can_publish": can_publish,
        },
    )


@require_POST
@role_required(User.Role.DISTRICT)
def results_publish(request, pk):
    policy = policy_get_for_user(user=request.user, pk=pk)
    try:
        count = services.results_publish(actor=request.user, policy=policy)
    except ValidationError as exc:
        refuse(request, exc)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s result is on public notice.",
                "%(count)s results are on public notice.",
                count,
            )
            % {"count": count},
        )
    return redirect("transfers:results", pk=policy.pk)


@role_required(User.Role.DISTRICT)
def objection_list(request):
    objections = objections_open_for(request.user)
    return render(request, "transfers/objection_list.html", {"objections": objections})
