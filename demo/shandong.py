"""The Shandong part of the demo: Weifang's two counties run the Shandong pack (issue 14).

寿光市 tells three windows of the 2025 cohort, each a version of the county's policy:
- at the end of grade 10's first semester a student moves to the vocational school, assessed
  by the receiving (vocational) school; another withdraws;
- at the end of its second semester the first returns to the general school (a transfer
  back, assessed by the general school), and the second applies again;
- at the end of grade 11's first semester (open now) students apply to the vocational school
  only: Shandong opens no vocational → general window in grade 11.
青州市's window is open now, with one applicant assessed by the receiving school and awaiting
the district's publication; one of its cooperative majors is a five-year programme, closed
to students moving in.

Every step goes through the services, dated at its time in the story.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from schools.models import Pairing, PilotArea, User
from students.models import StatusRecord
from transfers import services
from transfers.models import Application, TransferPolicy
from transfers.selectors import transfer_options_for_student

from .story import SEATS, STANDARDS, _recognition_rules

D = Decimal
WEIFANG = "370700"
PACK = "shandong-2026"
#: The share of each maximum score the demo's applicants reach.
SCORE_SHARE = D("0.86")


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour)), timezone.get_current_timezone()
    )


def build(cohort_year: int, now: datetime.datetime) -> None:
    for area in PilotArea.objects.filter(municipality__code=WEIFANG).order_by("-code"):
        pairing = Pairing.objects.filter(pilot_area=area).first()
        if pairing is None:
            continue
        _recognition_rules(pairing)
        if TransferPolicy.objects.filter(pilot_area=area, cohort_year=cohort_year).exists():
            continue
        if area.slug == "shouguang":
            _three_windows(area, pairing, cohort_year, now)
        else:
            _open_window(area, pairing, cohort_year, now)


class _People:
    def __init__(self, area: PilotArea, pairing: Pairing):
        self.district = User.objects.get(role=User.Role.DISTRICT, pilot_area=area)
        self.bureau = User.objects.get(role=User.Role.BUREAU, municipality_id=area.municipality_id)
        self.general = pairing.general_school
        self.vocational = pairing.vocational_school

    def registrar(self, school) -> User:
        return User.objects.filter(role=User.Role.REGISTRAR, school=school).earliest("pk")


def _window(cohort_year: int, term: str, now: datetime.datetime) -> tuple:
    """A window inside what the calendar allows at ``term``'s end: open now if now is in
    those bounds, else the first three weeks of them."""
    earliest, latest = services.policy_window_bounds(cohort_year, term)
    today = timezone.localdate(now)
    if earliest <= today <= latest:
        opens = max(earliest, today - datetime.timedelta(days=10))
        closes = min(latest, today + datetime.timedelta(days=30))
    else:
        opens, closes = earliest, min(latest, earliest + datetime.timedelta(days=21))
    return _at(opens, 8), _at(closes, 17)


def _quotas(pairing: Pairing) -> list:
    return [
        services.QuotaSpec(school, cooperation.major, SEATS)
        for school in (pairing.general_school, pairing.vocational_school)
        for cooperation in pairing.cooperations.select_related("major")
    ]


def _publish(people: _People, policy: TransferPolicy) -> TransferPolicy:
    """Sent and approved the day before the window opens, then published."""
    written = policy.window_opens - datetime.timedelta(days=1)
    services.policy_submit(actor=people.district, policy=policy, now=written)
    services.policy_review(
        actor=people.bureau, policy=policy, approve=True, comment="同意。", now=written
    )
    return services.policy_publish(actor=people.district, policy=policy)


def _first_version(area, pairing, cohort_year, term, now) -> TransferPolicy:
    opens, closes = _window(cohort_year, term, now)
    return services.policy_create(
        actor=User.objects.get(role=User.Role.DISTRICT, pilot_area=area),
        pilot_area=area,
        cohort_year=cohort_year,
        title=f"{area.name}{cohort_year}级普职学籍互转实施细则",
        window_opens=opens,
        window_closes=closes,
        components=[services.ComponentSpec(*row) for row in STANDARDS],
        quotas=_quotas(pairing),
        tie_break=[],
        rule_pack=PACK,
        window_term=term,
    )


def _next_window(people, policy, cohort_year, term, now) -> TransferPolicy:
    """The next window: a new version of the policy, at the next semester end."""
    draft = services.policy_new_version(actor=people.district, policy=policy)
    opens, closes = _window(cohort_year, term, now)
    services.policy_update(
        actor=people.district,
        policy=draft,
        window_term=term,
        window_opens=opens,
        window_closes=closes,
    )
    return _publish(people, draft)


def _login(student) -> User:
    if student.user is None:  # never: seed_demo gives every student a login
        raise AttributeError(f"{student} has no login")
    return student.user


def _apply(policy, status: StatusRecord, when, *, major=None) -> Application:
    student = status.student
    return services.application_submit(
        actor=_login(student),
        policy=policy,
        to_major=major or transfer_options_for_student(student.user, policy)[1].order_by("code")[0],
        reason="希望根据自己的学习情况选择更适合的发展方向。",
        guardian_name=student.guardian_name,
        guardian_relation="父亲",
        guardian_phone=student.guardian_phone,
        guardian_consent_date=timezone.localdate(when),
        now=when,
    )


def _assess(people, application) -> None:
    """The registrar of the receiving school scores the applicant (the Shandong pack)."""
    services.application_confirm_eligibility(
        actor=people.registrar(application.from_school), application=application, eligible=True
    )
    application.refresh_from_db()
    services.scores_enter(
        actor=people.registrar(application.to_school),
        policy=application.policy,
        scores={
            application.pk: {
                c.pk: (c.max_score * SCORE_SHARE).quantize(D("0.1"))
                for c in application.policy.components.filter(direction=application.direction)
            }
        },
    )


def _complete(people, application, published_at) -> Application:
    _assess(people, application)
    services.results_publish(actor=people.district, policy=application.policy, now=published_at)
    application.refresh_from_db()
    services.application_recommend(
        actor=people.district,
        application=application,
        recommend=True,
        now=application.notice_ends_at() + datetime.timedelta(hours=1),
    )
    services.application_approve(actor=people.bureau, application=application)
    application.refresh_from_db()
    return application


def _students(school, cohort_year, count) -> list[StatusRecord]:
    return list(
        StatusRecord.objects.filter(
            school=school,
            state=StatusRecord.State.ACTIVE,
            integration_class__cohort_year=cohort_year,
        )
        .select_related("student__user", "integration_class", "school")
        .order_by("student__student_number")[:count]
    )


def _three_windows(area, pairing, cohort_year, now) -> None:
    people = _People(area, pairing)
    mover, again, later = _students(people.general, cohort_year, 3)

    first = _publish(people, _first_version(area, pairing, cohort_year, "10-1", now))
    inside = first.window_opens + datetime.timedelta(days=3)
    moved = _complete(
        people, _apply(first, mover, inside), first.window_closes + datetime.timedelta(days=2)
    )
    withdrawn = _apply(first, again, inside)
    services.application_withdraw(actor=_login(again.student), application=withdrawn)

    second = _next_window(people, first, cohort_year, "10-2", now)
    inside = second.window_opens + datetime.timedelta(days=3)
    returning = moved.new_status
    if returning is None:  # never: a completed transfer has its new status
        raise AttributeError(f"{moved} has no new status")
    _complete(
        people,
        _apply(second, returning, inside),
        second.window_closes + datetime.timedelta(days=2),
    )
    # The one who withdrew applies again in the second window; the receiving school is to
    # assess them.
    services.application_confirm_eligibility(
        actor=people.registrar(people.general),
        application=_apply(second, again, inside),
        eligible=True,
    )

    third = _next_window(people, second, cohort_year, "11-1", now)
    _apply(third, later, min(now, third.window_closes - datetime.timedelta(hours=1)))


def _open_window(area, pairing, cohort_year, now) -> None:
    people = _People(area, pairing)
    policy = _publish(people, _first_version(area, pairing, cohort_year, "11-1", now))
    when = min(now, policy.window_closes - datetime.timedelta(hours=1))
    assessed, waiting = _students(people.general, cohort_year, 2)
    _assess(people, _apply(policy, assessed, when))
    _apply(policy, waiting, when)
