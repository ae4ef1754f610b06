"""One transfer under the Shandong rule pack, through the browser: a 寿光市 (Weifang) student
of the 2025 cohort applies at the end of grade 11's first semester to the paired vocational
school, and that RECEIVING school's registrar scores the applicant, not the district.

The district still publishes the results and, after the public notice, recommends; the
bureau approves; the student's status then moves to the vocational school. The district
gets no score sheet for this policy: under the Shandong pack it is not theirs to score.

One language only (English) to keep the run short; the Hangzhou journey
(``test_e2e_journey``) covers both languages.
"""

import datetime
from types import SimpleNamespace

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
    submit,
    ui_text,
)
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from demo.management.commands.seed_demo import WEIFANG_COHORT
from schools.models import School, User
from students.models import StatusRecord, Student
from transfers.models import Application, ApplicationEvent, Assessor, Direction, WindowTerm
from transfers.selectors import policy_for_student, transfer_options_for_student
from transfers.services.applications import application_check_eligibility

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips these tests then (or fails them with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.e2e
S = Application.State
#: The demo's Weifang county running the Shandong pack, its window open now (grade 11-1).
AREA = "shouguang"
PACK = "shandong-2026"

WORDS = {
    "zh-hans": {
        "reason": "我想学习一门专业技能，希望转入职业学校。",
        "guardian": "李娜",
        "relation": "母亲",
    },
    "en": {
        "reason": "I would like to learn a trade at the vocational school.",
        "guardian": "Li Na",
        "relation": "mother",
    },
}


@pytest.fixture
def shandong(demo):
    """On the demo (``demo`` seeds it and travels into the season if need be): a 寿光市
    general-school student who has not applied and may, under the Shandong policy whose
    window is open, with the people of their transfer by username."""
    now = timezone.now()
    students = (
        Student.objects.filter(
            applications__isnull=True,
            status_records__state=StatusRecord.State.ACTIVE,
            status_records__school__kind=School.Kind.GENERAL,
            status_records__integration_class__cohort_year=WEIFANG_COHORT,
            status_records__integration_class__pairing__pilot_area__slug=AREA,
        )
        .select_related("user")
        .distinct()
        .order_by("student_number")
    )
    for student in students:
        policy = policy_for_student(student.user)
        if policy is None:
            continue
        assert policy.rule_pack == PACK, f"{policy} runs {policy.rule_pack}, not {PACK}"
        assert policy.assessor == Assessor.RECEIVING_SCHOOL
        assert policy.window_term == WindowTerm.G11_S1
        assert policy.window_is_open(now), f"{policy} is not open at {now}"
        try:
            status, direction = application_check_eligibility(student=student, policy=policy)
        except ValidationError:  # too few first-semester credits: the next one
            continue
        break
    else:
        pytest.fail(f"no {AREA} student in the demo is left who may apply")
    assert direction == Direction.GENERAL_TO_VOCATIONAL
    to_school, majors = transfer_options_for_student(student.user, policy)
    assert to_school.kind == School.Kind.VOCATIONAL

    def applicants(major):
        return Application.objects.filter(policy=policy, to_school=to_school, to_major=major)

    major = min(majors.order_by("code"), key=lambda m: applicants(m).count())

    def username(**scope):
        return User.objects.filter(**scope).values_list("username", flat=True).get()

    return SimpleNamespace(
        student=student,
        policy=policy,
        major=major,
        from_school=status.school,
        to_school=to_school,
        components=list(policy.components.filter(direction=direction).order_by("pk")),
        student_user=student.user.username,
        registrar_from=username(role=User.Role.REGISTRAR, school=status.school),
        registrar_to=username(role=User.Role.REGISTRAR, school=to_school),
        district=username(role=User.Role.DISTRICT, pilot_area=policy.pilot_area),
        bureau=username(role=User.Role.BUREAU, municipality=policy.pilot_area.municipality),
    )


@pytest.mark.parametrize("language", ["en"])
def test_the_receiving_school_assesses_under_the_shandong_pack(
    language, page, browser_log, live_server, shandong
):
    base, policy, words = live_server.url, shandong.policy, WORDS[language]
    score_sheet_url = reverse("transfers:score_sheet", args=[policy.pk])
    results_url = reverse("transfers:results", args=[policy.pk])

    # --- the student, on a phone, reads the rules that apply and applies ----------------------
    page.set_viewport_size(PHONE)
    log_in(page, base, shandong.student_user)
    expect_words(page, "role", language, "Student")
    rules = page.get_by_test_id("student-rules")
    expect(rules).to_be_visible()
    expect(rules).to_contain_text(ui_text(language, "Shandong 2026"))
    expect(rules).to_contain_text(ui_text(language, "the receiving school"))

    click_link(page, reverse("transfers:apply"))
    expect(page.locator("main")).to_contain_text(shandong.to_school.name)
    page.select_option("#id_to_major", str(shandong.major.pk))
    page.fill("#id_reason", words["reason"])
    page.fill("#id_guardian_name", words["guardian"])
    page.fill("#id_guardian_relation", words["relation"])
    page.fill("#id_guardian_phone", "13800001111")
    page.fill("#id_guardian_consent_date", timezone.localdate().isoformat())
    page.check("#id_guardian_consents")
    page.check("#id_understands_once_only")
    with page.expect_navigation():
        page.locator("form:has(#id_to_major) [type=submit]").click()

    application = Application.objects.get(student=shandong.student)
    application_url = application.get_absolute_url()
    assert page.url == base + application_url
    expect_state(page, language, "Submitted")
    assert application.policy == policy
    assert (application.to_school, application.to_major) == (shandong.to_school, shandong.major)
    log_out(page)

    # --- the sending (general) school's registrar confirms eligibility ------------------------
    page.set_viewport_size(DESKTOP)
    log_in(page, base, shandong.registrar_from)
    expect_words(page, "role", language, "School registrar")
    click_link(page, reverse("transfers:eligibility"))
    click_link(page, application_url)
    page.check("input[name=decision][value=eligible]")
    submit(page, reverse("transfers:application_eligibility", args=[application.pk]))
    expect_state(page, language, "Eligible")
    log_out(page)

    # --- the district has no score sheet for this policy: the receiving school scores -------
    log_in(page, base, shandong.district)
    expect_words(page, "role", language, "District education department")
    expect(page.locator(f'main a[href="{policy.get_absolute_url()}"]')).to_be_visible()
    expect(page.locator(f'a[href="{score_sheet_url}"]')).to_have_count(0)
    response = page.goto(base + score_sheet_url)
    assert response is not None and response.status == 404, "the district may not score it"
    page.goto(base + "/")
    log_out(page)

    # --- the receiving (vocational) school's registrar scores the applicant --------------------
    log_in(page, base, shandong.registrar_to)
    expect_words(page, "role", language, "School registrar")
    assess = page.locator(f'[data-testid="assess-link"][href="{score_sheet_url}"]')
    expect(assess).to_be_visible()
    click_link(page, score_sheet_url)
    assert page.url == base + score_sheet_url
    row = f'input[name^="score_{application.pk}_"]'
    expect(page.locator(row)).to_have_count(len(shandong.components))
    for component in shandong.components:
        page.fill(f'input[name="score_{application.pk}_{component.pk}"]', passing_score(component))
    with page.expect_navigation():
        page.locator(f"form:has({row}) [type=submit]").click()
    assert page.url == base + results_url
    expect(page.locator(f'main a[href="{application_url}"]')).to_be_visible()
    application.refresh_from_db()
    assert (application.state, application.passed) == (S.ASSESSED, True)

    # Who assessed: the receiving school's registrar, in the history and on the timeline.
    assessed = ApplicationEvent.objects.select_related("actor").get(
        application=application, to_state=S.ASSESSED
    )
    assert assessed.from_state == S.ELIGIBLE
    assert assessed.actor.username == shandong.registrar_to
    assert assessed.actor.school == shandong.to_school
    click_link(page, application_url)
    expect_state(page, language, "Assessed")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li").last).to_contain_text(assessed.actor.signature)
    log_out(page)

    # --- the district publishes, and after the notice period recommends ----------------------
    log_in(page, base, shandong.district)
    click_link(page, results_url)
    submit(page, reverse("transfers:results_publish", args=[policy.pk]))
    assert len(browser_log.dialogs) == 2, "submitting and publishing each ask first"
    application.refresh_from_db()
    assert application.state == S.PUBLISHED
    assert application.results_published_at is not None

    # Stands in for the public notice period passing, as the Hangzhou journey does: the live
    # server cannot be time-travelled from here, so the results are made to have been
    # published notice_days + 1 days ago, directly in the database.
    Application.objects.filter(pk=application.pk).update(
        results_published_at=F("results_published_at")
        - datetime.timedelta(days=policy.notice_days + 1)
    )

    click_link(page, reverse("transfers:recommendations"))
    click_link(page, application_url)
    page.check("input[name=decision][value=recommend]")
    submit(page, reverse("transfers:application_recommend", args=[application.pk]))
    expect_state(page, language, "Recommended")
    log_out(page)

    # --- the bureau approves: the status moves to the vocational school --------------------
    log_in(page, base, shandong.bureau)
    expect_words(page, "role", language, "Municipal education bureau")
    click_link(page, reverse("transfers:approvals"))
    page.check(f'input[name=applications][value="{application.pk}"]')
    submit(page, reverse("transfers:approve_batch"))
    assert len(browser_log.dialogs) == 3, "approving asks first"
    page.wait_for_url("**/transfers/approvals/batch/*/")
    expect(page.get_by_test_id("batch-approved")).to_be_visible(timeout=30_000)
    log_out(page)

    application.refresh_from_db()
    assert application.state == S.COMPLETED
    active = StatusRecord.objects.get(student=shandong.student, state=StatusRecord.State.ACTIVE)
    assert active.school == shandong.to_school
    assert application.new_status == active

    # --- the student sees it done -------------------------------------------------------------
    page.set_viewport_size(PHONE)
    log_in(page, base, shandong.student_user)
    click_link(page, application_url)
    expect_state(page, language, "Completed")
    log_out(page)

    assert browser_log.errors == [], f"script errors on the pages: {browser_log.errors}"
