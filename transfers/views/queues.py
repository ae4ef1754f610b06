"""The work queues of each role: eligibility, recommendations and the bureau's approvals,
with the batch approval and its progress."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.lists import searched_by_post
from core.parsing import parse_ids
from schools.access import role_required
from schools.models import User

from .. import services
from ..models import Application
from ..selectors import applications_visible_to, approval_batch_get_for_user
from .applications import application_list_page
from .common import refuse

S = Application.State


@role_required(User.Role.REGISTRAR)
@searched_by_post
def eligibility_queue(request):
    applications = applications_visible_to(request.user).filter(
        from_school_id=request.user.school_id, state=S.SUBMITTED
    )
    return application_list_page(
        request, applications, "transfers/eligibility_queue.html", default_sort="submitted"
    )


@role_required(User.Role.DISTRICT)
@searched_by_post
def recommendation_queue(request):
    applications = applications_visible_to(request.user).filter(state=S.PUBLISHED)
    return application_list_page(
        request, applications, "transfers/recommendation_queue.html", default_sort="rank"
    )


@role_required(User.Role.BUREAU)
@searched_by_post
def approval_queue(request):
    applications = applications_visible_to(request.user).filter(state=S.RECOMMENDED)
    return application_list_page(
        request,
        applications,
        "transfers/approval_queue.html",
        default_sort="rank",
        selectable=True,
    )


@require_POST
@role_required(User.Role.BUREAU)
def approve_batch(request):
    ids = sorted(parse_ids(request.POST.getlist("applications")))
    chosen = applications_visible_to(request.user).filter(pk__in=ids, state=S.RECOMMENDED)
    try:
        batch = services.approval_batch_start(actor=request.user, applications=chosen)
    except ValidationError as exc:
        refuse(request, exc)
        return redirect("transfers:approvals")
    return redirect("transfers:approval_batch", pk=batch.pk)


@role_required(User.Role.BUREAU)
def approval_batch(request, pk):
    """The batch's progress: a bar that the page refreshes until the task has finished."""
    batch = approval_batch_get_for_user(user=request.user, pk=pk)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {
                "state": batch.state,
                "percent": batch.percent,
                "approved": len(batch.approved_ids),
                "refused": len(batch.refusals),
                "total": batch.total,
            }
        )
    return render(request, "transfers/approval_batch.html", {"batch": batch})
