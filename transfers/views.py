"""Pages of the transfer workflow. Each parses a form, calls one service, and turns the
service's refusal into form errors or a message; nothing here decides a rule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.lists import html_row, list_page, row_urls
from schools.access import role_required
from schools.models import User

from . import services
from .filters import ApplicationFilter, PolicyFilter
from .forms import (
    ApplyForm,
    ComponentFormSet,
    DecisionForm,
    EligibilityForm,
    ObjectionForm,
    ObjectionResolveForm,
    PolicyForm,
    PolicyReviewForm,
    QuotaFormSet,
    RecommendForm,
    ScoreSheetForm,
    formset_specs,
)
from .models import Application, ApprovalBatch, Objection, SeatQuota
from .selectors import (
    application_get_for_user,
    application_rows,
    applications_visible_to,
    policies_visible_to,
    policy_for_student,
    policy_get_for_user,
    seats_used,
    transfer_options_for_student,
)

S = Application.State


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


# --- homes --------------------------------------------------------------------------------


# --- policies ----------------------------------------------------------------------------


@login_required
def policy_list(request):
    context = list_page(
        request,
        policies_visible_to(request.user),
        filterset_class=PolicyFilter,
        sorts={
            "title": "title",
            "area": "pilot_area__code",
            "cohort": "cohort_year",
            "version": "version",
            "state": "state",
            "opens": "window_opens",
        },
        default_sort="-cohort",
        per_page=25,
    )
    return render(request, "transfers/policy_list.html", context)


@login_required
def policy_detail(request, pk):
    policy = policy_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "transfers/policy_detail.html",
        {
            "policy": policy,
            "components": policy.components.all(),
            "review_form": PolicyReviewForm(),
            "seats": seats_used(policy),
            "window_open": policy.window_is_open(timezone.now()),
        },
    )


@login_required
def student_policy(request):
    """The student's policy page: the rules that apply to them, in plain words."""
    if request.user.role != User.Role.STUDENT:
        raise Http404
    policy = policy_for_student(request.user)
    if policy is None:
        return render(request, "transfers/student_policy.html", {"policy": None})
    return redirect("transfers:policy_detail", pk=policy.pk)


def _policy_forms(request, area, policy=None):
    data = request.POST if request.method == "POST" else None
    initial_components = initial_quotas = None
    if policy is not None:
        initial_components = list(
            policy.components.values(
                "direction", "kind", "name", "max_score", "pass_mark", "weight"
            )
        )
        initial_quotas = [
            {"school": q.school, "major": q.major, "seats": q.seats} for q in policy.quotas.all()
        ]
    form = PolicyForm(data, instance=policy)
    components = ComponentFormSet(data, prefix="components", initial=initial_components)
    quotas = QuotaFormSet(
        data, prefix="quotas", initial=initial_quotas, form_kwargs={"pilot_area": area}
    )
    return form, components, quotas


@role_required(User.Role.DISTRICT)
def policy_edit(request, pk=None):
    area = request.user.pilot_area
    policy = None
    if pk is not None:
        policy = get_object_or_404(policies_visible_to(request.user), pk=pk)
        if not policy.is_editable:
            messages.error(request, _("An approved version cannot change; write a new version."))
            return redirect(policy)
    form, components, quotas = _policy_forms(request, area, policy)
    if request.method == "POST" and all(
        [form.is_valid(), components.is_valid(), quotas.is_valid()]
    ):
        fields = {k: v for k, v in form.cleaned_data.items() if k != "cohort_year"}
        try:
            if policy is None:
                policy = services.policy_create(
                    actor=request.user,
                    pilot_area=area,
                    cohort_year=form.cleaned_data["cohort_year"],
                    components=formset_specs(components),
                    quotas=formset_specs(quotas),
                    **fields,
                )
            else:
                services.policy_update(
                    actor=request.user,
                    policy=policy,
                    components=formset_specs(components),
                    quotas=formset_specs(quotas),
                    **fields,
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The policy draft is saved."))
            return redirect(policy)
    return render(
        request,
        "transfers/policy_form.html",
        {"form": form, "components": components, "quotas": quotas, "policy": policy},
    )


@require_POST
@login_required
def policy_action(request, pk, action):
    policy = policy_get_for_user(user=request.user, pk=pk)
    try:
        if action == "submit":
            services.policy_submit(actor=request.user, policy=policy)
            messages.success(request, _("Sent to the municipal bureau for approval."))
        elif action == "review":
            form = PolicyReviewForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose approve or return."))
            services.policy_review(
                actor=request.user,
                policy=policy,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Your decision on the policy is recorded."))
        elif action == "publish":
            services.policy_publish(actor=request.user, policy=policy)
            messages.success(request, _("The policy is published to students."))
        elif action == "new-version":
            draft = services.policy_new_version(actor=request.user, policy=policy)
            messages.success(request, _("A new draft version was started."))
            return redirect("transfers:policy_edit", pk=draft.pk)
        else:
            raise Http404
    except ValidationError as exc:
        refuse(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect(policy)


# --- applying ------------------------------------------------------------------------------


@role_required(User.Role.STUDENT)
def apply(request):
    policy = policy_for_student(request.user)
    if policy is None:
        messages.error(request, _("No transfer policy has been published for your class."))
        return redirect("home")
    existing = Application.objects.filter(student__user=request.user).first()
    if existing is not None:
        messages.info(request, _("You have already applied; this is your application."))
        return redirect(existing)
    to_school, majors = transfer_options_for_student(request.user, policy)
    form = ApplyForm(request.POST or None, majors=majors)
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


# --- applications ----------------------------------------------------------------------------


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


def _application_table_rows(page, *, selectable: bool) -> list[str]:
    """The rows of ``transfers/_application_table.html``, written once per page (see
    ``core.lists``)."""
    url = row_urls("transfers:application_detail")
    states = {value: str(label) for value, label in S.choices}
    select = _("Select %(name)s")
    markup = _SELECTABLE_ROW if selectable else _APPLICATION_ROW
    return [
        html_row(
            markup,
            a["pk"],
            url(a["pk"]),
            a["student_name"],
            a["student_number"],
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


def _application_list(request, queryset, template, *, default_sort="-submitted", selectable=False):
    context = list_page(
        request,
        application_rows(queryset),
        filterset_class=ApplicationFilter,
        sorts=APPLICATION_SORTS,
        default_sort=default_sort,
    )
    context["rows"] = _application_table_rows(context["page"], selectable=selectable)
    context["selectable"] = selectable
    return render(request, template, context)


@login_required
def application_list(request):
    return _application_list(
        request, applications_visible_to(request.user), "transfers/application_list.html"
    )


@login_required
def application_detail(request, pk):
    application = application_get_for_user(user=request.user, pk=pk)
    user = request.user
    objection = Objection.objects.filter(application=application).first()
    scores = application.scores.select_related("component").prefetch_related("corrections")
    now = timezone.now()
    context = {
        "application": application,
        "events": application.events.select_related("actor"),
        "scores": scores,
        "objection": objection,
        "now": now,
        "notice_ends_at": application.notice_ends_at(),
    }
    if user.role == User.Role.STUDENT:
        context["can_withdraw"] = application.state in (S.SUBMITTED, S.ELIGIBLE)
        context["objection_form"] = (
            ObjectionForm()
            if objection is None
            and application.state == S.PUBLISHED
            and now < application.notice_ends_at()
            else None
        )
    elif user.role == User.Role.REGISTRAR and application.from_school_id == user.school_id:
        if application.state == S.SUBMITTED:
            context["eligibility_form"] = EligibilityForm()
    elif user.role == User.Role.DISTRICT:
        if application.state == S.PUBLISHED:
            context["recommend_form"] = RecommendForm()
        if objection is not None and objection.state == Objection.State.OPEN:
            context["resolve_form"] = ObjectionResolveForm(scores=scores)
    elif user.role == User.Role.BUREAU and application.state == S.RECOMMENDED:
        context["decision_form"] = DecisionForm()
    return render(request, "transfers/application_detail.html", context)


@require_POST
@login_required
def application_action(request, pk, action):
    """Every button on an application's page lands here and calls the matching service."""
    application = application_get_for_user(user=request.user, pk=pk)
    user = request.user
    try:
        if action == "withdraw":
            services.application_withdraw(actor=user, application=application)
            messages.success(request, _("Your application is withdrawn."))
        elif action == "eligibility":
            form = EligibilityForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose eligible or not eligible."))
            services.application_confirm_eligibility(
                actor=user,
                application=application,
                eligible=form.cleaned_data["decision"] == "eligible",
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Eligibility recorded."))
        elif action == "objection":
            form = ObjectionForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Say what you object to."))
            services.objection_lodge(
                actor=user, application=application, text=form.cleaned_data["text"]
            )
            messages.success(request, _("Your objection is lodged; the district will answer."))
        elif action == "resolve":
            objection = get_object_or_404(Objection, application=application)
            form = ObjectionResolveForm(
                request.POST, scores=application.scores.select_related("component")
            )
            if not form.is_valid():
                raise ValidationError(list(form.errors.values())[0])
            services.objection_resolve(
                actor=user,
                objection=objection,
                upheld=form.cleaned_data["decision"] == "uphold",
                resolution=form.cleaned_data["resolution"],
                corrections=form.corrections(),
            )
            messages.success(request, _("The objection is resolved."))
        elif action == "recommend":
            form = RecommendForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose recommend or do not recommend."))
            services.application_recommend(
                actor=user,
                application=application,
                recommend=form.cleaned_data["decision"] == "recommend",
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Recommendation recorded."))
        elif action == "decide":
            form = DecisionForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose approve or reject."))
            if form.cleaned_data["decision"] == "approve":
                services.application_approve(actor=user, application=application)
                messages.success(request, _("Approved: the student's status has moved."))
            else:
                services.application_reject(
                    actor=user, application=application, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The transfer is rejected."))
        else:
            raise Http404
    except ValidationError as exc:
        refuse(request, exc)
    except PermissionDenied:
        raise Http404 from None
    return redirect(application)


# --- queues ---------------------------------------------------------------------------------


@role_required(User.Role.REGISTRAR)
def eligibility_queue(request):
    applications = applications_visible_to(request.user).filter(
        from_school_id=request.user.school_id, state=S.SUBMITTED
    )
    return _application_list(
        request, applications, "transfers/eligibility_queue.html", default_sort="submitted"
    )


@role_required(User.Role.DISTRICT)
def score_sheet(request, pk):
    policy = get_object_or_404(policies_visible_to(request.user), pk=pk)
    applications = list(
        applications_visible_to(request.user)
        .filter(policy=policy, state=S.ELIGIBLE)
        .order_by("direction", "student__student_number")
    )
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


@role_required(User.Role.DISTRICT, User.Role.BUREAU)
def results(request, pk):
    """The ranked results of a policy's assessment, and the publish button."""
    policy = get_object_or_404(policies_visible_to(request.user), pk=pk)
    applications = (
        applications_visible_to(request.user)
        .filter(policy=policy, total_score__isnull=False)
        .order_by("to_school__name", "to_major__code", "rank", "-total_score")
    )
    quotas = {(q.school_id, q.major_id): q.seats for q in SeatQuota.objects.filter(policy=policy)}
    rows = [
        (a, a.rank is not None and a.rank <= quotas.get((a.to_school_id, a.to_major_id), 0))
        for a in applications
    ]
    return render(
        request,
        "transfers/results.html",
        {
            "policy": policy,
            "rows": rows,
            "can_publish": request.user.role == User.Role.DISTRICT
            and applications.filter(state=S.ASSESSED).exists(),
        },
    )


@require_POST
@role_required(User.Role.DISTRICT)
def results_publish(request, pk):
    policy = get_object_or_404(policies_visible_to(request.user), pk=pk)
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
    objections = Objection.objects.filter(
        application__in=applications_visible_to(request.user), state=Objection.State.OPEN
    ).select_related("application__student")
    return render(request, "transfers/objection_list.html", {"objections": objections})


@role_required(User.Role.DISTRICT)
def recommendation_queue(request):
    applications = applications_visible_to(request.user).filter(state=S.PUBLISHED)
    return _application_list(
        request, applications, "transfers/recommendation_queue.html", default_sort="rank"
    )


@role_required(User.Role.BUREAU)
def approval_queue(request):
    applications = applications_visible_to(request.user).filter(state=S.RECOMMENDED)
    return _application_list(
        request,
        applications,
        "transfers/approval_queue.html",
        default_sort="rank",
        selectable=True,
    )


@require_POST
@role_required(User.Role.BUREAU)
def approve_batch(request):
    ids = [int(pk) for pk in request.POST.getlist("applications") if pk.isdigit()]
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
    batch = get_object_or_404(ApprovalBatch, pk=pk, created_by=request.user)
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
