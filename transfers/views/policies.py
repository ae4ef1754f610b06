"""The district's policies: list, page, the draft's form, and one view per button."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.lists import list_page, searched_by_post
from schools.access import role_required
from schools.models import User

from .. import services
from ..filters import PolicyFilter
from ..forms import ComponentFormSet, PolicyForm, PolicyReviewForm, QuotaFormSet, formset_specs
from ..rules import NATIONAL_RULES, NATIONAL_SOURCE, PACKS, pack_of, policy_rule_rows
from ..selectors import (
    policies_visible_to,
    policy_actions_for,
    policy_for_student,
    policy_get_for_user,
    policy_history,
    policy_problems_for,
    seats_used,
)
from .common import apply_errors, posted_action


@login_required
@searched_by_post
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
            "actions": policy_actions_for(request.user, policy),
            "history": policy_history(request.user, policy),
            "problems": policy_problems_for(request.user, policy),
            **_rules_context(request.user, policy),
        },
    )


def _rules_context(user, policy) -> dict:
    """The policy's pack and its settings in words; the differences from the pack for the
    staff who write and approve it (rule 9: the bureau sees them before it approves)."""
    rows = policy_rule_rows(policy)
    return {
        "pack": pack_of(policy),
        "rule_rows": rows,
        "differences": [row for row in rows if row.differs],
        "show_differences": user.role in (User.Role.DISTRICT, User.Role.BUREAU)
        or user.sees_everything,
        "national_rules": NATIONAL_RULES,
        "national_source": NATIONAL_SOURCE,
    }


@login_required
def student_policy(request):
    """The student's policy page: the rules that apply to them, in plain words."""
    if request.user.role != User.Role.STUDENT:
        raise Http404
    policy = policy_for_student(request.user)
    if policy is None:
        return render(request, "transfers/student_policy.html", {"policy": None})
    return redirect("transfers:policy_detail", pk=policy.pk)


#: The "add a row" buttons of the policy form, by formset prefix.
ADD_ROW = {"components": "add_components", "quotas": "add_quotas"}


def _rows_typed(data, prefix: str, fields) -> list[dict]:
    """What was typed into a formset's rows, as the initial data of the same rows."""
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except ValueError:
        total = 0
    return [
        {name: data.get(f"{prefix}-{i}-{name}", "") for name in fields}
        for i in range(min(total, 50))
    ]


def _policy_forms_with_a_row_more(request, area, policy, prefix: str):
    """The same form again, unsaved and unchecked, with what was typed and one more empty
    row in ``prefix``'s table: adding a row works without JavaScript and loses nothing."""
    data = request.POST
    form = PolicyForm(initial=data.dict(), instance=policy, pack=data.get("rule_pack"))
    component_fields = list(ComponentFormSet.form.base_fields)
    quota_fields = list(QuotaFormSet.form.base_fields)
    components = ComponentFormSet(
        prefix="components", initial=_rows_typed(data, "components", component_fields)
    )
    quotas = QuotaFormSet(
        prefix="quotas",
        initial=_rows_typed(data, "quotas", quota_fields),
        form_kwargs={"pilot_area": area},
    )
    for formset in (components, quotas):
        formset.extra = 1 if formset.prefix == prefix else 0
    return form, components, quotas


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
    province = area.municipality.province
    pack = (
        (province.rule_pack if province is not None else "")
        or (data or request.GET).get("rule_pack")
        or request.GET.get("pack")
    )
    form = PolicyForm(data, instance=policy, pack=pack if pack in PACKS else None)
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
        policy = policy_get_for_user(user=request.user, pk=pk)
        if not policy.is_editable:
            messages.error(request, _("An approved version cannot change; write a new version."))
            return redirect(policy)
    adding = next((p for p, button in ADD_ROW.items() if button in request.POST), None)
    if request.method == "POST" and adding:
        with_a_row_more = _policy_forms_with_a_row_more(request, area, policy, adding)
        return _policy_form_page(request, policy, *with_a_row_more)
    form, components, quotas = _policy_forms(request, area, policy)
    if request.method == "POST" and all(
        [form.is_valid(), components.is_valid(), quotas.is_valid()]
    ):
        fields = {k: v for k, v in form.cleaned_data.items() if k != "cohort_year"}
        if policy is not None:
            fields.pop("rule_pack")  # a version keeps the pack it was started from
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
    return _policy_form_page(request, policy, form, components, quotas)


def _packs_for(user) -> list:
    """The packs a district may start from: its province's, where the province set one."""
    province = user.pilot_area.municipality.province if user.pilot_area else None
    if province is not None and province.rule_pack:
        return [PACKS[province.rule_pack]]
    return list(PACKS.values())


def _policy_form_page(request, policy, form, components, quotas):
    return render(
        request,
        "transfers/policy_form.html",
        {
            "form": form,
            "components": components,
            "quotas": quotas,
            "policy": policy,
            "problems": policy_problems_for(request.user, policy) if policy else [],
            "packs": _packs_for(request.user),
            "pack": form.pack,
        },
    )


@posted_action(policy_get_for_user)
def policy_submit(request, policy):
    services.policy_submit(actor=request.user, policy=policy)
    messages.success(request, _("Sent to the municipal bureau for approval."))


@posted_action(policy_get_for_user)
def policy_review(request, policy):
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


@posted_action(policy_get_for_user)
def policy_publish(request, policy):
    services.policy_publish(actor=request.user, policy=policy)
    messages.success(request, _("The policy is published to students."))


@require_POST
@role_required(User.Role.PROVINCE)
def province_pack(request):
    """The provincial department sets the pack of all its cities."""
    try:
        province = services.province_set_pack(
            actor=request.user,
            province=request.user.province,
            rule_pack=request.POST.get("rule_pack", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if province.rule_pack:
            messages.success(
                request,
                _("Every city's new policies now start from the %(pack)s pack.")
                % {"pack": PACKS[province.rule_pack].title},
            )
        else:
            messages.success(request, _("Each district now chooses the pack it starts from."))
    return redirect("home")


@posted_action(policy_get_for_user)
def policy_new_version(request, policy):
    draft = services.policy_new_version(actor=request.user, policy=policy)
    messages.success(request, _("A new draft version was started."))
    return redirect("transfers:policy_edit", pk=draft.pk)
