"""The same journey through the pages, each actor signed in with the test client: the
student applies, the registrar confirms, the district scores, publishes and recommends, the
bureau approves in a batch; then the student and the receiving registrar see the result.
Out-of-scope people get 404, as if the application did not exist."""

import datetime

import pytest
from django.urls import reverse
from transfer_world import WINDOW_OPENS, drive, enrol, publish_policy, submit

from students.models import StatusRecord
from transfers.models import Application

S = Application.State
IN_WINDOW = WINDOW_OPENS + datetime.timedelta(days=5)


def _application_url(application, action=None):
    if action is None:
        return reverse("transfers:application_detail", args=[application.pk])
    return reverse(f"transfers:application_{action}", args=[application.pk])


def test_a_transfer_through_the_pages_from_application_to_new_registration(
    client, world, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(IN_WINDOW, tick=False)
    policy = publish_policy(world)
    student = enrol(world, name="张三")

    # The student reads the policy that applies to them and the form.
    client.force_login(student.user)
    response = client.get(reverse("transfers:my_policy"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == policy.get_absolute_url()
    assert policy.title in response.content.decode()
    response = client.get(reverse("transfers:apply"))
    assert response.status_code == 200
    assert world.vocational.name in response.content.decode()

    response = client.post(
        reverse("transfers:apply"),
        {
            "to_major": world.major.pk,
            "reason": "我更喜欢动手实践。",
            "guardian_name": "王芳",
            "guardian_relation": "母亲",
            "guardian_phone": "13800001111",
            "guardian_consent_date": (IN_WINDOW.date() - datetime.timedelta(days=1)).isoformat(),
            "guardian_consents": "on",
            "understands_once_only": "on",
        },
    )
    application = Application.objects.get(student=student)
    assert response.status_code == 302
    assert response.url == _application_url(application)
    assert (application.state, application.to_school, application.to_major) == (
        S.SUBMITTED,
        world.vocational,
        world.major,
    )

    # The sending school's registrar confirms eligibility.
    client.force_login(world.registrar_general)
    response = client.post(_application_url(application, "eligibility"), {"decision": "eligible"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.ELIGIBLE

    # The district types in the score sheet and publishes the results.
    client.force_login(world.district)
    sheet_url = reverse("transfers:score_sheet", args=[policy.pk])
    assert student.name in client.get(sheet_url).content.decode()
    components = policy.components.filter(direction=application.direction)
    response = client.post(
        sheet_url,
        {f"score_{application.pk}_{c.pk}": str(c.pass_mark + 15) for c in components},
    )
    assert response.status_code == 302
    assert response.url == reverse("transfers:results", args=[policy.pk])
    application.refresh_from_db()
    assert (application.state, application.passed) == (S.ASSESSED, True)
    response = client.post(reverse("transfers:results_publish", args=[policy.pk]))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.PUBLISHED

    # Too early: the notice period has not ended, so the recommendation is refused.
    response = client.post(
        _application_url(application, "recommend"), {"decision": "recommend"}, follow=True
    )
    assert "notice period has not ended" in response.content.decode()
    application.refresh_from_db()
    assert application.state == S.PUBLISHED

    # After the notice period, the district recommends.
    time_machine.move_to(IN_WINDOW + datetime.timedelta(days=policy.notice_days, hours=1))
    client.force_login(world.district)
    response = client.post(_application_url(application, "recommend"), {"decision": "recommend"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.RECOMMENDED

    # The bureau approves in a batch: a task, queued when the request commits, carries out
    # the move and reports its progress on the batch's page.
    client.force_login(world.bureau)
    assert student.name in client.get(reverse("transfers:approvals")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("transfers:approve_batch"), {"applications": [application.pk]}
        )
    assert response.status_code == 302
    progress = client.get(response.url, headers={"accept": "application/json"}).json()
    assert (progress["state"], progress["approved"], progress["refused"]) == ("finished", 1, 0)
    application.refresh_from_db()
    assert application.state == S.COMPLETED

    # The student sees the outcome on their application page.
    client.force_login(student.user)
    page = client.get(_application_url(application)).content.decode()
    assert 'data-testid="application-state">Completed<' in page

    # The receiving school's registrar now has the student on the list, registered there.
    client.force_login(world.registrar_vocational)
    page = client.get(reverse("students:list")).content.decode()
    assert student.name in page
    assert world.vocational.name in page
    active = StatusRecord.objects.get(student=student, state=StatusRecord.State.ACTIVE)
    assert active.school == world.vocational


@pytest.fixture
def submitted(world, policy, applicant):
    return submit(policy, applicant)


@pytest.mark.parametrize("outsider", ["registrar_other", "district_other", "bureau_other"])
def test_staff_of_another_scope_do_not_find_the_application(client, world, submitted, outsider):
    client.force_login(getattr(world, outsider))

    assert client.get(_application_url(submitted)).status_code == 404


def test_another_student_does_not_find_the_application(client, world, submitted):
    client.force_login(enrol(world).user)

    assert client.get(_application_url(submitted)).status_code == 404
    assert client.post(_application_url(submitted, "withdraw")).status_code == 404
    submitted.refresh_from_db()
    assert submitted.state == S.SUBMITTED


def test_the_receiving_registrar_sees_the_application_but_cannot_confirm_eligibility(
    client, world, submitted
):
    client.force_login(world.registrar_vocational)

    assert client.get(_application_url(submitted)).status_code == 200
    response = client.post(_application_url(submitted, "eligibility"), {"decision": "eligible"})

    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.state == S.SUBMITTED


def test_a_student_confirming_their_own_eligibility_gets_404(client, submitted, applicant):
    client.force_login(applicant.user)

    response = client.post(_application_url(submitted, "eligibility"), {"decision": "eligible"})

    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.state == S.SUBMITTED


def test_a_student_posting_to_the_approvals_gets_404(client, world, policy, applicant):
    application = drive(world, submit(policy, applicant), S.RECOMMENDED)
    client.force_login(applicant.user)

    response = client.post(reverse("transfers:approve_batch"), {"applications": [application.pk]})

    assert response.status_code == 404
    application.refresh_from_db()
    assert application.state == S.RECOMMENDED


def test_another_areas_district_cannot_publish_or_score(client, world, policy, submitted):
    client.force_login(world.district_other)

    assert client.get(reverse("transfers:score_sheet", args=[policy.pk])).status_code == 404
    response = client.post(reverse("transfers:results_publish", args=[policy.pk]))
    assert response.status_code == 404


def test_a_bureau_of_another_city_approving_in_a_batch_changes_nothing(
    client, world, policy, applicant
):
    application = drive(world, submit(policy, applicant), S.RECOMMENDED)
    client.force_login(world.bureau_other)

    response = client.post(reverse("transfers:approve_batch"), {"applications": [application.pk]})

    assert response.status_code == 302  # the batch only picks what the user can see
    application.refresh_from_db()
    assert application.state == S.RECOMMENDED
