"""The Hangzhou demo: built from the seeds, reproducible, and never on a production site."""

import datetime
import io
import zoneinfo

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from credits.models import CreditRecord, RecognitionRule
from schools.models import Pairing, PilotArea, School, User
from students.models import StatusRecord, StatusReview, Student
from transfers.models import Application, TransferPolicy

pytestmark = pytest.mark.django_db

IN_SEASON = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
MODELS = [
    PilotArea,
    School,
    Pairing,
    Student,
    StatusRecord,
    CreditRecord,
    RecognitionRule,
    TransferPolicy,
    Application,
    User,
]


def _snapshot() -> str:
    return "".join(serializers.serialize("json", model.objects.order_by("pk")) for model in MODELS)


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")

    assert not User.objects.exists()


def test_it_builds_the_four_hangzhou_pilot_areas_with_logins(time_machine):
    time_machine.move_to(IN_SEASON, tick=False)
    printed = _seed()

    assert set(
        PilotArea.objects.filter(municipality__name="杭州市").values_list("slug", flat=True)
    ) == {
        "yuhang",
        "linping",
        "fuyang",
        "jiande",
    }
    for area in PilotArea.objects.all():
        pairing = Pairing.objects.get(pilot_area=area)
        assert pairing.general_school.kind == School.Kind.GENERAL
        assert pairing.vocational_school.kind == School.Kind.VOCATIONAL
        assert pairing.cooperative_majors.count() >= 1
    hangzhou = Student.objects.filter(status_records__school__municipality__name="杭州市")
    assert 280 <= hangzhou.distinct().count() <= 320
    assert StatusRecord.objects.filter(state=StatusRecord.State.ACTIVE).count() == (
        Student.objects.count()
    )
    assert CreditRecord.objects.filter(recognised_from__isnull=True).exists()
    # Every role has something to do: applications in every state, a review under way.
    assert set(Application.objects.values_list("state", flat=True)) >= {
        Application.State.SUBMITTED,
        Application.State.ELIGIBLE,
        Application.State.PUBLISHED,
        Application.State.RECOMMENDED,
        Application.State.COMPLETED,
    }
    assert StatusReview.objects.exists()
    for username in ("bureau", "district-yuhang", "registrar-3301100101", "admin"):
        assert username in printed
        assert User.objects.get(username=username).check_password("demo12345")
    student = Student.objects.order_by("pk").first()
    assert student.user.username == student.student_number
    assert student.student_number in printed


def test_running_it_twice_gives_the_same_data(time_machine):
    time_machine.move_to(IN_SEASON, tick=False)
    _seed()
    first = _snapshot()

    _seed()

    assert _snapshot() == first


def test_in_the_demo_no_seat_goes_out_of_rank_order(time_machine):
    time_machine.move_to(IN_SEASON, tick=False)
    _seed()

    holding = (Application.State.RECOMMENDED, Application.State.APPROVED)
    decided_or_holding = Application.objects.filter(
        state__in=[*holding, Application.State.COMPLETED, Application.State.REJECTED]
    )
    assert decided_or_holding.exists()
    for application in decided_or_holding:
        passed_over = Application.objects.filter(
            policy=application.policy,
            to_school=application.to_school,
            to_major=application.to_major,
            state=Application.State.PUBLISHED,
            rank__lt=application.rank,
        )
        assert not passed_over.exists(), (application, list(passed_over))


def test_the_demo_tells_a_fair_selection(time_machine):
    """No seat out of rank order anywhere; one corrected results version with the difference
    shown; one programme whose tie is broken by the stated rule; one policy with two choices,
    allocated by deferred acceptance; a confirmed allocation and a move up the waiting list."""
    from transfers.models import (
        Allocation,
        ApplicationChoice,
        ApplicationEvent,
        ResultsVersion,
        TransferPolicy,
    )
    from transfers.selectors import seat_order_violations

    time_machine.move_to(IN_SEASON, tick=False)
    _seed()

    from transfers.fairness import fairness_report

    for policy in TransferPolicy.objects.all():
        assert seat_order_violations(policy) == [], policy
        assert fairness_report(policy).envy_count == 0, policy
    corrected = [
        change
        for version in ResultsVersion.objects.filter(number__gte=2)
        for change in version.changes
        if change["why"] == "corrected"
    ]
    assert any(c["from_rank"] != c["to_rank"] and c["to_in_seats"] for c in corrected)
    # The tie: equal totals in one programme, ranked by the interview, not the submission.
    tied_policy = TransferPolicy.objects.get(tie_break=["面试"])
    pairs = {}
    for application in Application.objects.filter(policy=tied_policy, passed=True):
        key = (application.to_school_id, application.to_major_id, application.total_score)
        pairs.setdefault(key, []).append(application)
    ties = [group for group in pairs.values() if len(group) == 2]
    assert ties
    first, second = sorted(ties[0], key=lambda a: a.submitted_at)
    interview = {a.pk: a.scores.get(component__name="面试").value for a in (first, second)}
    assert interview[second.pk] > interview[first.pk]
    choice_rank = {
        c.application_id: c.rank
        for c in ApplicationChoice.objects.filter(application__in=[first, second], order=1)
    }
    assert choice_rank[second.pk] < choice_rank[first.pk]
    # Two choices: someone holds a seat of their second choice.
    two = TransferPolicy.objects.get(max_choices=2)
    placed_second = [
        a
        for a in Application.objects.filter(policy=two, state__in=["recommended", "completed"])
        if a.choices.get(order=2).major_id == a.to_major_id
    ]
    assert placed_second
    assert Allocation.objects.filter(policy__in=[tied_policy, two]).count() == 2
    assert ApplicationEvent.objects.filter(actor=None, to_state="recommended").exists()


def test_weifang_runs_the_shandong_pack_in_two_counties(time_machine):
    """Issue 14's demo: a student in a second window, an assessment by the receiving school,
    a transfer back, and a five-year programme closed to students moving in."""
    time_machine.move_to(IN_SEASON, tick=False)
    _seed()

    areas = PilotArea.objects.filter(municipality__name="潍坊市")
    assert set(areas.values_list("county", flat=True)) == {"寿光市", "青州市"}
    policies = TransferPolicy.objects.filter(pilot_area__in=areas)
    assert set(policies.values_list("rule_pack", flat=True)) == {"shandong-2026"}
    shouguang = policies.filter(pilot_area__slug="shouguang")
    assert list(shouguang.order_by("version").values_list("window_term", "state")) == [
        ("10-1", "superseded"),
        ("10-2", "superseded"),
        ("11-1", "published"),
    ]
    applications = Application.objects.filter(policy__pilot_area__in=areas)
    back = applications.get(transfer_back=True)
    assert (back.state, back.direction, back.attempt) == ("completed", "v2g", 2)
    assert applications.filter(attempt=2, transfer_back=False, state="eligible").exists()
    assessed = applications.get(state="assessed")
    scorer = assessed.events.get(to_state="assessed").actor
    assert (scorer.role, scorer.school) == (User.Role.REGISTRAR, assessed.to_school)
    # Grade 11's window is open to general → vocational applicants only.
    assert set(applications.filter(state="submitted").values_list("direction", flat=True)) == {
        "g2v"
    }
