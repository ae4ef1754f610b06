"""Applying, the lists of applications, an application's page and one view per button on it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.lists import html_row, list_page, row_urls, searched_by_post
from schools.access import role_required
from schools.models import User
from students.privacy import number_policy

from .. import services
from ..decision import decision_build
from ..filters import ApplicationFilter
from ..forms import (
    ApplyForm,
    DecisionForm,
    EligibilityForm,
    ObjectionForm,
    ObjectionResolveForm,
    RecommendForm,
    TakeBackForm,
)
from ..models import Application
from ..selectors import (
    application_actions_for,
    application_get_for_user,
    application_of_student,
    application_rows,
    applications_visible_to,
    may_apply_again,
    objection_of,
    policy_for_student,
    transfer_options_for_student,
)
from .common import apply_errors, posted_action

S = Application.State


@role_required(User.Role.STUDENT)
def apply(request):
    policy = policy_for_student(request.user)
    if policy is None:
        messages.error(request, _("No transfer policy has been published for your class."))
        return redirect("home")
    existing = application_of_student(request.user)
    if existing is not None and not may_apply_again(request.user, policy):
        messages.info(request, _("You have already applied; this is your application."))
        return redirect(existing)
    to_school, majors = transfer_options_for_student(request.user, policy)
    form = ApplyForm(
        request.POST or None,
        majors=majors,
        choices=policy.max_choices,
        applications=policy.max_applications,
    )
    if request.method == "POST" and form.is_valid():
        data = {
            k: v
            for k, v in form.cleaned_data.items()
            if k not in ("guardian_consents", "understands_once_only")
        }
        try:
            application = services.application_submit(actor=request.user, policy=policy, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your application is submitted."))
            return redirect(application)
    return render(
        request,
        "transfers/apply.html",
        {
            "form": form,
            "policy": policy,
            "to_school": to_school,
            "window_open": policy.window_is_open(timezone.now()),
        },
    )


APPLICATION_SORTS = {
    "number": "pk",
    "student": "student__student_number",
    "from": "from_school__code",
    "to": "to_school__code",
    "major": "to_major__code",
    "state": "state",
    "total": "total_score",
    "rank": "rank",
    "submitted": "submitted_at",
}


#: A row of ``transfers/_application_table.html``: {0} the application's number, {1} its
#: page, {2} and {3} the student's name and number, {4} to {9} the other columns.
_APPLICATION_CELLS = (
    '<td><a href="{1}">{0}</a></td>'
    '<td>{2} <span class="text-muted small">{3}</span></td>'
    "<td>{4}</td><td>{5}</td><td>{6}</td><td>{7}</td>"
    '<td class="text-end">{8}</td><td class="text-end">{9}</td>'
)
_APPLICATION_ROW = "<tr>" + _APPLICATION_CELLS + "</tr>"
#: The approval queue's rows start with the tick box its form submits, labelled by {10}.
_SELECTABLE_ROW = (
    '<tr><td><input class="form-check-input" type="checkbox" name="applications" '
    'value="{0}" id="app-{0}" aria-label="{10}"></td>' + _APPLICATION_CELLS + "</tr>"
)


def _application_table_rows(page, *, selectable: bool, user) -> list[str]:
    """The rows of ``transfers/_application_table.html``, written once per page (see
    ``core.lists``), student numbers as the user may see them (``students.privacy``)."""
    url = row_urls("transfers:application_detail")
    numbers = number_policy(user)
    numbers.prime(a["student_id"] for a in page)
    states = {value: str(label) for value, label in S.choices}
    select = _("Select %(name)s")
    markup = _SELECTABLE_ROW if selectable else _APPLICATION_ROW
    return [
        html_row(
            markup,
            a["pk"],
            url(a["pk"]),
            a["student_name"],
            numbers.student_number_of(a["student_id"], a["student_number"]),
            a["from_school_name"],
            a["to_school_name"],
            a["to_major_name"],
            states[a["state"]],
            "—" if a["total_score"] is None else a["total_score"],
            "—" if a["rank"] is None else a["rank"],
            select % {"name": a["student_name"]} if selectable else "",
        )
        for a in page
    ]


def application_list_page(
    request, queryset, template, *, default_sort="-submitted", selectable=False
):
    context = list_page(
        request,
        application_rows(queryset),
        filterset_class=ApplicationFilter,
        sorts=APPLICATION_SORTS,
        default_sort=default_sort,
    )
    context["rows"] = _application_table_rows(
        context["page"], selectable=selectable, user=request.user
    )
    context["selectable"] = selectable
    return render(request, template, context)


@login_required
@searched_by_post
def application_list(request):
    return application_list_page(
        request, applications_visible_to(request.user), "transfers/application_list.html"
    )


@login_required
def application_detail(request, pk):
    application = application_get_for_user(user=request.user, pk=pk)
    objection = objection_of(application)
    scores = application.scores.select_related("component").prefetch_related("corrections")
    now = timezone.now()
    # What the user may do here: the transition table's moves for their role and scope, and
    # the objection's own rules.
    actions = application_actions_for(request.user, application, objection=objection, now=now)
    context = {
        "application": application,
        "events": application.events.select_related(
            *(f"actor__{name}" for name in User.SIGNATURE_RELATED)
        ),
        "scores": scores,
        "objection": objection,
        "now": now,
        "notice_ends_at": application.notice_ends_at(),
        "decision": decision_build(application),
        "can_withdraw": "withdraw" in actions,
        "can_confirm_consent": services.guardian_may_confirm(request.user, application),
        "objection_form": ObjectionForm() if "objection" in actions else None,
        "eligibility_form": EligibilityForm() if "eligibility" in actions else None,
        "recommend_form": RecommendForm() if "recommend" in actions else None,
        "resolve_form": ObjectionResolveForm(scores=scores) if "resolve" in actions else None,
        "decision_form": DecisionForm() if "decide" in actions else None,
        "take_back_form": TakeBackForm() if "take_back" in actions else None,
    }
    return render(request, "transfers/application_detail.html", context)


@posted_action(application_get_for_user)
def application_withdraw(request, application):
    services.application_withdraw(actor=request.user, application=application)
    messages.success(request, _("Your application is withdrawn."))


@posted_action(application_get_for_user)
def application_guardian_confirm(request, application):
    services.application_guardian_confirm(actor=request.user, application=application)
    messages.success(request, _("Thank you: your consent is recorded with the application."))


@posted_action(application_get_for_user)
def application_eligibility(request, application):
    form = EligibilityForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Choose eligible or not eligible."))
    services.application_confirm_eligibility(
        actor=request.user,
        application=application,
        eligible=form.cleaned_data["decision"] == "eligible",
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("Eligibility recorded."))


@posted_action(application_get_for_user)
def application_objection(request, application):
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Say what you object to."))
    services.objection_lodge(
        actor=request.user, application=application, text=form.cleaned_data["text"]
    )
    messages.success(request, _("Your objection is lodged; the district will answer."))


@posted_action(application_get_for_user)
def application_resolve(request, application):
    objection = objection_of(application, required=True)
    form = ObjectionResolveForm(request.POST, scores=application.scores.select_related("component"))
    if not form.is_valid():
        raise ValidationError(list(form.errors.values())[0])
    services.objection_resolve(
        actor=request.user,
        objection=objection,
        upheld=form.cleaned_data["decision"] == "uphold",
        resolution=form.cleaned_data["resolution"],
        corrections=form.corrections(),
    )
    messages.success(request, _("The objection is resolved."))


@posted_action(application_get_for_user)
def application_recommend(request, application):
    form = RecommendForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Choose recommend or do not recommend."))
    services.application_recommend(
        actor=request.user,
        application=application,
        recommend=form.cleaned_data["decision"] == "recommend",
        comment=form.cleaned_data["comment"],
    )
    messages.success(request, _("Recommendation recorded."))


@posted_action(application_get_for_user)
def application_take_back(request, application):
    form = TakeBackForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Give the reason the recommendation is taken back."))
    services.application_take_back(
        actor=request.user, application=application, reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("The recommendation is taken back."))


@posted_action(application_get_for_user)
def application_decide(request, application):
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Choose approve or reject."))
    if form.cleaned_data["decision"] == "approve":
        services.application_approve(actor=request.user, application=application)
        messages.success(request, _("Approved: the student's status has moved."))
    else:
        services.application_reject(
            actor=request.user, application=application, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The transfer is rejected."))
