"""Build the Hangzhou demo: four pilot areas from seed 002, their paired schools, integration
classes of the current first-year cohort, about 300 students with status and credits, and a
login for everyone.

Running it again gives the same data: every row is looked up by its natural key, random
choices come from a fixed seed, and what a previous run (or a demo user) changed is kept.
"""

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from credits.models import Course, CreditRecord
from demo import shandong, story
from schools.models import (
    AcademicYear,
    CooperativeMajor,
    Guardianship,
    IntegrationClass,
    Major,
    Municipality,
    Pairing,
    PilotArea,
    ProgrammeType,
    Province,
    School,
    Term,
    User,
)
from students.models import Source, StatusRecord, StatusReview, Student, Track
from students.review.services import review_confirm, reviews_open_due
from students.services import status_open
from students.validators import make_id_card_number
from transfers.services import province_set_pack

DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed in the README for the demo logins
RANDOM_SEED = 2026
STUDENTS_PER_CLASS = 38
COHORT_YEAR = 2026
PILOT_START = datetime.date(2025, 9, 1)
PILOT_END = datetime.date(2028, 8, 31)

MAJORS = {
    "710201": "计算机应用",
    "660103": "数控技术应用",
    "730701": "电子商务",
    "700206": "汽车运用与维修",
    "730302": "会计事务",
    "740101": "旅游服务与管理",
}

# slug, name, region code, general school, vocational school, cooperative majors
PILOT_AREAS = [
    (
        "yuhang",
        "余杭区",
        "330110",
        ("3301100101", "杭州市余杭第二高级中学"),
        ("3301100201", "杭州市余杭区职业高级中学"),
        ["710201", "730701"],
    ),
    (
        "linping",
        "临平区",
        "330113",
        ("3301130101", "杭州市临平区塘栖中学"),
        ("3301130201", "杭州市临平职业高级中学"),
        ["660103", "700206"],
    ),
    (
        "fuyang",
        "富阳区",
        "330111",
        ("3301110101", "杭州市富阳区场口中学"),
        ("3301110201", "杭州市富阳区职业高级中学"),
        ["730701", "730302"],
    ),
    (
        "jiande",
        "建德市",
        "330182",
        ("3301820101", "建德市寿昌中学"),
        ("3301820201", "建德市工业技术学校"),
        ["660103", "740101"],
    ),
]

#: The province above it, whose education department sets the pack for all its cities.
SHANDONG = ("370000", "山东省", "山东省教育厅")
#: A Shandong city running the provincial rules of 2026 (the Shandong pack), two counties.
WEIFANG = ("370700", "潍坊市", "潍坊市教育局")
#: Its pilot areas are counties; their classes are of the 2025 cohort (grade 11 now), so the
#: story has windows behind it and one open.
WEIFANG_COHORT = 2025
# slug, name, region code, general school, vocational school, majors, five-year majors
WEIFANG_AREAS = [
    (
        "shouguang",
        "寿光市",
        "370783",
        ("3707830101", "寿光市第一中学"),
        ("3707830201", "寿光市职业教育中心学校"),
        ["710201", "660103"],
        [],
    ),
    (
        "qingzhou",
        "青州市",
        "370781",
        ("3707810101", "青州市第二中学"),
        ("3707810201", "青州市职业教育中心学校"),
        ["730701", "700206"],
        ["700206"],
    ),
]

GENERAL_COURSES = [
    ("YW101", "语文", Course.Category.GENERAL_CULTURE, "4.0"),
    ("SX101", "数学", Course.Category.GENERAL_CULTURE, "4.0"),
    ("YY101", "英语", Course.Category.GENERAL_CULTURE, "4.0"),
    ("WL101", "物理", Course.Category.GENERAL_CULTURE, "3.0"),
    ("HX101", "化学", Course.Category.GENERAL_CULTURE, "2.0"),
    ("XX101", "信息技术", Course.Category.ELECTIVE, "2.0"),
]
VOCATIONAL_CULTURE_COURSES = [
    ("YW101", "语文", Course.Category.GENERAL_CULTURE, "3.0"),
    ("SX101", "数学", Course.Category.GENERAL_CULTURE, "3.0"),
    ("YY101", "英语", Course.Category.GENERAL_CULTURE, "3.0"),
    ("TY101", "体育与健康", Course.Category.ELECTIVE, "2.0"),
]
MAJOR_COURSES = {
    "710201": [("计算机应用基础", "4.0"), ("程序设计基础", "3.0")],
    "660103": [("机械制图", "4.0"), ("数控车床编程与操作", "3.0")],
    "730701": [("电子商务基础", "3.0"), ("网店运营", "3.0")],
    "700206": [("汽车构造", "4.0"), ("汽车电工电子基础", "3.0")],
    "730302": [("基础会计", "4.0"), ("财经法规与会计职业道德", "2.0")],
    "740101": [("旅游概论", "3.0"), ("导游基础知识", "3.0")],
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯"
    "邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = (
    "子涵欣怡梓轩浩然一诺宇轩思彤雨桐俊杰嘉怡佳琪"
    "晨曦梓萱诗涵明轩天佑可馨若汐博文雅琪宇航紫涵亦凡欣妍"
)


class Command(BaseCommand):
    help = "Build a reproducible Hangzhou demo data set with logins (password demo12345)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a production database.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates demo logins with a published password; it refuses to run "
                "with DEBUG off. Pass --force if this really is a demo database."
            )
        builder = DemoBuilder()
        with transaction.atomic():
            builder.build()
            story.build(cohort_year=COHORT_YEAR, now=timezone.now())
            shandong.build(cohort_year=WEIFANG_COHORT, now=timezone.now())
            builder.build_status_reviews(today=timezone.localdate())
        self.print_accounts(builder.accounts)

    def print_accounts(self, accounts: list[tuple[str, str, str]]) -> None:
        headers = ("username", "role", "scope")
        widths = [max(len(h), *(len(row[i]) for row in accounts)) for i, h in enumerate(headers)]
        line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
        self.stdout.write(line)
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in accounts:
            self.stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
        self.stdout.write(
            self.style.SUCCESS(f"{len(accounts)} demo accounts, password: {DEMO_PASSWORD}")
        )


class DemoBuilder:
    def __init__(self) -> None:
        self.random = random.Random(RANDOM_SEED)
        # A fixed salt keeps a second run byte-for-byte identical to the first.
        self.password_hash = make_password(DEMO_PASSWORD, salt="hangzhoudemo2026")
        self.accounts: list[tuple[str, str, str]] = []

    def build(self) -> None:
        city = self.build_city()
        majors = {
            code: Major.objects.update_or_create(code=code, defaults={"name": name})[0]
            for code, name in MAJORS.items()
        }
        first_term = self.build_calendar()
        self.account("admin", User.Role.ADMIN, superuser=True)
        self.account("bureau", User.Role.BUREAU, municipality=city)
        for slug, name, region, general, vocational, major_codes in PILOT_AREAS:
            area = self.build_area(city, slug, name, region)
            general_school = self.build_school(city, area, *general, School.Kind.GENERAL)
            vocational_school = self.build_school(city, area, *vocational, School.Kind.VOCATIONAL)
            pairing = self.build_pairing(
                area, general_school, vocational_school, [majors[c] for c in major_codes]
            )
            self.account(f"district-{slug}", User.Role.DISTRICT, pilot_area=area)
            for school in (general_school, vocational_school):
                self.account(f"registrar-{school.code}", User.Role.REGISTRAR, school=school)
                self.build_courses(school, major_codes)
            # One integration class at each school of the pairing, in a different major.
            for number, (host, major_code) in enumerate(
                zip((general_school, vocational_school), major_codes, strict=True), start=1
            ):
                cls = self.build_class(host, pairing, majors[major_code], number)
                self.build_students(cls, region, first_term)
        self.build_weifang(majors)

    def build_weifang(self, majors: dict) -> None:
        """Weifang, Shandong: its bureau, two county pilot areas with a pairing each, and a
        2025 class at each school; one cooperative major is a five-year programme, which the
        Shandong pack keeps closed to students moving in."""
        province = Province.objects.update_or_create(
            code=SHANDONG[0], defaults={"name": SHANDONG[1], "department_name": SHANDONG[2]}
        )[0]
        department = self.account("province-shandong", User.Role.PROVINCE, province=province)
        # The province sets the Shandong pack for all its cities, as its rules of 2026 ask.
        province_set_pack(actor=department, province=province, rule_pack="shandong-2026")
        code, name, bureau_name = WEIFANG
        city = Municipality.objects.update_or_create(
            code=code, defaults={"name": name, "bureau_name": bureau_name, "province": province}
        )[0]
        self.account("bureau-weifang", User.Role.BUREAU, municipality=city)
        first_term = Term.objects.get(
            academic_year__start_year=WEIFANG_COHORT, semester=Term.Semester.FIRST
        )
        for slug, area_name, region, general, vocational, codes, five_year in WEIFANG_AREAS:
            area = self.build_area(city, slug, area_name, region)
            PilotArea.objects.filter(pk=area.pk).update(county=area_name)
            general_school = self.build_school(city, area, *general, School.Kind.GENERAL)
            vocational_school = self.build_school(city, area, *vocational, School.Kind.VOCATIONAL)
            pairing = self.build_pairing(
                area, general_school, vocational_school, [majors[c] for c in codes]
            )
            CooperativeMajor.objects.filter(pairing=pairing, major__code__in=five_year).update(
                programme_type=ProgrammeType.FIVE_YEAR
            )
            self.account(f"district-{slug}", User.Role.DISTRICT, pilot_area=area)
            for school in (general_school, vocational_school):
                self.account(f"registrar-{school.code}", User.Role.REGISTRAR, school=school)
                self.build_courses(school, codes)
            for number, host in enumerate((general_school, vocational_school), start=1):
                cls = self.build_class(
                    host, pairing, majors[codes[0]], number, cohort_year=WEIFANG_COHORT
                )
                self.build_students(cls, region, first_term, cohort_year=WEIFANG_COHORT)

    def build_city(self) -> Municipality:
        return Municipality.objects.update_or_create(
            code="330100", defaults={"name": "杭州市", "bureau_name": "杭州市教育局"}
        )[0]

    def build_calendar(self) -> Term:
        for start_year in (2025, 2026):
            year, _ = AcademicYear.objects.update_or_create(
                start_year=start_year,
                defaults={
                    "start_date": datetime.date(start_year, 9, 1),
                    "end_date": datetime.date(start_year + 1, 8, 31),
                },
            )
            first, _ = Term.objects.update_or_create(
                academic_year=year,
                semester=Term.Semester.FIRST,
                defaults={
                    "start_date": datetime.date(start_year, 9, 1),
                    "end_date": datetime.date(start_year + 1, 1, 24),
                },
            )
            Term.objects.update_or_create(
                academic_year=year,
                semester=Term.Semester.SECOND,
                defaults={
                    "start_date": datetime.date(start_year + 1, 2, 20),
                    "end_date": datetime.date(start_year + 1, 7, 10),
                },
            )
            first_term = first
        return first_term

    def build_area(self, city, slug, name, region) -> PilotArea:
        area, _ = PilotArea.objects.get_or_create(
            code=region,
            defaults={
                "municipality": city,
                "slug": slug,
                "name": name,
                "pilot_start": PILOT_START,
                "pilot_end": PILOT_END,
                "approval": PilotArea.Approval.APPROVED,
                "approved_at": timezone.make_aware(datetime.datetime(2025, 8, 9, 10, 0)),
            },
        )
        return area

    def build_school(self, city, area, code, name, kind) -> School:
        school, created = School.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "municipality": city, "pilot_area": area},
        )
        return school

    def build_pairing(self, area, general, vocational, majors) -> Pairing:
        # Reference data of an approved pilot, written as the administrator would have before
        # the period began (rule 1 forbids the services from changing it now).
        pairing, _ = Pairing.objects.get_or_create(
            general_school=general, vocational_school=vocational, defaults={"pilot_area": area}
        )
        for major in majors:
            CooperativeMajor.objects.get_or_create(pairing=pairing, major=major)
        return pairing

    def build_class(
        self, host, pairing, major, number, *, cohort_year=COHORT_YEAR
    ) -> IntegrationClass:
        grade = "高一" if cohort_year == COHORT_YEAR else "高二"
        cls, _ = IntegrationClass.objects.get_or_create(
            host_school=host,
            cohort_year=cohort_year,
            name=f"{grade}融通{number}班",
            defaults={"pairing": pairing, "major": major, "capacity": 40},
        )
        return cls

    def build_courses(self, school, major_codes) -> None:
        if school.kind == School.Kind.GENERAL:
            rows = GENERAL_COURSES
        else:
            rows = list(VOCATIONAL_CULTURE_COURSES)
            for code in major_codes:
                for index, (name, credits) in enumerate(MAJOR_COURSES[code], start=1):
                    rows.append(
                        (f"Z{code}{index}", name, Course.Category.VOCATIONAL_TECHNICAL, credits)
                    )
        for code, name, category, credits in rows:
            Course.objects.update_or_create(
                school=school,
                code=code,
                defaults={"name": name, "category": category, "credit_value": Decimal(credits)},
            )

    def build_students(
        self, cls: IntegrationClass, region: str, term: Term, *, cohort_year=COHORT_YEAR
    ) -> None:
        # The school's own first-semester courses: culture courses and the class's major's,
        # not the courses that stand for credits recognised from elsewhere (code R...).
        courses = [
            course
            for course in Course.objects.filter(school=cls.host_school).exclude(
                code__startswith="R"
            )
            if not course.code.startswith("Z") or course.code[1:7] == cls.major.code
        ]
        # Sequence numbers are unique per region and class so ID numbers never collide.
        base_sequence = 100 + (0 if cls.host_school.kind == School.Kind.GENERAL else 400)
        credit_rows = []
        for index in range(STUDENTS_PER_CLASS):
            birth = datetime.date(cohort_year - 16, 9, 1) + datetime.timedelta(
                days=self.random.randrange(365)
            )
            sequence = base_sequence + index * 2 + self.random.randrange(2)
            id_number = make_id_card_number(region, birth, sequence)
            gender = "M" if sequence % 2 else "F"
            name = self.random.choice(SURNAMES) + "".join(self.random.sample(GIVEN, 2))
            guardian = self.random.choice(SURNAMES) + "".join(self.random.sample(GIVEN, 2))
            phone = f"13{self.random.randrange(10**9):09d}"
            student_number = f"G{id_number}"
            user = self.account(student_number, User.Role.STUDENT, first_name=name)
            student, _ = Student.objects.get_or_create(
                student_number=student_number,
                defaults={
                    "name": name,
                    "id_card_number": id_number,
                    "gender": gender,
                    "birth_date": birth,
                    "guardian_name": guardian,
                    "guardian_phone": phone,
                    "user": user,
                },
            )
            if index == 0:
                # One guardian per class signs in too (their login is their mobile number),
                # following their child's record and application.
                parent = self.account(phone, User.Role.GUARDIAN, first_name=guardian)
                Guardianship.objects.get_or_create(
                    guardian=parent, student=user, defaults={"relation": "父亲"}
                )
            if not student.status_records.exists():
                status_open(
                    student=student,
                    school=cls.host_school,
                    track=Track.GENERAL
                    if cls.host_school.kind == School.Kind.GENERAL
                    else Track.VOCATIONAL,
                    integration_class=cls,
                    major=cls.major,
                    start_date=datetime.date(cohort_year, 9, 1),
                    reason=f"{cohort_year}级融通班新生入学",
                    source=Source.SYSTEM,
                )
            for course in courses:
                score = Decimal(min(100, max(35, round(self.random.gauss(78, 11))))).quantize(
                    Decimal("0.1")
                )
                credit_rows.append(
                    CreditRecord(
                        student=student,
                        course=course,
                        term=term,
                        score=score,
                        credits_earned=course.credit_value if score >= 60 else Decimal(0),
                    )
                )
        CreditRecord.objects.bulk_create(
            credit_rows,
            update_conflicts=True,
            unique_fields=["student", "course", "term"],
            update_fields=["score", "credits_earned"],
        )

    def build_status_reviews(self, *, today) -> None:
        """This term's status review, well under way: most schools have confirmed nearly
        everyone, so the findings page has a few unconfirmed students to show."""
        reviews_open_due(today=today)
        for review in StatusReview.objects.filter(
            term__start_date__lte=today, term__end_date__gte=today
        ).select_related("school"):
            if review.confirmations.exists() or review.state != StatusReview.State.OPEN:
                continue
            registrar = User.objects.filter(role=User.Role.REGISTRAR, school=review.school).first()
            students = list(
                StatusRecord.objects.filter(school=review.school, state=StatusRecord.State.ACTIVE)
                .order_by("student__student_number")
                .values_list("student_id", flat=True)
            )
            left_out = 3 if review.school.kind == School.Kind.GENERAL else 0
            chosen = students[: len(students) - left_out]
            if registrar and chosen:
                review_confirm(actor=registrar, review=review, student_ids=chosen)

    def account(self, username, role, *, superuser=False, first_name="", **scope) -> User:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first_name,
                "password": self.password_hash,
                "is_staff": role not in (User.Role.STUDENT, User.Role.GUARDIAN),
                "is_superuser": superuser,
                "school": scope.get("school"),
                "pilot_area": scope.get("pilot_area"),
                "municipality": scope.get("municipality"),
                "province": scope.get("province"),
            },
        )
        place = (
            scope.get("school")
            or scope.get("pilot_area")
            or scope.get("municipality")
            or scope.get("province")
        )
        self.accounts.append((username, str(User.Role(role).label), str(place or first_name or "")))
        return user
