"""The pack and its settings in plain words, in Chinese and English: on the policy page (with
the differences from the pack for the district and the bureau), on the student's home, in the
filing package; and the district starting a policy from a pack on the policy form."""

import io

import pytest
from django.conf import settings
from django.urls import reverse
from form_data import policy_form
from openpyxl import load_workbook
from transfer_world import WRITTEN_AT, D, approve_and_publish, draft_policy, enrol

from transfers.models import TransferPolicy

pytestmark = pytest.mark.django_db


def _page(client, user, url, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def shandong(world):
    policy = draft_policy(world, rule_pack="shandong-2026", min_first_semester_credits=D(3))
    return approve_and_publish(world, policy)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "Rules: the Shandong 2026 pack",
                "Who assesses",
                "the receiving school",
                "end of grade 10, semester 1, end of grade 10, semester 2",
                "allowed once, in a later window",
                "3+4 (secondary vocational and undergraduate)",
                "article not held here",
            ],
        ),
        (
            "zh-hans",
            [
                "规则：山东 2026规则包",
                "考核主体",
                "接收学校",
                "高一第一学期末",
                "允许 1 次",
                "3+4（中职与本科贯通）",
                "本系统未收录条款原文",
            ],
        ),
    ],
)
def test_the_policy_page_states_the_pack_and_its_settings(client, world, shandong, language, words):
    page = _page(client, world.district, shandong.get_absolute_url(), language)

    for word in words:
        assert word in page, word


def test_the_bureau_sees_the_local_differences_and_a_student_does_not(client, world, shandong):
    bureau = _page(client, world.bureau, shandong.get_absolute_url(), "en")
    student = enrol(world)
    as_student = _page(client, student.user, shandong.get_absolute_url(), "en")

    assert 'data-testid="pack-differences"' in bureau
    assert "Minimum first-semester credits: 3.0 (the pack: no minimum)" in bureau
    assert 'data-testid="pack-differences"' not in as_student
    assert "Rules: the Shandong 2026 pack" in as_student


def test_the_students_home_states_the_rules_that_apply_to_them(client, world, shandong):
    student = enrol(world)

    page = _page(client, student.user, reverse("home"), "en")

    assert 'data-testid="student-rules"' in page
    assert "The rules that apply to you (Shandong 2026)" in page
    assert "the receiving school" in page


def test_the_filing_package_lists_the_pack_and_every_setting_with_its_source(
    client, world, shandong
):
    client.force_login(world.bureau)
    response = client.get(reverse("filing:download", args=[world.area.slug, 2024]))
    workbook = load_workbook(io.BytesIO(response.content))

    rows = list(workbook["转学政策"].iter_rows(values_only=True))

    assert any(row[:2] == ("规则包", "山东 2026") for row in rows)
    by_setting = {row[0]: row for row in rows if row and row[0]}
    assert by_setting["考核主体"][1] == "接收学校"
    assert "山东省普通高中与中职学校学籍互转规定" in by_setting["考核主体"][3]


def test_the_district_starts_a_policy_from_a_pack_and_its_fixed_settings_hold(
    client, world, time_machine
):
    time_machine.move_to(WRITTEN_AT, tick=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.district)
    new = reverse("transfers:policy_new")

    form_page = client.get(new, {"pack": "shandong-2026"}).content.decode()
    assert "Starting from the Shandong 2026 pack" in form_page
    assert "Set by the pack" in form_page

    data = policy_form(world, "潍坊式办法") | {"rule_pack": "shandong-2026", "assessor": "district"}
    response = client.post(new + "?pack=shandong-2026", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    policy = TransferPolicy.objects.get()
    # The posted "district" is ignored: the field is the pack's, shown and not changeable.
    assert (policy.rule_pack, policy.assessor, policy.max_applications) == (
        "shandong-2026",
        "receiving",
        3,
    )
