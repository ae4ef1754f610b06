"""The transfer part of the demo: a published policy per pilot area with the window open now,
credit recognition rules, and applications in every state, all made through the services
so the demo's history is the same as a real one."""

import datetime
from decimal import Decimal

from django.utils import timezone

from credits.models import Course, RecognitionRule
from schools.models import Pairing, PilotArea, User
from students.models import StatusRecord
from transfers import services
from transfers.models import Application, TransferPolicy

D = Decimal
STANDARDS = [
    ("g2v", "written", "专业基础知识", D(100), D(60), D("0.4")),
    ("g2v", "skills", "专业技能测试", D(100), D(60), D("0.3")),
    ("g2v", "interview", "面试", D(100), D(60), D("0.3")),
    ("v2g", "written", "语文", D(150), D(90), D("0.3")),
    ("v2g", "written", "数学", D(150), D(90), D("0.3")),
    ("v2g", "written", "英语", D(150), D(90), D("0.2")),
    ("v2g", "interview", "面试", D(100), D(60), D("0.2")),
]
SEATS = 4
HANGZHOU = "330100"
#: Two applicants with the same weighted total (84.00), in each direction: the second has
#: the better interview, so a tie-break by the interview ranks them the other way round.
TIED = {
    "g2v": [
        {"专业基础知识": D(90), "专业技能测试": D(80), "面试": D(80)},
        {"专业基础知识": D(84), "专业技能测试": D(84), "面试": D(84)},
    ],
    "v2g": [
        {"语文": D(135), "数学": D(135), "英语": D(120), "面试": D(70)},
        {"语文": D(126), "数学": D(126), "英语": D(126), "面试": D(84)},
    ],
}

# What the applicants of each area's general (and vocational) class end up as, in order.
STORY = [
    "completed",
    "recommended",
    "recommended_2",
    "rejected",
    "not_recommended",
    "objection",
    "published",
    "assessed",
    "eligible",
    "eligible_2",
    "ineligible",
    "withdrawn",
    "submitted",
    "submitted_2",
]


def build(cohort_year: int, now: datetime.datetime) -> None:
    """Four stories, an area each (by region code): every state of an application on the
    way (the first and last areas); a whole selection, allocated and decided, with a tie
    broken by the stated rule and a result corrected after an objection (the second); and a
    selection with two ordered choices each, allocated by deferred acceptance (the third)."""
    # Hangzhou's areas (Weifang's tell the Shandong story: ``demo.shandong``).
    for index, area in enumerate(
        PilotArea.objects.filter(municipality__code=HANGZHOU).order_by("code")
    ):
        pairing = Pairing.objects.filter(pilot_area=area).first()
        if pairing is None:
            continue
        _recognition_rules(pairing)
        if TransferPolicy.objects.filter(pilot_area=area, cohort_year=cohort_year).exists():
            continue
        story = {1: "allocated", 2: "two choices"}.get(index, "every state")
        policy = _policy(
            area,
            pairing,
            cohort_year,
            now,
            tie_break=["面试"] if story == "allocated" else [],
            max_choices=2 if story == "two choices" else 1,
        )
        # Out of season the window is not open now: tell the story as of a week inside it.
        story_now = (
            now if policy.window_is_open(now) else policy.window_opens + datetime.timedelta(days=7)
        )
        if story == "every state":
            _applications(area, policy, story_now)
        else:
            # A whole selection needs its notice period behind it.
            selection_now = max(story_now, policy.window_opens + datetime.timedelta(days=6))
            _selection(area, policy, selection_now, choices=policy.max_choices)


def _recognition_rules(pairing: Pairing) -> None:
    """Same-named culture courses count as each other; the rest by category."""
    for source_school, target_school in (
        (pairing.general_school, pairing.vocational_school),
        (pairing.vocational_school, pairing.general_school),
    ):
        # Only the schools' own courses; R... courses stand for credits recognised already.
        own = Course.objects.exclude(code__startswith="R")
        targets = {c.name: c for c in own.filter(school=target_school)}
        for course in own.filter(school=source_school):
            target = targets.get(course.name)
            RecognitionRule.objects.get_or_create(
                pairing=pairing,
                source_course=course,
                defaults={
                    "target_course": target,
                    "target_category": "" if target else course.category,
                    "factor": D("1.00"),
                },
            )


def _policy(
    area, pairing, cohort_year, now, *, tie_break: list[str], max_choices: int
) -> TransferPolicy:
    district = User.objects.get(role=User.Role.DISTRICT, pilot_area=area)
    bureau = User.objects.filter(
        role=User.Role.BUREAU, municipality_id=area.municipality_id
    ).first()
    earliest, latest = services.policy_window_bounds(cohort_year)
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)

    def at(day, hour):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)), tz)

    # Opened a week ago, closes in three weeks, inside what the term calendar allows.
    opens = at(max(earliest, today - datetime.timedelta(days=7)), 8)
    closes = at(min(latest, today + datetime.timedelta(days=21)), 17)
    if closes <= opens:  # the demo is run outside the season: a window that has passed
        opens = at(earliest, 8)
        closes = opens + datetime.timedelta(days=14)
    quotas = [
        services.QuotaSpec(school, cooperation.major, SEATS)
        for school in (pairing.general_school, pairing.vocational_school)
        for cooperation in pairing.cooperations.select_related("major")
    ]
    policy = services.policy_create(
        actor=district,
        pilot_area=area,
        cohort_year=cohort_year,
        title=f"{area.name}{cohort_year}级普职融通学籍互转实施办法",
        window_opens=opens,
        window_closes=closes,
        components=[services.ComponentSpec(*row) for row in STANDARDS],
        quotas=quotas,
        min_first_semester_credits=D("10.0"),
        notice_days=5,
        tie_break=tie_break,  # [] is by the earlier submission
        max_choices=max_choices,
    )
    # Written, sent and approved the day before its window opens.
    written = opens - datetime.timedelta(days=1)
    services.policy_submit(actor=district, policy=policy, now=written)
    if bureau is None:  # as policy_review would fail, reading the role of no one
        raise AttributeError(f"{area.municipality} has no bureau account")
    services.policy_review(actor=bureau, policy=policy, approve=True, comment="同意。", now=written)
    return services.policy_publish(actor=district, policy=policy)


def _applications(area, policy, now) -> None:
    district = User.objects.get(role=User.Role.DISTRICT, pilot_area=area)
    bureau = User.objects.filter(
        role=User.Role.BUREAU, municipality_id=area.municipality_id
    ).first()
    by_school = _statuses_by_school(area, policy)
    plans: list[tuple[Application, str]] = []
    for school_statuses in by_school.values():
        for status, fate in zip(school_statuses, STORY, strict=False):
            klass = status.integration_class
            if klass is None:  # never: the records are those of the area's classes
                raise AttributeError(f"{status} is in no integration class")
            to_school = klass.pairing.partner_of(status.school)
            major = policy.quotas.filter(school=to_school).order_by("major__code").first().major
            student_user = status.student.user
            if student_user is None:  # as application_submit would fail, reading its role
                raise AttributeError(f"{status.student} has no account")
            application = services.application_submit(
                actor=student_user,
                policy=policy,
                to_major=major,
                reason="希望根据自己的学习情况和兴趣选择更适合的发展方向。",
                guardian_name=status.student.guardian_name,
                guardian_relation="母亲",
                guardian_phone=status.student.guardian_phone,
                guardian_consent_date=timezone.localdate(),
                now=now,
            )
            plans.append((application, fate))

    def registrar_of(application):
        return User.objects.get(role=User.Role.REGISTRAR, school=application.from_school)

    def students_of(*fates):
        return [a for a, fate in plans if fate in fates]

    for application in students_of("withdrawn"):
        services.application_withdraw(actor=application.student.user, application=application)
    for application in students_of("ineligible"):
        services.application_confirm_eligibility(
            actor=registrar_of(application),
            application=application,
            eligible=False,
            reason="第一学期存在长期缺勤，不符合申请条件。",
        )
    early = ("completed", "recommended", "recommended_2", "rejected", "not_recommended")
    late = ("objection", "published")
    for application in students_of("eligible", "eligible_2", "assessed", *early, *late):
        services.application_confirm_eligibility(
            actor=registrar_of(application), application=application, eligible=True
        )
    # Three assessment sessions: one whose notice period is over, one on notice now, and
    # one scored but not yet published.
    notice_over = now - datetime.timedelta(days=policy.notice_days + 1)
    sessions = ((early, notice_over), (late, now), (("assessed",), None))
    for session, (fates, published_at) in enumerate(sessions):
        # Earlier sessions score higher, so the ranks read naturally in the demo.
        _assess(district, policy, [(a, f) for a, f in plans if f in fates], offset=10 * session)
        if published_at is not None:
            services.results_publish(actor=district, policy=policy, now=published_at)
    for application in students_of("objection"):
        services.objection_lodge(
            actor=application.student.user,
            application=application,
            text="我对面试成绩有异议，申请复核。",
            now=now,
        )
    for application in students_of("completed", "recommended", "recommended_2", "rejected"):
        services.application_recommend(
            actor=district, application=application, recommend=True, now=now
        )
    for application in students_of("not_recommended"):
        services.application_recommend(
            actor=district,
            application=application,
            recommend=False,
            comment="未达到转学标准。",
            now=now,
        )
    if bureau is None:  # never: _policy found the same account for this area's policy
        raise AttributeError(f"{area.municipality} has no bureau account")
    for application in students_of("completed"):
        services.application_approve(actor=bureau, application=application)
    for application in students_of("rejected"):
        services.application_reject(
            actor=bureau, application=application, reason="接收学校该专业实训条件暂不具备。"
        )


def _assess(district, policy, applications_with_fates, offset: int) -> None:
    """Scores that pass, a little lower for each next applicant; failing ones for the
    not-recommended story."""
    scores = {}
    for index, (application, fate) in enumerate(applications_with_fates):
        scores[application.pk] = {
            c.pk: (
                c.pass_mark - 5
                if fate == "not_recommended"
                else c.max_score * D("0.85") - offset - index
            )
            for c in policy.components.filter(direction=application.direction)
        }
    if scores:
        services.scores_enter(actor=district, policy=policy, scores=scores)


def _selection(area, policy, now, *, choices: int) -> None:
    """A selection from the applications to the allocation, with everything dated before
    ``now``: eight applicants per school apply (with ``choices`` ordered majors each), are
    scored, published, one objects and is upheld (results version 2, the difference shown),
    the allocation is confirmed after the notice period, one recommended applicant withdraws
    and the next moves up, and the bureau approves the first two."""
    district = User.objects.get(role=User.Role.DISTRICT, pilot_area=area)
    bureau = User.objects.get(role=User.Role.BUREAU, municipality_id=area.municipality_id)
    notice = datetime.timedelta(days=policy.notice_days)
    published_at = now - notice - datetime.timedelta(hours=20)
    submitted_at = max(
        policy.window_opens + datetime.timedelta(minutes=5),
        published_at - datetime.timedelta(hours=6),
    )
    by_school = _statuses_by_school(area, policy)
    applications = []
    for school_statuses in by_school.values():
        for status in school_statuses[:8]:
            klass = status.integration_class
            if klass is None:  # never: the records are those of the area's classes
                raise AttributeError(f"{status} is in no integration class")
            to_school = klass.pairing.partner_of(status.school)
            majors = [
                quota.major
                for quota in policy.quotas.filter(school=to_school, seats__gt=0)
                .select_related("major")
                .order_by("major__code")
            ][:choices]
            applications.append(
                services.application_submit(
                    actor=_login_of(status.student),
                    policy=policy,
                    to_major=majors[0],
                    more_choices=majors[1:],
                    reason="希望根据自己的学习情况和兴趣选择更适合的发展方向。",
                    guardian_name=status.student.guardian_name,
                    guardian_relation="父亲",
                    guardian_phone=status.student.guardian_phone,
                    guardian_consent_date=timezone.localdate(submitted_at),
                    now=submitted_at,
                )
            )
    for application in applications:
        services.application_confirm_eligibility(
            actor=User.objects.get(role=User.Role.REGISTRAR, school=application.from_school),
            application=application,
            eligible=True,
        )
    _selection_scores(district, policy, applications)
    services.results_publish(actor=district, policy=policy, now=published_at)
    # The sixth of the first school objects: a written test marked too low, upheld.
    objector = applications[5]
    objection = services.objection_lodge(
        actor=_login_of(objector.student),
        application=objector,
        text="我认为笔试有一道题判分有误，申请复核。",
        now=published_at + datetime.timedelta(hours=2),
    )
    written = objector.scores.filter(component__kind="written").order_by("pk")[0]
    services.objection_resolve(
        actor=district,
        objection=objection,
        upheld=True,
        resolution="经复核，笔试第 12、13 题漏判，加 23 分。",
        corrections={written.component_id: min(written.value + 23, written.component.max_score)},
        now=published_at + datetime.timedelta(hours=4),
    )
    services.allocation_confirm(actor=district, policy=policy, now=now)
    recommended = list(
        Application.objects.filter(policy=policy, state=Application.State.RECOMMENDED).order_by(
            "to_school_id", "to_major_id", "rank"
        )
    )
    if recommended:
        leaving = recommended[-1]
        services.application_withdraw(actor=_login_of(leaving.student), application=leaving)
    for application in Application.objects.filter(
        policy=policy, state=Application.State.RECOMMENDED
    ).order_by("to_school_id", "to_major_id", "rank")[:2]:
        services.application_approve(actor=bureau, application=application)


def _selection_scores(district, policy, applications) -> None:
    """Descending totals per school, the last of each below a pass mark; the fourth and
    fifth of each school tie on the total, the fifth with the better interview, so the
    policy's tie-break (the interview first) puts the fifth ahead of the earlier submission."""
    scores = {}
    components: dict[str, list] = {}
    for component in policy.components.all():
        components.setdefault(component.direction, []).append(component)
    per_school: dict[int, int] = {}
    for application in applications:
        index = per_school.get(application.from_school_id, 0)
        per_school[application.from_school_id] = index + 1
        own = components[application.direction]
        share = D("0.92") - D("0.03") * index
        values = {c.pk: (c.max_score * share).quantize(D("0.1")) for c in own}
        if index in (3, 4):
            # Both 84.00, made of different parts: the fifth has the better interview.
            values = {c.pk: TIED[application.direction][index - 3][c.name] for c in own}
        if index == 7:
            values = {c.pk: c.pass_mark - 5 for c in own}
        scores[application.pk] = values
    services.scores_enter(actor=district, policy=policy, scores=scores)


def _login_of(student) -> User:
    if student.user is None:  # never: every demo student has an account
        raise AttributeError(f"{student} has no account")
    return student.user


def _statuses_by_school(area, policy) -> dict[int, list[StatusRecord]]:
    """The area's students of the policy's cohort, by the school of their class, in order."""
    statuses = (
        StatusRecord.objects.filter(
            state=StatusRecord.State.ACTIVE,
            integration_class__pairing__pilot_area=area,
            integration_class__cohort_year=policy.cohort_year,
        )
        .select_related("student__user", "school", "integration_class__pairing")
        .order_by("integration_class__host_school__kind", "student__student_number")
    )
    by_school: dict[int, list[StatusRecord]] = {}
    for status in statuses:
        by_school.setdefault(status.school_id, []).append(status)
    return by_school
