"""Rule packs (issue 14): each pack drives one full cycle through the services, and each of
its criteria that refuses says which setting refused and where the setting comes from.

The calendar is the transfer world's: the 2024 cohort's first semester runs 2024-09-01 to
2025-01-20, the second 2025-02-20 to 2025-08-31.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from transfer_world import (
    COHORT,
    NOTICE_DAYS,
    D,
    S,
    at,
    draft_policy,
    enrol,
    give_credits,
    scores_for,
    submit,
)

from credits.models import CreditRecord
from schools.models import AdmissionLine, CooperativeMajor, ProgrammeType
from students.models import ProficiencyResult, StatusRecord
from transfers import services
from transfers.models import Application, TransferPolicy
from transfers.rules import PACKS, pack_values, policy_rule_rows

pytestmark = pytest.mark.django_db


def publish(world, pack: str, *, opens, closes, written_at, **settings) -> TransferPolicy:
    """The district writes a policy from ``pack``; the bureau approves it; it is published."""
    policy = draft_policy(
        world, rule_pack=pack, window_opens=opens, window_closes=closes, **settings
    )
    return _approve_and_publish(world, policy, written_at)


def _approve_and_publish(world, policy, written_at) -> TransferPolicy:
    services.policy_submit(actor=world.district, policy=policy, now=written_at)
    services.policy_review(
        actor=world.bureau, policy=policy, approve=True, comment="同意。", now=written_at
    )
    return services.policy_publish(actor=world.district, policy=policy)


def cycle(world, application: Application, *, assessor, published_at) -> Application:
    """Eligibility at the sending school, scores by ``assessor``, results on notice, the
    district's recommendation after it, the bureau's approval: the status moves."""
    services.application_confirm_eligibility(
        actor=world.registrar_of(application.from_school), application=application, eligible=True
    )
    application.refresh_from_db()
    services.scores_enter(
        actor=assessor,
        policy=application.policy,
        scores={application.pk: scores_for(application)},
    )
    services.results_publish(actor=world.district, policy=application.policy, now=published_at)
    application.refresh_from_db()
    services.application_recommend(
        actor=world.district,
        application=application,
        recommend=True,
        now=application.notice_ends_at() + datetime.timedelta(hours=1),
    )
    with time_machine.travel(published_at + datetime.timedelta(days=20), tick=False):
        services.application_approve(actor=world.bureau, application=application)
    application.refresh_from_db()
    return application


def _active_school(student):
    return student.status_records.get(state=StatusRecord.State.ACTIVE).school


# --- Hangzhou: the default, today's behaviour ---------------------------------------------


def test_a_policy_without_a_pack_is_hangzhous_with_every_setting_of_the_pack(world):
    policy = draft_policy(world)

    assert policy.rule_pack == "hangzhou-2023"
    for name, value in pack_values("hangzhou-2023").items():
        if name not in ("notice_days",):  # the transfer world's district sets its own
            assert getattr(policy, name) == value, name
    assert policy.assessor == "district" and policy.max_applications == 1


def test_hangzhou_cycle_the_district_assesses_and_the_student_applies_once(world):
    policy = publish(
        world,
        "hangzhou-2023",
        opens=at(2025, 1, 10, 8),
        closes=at(2025, 2, 10, 17),
        written_at=at(2025, 1, 5),
    )
    student = enrol(world, name="李雷")
    give_credits(world, student)

    done = cycle(
        world, submit(policy, student), assessor=world.district, published_at=at(2025, 2, 12)
    )

    assert done.state == S.COMPLETED
    assert _active_school(student) == world.vocational
    with pytest.raises(ValidationError, match="only once"):
        submit(policy, student)


def test_under_hangzhou_the_receiving_school_cannot_score(world):
    policy = publish(
        world,
        "hangzhou-2023",
        opens=at(2025, 1, 10, 8),
        closes=at(2025, 2, 10, 17),
        written_at=at(2025, 1, 5),
    )
    application = submit(policy, enrol(world))
    services.application_confirm_eligibility(
        actor=world.registrar_general, application=application, eligible=True
    )

    with pytest.raises(Exception) as refused:
        services.scores_enter(
            actor=world.registrar_vocational,
            policy=policy,
            scores={application.pk: scores_for(application)},
        )
    assert type(refused.value).__name__ in ("PermissionDenied", "NotFound")


# --- Shandong: windows per direction, the receiving school assesses, a transfer back --------


@pytest.fixture
def shandong(world):
    return publish(
        world,
        "shandong-2026",
        opens=at(2025, 1, 10, 8),
        closes=at(2025, 2, 10, 17),
        written_at=at(2025, 1, 5),
    )


def test_shandong_cycle_assessed_by_the_receiving_school_then_a_transfer_back(world, shandong):
    student = enrol(world, name="韩梅梅")
    give_credits(world, student)
    originals = set(CreditRecord.objects.filter(student=student).values_list("pk", flat=True))

    moved = cycle(
        world,
        submit(shandong, student),
        assessor=world.registrar_vocational,  # the receiving school
        published_at=at(2025, 2, 12),
    )
    assert moved.state == S.COMPLETED and not moved.transfer_back
    assert _active_school(student) == world.vocational
    recognised_once = CreditRecord.objects.filter(student=student).count()
    assert recognised_once > len(originals)

    # A later window: the end of grade 10's second semester, a new version of the policy.
    later = services.policy_new_version(actor=world.district, policy=shandong)
    services.policy_update(
        actor=world.district,
        policy=later,
        window_term="10-2",
        window_opens=at(2025, 7, 1, 8),
        window_closes=at(2025, 7, 20, 17),
    )
    later = _approve_and_publish(world, later, at(2025, 6, 20))
    back = submit(later, student, major=world.major, now=at(2025, 7, 5))
    assert back.transfer_back and back.to_school == world.general
    assert (back.attempt, back.attempts_allowed) == (2, 3)

    returned = cycle(
        world,
        back,
        assessor=world.registrar_general,  # now the general school receives
        published_at=at(2025, 7, 25),
    )

    assert returned.state == S.COMPLETED
    assert _active_school(student) == world.general
    # The credits earned at the general school are its own again, not copies of copies: the
    # originals stay, nothing recognised on the way out comes back.
    records = CreditRecord.objects.filter(student=student)
    assert records.count() == recognised_once
    assert set(records.filter(recognised_from__isnull=True).values_list("pk", flat=True)) == (
        originals
    )
    with pytest.raises(ValidationError, match="already moved back as often"):
        submit(later, student, now=at(2025, 7, 6))


def test_shandong_keeps_five_year_programmes_closed_to_students_moving_in(world, shandong):
    CooperativeMajor.objects.filter(pairing=world.pairing, major=world.major_without_class).update(
        programme_type=ProgrammeType.FIVE_YEAR
    )
    student = enrol(world)

    with pytest.raises(ValidationError) as refused:
        submit(shandong, student, major=world.major_without_class)

    message = refused.value.messages[0]
    assert "5-year integrated" in message
    assert "Programmes not open (general → vocational)" in message
    assert "Shandong 2026" in message and "article not held here" in message


def test_shandong_opens_no_vocational_to_general_window_in_grade_11(world):
    from factories import TermFactory

    from schools.models import Term

    # The term calendar of grade 11.
    first = TermFactory(academic_year__start_year=COHORT + 1, semester=Term.Semester.FIRST)
    TermFactory(academic_year=first.academic_year, semester=Term.Semester.SECOND)
    policy = draft_policy(
        world,
        rule_pack="shandong-2026",
        window_term="11-1",
        window_opens=at(2025, 12, 1, 8),
        window_closes=at(2026, 1, 10, 17),
    )
    policy = _approve_and_publish(world, policy, at(2025, 11, 1))
    student = enrol(world, school=world.vocational)

    with pytest.raises(ValidationError) as refused:
        submit(policy, student, major=world.major, now=at(2025, 12, 5))

    message = refused.value.messages[0]
    assert "Windows for vocational → general" in message
    assert "end of grade 11, semester 1" in message and "Shandong 2026" in message


def test_a_setting_the_pack_fixes_is_refused_naming_it_and_its_source(world):
    with pytest.raises(ValidationError) as refused:
        draft_policy(world, rule_pack="shandong-2026", assessor="district")

    message = refused.value.message_dict["assessor"][0]
    assert "Who assesses is set by the pack Shandong 2026" in message
    assert "the receiving school" in message


def test_a_local_change_shows_as_a_difference_from_the_pack(world):
    policy = draft_policy(world, rule_pack="shandong-2026", min_first_semester_credits=D(4))

    differing = {row.name for row in policy_rule_rows(policy) if row.differs}

    assert "min_first_semester_credits" in differing
    assert "assessor" not in differing


# --- Wenzhou: the entrance exam line, an application period before the semester ends ------


@pytest.fixture
def wenzhou(world):
    return publish(
        world,
        "wenzhou-2024",
        opens=at(2024, 11, 20, 8),
        closes=at(2024, 12, 15, 17),
        written_at=at(2024, 11, 1),
    )


def test_wenzhou_closes_the_window_a_month_before_the_semester_ends(world):
    with pytest.raises(ValidationError, match="2024年12月21日|Dec. 21, 2024"):
        draft_policy(
            world,
            rule_pack="wenzhou-2024",
            window_opens=at(2024, 11, 20, 8),
            window_closes=at(2025, 1, 10, 17),
        )


def test_wenzhou_asks_for_the_entrance_exam_line_of_the_receiving_school(world, wenzhou):
    student = enrol(world, school=world.vocational, name="王小明")
    submitting = at(2024, 11, 25)

    with pytest.raises(ValidationError, match="entrance exam score and its year are not"):
        submit(wenzhou, student, major=world.major, now=submitting)

    student.entrance_exam_year, student.entrance_exam_score = 2024, D("590.0")
    student.save()
    with pytest.raises(ValidationError, match="admission line of .* for 2024 is not recorded"):
        submit(wenzhou, student, major=world.major, now=submitting)

    AdmissionLine.objects.create(
        municipality=world.area.municipality, school=world.general, year=2024, score=D("600")
    )
    with pytest.raises(ValidationError) as refused:
        submit(wenzhou, student, major=world.major, now=submitting)
    message = refused.value.messages[0]
    assert "590.0 is below the 2024 admission line" in message
    assert "Wenzhou 2024" in message and "Entrance exam score (vocational → general)" in message

    student.entrance_exam_score = D("612.5")
    student.save()
    application = submit(wenzhou, student, major=world.major, now=submitting)
    done = cycle(
        world, application, assessor=world.registrar_general, published_at=at(2024, 12, 20)
    )
    assert done.state == S.COMPLETED
    assert _active_school(student) == world.general


# --- Xiamen: proficiency tests, two choices, after grade 10 --------------------------------


@pytest.fixture
def xiamen(world):
    from transfers.services import QuotaSpec

    return publish(
        world,
        "xiamen-2022",
        opens=at(2025, 7, 1, 8),
        closes=at(2025, 7, 20, 17),
        written_at=at(2025, 6, 20),
        quotas=[
            QuotaSpec(world.vocational, world.major, 4),
            QuotaSpec(world.vocational, world.major_without_class, 4),
            QuotaSpec(world.general, world.major, 4),
            QuotaSpec(world.general, world.major_without_class, 2),
        ],
    )


def test_xiamen_asks_for_proficiency_passes_and_takes_two_choices(world, xiamen):
    assert xiamen.window_term == "10-2" and xiamen.max_choices == 2
    student = enrol(world, school=world.vocational, name="陈小红")
    submitting = at(2025, 7, 5)

    def apply():
        return services.application_submit(
            actor=student.user,
            policy=xiamen,
            to_major=world.major,
            more_choices=[world.major_without_class],
            reason="希望转入普通高中学习。",
            guardian_name="陈父",
            guardian_relation="父亲",
            guardian_phone="13800002222",
            guardian_consent_date=datetime.date(2025, 7, 4),
            now=submitting,
        )

    with pytest.raises(ValidationError) as refused:
        apply()
    message = refused.value.messages[0]
    assert "No proficiency test result is recorded for 化学、地理、生物" in message
    assert "Xiamen 2022" in message

    taken = datetime.date(2025, 6, 15)
    for subject in ("化学", "地理"):
        ProficiencyResult.objects.create(
            student=student, subject=subject, passed=True, taken_on=taken
        )
    ProficiencyResult.objects.create(student=student, subject="生物", passed=False, taken_on=taken)
    with pytest.raises(ValidationError, match="not passed the proficiency test in 生物"):
        apply()

    ProficiencyResult.objects.create(
        student=student, subject="生物", passed=True, taken_on=datetime.date(2025, 6, 28)
    )
    application = apply()
    assert list(application.choices.values_list("major", flat=True)) == [
        world.major.pk,
        world.major_without_class.pk,
    ]
    done = cycle(world, application, assessor=world.district, published_at=at(2025, 7, 25))
    assert done.state == S.COMPLETED


def test_every_pack_names_a_source_for_every_setting():
    for pack in PACKS.values():
        for name, rule in pack.rules.items():
            assert rule.source.text(), (pack.key, name)


# --- the notice period in working days -------------------------------------------------------


def test_a_notice_in_working_days_skips_the_national_day_holiday_and_counts_its_make_up_day(
    world,
):
    policy = draft_policy(world, notice_working_days=True)
    published = at(2026, 9, 30, 10)

    # 1 Oct to 7 Oct is the holiday; Saturday 10 Oct is a make-up working day.
    assert policy.notice_ends(published) == at(2026, 10, 13, 10)
    policy.notice_working_days = False
    assert policy.notice_ends(published) == published + datetime.timedelta(days=NOTICE_DAYS)


def test_a_notice_in_working_days_past_the_calendar_is_refused_clearly(world):
    policy = draft_policy(world, notice_working_days=True)

    with pytest.raises(ValidationError, match="does not yet hold the holidays of 2027"):
        policy.notice_ends(at(2026, 12, 28, 10))
    # A window whose notice would run into such a year cannot be sent or approved.
    policy.window_closes = at(2026, 12, 20, 17)
    assert any("holidays of 2027" in problem for problem in services.policy_problems(policy))


def test_a_new_version_of_the_same_window_is_no_later_window_for_a_transfer_back(world, shandong):
    student = enrol(world)
    give_credits(world, student)
    cycle(
        world,
        submit(shandong, student),
        assessor=world.registrar_vocational,
        published_at=at(2025, 2, 12),
    )
    corrected = services.policy_new_version(actor=world.district, policy=shandong)
    services.policy_update(actor=world.district, policy=corrected, title="更正版")
    corrected = _approve_and_publish(world, corrected, at(2025, 1, 5))
    assert corrected.window_term == shandong.window_term

    with pytest.raises(ValidationError, match="later window than the move"):
        submit(corrected, student, major=world.major)
