"""The bureau's fairness report of a policy: counts by direction, sending school and gender;
each programme's seats, fill and cut-off; and the justified envy, which must read 0."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from transfer_world import (
    AFTER_NOTICE,
    PUBLISH_AT,
    drive,
    enrol,
    give_credits,
    publish_policy,
    published_ranking,
    scores_for,
    submit,
)

from students.models import Student
from transfers import services
from transfers.fairness import fairness_report
from transfers.models import Application

S = Application.State
M, F = Student.Gender.MALE, Student.Gender.FEMALE
pytestmark = pytest.mark.django_db


def _applicant(world, policy, *, school=None, gender: str, bonus: int | None):
    """A student of ``school`` (the general one by default) of ``gender`` who applies and is
    scored (None: below a pass mark); None for ``bonus`` and no score when told so."""
    student = enrol(world, school=school or world.general)
    Student.objects.filter(pk=student.pk).update(gender=gender)
    give_credits(world, student)
    application = submit(policy, student)
    drive(world, application, S.ELIGIBLE)
    services.scores_enter(
        actor=world.district,
        policy=policy,
        scores={
            application.pk: scores_for(application, passed=bonus is not None, bonus=bonus or 0)
        },
    )
    return application


@pytest.fixture
def allocated(world):
    """Seats 2 a programme. Three general students (g2v): 甲 (M) and 乙 (F) meet the
    standards, 丙 (M) does not; one vocational student (v2g), 丁 (F), meets them; 戊 (M)
    withdraws before the assessment. After the allocation the bureau approves 甲."""
    policy = publish_policy(world, seats=2)
    jia = _applicant(world, policy, gender=M, bonus=20)
    yi = _applicant(world, policy, gender=F, bonus=10)
    bing = _applicant(world, policy, gender=M, bonus=None)
    ding = _applicant(world, policy, school=world.vocational, gender=F, bonus=5)
    wu_student = enrol(world)
    Student.objects.filter(pk=wu_student.pk).update(gender=M)
    wu = submit(policy, wu_student)
    services.application_withdraw(actor=wu_student.user, application=wu)
    services.results_publish(actor=world.district, policy=policy, now=PUBLISH_AT)
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    services.application_approve(actor=world.bureau, application=jia)
    apps = {"jia": jia, "yi": yi, "bing": bing, "ding": ding, "wu": wu}
    for application in apps.values():
        application.refresh_from_db()
    return policy, apps


def _counts(breakdown) -> dict:
    return {
        str(row.label): (row.applicants, row.met, row.allocated, row.approved)
        for row in breakdown.rows
    }


def test_counts_by_direction_sending_school_and_gender(world, allocated):
    policy, apps = allocated
    assert apps["jia"].state in (S.APPROVED, S.COMPLETED)
    assert [apps[k].state for k in ("yi", "bing", "ding", "wu")] == [
        S.RECOMMENDED,
        S.NOT_RECOMMENDED,
        S.RECOMMENDED,
        S.WITHDRAWN,
    ]

    report = fairness_report(policy)

    # 戊 withdrew before the assessment: not an applicant of the selection.
    total = report.total
    assert (total.applicants, total.met, total.allocated, total.approved) == (4, 3, 3, 1)
    by_direction, by_school, by_gender = report.breakdowns
    assert _counts(by_direction) == {
        "General → vocational": (3, 2, 2, 1),
        "Vocational → general": (1, 1, 1, 0),
    }
    assert _counts(by_school) == {
        world.general.name: (3, 2, 2, 1),
        world.vocational.name: (1, 1, 1, 0),
    }
    assert _counts(by_gender) == {"Male": (2, 1, 1, 1), "Female": (2, 2, 2, 0)}


def test_a_withdrawal_after_the_assessment_still_counts(world):
    policy, ranked = published_ranking(world, seats=1, bonuses=[10, 5])
    services.application_withdraw(actor=ranked[1].student.user, application=ranked[1])
    report = fairness_report(policy)
    assert (report.total.applicants, report.total.met) == (2, 2)


def test_seat_fill_and_cut_off_per_programme(world, allocated):
    policy, apps = allocated

    report = fairness_report(policy)

    rows = {(p.school, p.major): p for p in report.programmes}
    assert len(rows) == 4
    to_vocational = rows[(world.vocational.name, world.major.name)]
    assert (to_vocational.seats, to_vocational.taken, to_vocational.fill_percent) == (2, 2, 100)
    assert to_vocational.cut_off == apps["yi"].total_score  # the lower of 甲's and 乙's
    assert apps["yi"].total_score < apps["jia"].total_score
    to_general = rows[(world.general.name, world.major.name)]
    assert (to_general.seats, to_general.taken, to_general.fill_percent) == (2, 1, 50)
    assert to_general.cut_off == apps["ding"].total_score
    empty = rows[(world.vocational.name, world.major_without_class.name)]
    assert (empty.seats, empty.taken, empty.fill_percent, empty.cut_off) == (2, 0, 0, None)
    none_offered = rows[(world.general.name, world.major_without_class.name)]
    assert (none_offered.seats, none_offered.fill_percent) == (0, None)


def test_justified_envy_is_not_counted_before_any_seat_is_given(world):
    policy, _ranked = published_ranking(world, seats=2, bonuses=[30, 20, 10])
    report = fairness_report(policy)
    assert report.envy_counted is False
    assert report.envy_count == 0


def test_justified_envy_is_zero_after_the_allocation(world):
    policy, ranked = published_ranking(world, seats=2, bonuses=[30, 20, 10, 5, None])
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)

    report = fairness_report(policy)

    assert report.envy_counted is True
    assert report.envy_count == 0
    assert report.envy == []


def test_a_seat_holder_planted_out_of_rank_order_is_one_case_of_justified_envy(world, client):
    """The services give seats in rank order only, so the unfair state cannot be reached
    through them: to see the report catch it, the test writes the states directly with
    ``QuerySet.update``, past ``application_transition`` and its history, on purpose. The
    second-ranked applicant goes back to the waiting list and the third takes their seat."""
    policy, ranked = published_ranking(world, seats=2, bonuses=[30, 20, 10, 5])
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    first, second, third, fourth = ranked
    Application.objects.filter(pk=second.pk).update(state=S.WAITLISTED)
    Application.objects.filter(pk=third.pk).update(state=S.RECOMMENDED)

    report = fairness_report(policy)

    # The fourth, also waiting, ranks below both seat holders: no case.
    assert report.envy_count == 1
    (case,) = report.envy
    assert case.applicant.name == second.student.name
    assert (case.applicant.rank, case.applicant.total_score) == (2, second.total_score)
    assert [holder.name for holder in case.below] == [third.student.name]
    assert case.free_seat is False
    assert (case.school, case.major) == (world.vocational.name, world.major.name)

    client.force_login(world.bureau)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("transfers:fairness", args=[policy.pk])).content.decode()
    assert "Justified envy: 1 case. It must read 0" in page
    assert second.student.name in page
    assert f"{third.student.name} (total {third.total_score}, rank 3)" in page
    # Rightly seated, and rightly waiting: no part of the case.
    assert first.student.name not in page
    assert fourth.student.name not in page


def test_a_seat_left_free_while_someone_waits_is_justified_envy(world):
    """As above, written past the services on purpose: the second-ranked applicant is put
    back on the waiting list without the seat moving to anyone."""
    policy, ranked = published_ranking(world, seats=2, bonuses=[30, 20, 10])
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    Application.objects.filter(pk=ranked[1].pk).update(state=S.WAITLISTED)

    report = fairness_report(policy)

    # Both waiting applicants could take the free seat.
    assert {c.applicant.name for c in report.envy} == {
        ranked[1].student.name,
        ranked[2].student.name,
    }
    assert all(c.free_seat and c.below == [] for c in report.envy)


@pytest.mark.parametrize("persona", ["district", "bureau"])
def test_the_page_renders_for_the_areas_district_and_the_citys_bureau(
    world, allocated, client, persona
):
    policy, apps = allocated
    client.force_login(getattr(world, persona))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("transfers:fairness", args=[policy.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Fairness report" in page
    assert "except those withdrawn before the assessment" in page
    assert "General → vocational" in page
    assert world.vocational.name in page
    assert "100%" in page and "50%" in page
    assert "Justified envy: 0. The seats follow the rank order." in page
    assert "this count must read 0" in page
    assert '<th scope="col">' in page and '<th scope="row">' in page


@pytest.mark.parametrize("persona", ["district", "bureau"])
def test_the_page_renders_in_chinese(world, allocated, client, persona):
    policy, _apps = allocated
    client.force_login(getattr(world, persona))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get(reverse("transfers:fairness", args=[policy.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "普高转中职" in page  # the direction, translated
    assert "转入学校" in page  # "Receiving school"
    assert "女" in page
    assert "Receiving school" not in page


@pytest.mark.parametrize("persona", ["district_other", "bureau_other", "registrar_general"])
def test_it_is_not_there_for_anyone_else(world, policy, client, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("transfers:fairness", args=[policy.pk])).status_code == 404


def test_it_is_not_there_for_a_student(world, policy, applicant, client):
    client.force_login(applicant.user)
    assert client.get(reverse("transfers:fairness", args=[policy.pk])).status_code == 404


def test_the_policy_page_links_to_it_for_the_district_and_the_bureau(world, policy, client):
    url = reverse("transfers:fairness", args=[policy.pk])
    detail = reverse("transfers:policy_detail", args=[policy.pk])
    for user in (world.district, world.bureau):
        client.force_login(user)
        assert url in client.get(detail).content.decode()
    client.force_login(world.registrar_general)
    assert url not in client.get(detail).content.decode()


def test_the_pages_queries_do_not_grow_with_the_applicants(
    world, client, django_assert_max_num_queries
):
    policy, ranked = published_ranking(world, seats=2, bonuses=[30, 20, 10])
    services.allocation_confirm(actor=world.district, policy=policy, now=AFTER_NOTICE)
    url = reverse("transfers:fairness", args=[policy.pk])
    client.force_login(world.bureau)
    client.get(url)  # the session and its user, once
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    # Eight more, of both schools and both genders, and a case of justified envy.
    for i in range(8):
        school = world.vocational if i % 2 else world.general
        student = enrol(world, school=school)
        Student.objects.filter(pk=student.pk).update(gender=F if i % 3 == 0 else M)
        give_credits(world, student)
        drive(world, submit(policy, student), S.ELIGIBLE)
    Application.objects.filter(pk=ranked[0].pk).update(state=S.WAITLISTED)
    assert fairness_report(policy).total.applicants == 11

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
