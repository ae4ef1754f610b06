"""The transfer workflow's services; each public function is one transaction.

``transitions.application_transition`` is deliberately not exported: it checks the table
and the actor, but the seats, the notice period and the move of status are checked by the
named services that call it."""

from ..selectors import allocation_plan, policy_window_bounds
from ..workflow import actor_concerned
from .applications import (
    application_approve,
    application_check_eligibility,
    application_confirm_eligibility,
    application_guardian_confirm,
    application_recommend,
    application_reject,
    application_submit,
    application_take_back,
    application_withdraw,
    guardian_may_confirm,
)
from .assessment import (
    assert_assessor_of,
    objection_lodge,
    objection_resolve,
    results_publish,
    scores_enter,
    to_assess,
)
from .batches import approval_batch_run, approval_batch_start, approval_batches_sweep
from .completion import application_complete
from .policies import (
    ComponentSpec,
    QuotaSpec,
    policy_create,
    policy_new_version,
    policy_problems,
    policy_publish,
    policy_review,
    policy_submit,
    policy_update,
    province_set_pack,
)
from .policy_checks import policy_validate_window
from .selection import PLACED_STATES, allocation_confirm, allocation_problems

__all__ = [
    "PLACED_STATES",
    "allocation_confirm",
    "allocation_plan",
    "allocation_problems",
    "ComponentSpec",
    "QuotaSpec",
    "actor_concerned",
    "application_approve",
    "application_check_eligibility",
    "application_complete",
    "application_confirm_eligibility",
    "application_guardian_confirm",
    "guardian_may_confirm",
    "application_recommend",
    "application_reject",
    "application_submit",
    "application_take_back",
    "application_withdraw",
    "assert_assessor_of",
    "approval_batch_run",
    "approval_batch_start",
    "approval_batches_sweep",
    "objection_lodge",
    "objection_resolve",
    "policy_create",
    "policy_new_version",
    "policy_problems",
    "policy_publish",
    "policy_review",
    "policy_submit",
    "policy_update",
    "policy_validate_window",
    "policy_window_bounds",
    "province_set_pack",
    "results_publish",
    "scores_enter",
    "to_assess",
]
