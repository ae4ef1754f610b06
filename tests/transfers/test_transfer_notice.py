"""The public notice of each results version (page and A4 PDF) with names masked by the
policy's rule, read by the cohort and the staff concerned only; and the decision explained
to the student on their application's page."""

import pytest
from django.conf import settings
from django.urls import reverse
from factories import (
    IntegrationClassFactory,
    StatusRecordFactory,
    StudentFactory,
    UserFactory,
    saying,
)
from native import needs_weasyprint
from transfer_world import (
    COHORT,
    DURING_NOTICE,
    approve_and_publish,
    draft_policy,
    drive,
    enrol,
    publish_policy,
    published_ranking,
    submit,
)

from schools.models import User
from transfers import services
from transfers.models import Application, NameMasking, TransferPolicy, mask_name

S = Application.State
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "rule", "shown"),
    [
        ("张三丰", NameMasking.MIDDLE, "张*丰"),
        ("欧阳娜娜", NameMasking.MIDDLE, "欧**娜"),
        ("张三", NameMasking.MIDDLE, "张*"),
        ("张三丰", NameMasking.SURNAME, "张**"),
        ("李", NameMasking.SURNAME, "李"),
    ],
)
def test_names_are_masked_by_the_rule(name, rule, shown):
    assert mask_name(name, rule) == shown


@pytest.fixture
def published(world):
    """Two applicants for one programme (2 seats… of which one given), one failed; on
    notice."""
    names = ["王小明", "李小红", "赵小刚"]
    policy, ranked = published_ranking(world, seats=1, bonuses=[10, 20, None], names=names)
    by_name = {a.student.name: a for a in ranked}
    return policy, [by_name[name] for name in names]


def test_the_notice_lists_every_ranked_applicant_masked_with_scores_rank_and_seats(
    world, client, published
):
    policy, (ming, hong, gang) = published
    client.force_login(ming.student.user)
    page = client.get(
        reverse("transfers:notice", args=[policy.pk, 1]), headers={"Accept-Language": "en"}
    ).content.decode()

    for masked in ("王*明", "李*红", "赵*刚"):
        assert masked in page
    for full in ("王小明", "李小红", "赵小刚"):
        assert full not in page
    assert world.general.name in page  # the sending school
    assert "专业基础知识" in page and "面试" in page  # one column per component
    assert hong.total_score is not None and str(hong.total_score) in page
    assert "Seats: 1" in page
    assert "Not met" in page
    assert "How to object" in page
    assert policy.tie_break_text() in page


def test_the_masking_rule_is_the_policys(world, client):
    draft = draft_policy(world, seats=1)
    services.policy_update(actor=world.district, policy=draft, name_masking=NameMasking.SURNAME)
    policy = approve_and_publish(world, draft)
    application = drive(world, submit(policy, enrol(world, name="王小明")), S.PUBLISHED)
    client.force_login(application.student.user)
    page = client.get(reverse("transfers:notice_latest", args=[policy.pk])).content.decode()
    assert "王**" in page and "王*明" not in page


@pytest.mark.postgres
def test_the_masking_rule_is_frozen_once_approved(world):
    from django.db import IntegrityError, transaction

    policy = publish_policy(world, seats=1)
    with pytest.raises(IntegrityError, match="policy_frozen"), transaction.atomic():
        TransferPolicy.objects.filter(pk=policy.pk).update(name_masking=NameMasking.SURNAME)


def _other_cohort_student(world):
    cls = IntegrationClassFactory(
        pairing=world.pairing,
        host_school=world.general,
        major=world.major,
        cohort_year=COHORT + 1,
        name="融通9班",
    )
    student = StudentFactory(user=UserFactory(role=User.Role.STUDENT))
    StatusRecordFactory(
        student=student, school=world.general, integration_class=cls, major=cls.major
    )
    return student.user


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("cohort student", 200),
        ("applicant", 200),
        ("registrar", 200),
        ("district", 200),
        ("bureau", 200),
        ("other cohort student", 404),
        ("other area's student", 404),
        ("other district", 404),
        ("other bureau", 404),
    ],
)
def test_the_notice_is_for_the_cohort_and_the_staff_concerned(
    world, client, published, who, status
):
    policy, (ming, *_rest) = published
    user = {
        "cohort student": lambda: enrol(world).user,
        "applicant": lambda: ming.student.user,
        "registrar": lambda: world.registrar_vocational,
        "district": lambda: world.district,
        "bureau": lambda: world.bureau,
        "other cohort student": lambda: _other_cohort_student(world),
        "other area's student": lambda: (
            StatusRecordFactory(
                school=world.other_pairing.general_school,
                student=StudentFactory(user=UserFactory(role=User.Role.STUDENT)),
            ).student.user
        ),
        "other district": lambda: world.district_other,
        "other bureau": lambda: world.bureau_other,
    }[who]()
    client.force_login(user)
    for url in (
        reverse("transfers:notice", args=[policy.pk, 1]),
        reverse("transfers:notice_latest", args=[policy.pk]),
    ):
        assert client.get(url).status_code == status, url
    # A version that does not exist looks the same as one that is not yours.
    assert client.get(reverse("transfers:notice", args=[policy.pk, 9])).status_code == 404


@needs_weasyprint
def test_the_notice_prints_as_an_a4_pdf(world, client, published):
    policy, (ming, *_rest) = published
    client.force_login(ming.student.user)
    response = client.get(reverse("transfers:notice_pdf", args=[policy.pk, 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]


def test_a_correction_is_a_new_version_whose_notice_shows_the_difference(world, client, published):
    policy, (ming, hong, _gang) = published
    objection = services.objection_lodge(
        actor=ming.student.user, application=ming, text="笔试漏判。", now=DURING_NOTICE
    )
    written = ming.scores.get(component__kind="written")
    services.objection_resolve(
        actor=world.district,
        objection=objection,
        upheld=True,
        resolution="复核后笔试加 20 分。",
        corrections={written.component_id: written.value + 20},
        now=DURING_NOTICE,
    )
    client.force_login(hong.student.user)
    first = client.get(
        reverse("transfers:notice", args=[policy.pk, 1]), headers={"Accept-Language": "en"}
    ).content.decode()
    second = client.get(
        reverse("transfers:notice", args=[policy.pk, 2]), headers={"Accept-Language": "en"}
    ).content.decode()
    assert "What changed" not in first  # version 1 is as it was posted
    assert "What changed in version 2" in second
    assert "王*明: rank 2 → 1; total corrected" in second
    assert "now within the seats" in second
    assert "李*红: rank 1 → 2; moved by another applicant&#x27;s correction" in second
    # Each one who moved was told, and the notice period starts again for them.
    hong.refresh_from_db()
    assert hong.results_published_at == DURING_NOTICE
    assert saying(hong.student.user.notifications.all(), "version 2")


def test_the_student_sees_the_decision_explained(world, client, published):
    policy, (ming, hong, gang) = published
    client.force_login(ming.student.user)
    page = client.get(
        reverse("transfers:application_detail", args=[ming.pk]), headers={"Accept-Language": "en"}
    ).content.decode()
    assert "How this application is decided" in page
    assert "Rank 2 of 2 who met the standards" in page
    assert "Seats: 1" in page
    assert f"cut-off total {hong.total_score}" in page
    assert "outside the seats" in page
    assert "80.0/100.0 × 0.60 + 80.0/100.0 × 0.40" in page  # how the total is computed
    assert "The sending school&#x27;s registrar confirmed the eligibility." in page
    assert "No objection lodged." in page

    client.force_login(gang.student.user)
    page = client.get(
        reverse("transfers:application_detail", args=[gang.pk]), headers={"Accept-Language": "en"}
    ).content.decode()
    assert "Not ranked: only those who met the standards are ranked." in page
    assert "does not meet the standards (a pass mark not reached)" in page


def test_the_decision_in_chinese(world, client, published):
    policy, (ming, _hong, _gang) = published
    client.force_login(ming.student.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("transfers:application_detail", args=[ming.pk])).content.decode()
    assert "名额以外" in page
    assert "达到标准的 2 名申请人中排名第 2" in page
