"""The bureau's fairness report of a policy version, for the bureau and the area's district."""

from django.shortcuts import render

from schools.access import role_required
from schools.models import User

from ..fairness import fairness_report
from ..selectors import policy_get_for_user


@role_required(User.Role.DISTRICT, User.Role.BUREAU)
def fairness(request, pk):
    """Who applied, met the standards, holds a seat and was approved, by direction, sending
    school and gender; each programme's seats and cut-off; and the justified envy."""
    policy = policy_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "transfers/fairness.html",
        {"policy": policy, "report": fairness_report(policy)},
    )
