"""factory-boy factories for every model; the personas in ``conftest.py`` are built from these.

Defaults give rows the database accepts: a pairing's schools are of the right kind and in the
pairing's own pilot area, an integration class is hosted by a school of its pairing and trains
in one of its cooperative majors, a student's birth date and gender agree with the ID-card
number. Tests that need a bad row write it by hand.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from credits.models import Course, CreditRecord
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
from students.models import StatusRecord, Student, Track
from students.validators import make_id_card_number

PASSWORD = "Correct-horse-42"
PILOT_START = datetime.date(2024, 9, 1)
PILOT_END = datetime.date(2027, 8, 31)  # three years, as pilot_area_approve requires


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    code = factory.Sequence(lambda n: f"{310000 + n * 100:06d}")
    name = factory.Faker("city", locale="zh_CN")
    bureau_name = factory.LazyAttribute(lambda o: f"{o.name}教育局")


class PilotAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PilotArea

    class Params:
        approved = factory.Trait(
            approval=PilotArea.Approval.APPROVED,
            approved_at=factory.LazyFunction(timezone.now),
        )

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.Sequence(lambda n: f"{510000 + n:06d}")
    slug = factory.Sequence(lambda n: f"area-{n}")
    name = factory.Sequence(lambda n: f"试点区{n}")
    pilot_start = PILOT_START
    pilot_end = PILOT_END
    approval = PilotArea.Approval.PENDING


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    code = factory.Sequence(lambda n: f"{3133000000 + n:010d}")
    name = factory.Sequence(lambda n: f"第{n}中学")
    kind = School.Kind.GENERAL
    pilot_area = None
    municipality = factory.Maybe(
        "pilot_area",
        yes_declaration=factory.SelfAttribute("pilot_area.municipality"),
        no_declaration=factory.SubFactory(MunicipalityFactory),
    )


class MajorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Major

    code = factory.Sequence(lambda n: f"{710000 + n:06d}")
    name = factory.Iterator(
        ["计算机应用", "数控技术应用", "电子商务", "汽车运用与维修", "会计事务"]
    )


class PairingFactory(factory.django.DjangoModelFactory):
    """A valid pairing with one cooperative major unless ``majors=[...]`` says otherwise."""

    class Meta:
        model = Pairing
        skip_postgeneration_save = True

    pilot_area = factory.SubFactory(PilotAreaFactory)
    general_school = factory.SubFactory(
        SchoolFactory, kind=School.Kind.GENERAL, pilot_area=factory.SelfAttribute("..pilot_area")
    )
    vocational_school = factory.SubFactory(
        SchoolFactory,
        kind=School.Kind.VOCATIONAL,
        pilot_area=factory.SelfAttribute("..pilot_area"),
        name=factory.Sequence(lambda n: f"第{n}职业高级中学"),
    )

    @factory.post_generation
    def majors(self, create, extracted, **kwargs):
        if not create:
            return
        for major in [MajorFactory()] if extracted is None else extracted:
            CooperativeMajor.objects.create(pairing=self, major=major)


class CooperativeMajorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CooperativeMajor

    pairing = factory.SubFactory(PairingFactory, majors=[])
    major = factory.SubFactory(MajorFactory)


class AcademicYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AcademicYear
        django_get_or_create = ("start_year",)

    start_year = 2024
    start_date = factory.LazyAttribute(lambda o: datetime.date(o.start_year, 9, 1))
    end_date = factory.LazyAttribute(lambda o: datetime.date(o.start_year + 1, 8, 31))


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term
        django_get_or_create = ("academic_year", "semester")

    academic_year = factory.SubFactory(AcademicYearFactory)
    semester = Term.Semester.FIRST
    start_date = factory.LazyAttribute(
        lambda o: (
            o.academic_year.start_date
            if o.semester == Term.Semester.FIRST
            else datetime.date(o.academic_year.start_year + 1, 2, 20)
        )
    )
    end_date = factory.LazyAttribute(
        lambda o: (
            datetime.date(o.academic_year.start_year + 1, 1, 20)
            if o.semester == Term.Semester.FIRST
            else o.academic_year.end_date
        )
    )


class IntegrationClassFactory(factory.django.DjangoModelFactory):
    """Hosted by the pairing's general school, training in its first cooperative major."""

    class Meta:
        model = IntegrationClass

    pairing = factory.SubFactory(PairingFactory)
    host_school = factory.SelfAttribute("pairing.general_school")
    major = factory.LazyAttribute(lambda o: o.pairing.cooperative_majors.order_by("pk").first())
    name = factory.Sequence(lambda n: f"融通{n}班")
    cohort_year = 2024
    capacity = 45


class UserFactory(factory.django.DjangoModelFactory):
    """A user with one role; pass the scope that matches it (``school=``, ``pilot_area=``,
    ``municipality=``) or the database refuses the row."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="zh_CN")
    last_name = factory.Faker("last_name", locale="zh_CN")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.edu.cn")
    password = factory.django.Password(PASSWORD)
    role = User.Role.STUDENT


class StudentFactory(factory.django.DjangoModelFactory):
    """A student whose ID-card number is valid and agrees with the birth date and gender.

    ``n`` keeps ID numbers unique: it picks the three-digit sequence (whose last digit carries
    the gender) and, every 500 students, the birth date.
    """

    class Meta:
        model = Student

    class Params:
        n = factory.Sequence(lambda n: n)
        region = "330110"

    name = factory.Faker("name", locale="zh_CN")
    gender = factory.Iterator([Student.Gender.MALE, Student.Gender.FEMALE])
    birth_date = factory.LazyAttribute(
        lambda o: datetime.date(2008, 1, 1) + datetime.timedelta(days=o.n // 500)
    )
    id_card_number = factory.LazyAttribute(
        lambda o: make_id_card_number(
            o.region,
            o.birth_date,
            (o.n % 500) * 2 + (1 if o.gender == Student.Gender.MALE else 0),
        )
    )
    student_number = factory.LazyAttribute(lambda o: f"G{o.id_card_number}")
    guardian_name = factory.Faker("name", locale="zh_CN")
    guardian_phone = factory.Sequence(lambda n: f"138{n % 10**8:08d}")
    user = None


class StatusRecordFactory(factory.django.DjangoModelFactory):
    """An active registration; ``closed=True`` gives a transferred-out one."""

    class Meta:
        model = StatusRecord

    class Params:
        closed = factory.Trait(
            state=StatusRecord.State.TRANSFERRED_OUT,
            end_date=datetime.date(2025, 1, 31),
            reason="转出",
        )

    student = factory.SubFactory(StudentFactory)
    school = factory.SubFactory(SchoolFactory)
    track = factory.LazyAttribute(
        lambda o: Track.VOCATIONAL if o.school.kind == School.Kind.VOCATIONAL else Track.GENERAL
    )
    integration_class = None
    major = None
    start_date = datetime.date(2024, 9, 1)
    end_date = None
    state = StatusRecord.State.ACTIVE
    reason = "入学"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    school = factory.SubFactory(SchoolFactory)
    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Iterator(["语文", "数学", "英语", "机械制图", "电工基础"])
    category = Course.Category.GENERAL_CULTURE
    credit_value = Decimal("2.0")


class CreditRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditRecord

    student = factory.SubFactory(StudentFactory)
    course = factory.SubFactory(CourseFactory)
    term = factory.SubFactory(TermFactory)
    score = Decimal("85.0")
    credits_earned = factory.LazyAttribute(lambda o: o.course.credit_value)


def saying(notifications, text: str, *, field: str = "subject", start: bool = False) -> list:
    """The notifications whose subject (or body) says ``text`` in the active language: they
    store a message and its parameters, so the words exist only when shown."""
    return [
        n
        for n in notifications
        if (getattr(n, field).startswith(text) if start else text in getattr(n, field))
    ]
