"""One transfer from the application to the new registration, through the browser only:
every person logs in with the login form, finds their way by clicking, types, ticks, accepts
the confirm dialogs and logs out again. In Chinese, the language of the people who use it,
and once more in English.

The student works on a phone (375 px, navbar collapsed), the staff on a desktop. The homes
and the apply form are saved as screenshots on the way (see ``browsing.screenshot``).
"""

import datetime

import pytest
from browsing import (
    DESKTOP,
    PHONE,
    click_link,
    expect_state,
    expect_words,
    log_in,
    log_out,
    passing_score,
    screenshot,
    submit,
    ui_text,
)
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from transfers.models import Application

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips these tests then (or fails them with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.e2e
S = Application.State

WORDS = {
    "zh-hans": {
        "reason": "我对电子商务很感兴趣，希望转入职业高中系统学习专业技能。",
        "guardian": "王芳",
        "relation": "母亲",
    },
    "en": {
        "reason": "I would like to learn a trade and start working sooner.",
        "guardian": "Wang Fang",
        "relation": "mother",
    },
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_student_changes_school_through_the_browser(
    language, page, browser_log, live_server, demo
):
    base, policy, words = live_server.url, demo.policy, WORDS[language]

    # --- the student, on a phone, reads the policy and applies ------------------------------
    page.set_viewport_size(PHONE)
    log_in(page, base, demo.student_user)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect_words(page, "role", language, "Student")
    screenshot(page, language, "student-home")

    click_link(page, reverse("transfers:my_policy"))
    assert page.url == base + policy.get_absolute_url()
    expect(page.locator("main")).to_contain_text(policy.title)

    click_link(page, reverse("transfers:apply"))
    expect(page.locator("main")).to_contain_text(demo.to_school.name)
    page.select_option("#id_to_major", str(demo.major.pk))
    page.fill("#id_reason", words["reason"])
    page.fill("#id_guardian_name", words["guardian"])
    page.fill("#id_guardian_relation", words["relation"])
    page.fill("#id_guardian_phone", "13800001111")
    page.fill("#id_guardian_consent_date", timezone.localdate().isoformat())
    page.check("#id_guardian_consents")
    page.check("#id_understands_once_only")
    screenshot(page, language, "apply-form")
    with page.expect_navigation():
        page.locator("form:has(#id_to_major) [type=submit]").click()
    assert len(browser_log.dialogs) == 1, "submitting the one application asks first"

    application = Application.objects.get(student=demo.student)
    application_url = application.get_absolute_url()
    assert page.url == base + application_url
    expect_state(page, language, "Submitted")
    assert (application.to_school, application.to_major) == (demo.to_school, demo.major)
    assert application.guardian_name == words["guardian"]
    log_out(page)

    # --- the sending school's registrar confirms eligibility -----------------------------------
    page.set_viewport_size(DESKTOP)
    log_in(page, base, demo.registrar_from)
    expect_words(page, "role", language, "School registrar")
    screenshot(page, language, "registrar-home")
    click_link(page, reverse("transfers:eligibility"))
    click_link(page, application_url)
    page.check("input[name=decision][value=eligible]")
    submit(page, reverse("transfers:application_eligibility", args=[application.pk]))
    expect_state(page, language, "Eligible")
    log_out(page)

    # --- the district scores, publishes, and after the notice period recommends -----------
    log_in(page, base, demo.district)
    expect_words(page, "role", language, "District education department")
    screenshot(page, language, "district-home")
    click_link(page, reverse("transfers:policies"))
    click_link(page, policy.get_absolute_url())
    click_link(page, reverse("transfers:score_sheet", args=[policy.pk]))
    row = f'input[name^="score_{application.pk}_"]'
    expect(page.locator(row)).to_have_count(len(demo.components))
    for component in demo.components:
        page.fill(f'input[name="score_{application.pk}_{component.pk}"]', passing_score(component))
    with page.expect_navigation():
        page.locator(f"form:has({row}) [type=submit]").click()
    results_url = reverse("transfers:results", args=[policy.pk])
    assert page.url == base + results_url
    application.refresh_from_db()
    assert (application.state, application.passed) == (S.ASSESSED, True)
    expect(page.locator(f'main a[href="{application_url}"]')).to_be_visible()

    submit(page, reverse("transfers:results_publish", args=[policy.pk]))
    assert len(browser_log.dialogs) == 2, "publishing the results asks first"
    application.refresh_from_db()
    assert application.state == S.PUBLISHED
    assert application.results_published_at is not None

    # Stands in for the public notice period passing: the live server cannot be
    # time-travelled from here, so the results are made to have been published
    # notice_days + 1 (= 6) days ago, directly in the database.
    Application.objects.filter(pk=application.pk).update(
        results_published_at=F("results_published_at")
        - datetime.timedelta(days=policy.notice_days + 1)
    )

    log_out(page)

    # --- the student reads how they were ranked, and the public notice ------------------------
    page.set_viewport_size(PHONE)
    log_in(page, base, demo.student_user)
    click_link(page, application_url)
    decision = page.get_by_test_id("decision")
    expect(decision).to_contain_text(ui_text(language, "How this application is decided"))
    expect(decision).to_contain_text(ui_text(language, "Pass mark reached"))
    expect(page.get_by_test_id("decision-rank")).to_be_visible()
    notice_url = reverse("transfers:notice", args=[policy.pk, policy.results_versions.count()])
    click_link(page, notice_url)
    main = page.locator("main")
    expect(main).to_contain_text(ui_text(language, "Public notice of the results"))
    expect(main).to_contain_text(policy.mask(demo.student.name))
    expect(main).not_to_contain_text(demo.student.name)
    log_out(page)

    page.set_viewport_size(DESKTOP)
    log_in(page, base, demo.district)
    click_link(page, reverse("transfers:recommendations"))
    click_link(page, application_url)
    page.check("input[name=decision][value=recommend]")
    submit(page, reverse("transfers:application_recommend", args=[application.pk]))
    expect_state(page, language, "Recommended")
    log_out(page)

    # --- the bureau approves in a batch: the status moves ----------------------------------
    log_in(page, base, demo.bureau)
    expect_words(page, "role", language, "Municipal education bureau")
    screenshot(page, language, "bureau-home")
    click_link(page, reverse("transfers:approvals"))
    page.check(f'input[name=applications][value="{application.pk}"]')
    submit(page, reverse("transfers:approve_batch"))
    assert len(browser_log.dialogs) == 3, "approving asks first"
    # The batch runs as a task; its page follows the progress and shows the outcome.
    page.wait_for_url("**/transfers/approvals/batch/*/")
    expect(page.get_by_test_id("batch-approved")).to_be_visible(timeout=30_000)
    application.refresh_from_db()
    assert application.state == S.COMPLETED
    assert application.new_status.school == demo.to_school
    log_out(page)

    # --- the student sees it done ---------------------------------------------------------------
    page.set_viewport_size(PHONE)
    log_in(page, base, demo.student_user)
    click_link(page, application_url)
    expect_state(page, language, "Completed")
    log_out(page)

    # --- and the receiving school's registrar finds the student among theirs -------------------
    page.set_viewport_size(DESKTOP)
    log_in(page, base, demo.registrar_to)
    click_link(page, reverse("students:list"))
    search = page.locator("main input[name=q]").first
    search.fill(demo.student.student_number)
    with page.expect_navigation():
        search.press("Enter")
    rows = page.locator("main tbody tr", has_text=demo.student.student_number)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(demo.student.name)
    expect(rows).to_contain_text(demo.to_school.name)
    log_out(page)

    assert browser_log.errors == [], f"script errors on the pages: {browser_log.errors}"
