"""The selection's record: the allocation the district confirms, the published results'
versions with their differences, and the public notice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.pdf import render_pdf
from schools.access import role_required
from schools.models import Major, School, User

from .. import services
from ..models import Application
from ..notice import notice_build, notice_version_get_for_user
from ..selectors import policy_get_for_user
from .common import refuse


def _names(plans) -> tuple[dict, dict]:
    schools = School.objects.filter(pk__in={p.school_id for p in plans})
    majors = Major.objects.filter(pk__in={p.major_id for p in plans})
    return dict(schools.values_list("pk", "name")), dict(majors.values_list("pk", "name"))


@role_required(User.Role.DISTRICT, User.Role.BUREAU)
def allocation(request, pk):
    """What confirming the allocation would do, per programme, and the allocations already
    confirmed; the district confirms it here as a whole."""
    policy = policy_get_for_user(user=request.user, pk=pk)
    applications = list(
        Application.objects.filter(policy=policy)
        .select_related("policy", "student", "from_school")
        .order_by("pk")
    )
    plans = services.allocation_plan(
        policy, [a for a in applications if a.state in services.PLACED_STATES]
    ).programmes
    schools, majors = _names(plans)
    problems = services.allocation_problems(policy, applications, timezone.now())
    return render(
        request,
        "transfers/allocation.html",
        {
            "policy": policy,
            "plans": [
                (plan, schools.get(plan.school_id, ""), majors.get(plan.major_id, ""))
                for plan in plans
            ],
            "problems": problems,
            "can_confirm": request.user.role == User.Role.DISTRICT and not problems,
            "allocations": policy.allocations.select_related(
                *(f"confirmed_by__{name}" for name in User.SIGNATURE_RELATED),
                "results_version",
            ),
        },
    )


@require_POST
@role_required(User.Role.DISTRICT)
def allocation_confirm(request, pk):
    policy = policy_get_for_user(user=request.user, pk=pk)
    try:
        record = services.allocation_confirm(actor=request.user, policy=policy)
    except ValidationError as exc:
        refuse(request, exc)
    else:
        messages.success(
            request,
            _("Allocation %(number)s confirmed: the recommendations follow from it.")
            % {"number": record.number},
        )
    return redirect("transfers:allocation", pk=policy.pk)


@login_required
def notice(request, pk, number=None):
    """The public notice of a results version (the latest without a number)."""
    version = notice_version_get_for_user(user=request.user, pk=pk, number=number)
    return render(request, "transfers/notice.html", {"notice": notice_build(version)})


@never_cache
@login_required
def notice_pdf(request, pk, number):
    """The notice as a printable A4 PDF in Chinese, to post on the schools' boards."""
    version = notice_version_get_for_user(user=request.user, pk=pk, number=number)
    pdf = render_pdf("transfers/notice_pdf.html", {"notice": notice_build(version)})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="notice-{version.policy_id}-{version.number}.pdf"'
    )
    return response
