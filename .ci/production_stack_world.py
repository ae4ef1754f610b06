"""The data of the production-stack check (``.ci/production_stack.py``), as an operator's
setup script makes it: run inside ``manage.py shell -c`` with the production settings, each
step by the project's own service where there is one (enrolment, pairing, approval of the
pilot, accounts, the policy's versions, each step of an application), rows written directly
only where an administrator writes them in the admin (places, schools, majors, classes,
courses and the term calendar).

The driver calls ``cli('{"command": ..., ...}')``; the answer is one line on stdout,
``STACK-RESULT <json>``, whatever else the settings log.

The term calendar is cut around today, so that a window is open now at any time of the year
(the demo's fixed calendar is in season only in winter): area A's policy is open now for the
student who applies over HTTP; area B's window and results lie in the past, so that its
applications can be driven, with their dates, to "recommended" for the bureau's batch.
"""

import datetime
import json
import math
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from credits.models import Course, CreditRecord, RecognitionRule
from demo.story import STANDARDS
from notifications.models import Delivery, Notification
from schools.accounts import account_code_issue, code_shown
from schools.models import (
    AcademicYear,
    AccountCode,
    Guardianship,
    IntegrationClass,
    Major,
    Municipality,
    Pairing,
    PilotArea,
    Province,
    School,
    Term,
    User,
)
from schools.services import pairing_create, pilot_area_approve
from students.accounts import accounts_issue
from students.models import StatusRecord, Student
from students.services import student_enroll
from students.validators import make_id_card_number
from transfers import services
from transfers.models import Application, ApplicationEvent, ApprovalBatch, TransferPolicy

MARKER = "STACK-RESULT"
D = Decimal
MAJORS = {"710201": "计算机应用", "730701": "电子商务"}
#: The major everyone applies for; the other one is cooperative too, with no seats.
MAJOR = "710201"
# key, name, region code, general school, vocational school
AREAS = [
    (
        "a",
        "余杭区",
        "330110",
        ("3301100101", "杭州市余杭第二高级中学"),
        ("3301100201", "杭州市余杭区职业高级中学"),
    ),
    (
        "b",
        "临平区",
        "330113",
        ("3301130101", "杭州市临平区塘栖中学"),
        ("3301130201", "杭州市临平职业高级中学"),
    ),
]
COURSES = {
    School.Kind.GENERAL: [
        ("YW101", "语文", Course.Category.GENERAL_CULTURE, "4.0"),
        ("SX101", "数学", Course.Category.GENERAL_CULTURE, "4.0"),
        ("XX101", "信息技术", Course.Category.ELECTIVE, "2.0"),
    ],
    School.Kind.VOCATIONAL: [
        ("YW101", "语文", Course.Category.GENERAL_CULTURE, "3.0"),
        ("SX101", "数学", Course.Category.GENERAL_CULTURE, "3.0"),
    ],
}
CLASS_SIZE = 40
NOTICE_DAYS = 5
REASON = "希望根据自己的学习情况和兴趣选择更适合的发展方向。"
PILOT_STUDENT = "林晓雨"


def cli(request: str) -> None:
    arguments = json.loads(request)
    command = COMMANDS[arguments.pop("command")]
    print(MARKER, json.dumps(command(**arguments), ensure_ascii=False, default=str))


# --- the world --------------------------------------------------------------------------


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _calendar(today: datetime.date) -> tuple[int, Term]:
    """The cohort whose first semester ends around today: it began 120 days ago and ends in
    20, the second begins in 45, so a window may lie from 50 days ago to 44 days ahead."""
    cohort = today.year if today.month >= 8 else today.year - 1
    start = today - datetime.timedelta(days=130)
    year = AcademicYear.objects.create(
        start_year=cohort, start_date=start, end_date=start + datetime.timedelta(days=364)
    )
    first = Term.objects.create(
        academic_year=year,
        semester=Term.Semester.FIRST,
        start_date=today - datetime.timedelta(days=120),
        end_date=today + datetime.timedelta(days=20),
    )
    Term.objects.create(
        academic_year=year,
        semester=Term.Semester.SECOND,
        start_date=today + datetime.timedelta(days=45),
        end_date=year.end_date - datetime.timedelta(days=10),
    )
    return cohort, first


def _account(username: str, role: str, password: str, **scope) -> User:
    """A staff account as the administrator opens it in the admin."""
    user = User(username=username, role=role, is_staff=True, **scope)
    user.set_password(password)
    user.save()
    return user


def world(*, password: str) -> dict:
    """Province, city, bureau; two approved pilot areas (A for the student who applies over
    HTTP, B for the batch), each with a paired general and vocational school, two
    cooperative majors, an integration class of the cohort at each school, courses,
    recognition rules, registrars and district staff; a published policy per area; and the
    student of A, enrolled by the registrar, with first-semester credits."""
    today = timezone.localdate()
    cohort, first_term = _calendar(today)
    province = Province.objects.create(code="330000", name="浙江省", department_name="浙江省教育厅")
    city = Municipality.objects.create(
        code="330100", name="杭州市", bureau_name="杭州市教育局", province=province
    )
    bureau = _account("bureau", User.Role.BUREAU, password, municipality=city)
    majors = {code: Major.objects.create(code=code, name=name) for code, name in MAJORS.items()}
    people: dict[str, str] = {"bureau": bureau.username}
    policies = {}
    classes = {}
    for key, name, region, general, vocational in AREAS:
        area = PilotArea.objects.create(
            municipality=city,
            code=region,
            slug=f"area-{key}",
            name=name,
            pilot_start=first_term.academic_year.start_date,
            pilot_end=first_term.academic_year.start_date.replace(
                year=first_term.academic_year.start_date.year + 3
            )
            - datetime.timedelta(days=1),
        )
        schools = {
            kind: School.objects.create(
                code=code, name=school_name, kind=kind, municipality=city, pilot_area=area
            )
            for kind, (code, school_name) in (
                (School.Kind.GENERAL, general),
                (School.Kind.VOCATIONAL, vocational),
            )
        }
        # Rule 1: the pairing is made before the pilot is approved, never during it.
        pairing = pairing_create(
            actor=bureau,
            pilot_area=area,
            general_school=schools[School.Kind.GENERAL],
            vocational_school=schools[School.Kind.VOCATIONAL],
            majors=majors.values(),
        )
        pilot_area_approve(actor=bureau, pilot_area=area)
        for kind, school in schools.items():
            people[f"registrar_{key}_{kind}"] = _account(
                f"registrar-{school.code}", User.Role.REGISTRAR, password, school=school
            ).username
            for code, course_name, category, credits in COURSES[kind]:
                Course.objects.create(
                    school=school,
                    code=code,
                    name=course_name,
                    category=category,
                    credit_value=D(credits),
                )
            classes[(key, kind)] = IntegrationClass.objects.create(
                pairing=pairing,
                host_school=school,
                major=majors[MAJOR],
                cohort_year=cohort,
                name="高一融通1班",
                capacity=CLASS_SIZE,
            )
        _recognition_rules(pairing)
        district = _account(f"district-{area.slug}", User.Role.DISTRICT, password, pilot_area=area)
        people[f"district_{key}"] = district.username
        policies[key] = _policy(
            area, pairing, cohort, district=district, bureau=bureau, open_now=key == "a"
        ).pk
    registrar = User.objects.get(username=people["registrar_a_general"])
    student = _enrol(
        registrar,
        classes[("a", School.Kind.GENERAL)],
        first_term,
        index=0,
        name=PILOT_STUDENT,
        guardian_phone="13900001111",
    )
    return {
        "cohort": cohort,
        "people": people,
        "policies": policies,
        "student": {
            "pk": student.pk,
            "name": student.name,
            "number": student.student_number,
            "guardian_phone": student.guardian_phone,
        },
    }


def _recognition_rules(pairing: Pairing) -> None:
    """Rule 7, both ways: a course counts as its namesake at the paired school, the others
    as credits of their category there."""
    for source, target in (
        (pairing.general_school, pairing.vocational_school),
        (pairing.vocational_school, pairing.general_school),
    ):
        namesakes = {course.name: course for course in Course.objects.filter(school=target)}
        for course in Course.objects.filter(school=source):
            namesake = namesakes.get(course.name)
            RecognitionRule.objects.create(
                pairing=pairing,
                source_course=course,
                target_course=namesake,
                target_category="" if namesake else course.category,
                factor=D("1.00"),
            )


def _policy(area, pairing, cohort, *, district, bureau, open_now: bool) -> TransferPolicy:
    """Written by the district, approved by the bureau the day before its window opens and
    published (rule 9). Open now (A), or a window of a month ago (B)."""
    today = timezone.localdate()
    if open_now:
        opens = _at(today - datetime.timedelta(days=3), 8)
        closes = _at(today + datetime.timedelta(days=14), 17)
    else:
        opens = _at(today - datetime.timedelta(days=45), 8)
        closes = _at(today - datetime.timedelta(days=31), 17)
    vocational_seats = 4 if open_now else 1000
    policy = services.policy_create(
        actor=district,
        pilot_area=area,
        cohort_year=cohort,
        title=f"{area.name}{cohort}级普职融通学籍互转实施办法",
        window_opens=opens,
        window_closes=closes,
        components=[services.ComponentSpec(*row) for row in STANDARDS],
        # Seats in the one major everyone applies for; the other cooperative major says 0.
        quotas=[
            services.QuotaSpec(school, major, seats if major.code == MAJOR else 0)
            for school, seats in (
                (pairing.vocational_school, vocational_seats),
                (pairing.general_school, 4),
            )
            for major in pairing.cooperative_majors.order_by("code")
        ],
        min_first_semester_credits=D("6.0"),
        notice_days=NOTICE_DAYS,
        tie_break=[],
        max_choices=1,
    )
    written = opens - datetime.timedelta(days=1)
    services.policy_submit(actor=district, policy=policy, now=written)
    services.policy_review(actor=bureau, policy=policy, approve=True, comment="同意。", now=written)
    return services.policy_publish(actor=district, policy=policy)


def _enrol(
    registrar: User,
    integration_class: IntegrationClass,
    first_term: Term,
    *,
    index: int,
    name: str,
    guardian_phone: str,
) -> Student:
    """A student the registrar enrols in the class, with the first semester's credits of
    every course of the school (passed)."""
    region = integration_class.pairing.pilot_area.code
    birth = datetime.date(integration_class.cohort_year - 16, 9, 1) + datetime.timedelta(days=index)
    sequence = 100 + (index % 2)  # the last digit's parity is the gender: odd is male
    id_card_number = make_id_card_number(region, birth, sequence)
    student = student_enroll(
        actor=registrar,
        school=integration_class.host_school,
        start_date=first_term.start_date,
        integration_class=integration_class,
        major=integration_class.major,
        name=name,
        id_card_number=id_card_number,
        student_number=f"G{id_card_number}",
        gender=Student.Gender.MALE if sequence % 2 else Student.Gender.FEMALE,
        birth_date=birth,
        guardian_name=f"{name[0]}家长",
        guardian_phone=guardian_phone,
    )
    CreditRecord.objects.bulk_create(
        CreditRecord(
            student=student,
            course=course,
            term=first_term,
            score=D("82.0"),
            credits_earned=course.credit_value,
        )
        for course in Course.objects.filter(school=integration_class.host_school)
    )
    return student


# --- the student of area A ----------------------------------------------------------------


def activation_code(*, student: int, registrar: str) -> dict:
    """A new activation code for the student's account (the one on the slip the registrar
    printed is only in the PDF): issuing one ends the slip's."""
    user = Student.objects.select_related("user").get(pk=student).user
    if user is None:
        raise LookupError("the slip opened no account for the student")
    guardian = Guardianship.objects.filter(student=user).select_related("guardian").first()
    code = account_code_issue(
        user=user,
        purpose=AccountCode.Purpose.ACTIVATE,
        issued_by=User.objects.get(username=registrar),
    )
    return {
        "code": code_shown(code),
        "login": user.username,
        "guardian": guardian.guardian.username if guardian else None,
    }


def deliveries(*, application: int) -> dict:
    """The notifications about the application to the student and their guardians, and how
    each channel ended."""
    about = ContentType.objects.get_for_model(Application)
    submitted = Application.objects.select_related("student__user").get(pk=application)
    people = [submitted.student.user_id] + list(
        Guardianship.objects.filter(student_id=submitted.student.user_id).values_list(
            "guardian_id", flat=True
        )
    )
    rows = []
    for notification in Notification.objects.filter(
        about_type=about, about_id=application, recipient_id__in=people
    ).select_related("recipient"):
        rows.append(
            {
                "id": notification.pk,
                "to": notification.recipient.username,
                "role": notification.recipient.role,
                "emailed": notification.emailed_at is not None,
                "texted": notification.texted_at is not None,
                "sent": sorted(
                    notification.deliveries.filter(outcome=Delivery.Outcome.SENT).values_list(
                        "channel", flat=True
                    )
                ),
            }
        )
    return {"notifications": rows, "state": submitted.state}


# --- the batch ----------------------------------------------------------------------------


def batch_prepare(*, size: int) -> dict:
    """``size`` students of area B, enrolled by their registrar in classes of 40, their
    accounts opened (slips printed), each applying inside B's window; the registrar confirms
    them, the district scores and publishes them, and after the notice period recommends
    them in rank order: all awaiting the bureau."""
    policy = TransferPolicy.objects.select_related("pilot_area").get(pilot_area__slug="area-b")
    area = policy.pilot_area
    pairing = Pairing.objects.get(pilot_area=area)
    general = pairing.general_school
    registrar = User.objects.get(role=User.Role.REGISTRAR, school=general)
    district = User.objects.get(role=User.Role.DISTRICT, pilot_area=area)
    first_term = Term.objects.get(
        academic_year__start_year=policy.cohort_year, semester=Term.Semester.FIRST
    )
    classes = [IntegrationClass.objects.get(host_school=general, cohort_year=policy.cohort_year)]
    for number in range(2, math.ceil(size / CLASS_SIZE) + 1):
        classes.append(
            IntegrationClass.objects.create(
                pairing=pairing,
                host_school=general,
                major=classes[0].major,
                cohort_year=policy.cohort_year,
                name=f"高一融通{number}班",
                capacity=CLASS_SIZE,
            )
        )
    students = [
        _enrol(
            registrar,
            classes[index // CLASS_SIZE],
            first_term,
            index=index,
            name=f"学生{index:03d}",
            guardian_phone=f"138{index:08d}",
        )
        for index in range(size)
    ]
    accounts_issue(actor=registrar, students=students, guardians=False)
    submitted_at = policy.window_opens + datetime.timedelta(days=2)
    major = pairing.cooperative_majors.get(code=MAJOR)
    applications = []
    for index, student in enumerate(students):
        student.refresh_from_db()
        assert student.user is not None  # opened by accounts_issue above
        applications.append(
            services.application_submit(
                actor=student.user,
                policy=policy,
                to_major=major,
                reason=REASON,
                guardian_name=student.guardian_name,
                guardian_relation="母亲",
                guardian_phone=student.guardian_phone,
                guardian_consent_date=timezone.localdate(submitted_at),
                now=submitted_at + datetime.timedelta(minutes=index),
            )
        )
    for application in applications:
        services.application_confirm_eligibility(
            actor=registrar, application=application, eligible=True
        )
    components = list(policy.components.filter(direction="g2v"))
    services.scores_enter(
        actor=district,
        policy=policy,
        scores={
            application.pk: {c.pk: c.max_score * D("0.95") - D(index) / 10 for c in components}
            for index, application in enumerate(applications)
        },
    )
    published_at = policy.window_closes + datetime.timedelta(days=3)
    services.results_publish(actor=district, policy=policy, now=published_at)
    after_notice = published_at + datetime.timedelta(days=NOTICE_DAYS, hours=1)
    for application in Application.objects.filter(
        policy=policy, state=Application.State.PUBLISHED
    ).order_by("rank"):
        services.application_recommend(
            actor=district, application=application, recommend=True, now=after_notice
        )
    recommended = list(
        Application.objects.filter(policy=policy, state=Application.State.RECOMMENDED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {"recommended": recommended}


def batch_verify(*, batch: int) -> dict:
    """Whether each application of the batch was approved, and carried out, exactly once,
    and the batch's counters say so; the problems found, and the counts."""
    job = ApprovalBatch.objects.get(pk=batch)
    ids = list(job.application_ids)
    problems: list[str] = []
    if job.state != ApprovalBatch.State.FINISHED:
        problems.append(f"the batch is {job.state}, not finished ({job.error!r})")
    if job.refusals:
        problems.append(f"{len(job.refusals)} refusals, e.g. {job.refusals[:2]}")
    if len(job.approved_ids) != len(set(job.approved_ids)):
        problems.append("approved_ids counts an application twice")
    if sorted(job.approved_ids) != sorted(ids):
        problems.append(f"approved {len(job.approved_ids)} of the batch's {len(ids)}")
    applications = {a.pk: a for a in Application.objects.filter(pk__in=ids)}
    not_done = [pk for pk, a in applications.items() if a.state != Application.State.COMPLETED]
    if not_done or len(applications) != len(ids):
        problems.append(f"{len(not_done)} applications not completed, e.g. {not_done[:5]}")
    # The append-only history: one row to "approved" and one to "completed" each.
    events = Counter(
        ApplicationEvent.objects.filter(
            application_id__in=ids, to_state__in=["approved", "completed"]
        ).values_list("application_id", "to_state")
    )
    for state in ("approved", "completed"):
        wrong = [pk for pk in ids if events[(pk, state)] != 1]
        if wrong:
            problems.append(f"{len(wrong)} applications without one history row to {state}")
    students = [a.student_id for a in applications.values()]
    records = StatusRecord.objects.filter(student_id__in=students)
    active: dict[int, list[int]] = {}
    for record in records.filter(state=StatusRecord.State.ACTIVE):
        active.setdefault(record.student_id, []).append(record.school_id)
    for application in applications.values():
        here = active.get(application.student_id, [])
        if here != [application.to_school_id]:
            problems.append(
                f"student {application.student_id}: active at {here}, "
                f"not once at {application.to_school_id}"
            )
    out = records.filter(state=StatusRecord.State.TRANSFERRED_OUT).count()
    if out != len(ids) or records.count() != 2 * len(ids):
        problems.append(f"{records.count()} status records, {out} transferred out, for {len(ids)}")
    origins = CreditRecord.objects.filter(
        student_id__in=students, recognised_from__isnull=True
    ).count()
    recognised = CreditRecord.objects.filter(
        student_id__in=students, recognised_from__isnull=False
    ).count()
    if recognised != origins:
        problems.append(f"{recognised} credit records recognised from {origins} earned")
    # Each approval tells the student twice (approved, then completed): a rolled-back
    # approval told no one, one run twice would tell them again.
    told = Notification.objects.filter(
        recipient__student__id__in=students,
        about_type=ContentType.objects.get_for_model(Application),
        about_id__in=ids,
        created_at__gte=job.created_at,
    ).count()
    if told != 2 * len(ids):
        problems.append(f"{told} notifications to the students for {2 * len(ids)} expected")
    return {
        "problems": problems,
        "state": job.state,
        "attempts": job.attempts,
        "total": job.total,
        "approved": len(job.approved_ids),
        "refused": len(job.refusals),
        "status_records": records.count(),
        "credits_earned": origins,
        "credits_recognised": recognised,
        "notifications_to_students": told,
    }


COMMANDS: dict[str, Callable[..., dict]] = {
    "world": world,
    "activation_code": activation_code,
    "deliveries": deliveries,
    "batch_prepare": batch_prepare,
    "batch_verify": batch_verify,
}
