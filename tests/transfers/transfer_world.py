"""A pilot area ready for transfers, and helpers that drive applications through the services.

Plain functions rather than fixtures, so the Hypothesis state machine can build a fresh world
for every example; ``conftest.py`` wraps them as fixtures for the other tests. Everything is
made the way ``transfers/demo.py`` makes it: the policy through ``policy_create`` → submit →
review → publish, each application step through its named service, so the history is the
same as a real one.

The calendar: the 2024 cohort's first semester runs 2024-09-01 to 2025-01-20 and the second
starts 2025-02-20, so a window must lie between 2024-11-10 and 2025-02-19.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from factories import (
    CourseFactory,
    CreditRecordFactory,
    IntegrationClassFactory,
    MajorFactory,
    MunicipalityFactory,
    PairingFactory,
    PilotAreaFactory,
    StatusRecordFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
)

from credits.models import Course, RecognitionRule
from schools.models import School, Term, User
from students.models import Student
from transfers import services
from transfers.models import Application, TransferPolicy

D = Decimal
S = Application.State
COHORT = 2024
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment in China's time zone, where the schools are."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


WRITTEN_AT = at(2025, 1, 5)  # the policy is written, sent and approved before the window
WINDOW_OPENS = at(2025, 1, 10, 8)
WINDOW_CLOSES = at(2025, 2, 10, 17)
SUBMIT_AT = at(2025, 1, 15)
PUBLISH_AT = at(2025, 2, 12, 9)
NOTICE_DAYS = 5
DURING_NOTICE = PUBLISH_AT + datetime.timedelta(days=1)
AFTER_NOTICE = PUBLISH_AT + datetime.timedelta(days=NOTICE_DAYS, hours=1)
ENROLLED_ON = datetime.date(COHORT, 9, 1)

# (direction, kind, name, max score, pass mark, weight)
STANDARDS = [
    ("g2v", "written", "专业基础知识", D(100), D(60), D("0.6")),
    ("g2v", "interview", "面试", D(100), D(60), D("0.4")),
    ("v2g", "written", "语数英", D(150), D(90), D("0.6")),
    ("v2g", "interview", "面试", D(100), D(60), D("0.4")),
]


@dataclass
class World:
    """One pilot area with one pairing, its people, courses and recognition rules, plus a
    second area and municipality for the out-of-scope personas."""

    pairing: object
    general: School
    vocational: School
    major: object  # cooperative; integration classes at both schools; seats at both
    major_without_class: object  # cooperative; seats at the vocational school only
    major_outside: object  # not a cooperative major of the pairing
    class_general: object
    class_vocational: object
    first_term: Term
    registrar_general: User
    registrar_vocational: User
    registrar_other: User
    district: User
    district_other: User
    bureau: User
    bureau_other: User
    other_pairing: object
    courses: dict[str, Course] = field(default_factory=dict)

    @property
    def area(self):
        return self.pairing.pilot_area

    def registrar_of(self, school: School) -> User:
        return {
            self.general.pk: self.registrar_general,
            self.vocational.pk: self.registrar_vocational,
        }[school.pk]

    def partner_of(self, school: School) -> School:
        return self.vocational if school.pk == self.general.pk else self.general

    def class_at(self, school: School):
        return self.class_general if school.pk == self.general.pk else self.class_vocational


def build_world() -> World:
    first_term = TermFactory(academic_year__start_year=COHORT, semester=Term.Semester.FIRST)
    TermFactory(academic_year=first_term.academic_year, semester=Term.Semester.SECOND)
    municipality = MunicipalityFactory(name="杭州市")
    area = PilotAreaFactory(municipality=municipality, name="余杭区", approved=True)
    other_area = PilotAreaFactory(municipality=municipality, name="临平区", approved=True)
    major = MajorFactory(name="计算机应用")
    major_without_class = MajorFactory(name="电子商务")
    major_outside = MajorFactory(name="会计事务")
    pairing = PairingFactory(
        pilot_area=area,
        general_school__name="余杭高级中学",
        vocational_school__name="余杭职业高级中学",
        majors=[major, major_without_class],
    )
    other_pairing = PairingFactory(pilot_area=other_area, majors=[major_outside])
    general, vocational = pairing.general_school, pairing.vocational_school
    class_general = IntegrationClassFactory(
        pairing=pairing, host_school=general, major=major, cohort_year=COHORT, name="融通1班"
    )
    class_vocational = IntegrationClassFactory(
        pairing=pairing, host_school=vocational, major=major, cohort_year=COHORT, name="融通2班"
    )
    world = World(
        pairing=pairing,
        general=general,
        vocational=vocational,
        major=major,
        major_without_class=major_without_class,
        major_outside=major_outside,
        class_general=class_general,
        class_vocational=class_vocational,
        first_term=first_term,
        registrar_general=UserFactory(role=User.Role.REGISTRAR, school=general),
        registrar_vocational=UserFactory(role=User.Role.REGISTRAR, school=vocational),
        registrar_other=UserFactory(role=User.Role.REGISTRAR, school=other_pairing.general_school),
        district=UserFactory(role=User.Role.DISTRICT, pilot_area=area),
        district_other=UserFactory(role=User.Role.DISTRICT, pilot_area=other_area),
        bureau=UserFactory(role=User.Role.BUREAU, municipality=municipality),
        bureau_other=UserFactory(
            role=User.Role.BUREAU, municipality=MunicipalityFactory(name="宁波市")
        ),
        other_pairing=other_pairing,
    )
    _courses_and_rules(world)
    return world


def _courses_and_rules(world: World) -> None:
    """Rule 7: the same-named culture course counts as its namesake (a target-course rule);
    the other course counts as credits of a category at half weight (a target-category
    rule). Both ways round, so either direction recognises one of each."""
    c = world.courses
    for school, key in ((world.general, "general"), (world.vocational, "vocational")):
        c[f"{key}_chinese"] = CourseFactory(
            school=school, name="语文", category=Course.Category.GENERAL_CULTURE
        )
    c["general_physics"] = CourseFactory(
        school=world.general,
        name="物理",
        category=Course.Category.GENERAL_CULTURE,
        credit_value=D("3.0"),
    )
    c["vocational_circuits"] = CourseFactory(
        school=world.vocational,
        name="电工基础",
        category=Course.Category.VOCATIONAL_TECHNICAL,
        credit_value=D("3.0"),
    )
    for source, target in (("general", "vocational"), ("vocational", "general")):
        RecognitionRule.objects.create(
            pairing=world.pairing,
            source_course=c[f"{source}_chinese"],
            target_course=c[f"{target}_chinese"],
            factor=D("1.00"),
        )
    for source in ("general_physics", "vocational_circuits"):
        RecognitionRule.objects.create(
            pairing=world.pairing,
            source_course=c[source],
            target_category=c[source].category,
            factor=D("0.50"),
        )


def enrol(
    world: World, *, school: School | None = None, in_class: bool = True, name: str = ""
) -> Student:
    """A student with a login, registered at ``school`` (the general one by default) in that
    school's integration class of the cohort, since the first day of the cohort."""
    school = school or world.general
    extra = {"name": name} if name else {}
    student = StudentFactory(user=UserFactory(role=User.Role.STUDENT), **extra)
    cls = world.class_at(school) if in_class else None
    StatusRecordFactory(
        student=student,
        school=school,
        integration_class=cls,
        major=cls.major if cls else None,
        start_date=ENROLLED_ON,
    )
    return student


def give_credits(world: World, student: Student) -> list:
    """First-semester credit records at the student's school: one course of each rule kind
    (2.0 + 3.0 credits)."""
    school = student.status_records.get(state="active").school
    key = "general" if school.pk == world.general.pk else "vocational"
    other = "general_physics" if key == "general" else "vocational_circuits"
    return [
        CreditRecordFactory(
            student=student, course=world.courses[f"{key}_chinese"], term=world.first_term
        ),
        CreditRecordFactory(student=student, course=world.courses[other], term=world.first_term),
    ]


def publish_policy(
    world: World,
    *,
    seats: int = 4,
    quotas: list | None = None,
    min_first_semester_credits: Decimal | None = None,
    window_opens: datetime.datetime = WINDOW_OPENS,
    window_closes: datetime.datetime = WINDOW_CLOSES,
    rule_pack: str = "hangzhou-2023",
    **settings,
) -> TransferPolicy:
    """Written by the district, approved by the bureau and published: the way rule 9 asks."""
    policy = draft_policy(
        world,
        seats=seats,
        quotas=quotas,
        min_first_semester_credits=min_first_semester_credits,
        window_opens=window_opens,
        window_closes=window_closes,
        rule_pack=rule_pack,
        **settings,
    )
    return approve_and_publish(world, policy)


def default_quotas(world: World, seats: int) -> list:
    """Seats in both cooperative majors at the vocational school, in one at the general
    school, which says it offers none in the other (0)."""
    return [
        services.QuotaSpec(world.vocational, world.major, seats),
        services.QuotaSpec(world.vocational, world.major_without_class, seats),
        services.QuotaSpec(world.general, world.major, seats),
        services.QuotaSpec(world.general, world.major_without_class, 0),
    ]


def draft_policy(
    world: World,
    *,
    seats: int = 4,
    quotas: list | None = None,
    min_first_semester_credits: Decimal | None = None,
    window_opens: datetime.datetime = WINDOW_OPENS,
    window_closes: datetime.datetime = WINDOW_CLOSES,
    tie_break: list[str] | None = None,
    rule_pack: str = "hangzhou-2023",
    **settings,
) -> TransferPolicy:
    """A draft of the area's policy under ``rule_pack`` (Hangzhou's unless told), with the
    pack's settings but for ``settings``; equal totals by the earlier submission unless
    told."""
    tie_break = [] if tie_break is None else tie_break
    return services.policy_create(
        actor=world.district,
        pilot_area=world.area,
        cohort_year=COHORT,
        title="余杭区2024级普职融通学籍互转实施办法",
        window_opens=window_opens,
        window_closes=window_closes,
        components=[services.ComponentSpec(*row) for row in STANDARDS],
        quotas=quotas if quotas is not None else default_quotas(world, seats),
        min_first_semester_credits=min_first_semester_credits,
        notice_days=NOTICE_DAYS,
        tie_break=tie_break,
        rule_pack=rule_pack,
        **settings,
    )


def approve_and_publish(world: World, policy: TransferPolicy) -> TransferPolicy:
    services.policy_submit(actor=world.district, policy=policy, now=WRITTEN_AT)
    services.policy_review(
        actor=world.bureau, policy=policy, approve=True, comment="同意。", now=WRITTEN_AT
    )
    return services.policy_publish(actor=world.district, policy=policy)


def submit(
    policy: TransferPolicy,
    student: Student,
    *,
    major=None,
    now: datetime.datetime = SUBMIT_AT,
) -> Application:
    """The student applies, by default for the first cooperative major, inside the window."""
    return services.application_submit(
        actor=student.user,
        policy=policy,
        to_major=major or policy.quotas.order_by("pk").first().major,
        reason="希望根据自己的兴趣选择更适合的发展方向。",
        guardian_name="王芳",
        guardian_relation="母亲",
        guardian_phone="13800001111",
        guardian_consent_date=SUBMIT_AT.date() - datetime.timedelta(days=1),
        now=now,
    )


def scores_for(application: Application, *, passed: bool = True, bonus: int = 0) -> dict:
    """A score for each component of the application's direction: above every pass mark
    (higher with ``bonus``), or below one."""
    return {
        c.pk: (c.pass_mark + 10 + bonus if passed else c.pass_mark - 5)
        for c in application.policy.components.filter(direction=application.direction)
    }


def assessor_of(world: World, application: Application) -> User:
    """Who scores the application under its policy's pack: the district, or the receiving
    school's registrar."""
    if application.policy.assessor == "receiving":
        return world.registrar_of(application.to_school)
    return world.district


def drive(
    world: World,
    application: Application,
    to_state: str,
    *,
    passed: bool = True,
    bonus: int = 0,
) -> Application:
    """Move one application forward through the services until it reaches ``to_state``
    (one of the states on the happy path), each step by the actor the workflow names."""
    path = [S.SUBMITTED, S.ELIGIBLE, S.ASSESSED, S.PUBLISHED, S.RECOMMENDED, S.COMPLETED]
    application.refresh_from_db()
    while application.state != to_state:
        state = application.state
        if state == S.SUBMITTED:
            services.application_confirm_eligibility(
                actor=world.registrar_of(application.from_school),
                application=application,
                eligible=True,
            )
        elif state == S.ELIGIBLE:
            services.scores_enter(
                actor=assessor_of(world, application),
                policy=application.policy,
                scores={application.pk: scores_for(application, passed=passed, bonus=bonus)},
            )
        elif state == S.ASSESSED:
            services.results_publish(
                actor=world.district, policy=application.policy, now=PUBLISH_AT
            )
        elif state == S.PUBLISHED:
            services.application_recommend(
                actor=world.district, application=application, recommend=True, now=AFTER_NOTICE
            )
        elif state == S.RECOMMENDED:
            services.application_approve(actor=world.bureau, application=application)
        else:
            raise AssertionError(f"cannot drive an application that is {state} to {to_state}")
        application.refresh_from_db()
        if path.index(application.state) > path.index(to_state):
            raise AssertionError(f"drove past {to_state}")
    return application


def shrink_quota(quota, seats: int) -> None:
    """Lower a published quota's seats behind the services' back.

    No service lowers the seats of a published policy, and on PostgreSQL a trigger freezes
    them (rule 9). But the approval must still refuse a transfer the seats cannot hold,
    whatever the rows say: two recommended applicants for one seat is the state that check
    exists for, and the only way to reach it is to change the row by hand. So, like a DBA's
    correction would, we switch the trigger off for this one UPDATE, inside a transaction
    (ALTER TABLE is transactional on PostgreSQL: a failure or rollback restores it). SQLite
    has no such trigger.
    """
    from django.db import connection, transaction

    from transfers.models import SeatQuota

    if connection.vendor != "postgresql":
        SeatQuota.objects.filter(pk=quota.pk).update(seats=seats)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred foreign-key checks of this transaction are
        # pending; run them now, then defer them again as Django declares them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE transfers_seatquota DISABLE TRIGGER quota_frozen")
        SeatQuota.objects.filter(pk=quota.pk).update(seats=seats)
        cursor.execute("ALTER TABLE transfers_seatquota ENABLE TRIGGER quota_frozen")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def published_ranking(
    world: World, *, seats: int, bonuses: list[int | None], names: list[str] | None = None
):
    """A published policy with ``seats`` per quota and one applicant per bonus (named by
    ``names`` if given), all for the same programme, scored (None: below a pass mark) and
    published at ``PUBLISH_AT``; returned with the applicants best-ranked first, the failed
    last."""
    policy = publish_policy(world, seats=seats)
    applications = []
    for bonus, name in zip(bonuses, names or [""] * len(bonuses), strict=True):
        application = drive(world, submit(policy, enrol(world, name=name)), S.ELIGIBLE)
        services.scores_enter(
            actor=world.district,
            policy=policy,
            scores={
                application.pk: scores_for(application, passed=bonus is not None, bonus=bonus or 0)
            },
        )
        applications.append(application)
    services.results_publish(actor=world.district, policy=policy, now=PUBLISH_AT)
    for application in applications:
        application.refresh_from_db()
    return policy, sorted(applications, key=lambda a: (a.rank is None, a.rank or 0))
