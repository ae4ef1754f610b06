"""Fill a PostgreSQL database with a city's worth of pilot data, fast.

The structure (municipality, pilot areas, paired schools, classes, courses, recognition rules,
staff, one published policy per area) is made with the ORM and the real policy services; the
volume (students, status records, credit records, review confirmations, applications) goes in
with PostgreSQL COPY (psycopg2 ``copy_expert``), streamed in chunks so memory stays flat.

Works on any PostgreSQL database Django is connected to, the test database included: it adds
rows and never drops anything.
"""

import datetime
import io
import itertools
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import ric

from credits.models import Course, CreditRecord, RecognitionRule
from schools.models import (
    AcademicYear,
    CooperativeMajor,
    IntegrationClass,
    Major,
    Municipality,
    Pairing,
    PilotArea,
    School,
    Term,
    User,
)
from students.models import StatusConfirmation, StatusRecord, StatusReview, Student
from transfers import services
from transfers.models import Application, TransferPolicy

D = Decimal
COHORT = 2024
SHANGHAI = ZoneInfo("Asia/Shanghai")
ENROLLED_ON = datetime.date(COHORT, 9, 1)
#: Rows per COPY chunk: big enough to be fast, small enough to keep memory flat.
CHUNK = 100_000
#: Of the registered students, this share is confirmed in the semester review.
CONFIRMED_SHARE = 0.95

STANDARDS = [
    ("g2v", "written", "专业基础知识", D(100), D(60), D("0.6")),
    ("g2v", "interview", "面试", D(100), D(60), D("0.4")),
    ("v2g", "written", "语数英", D(150), D(90), D("0.6")),
    ("v2g", "interview", "面试", D(100), D(60), D("0.4")),
]


@dataclass(frozen=True)
class Scale:
    name: str
    students: int
    schools: int
    areas: int
    credits_per_student: int
    applications: int
    #: Rows of the CSV file imported through the real import path (at most MAX_ROWS).
    import_rows: int
    #: Applications waiting for the bureau (recommended): its approval queue.
    pending: int
    #: Transfers the bureau approves in one batch, of those pending.
    batch: int
    #: Students at the school whose registrar's list is measured (0: dealt like the rest).
    list_students: int = 0


SCALES = {
    "tiny": Scale("tiny", 300, 4, 2, 8, 20, 100, 8, 5, 60),
    "small": Scale("small", 10_000, 40, 4, 40, 1_000, 5_000, 100, 100),
    # The city: a 100,000-row import, 10,000 applications waiting for the bureau,
    # 1,000 of them approved in one batch, a registrar's list of 5,000 students.
    "city": Scale("city", 300_000, 400, 13, 40, 20_000, 100_000, 10_000, 1_000, 5_000),
    # The stretch, run on demand: a province of five such cities in one instance.
    "province": Scale("province", 1_500_000, 2_000, 65, 40, 100_000, 100_000, 10_000, 1_000, 5_000),
}


@dataclass
class World:
    scale: Scale
    municipality: Municipality
    bureau: User
    first_term: Term
    areas: list = field(default_factory=list)
    pairings: list = field(default_factory=list)
    policies: dict = field(default_factory=dict)  # area pk -> TransferPolicy
    registrars: dict = field(default_factory=dict)  # school pk -> User
    #: The batch the bureau approves: the first ``batch`` of the applications waiting for it.
    recommended: list = field(default_factory=list)
    #: The school the CSV import writes into, and its class.
    import_school: School | None = None
    import_class: IntegrationClass | None = None
    counts: dict = field(default_factory=dict)


def id_card_number(region: str, birth: datetime.date, sequence: int) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def person(region: str, index: int, *, born_from=datetime.date(2008, 9, 1)):
    """The index-th person of a region: a unique valid ID-card number, birth date, gender."""
    birth = born_from + datetime.timedelta(days=index // 1000)
    sequence = index % 1000
    return id_card_number(region, birth, sequence), birth, "M" if sequence % 2 else "F"


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY an iterable of tuples into a table, in chunks; returns the row count."""
    count = 0
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
        while True:
            chunk = list(itertools.islice(rows, CHUNK))
            if not chunk:
                return count
            buffer = io.StringIO()
            for row in chunk:
                buffer.write("\t".join(_copy_value(value) for value in row))
                buffer.write("\n")
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
            count += len(chunk)


@contextmanager
def loading(*tables: str, log=print):
    """Fill ``tables`` as pg_restore would: their foreign keys and their plain (non-unique)
    indexes are dropped while COPY writes, then the indexes are built once each and every
    foreign key is added back, which checks all the rows in one join. Kept, a foreign key
    (deferred, as Django creates them) would queue one check per row and run them all at
    COMMIT: minutes for 12 million credit records. Unique indexes and CHECK constraints stay
    in force throughout. Runs inside the caller's transaction: if the load fails, nothing of
    it (the dropped constraints included) is kept."""
    with connection.cursor() as cursor:
        # Checks still pending from earlier in the transaction run now: a table with pending
        # checks cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [list(tables)],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary "
            "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        # The names come from the catalogue, not from input.
        for table, name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default
    log(
        f"{len(indexes)} indexes built, {len(foreign_keys)} foreign keys checked "
        f"in {time.perf_counter() - start:.0f} s"
    )


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    return str(value)


def next_ids(model, count: int) -> int:
    """Reserve ``count`` ids of a model's sequence; returns the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # The table name is the model's own, not input.
        sql = (
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"GREATEST((SELECT COALESCE(max(id), 0) FROM {table}), "
            f"(SELECT last_value FROM {table}_id_seq)) + %s)"
        )
        cursor.execute(
            sql,
            [count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def generate(scale: Scale, *, log=print) -> World:
    """Build the structure and the volume for a scale; returns what the figures need."""
    with transaction.atomic():
        world = _structure(scale)
    log(f"structure: {len(world.areas)} areas, {len(world.pairings) * 2} schools")
    volume = (Student, StatusRecord, CreditRecord, StatusConfirmation, Application)
    with transaction.atomic():
        with loading(*(model._meta.db_table for model in volume), log=log):
            _volume(world, log=log)
        with connection.cursor() as cursor:
            for model in volume:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return world


def _structure(scale: Scale) -> World:
    year, _ = AcademicYear.objects.get_or_create(
        start_year=COHORT,
        defaults={"start_date": ENROLLED_ON, "end_date": datetime.date(COHORT + 1, 7, 15)},
    )
    first_term, _ = Term.objects.get_or_create(
        academic_year=year,
        semester=Term.Semester.FIRST,
        defaults={"start_date": ENROLLED_ON, "end_date": datetime.date(COHORT + 1, 1, 20)},
    )
    Term.objects.get_or_create(
        academic_year=year,
        semester=Term.Semester.SECOND,
        defaults={
            "start_date": datetime.date(COHORT + 1, 2, 20),
            "end_date": datetime.date(COHORT + 1, 7, 15),
        },
    )
    municipality = Municipality.objects.create(
        code="339900", name="基准市", bureau_name="基准市教育局"
    )
    bureau = User.objects.create(
        username="bench-bureau", role=User.Role.BUREAU, municipality=municipality
    )
    world = World(scale=scale, municipality=municipality, bureau=bureau, first_term=first_term)
    majors = [
        Major.objects.get_or_create(code=f"99{n:04d}", defaults={"name": f"基准专业{n}"})[0]
        for n in range(4)
    ]
    per_area = max(1, scale.schools // scale.areas // 2)
    now = timezone.now()
    for a in range(scale.areas):
        area = PilotArea.objects.create(
            municipality=municipality,
            code=f"3399{a:02d}",
            slug=f"bench-{a}",
            name=f"基准区{a}",
            pilot_start=datetime.date(COHORT, 1, 1),
            pilot_end=datetime.date(COHORT + 3, 8, 31),
            approval=PilotArea.Approval.APPROVED,
            approved_at=now,
        )
        world.areas.append(area)
        district = User.objects.create(
            username=f"bench-district-{a}", role=User.Role.DISTRICT, pilot_area=area
        )
        quotas = []
        for p in range(per_area):
            schools = [
                School.objects.create(
                    code=f"99{a:02d}{p:04d}{k}0",
                    name=f"基准区{a}{'高级中学' if k == 1 else '职业学校'}{p}",
                    kind=School.Kind.GENERAL if k == 1 else School.Kind.VOCATIONAL,
                    municipality=municipality,
                    pilot_area=area,
                )
                for k in (1, 2)
            ]
            pairing = Pairing.objects.create(
                pilot_area=area, general_school=schools[0], vocational_school=schools[1]
            )
            pairing_majors = [majors[p % 4], majors[(p + 1) % 4]]
            for major in pairing_majors:
                CooperativeMajor.objects.create(pairing=pairing, major=major)
            # The bench's own attributes on the pairing (not fields), read back when the
            # volume is written.
            classes: list[IntegrationClass] = []
            pairing.classes = classes  # type: ignore[attr-defined]
            for school in schools:
                world.registrars[school.pk] = User.objects.create(
                    username=f"bench-registrar-{school.code}",
                    role=User.Role.REGISTRAR,
                    school=school,
                )
                for n, major in enumerate(pairing_majors):
                    classes.append(
                        IntegrationClass.objects.create(
                            name=f"融通{n + 1}班",
                            host_school=school,
                            pairing=pairing,
                            major=major,
                            cohort_year=COHORT,
                            capacity=999,
                        )
                    )
                    quotas.append(services.QuotaSpec(school, major, scale.applications))
            pairing.courses = _courses_and_rules(pairing, schools, scale.credits_per_student)  # type: ignore[attr-defined]
            world.pairings.append(pairing)
        world.policies[area.pk] = _publish_policy(area, district, bureau, quotas)
    first = world.pairings[0]
    world.import_school = first.general_school
    world.import_class = first.classes[0]
    return world


def _courses_and_rules(pairing, schools, count: int) -> dict:
    """``count`` first-semester courses at each school; each counts as its namesake at the
    partner school (rule 7), so a transfer recognises every credit record."""
    courses = {}
    for school in schools:
        courses[school.pk] = Course.objects.bulk_create(
            [
                Course(
                    school=school,
                    code=f"C{n:03d}",
                    name=f"课程{n}",
                    category=Course.Category.GENERAL_CULTURE,
                    credit_value=D("2.0"),
                )
                for n in range(count)
            ]
        )
    general, vocational = (courses[school.pk] for school in schools)
    RecognitionRule.objects.bulk_create(
        [
            RecognitionRule(pairing=pairing, source_course=source, target_course=target)
            for source, target in itertools.chain(
                zip(general, vocational, strict=True), zip(vocational, general, strict=True)
            )
        ]
    )
    return courses


def _publish_policy(
    area, district, bureau, quotas, *, cohort=COHORT, opens=None, closes=None
) -> TransferPolicy:
    policy = services.policy_create(
        actor=district,
        pilot_area=area,
        cohort_year=cohort,
        title=f"{area.name}{cohort}级普职融通学籍互转实施办法",
        window_opens=opens or datetime.datetime(COHORT + 1, 1, 10, 8, tzinfo=SHANGHAI),
        window_closes=closes or datetime.datetime(COHORT + 1, 2, 10, 17, tzinfo=SHANGHAI),
        components=[services.ComponentSpec(*row) for row in STANDARDS],
        quotas=quotas,
        min_first_semester_credits=None,
        notice_days=5,
        tie_break=[],
    )
    # Written, sent and approved before its window opens.
    written = policy.window_opens - datetime.timedelta(days=5)
    services.policy_submit(actor=district, policy=policy, now=written)
    services.policy_review(actor=bureau, policy=policy, approve=True, comment="同意。", now=written)
    return services.policy_publish(actor=district, policy=policy)


def _volume(world: World, *, log) -> None:
    scale = world.scale
    # Every school with its class list and courses, in a fixed order students are dealt to.
    slots = []
    for pairing in world.pairings:
        for school in (pairing.general_school, pairing.vocational_school):
            classes = [k for k in pairing.classes if k.host_school_id == school.pk]
            slots.append((pairing, school, classes, pairing.courses[school.pk]))
    n = scale.students
    first_student = next_ids(Student, n)
    first_status = next_ids(StatusRecord, n)
    per_region: dict[str, int] = {}
    per_slot: dict[int, int] = {}
    placement = []  # (student id, status id, slot index, class)
    created = timezone.now().isoformat()
    # The last pairing's general school (whose registrar's list is measured) takes the last
    # ``list_students``; the others are dealt round-robin to the other schools.
    listed = slots.index(next(s for s in slots if s[1] == world.pairings[-1].general_school))
    dealt = [i for i in range(len(slots)) if i != listed] if scale.list_students else None

    def slot_of(i: int) -> int:
        if dealt is None:
            return i % len(slots)
        return listed if i >= n - scale.list_students else dealt[i % len(dealt)]

    def students():
        for i in range(n):
            slot = slot_of(i)
            pairing, school, classes, _courses = slots[slot]
            region = pairing.pilot_area.code
            index = per_region.get(region, 0)
            per_region[region] = index + 1
            number, birth, gender = person(region, index)
            seat = per_slot.get(slot, 0)
            per_slot[slot] = seat + 1
            klass = classes[seat % len(classes)]
            placement.append((first_student + i, first_status + i, slot, klass))
            yield (
                first_student + i,
                f"G{number}",
                f"学生{i}",
                number,
                gender,
                birth.isoformat(),
                f"家长{i}",
                f"139{i:08d}",
                None,
            )

    world.counts["students"] = copy_rows(
        "students_student",
        [
            "id",
            "student_number",
            "name",
            "id_card_number",
            "gender",
            "birth_date",
            "guardian_name",
            "guardian_phone",
            "user_id",
        ],
        students(),
    )

    def statuses():
        for student_id, status_id, slot, klass in placement:
            school = slots[slot][1]
            track = "general" if school.kind == School.Kind.GENERAL else "vocational"
            yield (
                status_id,
                student_id,
                school.pk,
                track,
                klass.pk,
                klass.major_id,
                ENROLLED_ON.isoformat(),
                None,
                "active",
                "",
                None,
                created,
            )

    world.counts["status records"] = copy_rows(
        "students_statusrecord",
        [
            "id",
            "student_id",
            "school_id",
            "track",
            "integration_class_id",
            "major_id",
            "start_date",
            "end_date",
            "state",
            "reason",
            "funding_eligible_from",
            "created_at",
        ],
        statuses(),
    )
    log(f"COPY: {world.counts['students']:,} students and status records")

    term = world.first_term.pk

    def credits():
        for student_id, _status_id, slot, _klass in placement:
            for c, course in enumerate(slots[slot][3]):
                score = 60 + (student_id + c) % 40
                yield (student_id, course.pk, term, f"{score}.0", "2.0", None)

    world.counts["credit records"] = copy_rows(
        "credits_creditrecord",
        ["student_id", "course_id", "term_id", "score", "credits_earned", "recognised_from_id"],
        credits(),
    )
    log(f"COPY: {world.counts['credit records']:,} credit records")

    # The semester review: every school's review open, most students confirmed.
    reviews = {
        review.school_id: review
        for review in StatusReview.objects.bulk_create(
            [StatusReview(school=slot[1], term=world.first_term) for slot in slots]
        )
    }

    def confirmations():
        for student_id, _status_id, slot, _klass in placement:
            if (student_id * 7919) % 100 < CONFIRMED_SHARE * 100:
                school = slots[slot][1]
                yield (
                    reviews[school.pk].pk,
                    student_id,
                    world.registrars[school.pk].pk,
                    created,
                )

    world.counts["review confirmations"] = copy_rows(
        "students_statusconfirmation",
        ["review_id", "student_id", "confirmed_by_id", "confirmed_at"],
        confirmations(),
    )

    # Applications: general-school students apply to the paired vocational school. The first
    # ``pending`` of them wait for the bureau (recommended); the rest are just submitted.
    applicants = [p for p in placement if slots[p[2]][1].kind == School.Kind.GENERAL]
    applicants = applicants[: scale.applications]
    consent = datetime.date(COHORT + 1, 1, 14).isoformat()

    def applications():
        for number, (student_id, status_id, slot, klass) in enumerate(applicants):
            pairing, school = slots[slot][0], slots[slot][1]
            policy = world.policies[pairing.pilot_area_id]
            waiting = number < scale.pending
            yield (
                student_id,
                policy.pk,
                status_id,
                school.pk,
                pairing.vocational_school_id,
                klass.major_id,
                "g2v",
                "recommended" if waiting else "submitted",
                "希望根据自己的兴趣选择更适合的发展方向。",
                "王芳",
                "母亲",
                "13800001111",
                consent,
                created,
                created,
                "80.00" if waiting else None,
                "t" if waiting else None,
                number + 1 if waiting else None,
                created if waiting else None,
                None,
                1,  # each student's first application, under a policy of one
                1,
                "f",  # not a transfer back
            )

    world.counts["applications"] = copy_rows(
        "transfers_application",
        [
            "student_id",
            "policy_id",
            "from_status_id",
            "from_school_id",
            "to_school_id",
            "to_major_id",
            "direction",
            "state",
            "reason",
            "guardian_name",
            "guardian_relation",
            "guardian_phone",
            "guardian_consent_date",
            "submitted_at",
            "state_changed_at",
            "total_score",
            "passed",
            "rank",
            "results_published_at",
            "new_status_id",
            "attempt",
            "attempts_allowed",
            "transfer_back",
        ],
        applications(),
    )
    world.recommended = list(
        Application.objects.filter(
            policy__in=world.policies.values(), state=Application.State.RECOMMENDED
        )
        .select_related("student")
        .order_by("pk")[: scale.batch]
    )
    log(
        f"COPY: {world.counts['review confirmations']:,} confirmations, "
        f"{world.counts['applications']:,} applications"
    )


def rush_cohort(world: World, count: int) -> list[Student]:
    """``count`` students who may apply now, for the window-close rush.

    The generated cohort's window closed long ago (and a published policy cannot change), so
    this adds a cohort whose window is open now: a school year dated around today, one
    integration class at each pairing's general school, each area's policy for that cohort
    published through the services with a window open for the next two hours, and the
    students (with an active status in those classes and a student account each) dealt
    round-robin to the classes.
    """
    from django.contrib.auth.hashers import make_password

    now = timezone.now()
    today = timezone.localdate(now)
    day = datetime.timedelta(days=1)
    cohort = max(today.year, COHORT + 1)
    year = AcademicYear.objects.create(
        start_year=cohort, start_date=today - 60 * day, end_date=today + 200 * day
    )
    Term.objects.create(
        academic_year=year,
        semester=Term.Semester.FIRST,
        start_date=today - 60 * day,
        end_date=today + 30 * day,
    )
    Term.objects.create(
        academic_year=year,
        semester=Term.Semester.SECOND,
        start_date=today + 40 * day,
        end_date=today + 200 * day,
    )
    classes = []
    for area in world.areas:
        pairings = [p for p in world.pairings if p.pilot_area_id == area.pk]
        quotas = []
        for pairing in pairings:
            majors = [c.major for c in CooperativeMajor.objects.filter(pairing=pairing)]
            classes.append(
                IntegrationClass.objects.create(
                    name="融通冲刺班",
                    host_school=pairing.general_school,
                    pairing=pairing,
                    major=majors[0],
                    cohort_year=cohort,
                    capacity=999,
                )
            )
            quotas += [services.QuotaSpec(pairing.vocational_school, m, count) for m in majors]
        _publish_policy(
            area,
            User.objects.get(role=User.Role.DISTRICT, pilot_area=area),
            world.bureau,
            quotas,
            cohort=cohort,
            opens=now - day,
            closes=now + datetime.timedelta(hours=2),
        )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=f"bench-rush-{i}", role=User.Role.STUDENT, password=unusable)
            for i in range(count)
        ]
    )
    people: dict[str, int] = {}
    students = []
    for i, user in enumerate(users):
        region = classes[i % len(classes)].pairing.pilot_area.code
        index = people[region] = people.get(region, -1) + 1
        number, birth, gender = person(region, index, born_from=datetime.date(2011, 9, 1))
        students.append(
            Student(
                student_number=f"G{number}",
                name=f"冲刺学生{i}",
                id_card_number=number,
                gender=gender,
                birth_date=birth,
                guardian_name=f"家长{i}",
                guardian_phone=f"136{i:08d}",
                user=user,
            )
        )
    students = Student.objects.bulk_create(students)
    StatusRecord.objects.bulk_create(
        [
            StatusRecord(
                student=student,
                school=klass.host_school,
                track="general",
                integration_class=klass,
                major=klass.major,
                start_date=year.start_date,
            )
            for i, student in enumerate(students)
            for klass in [classes[i % len(classes)]]
        ]
    )
    return students
