"""Each role's home, and the student's apply form, checked with axe-core against WCAG 2.0 and
2.1, levels A and AA, in the Chinese UI. A serious or critical violation fails the test and
is printed with its rule, help and elements; lesser ones are printed only.

A violation already reported to the page's owner is listed in ``KNOWN`` for that page: the
test is then ``xfail(strict=True)`` on exactly that violation, so it turns red the moment
the page is fixed (remove the entry then), while any other serious violation on the same
page still fails it outright.
"""

import pytest
from browsing import (
    BLOCKING_IMPACTS,
    DESKTOP,
    PHONE,
    axe_violations,
    click_link,
    describe_violations,
    log_in,
    open_navbar_if_collapsed,
)
from django.urls import reverse

pytestmark = pytest.mark.e2e


class KnownViolation(AssertionError):
    """Only the violations listed in ``KNOWN`` for the page, and nothing else serious."""


def _apply_form(page, demo):
    click_link(page, reverse("transfers:apply"))


def _apply_form_with_errors(page, demo):
    """Sent empty: every required field answers with its error."""
    _apply_form(page, demo)
    with page.expect_navigation():
        page.locator("form:has(#id_to_major) [type=submit]").click()
    assert page.locator(".invalid-feedback, .errorlist").count() > 0


def _policy_page(name):
    """Open one of the demo policy's pages (its public notice, allocation, fairness report or
    form), by its address."""

    def action(page, demo):
        base = page.url.split("/", 3)[:3]
        with page.expect_navigation():
            page.goto("/".join(base) + reverse(name, args=[demo.policy.pk]))

    return action


#: page → (who, viewport, what they do after logging in; None: look at their home)
PAGES = {
    "student-home": ("student_user", DESKTOP, None),
    "student-home-phone": ("student_user", PHONE, None),
    "student-menu-phone": (
        "student_user",
        PHONE,
        lambda page, demo: open_navbar_if_collapsed(page),
    ),
    "apply-form": ("student_user", PHONE, _apply_form),
    "apply-form-errors": ("student_user", PHONE, _apply_form_with_errors),
    "registrar-home": ("registrar_from", DESKTOP, None),
    "district-home": ("district", DESKTOP, None),
    "bureau-home": ("bureau", DESKTOP, None),
    "public-notice-phone": ("student_user", PHONE, _policy_page("transfers:notice_latest")),
    "allocation": ("district", DESKTOP, _policy_page("transfers:allocation")),
    "fairness-report": ("bureau", DESKTOP, _policy_page("transfers:fairness")),
    "policy-form": ("district", DESKTOP, _policy_page("transfers:policy_edit")),
}

#: page → {axe rule id: why it is known}. Empty: every page passes; keep the mechanism for
#: the day a violation is found and reported before it is fixed.
KNOWN: dict[str, dict[str, str]] = {}


def _params():
    for name in PAGES:
        known = KNOWN.get(name)
        marks = []
        if known:
            reason = "; ".join(known.values())
            marks.append(pytest.mark.xfail(strict=True, raises=KnownViolation, reason=reason))
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_no_serious_accessibility_violations(name, page, live_server, demo):
    who, viewport, action = PAGES[name]
    page.set_viewport_size(viewport)
    log_in(page, live_server.url, getattr(demo, who))
    if action is not None:
        action(page, demo)

    violations = axe_violations(page)
    if violations:
        print(f"axe on {name} ({page.url}):\n{describe_violations(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    unexpected = [v for v in blocking if v["id"] not in KNOWN.get(name, {})]
    assert not unexpected, (
        f"axe found serious or critical WCAG 2.1 A/AA violations on {name} ({page.url}):\n"
        + describe_violations(unexpected)
    )
    if blocking:
        raise KnownViolation(
            f"still there on {name} ({page.url}):\n" + describe_violations(blocking)
        )
