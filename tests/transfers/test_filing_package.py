"""The filing package's content: the summary first, the approved policy, the transfers
completed in the area and period with their dates and scores, the credits recognised, and
cells that cannot start a formula.

The world: a published 2024 policy in 余杭区; one general-to-vocational and one
vocational-to-general transfer completed on 3 March 2025 (inside the cohort's 2024–2025
academic year); one more completed on 15 September 2025 (after it); and, in another
municipality's pilot area, a transfer completed the same March day.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from transfer_world import (
    SUBMIT_AT,
    at,
    build_world,
    drive,
    enrol,
    give_credits,
    publish_policy,
    submit,
)

from core.spreadsheets import xlsx_value as neutralise
from filing.package import filing_package_build, filing_package_xlsx
from students.privacy import masked_student_number
from transfers.models import Application, Direction

S = Application.State
D = Decimal
IN_PERIOD = at(2025, 3, 3)
AFTER_PERIOD = at(2025, 9, 15)
TROUBLE = '=HYPERLINK("http://evil.example","点此")'


def _complete(world, policy, student, when, time_machine) -> Application:
    """Apply inside the window, pass, and have the bureau approve (and so complete) on ``when``."""
    time_machine.move_to(SUBMIT_AT, tick=False)
    application = drive(world, submit(policy, student), S.RECOMMENDED)
    time_machine.move_to(when, tick=False)
    return drive(world, application, S.COMPLETED)


@pytest.fixture
def filed(world, time_machine):
    policy = publish_policy(world)
    applicant = enrol(world, name="张三")
    give_credits(world, applicant)
    vocational_applicant = enrol(world, school=world.vocational, name="李四")
    give_credits(world, vocational_applicant)
    late = enrol(world, name=TROUBLE)
    give_credits(world, late)
    elsewhere = build_world()
    outsider = enrol(elsewhere, name="王五")
    return {
        "policy": policy,
        "g2v": _complete(world, policy, applicant, IN_PERIOD, time_machine),
        "v2g": _complete(world, policy, vocational_applicant, IN_PERIOD, time_machine),
        "late": _complete(world, policy, late, AFTER_PERIOD, time_machine),
        "elsewhere": _complete(
            elsewhere, publish_policy(elsewhere), outsider, IN_PERIOD, time_machine
        ),
    }


def _download(client, user, world, **period):
    client.force_login(user)
    url = reverse("filing:download", args=[world.area.slug, 2024])
    response = client.get(url, period)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.content))


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def _zh(text) -> str:
    """A label as the workbook writes it: in Chinese once translated, as written until then."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def _table(sheet) -> list[dict]:
    """The sheet's data rows as dicts keyed by the header row's labels."""
    header, *rows = _rows(sheet)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_the_summary_comes_first_and_counts_each_direction(client, world, filed):
    workbook = _download(client, world.bureau, world)

    assert workbook.sheetnames[0] == workbook.active.title
    summary = {row[0]: row[1:] for row in _rows(workbook.worksheets[0]) if row[0]}
    assert summary["试点地区"][0] == f"{world.area.name} ({world.area.code})"
    assert summary["开始日期"][0] == datetime.datetime(2024, 9, 1)
    assert summary["结束日期"][0] == datetime.datetime(2025, 8, 31)
    # transfers, recognitions, credits at the sending school, credits recognised
    assert summary[_zh(Direction.GENERAL_TO_VOCATIONAL.label)][:4] == (1, 2, 5, 3.5)
    assert summary[_zh(Direction.VOCATIONAL_TO_GENERAL.label)][:4] == (1, 2, 5, 3.5)
    totals = [row for row in _rows(workbook.worksheets[0]) if row[1:5] == (2, 4, 10, 7)]
    assert len(totals) == 1
    assert world.bureau.get_username() in " ".join(str(v) for v in summary.values())


@pytest.mark.parametrize("persona", ["bureau", "admin"])
def test_the_transfers_sheet_holds_the_areas_transfers_completed_in_the_period(
    client, world, filed, admin_user, persona
):
    # The administrator sees every area: only the package's own choice keeps the other
    # municipality's transfer out.
    user = admin_user if persona == "admin" else world.bureau
    workbook = _download(client, user, world)

    rows = _table(workbook.worksheets[2])
    # The package is the bureau's and the administrators': they see numbers masked.
    assert {row["学籍号"] for row in rows} == {
        masked_student_number(filed["g2v"].student.student_number),
        masked_student_number(filed["v2g"].student.student_number),
    }


def test_the_period_chosen_replaces_the_academic_year(client, world, filed, admin_user):
    workbook = _download(client, admin_user, world, start="2025-09-01", end="2025-09-30")

    rows = _table(workbook.worksheets[2])
    assert [row["学籍号"] for row in rows] == [
        masked_student_number(filed["late"].student.student_number)
    ]


def test_a_transfer_row_has_schools_majors_dates_and_every_score(client, world, filed):
    application = filed["g2v"]
    workbook = _download(client, world.bureau, world)

    row = next(r for r in _table(workbook.worksheets[2]) if r["转出学校"] == world.general.name)
    assert row["转入学校"] == world.vocational.name
    assert row["编号"] == 1
    assert row[_zh("Major at the sending school")] == str(world.major)
    assert row[_zh("Major at the receiving school")] == str(application.to_major)
    assert row[_zh("Submitted on")] == SUBMIT_AT.replace(tzinfo=None)
    assert row[_zh("Approved on")] == IN_PERIOD.replace(tzinfo=None)
    assert row[_zh("Completed on")] == IN_PERIOD.replace(tzinfo=None)
    assert D(str(row["加权总分"])) == application.total_score
    scores = {
        f"{_zh(Direction.GENERAL_TO_VOCATIONAL.label)} · {s.component.name}": s.value
        for s in application.scores.select_related("component")
    }
    assert len(scores) == 2
    for header, value in scores.items():
        assert D(str(row[header])) == value
    # The other direction's subjects are columns too, empty for this student.
    assert row[f"{_zh(Direction.VOCATIONAL_TO_GENERAL.label)} · 语数英"] is None


def test_the_recognitions_sheet_traces_each_recognised_credit_to_its_origin(client, world, filed):
    workbook = _download(client, world.bureau, world)

    rows = _table(workbook.worksheets[3])
    student = filed["g2v"].student
    mine = [row for row in rows if row["学籍号"] == masked_student_number(student.student_number)]
    assert len(rows) == 4
    assert len(mine) == 2
    physics = next(row for row in mine if row[_zh("Original course")] == "物理")
    assert physics[_zh("Original school")] == world.general.name
    assert physics[_zh("Original credits")] == 3
    assert physics[_zh("Recognised course")] == f"物理（{world.general.name}）"
    assert physics[_zh("Recognising school")] == world.vocational.name
    assert physics[_zh("Credits recognised")] == 1.5


def test_the_policy_sheet_gives_the_approved_rules(client, world, filed):
    policy = filed["policy"]
    workbook = _download(client, world.bureau, world)

    cells = [v for row in _rows(workbook.worksheets[1]) for v in row if v is not None]
    assert policy.title in cells
    assert policy.window_opens.astimezone(SUBMIT_AT.tzinfo).replace(tzinfo=None) in cells
    assert f"{world.bureau.get_full_name()} ({world.bureau.get_username()})" in cells
    for subject in ("专业基础知识", "语数英", "面试"):
        assert subject in cells


def test_headers_are_chinese_whatever_the_readers_language(client, world, filed):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    workbook = _download(client, world.bureau, world)

    header = _rows(workbook.worksheets[2])[0]
    assert {"编号", "学籍号", "转出学校", "转入学校", "加权总分"} <= set(header)
    assert "Student number" not in header


def test_a_cell_that_would_start_a_formula_is_written_as_text(client, world, filed):
    workbook = _download(client, world.bureau, world, start="2025-09-01", end="2025-09-30")

    sheet = workbook.worksheets[2]
    name = next(c for c in sheet[2] if isinstance(c.value, str) and TROUBLE in c.value)
    assert name.value == "'" + TROUBLE
    assert name.data_type == "s"
    assert not any(
        cell.data_type == "f" for sheet in workbook.worksheets for row in sheet for cell in row
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_trigger_is_neutralised(start):
    assert neutralise(f"{start}1+1") == f"'{start}1+1"


def test_numbers_dates_and_plain_text_stay_as_they_are():
    assert neutralise(D("-1.5")) == D("-1.5")
    assert neutralise(datetime.date(2025, 3, 3)) == datetime.date(2025, 3, 3)
    assert neutralise("余杭高级中学 - 1") == "余杭高级中学 - 1"
    assert neutralise(None) is None


def test_it_is_read_in_a_constant_number_of_queries(world, filed, django_assert_num_queries):
    # Six for the package, five more for the decisions explained, whatever their number.
    with django_assert_num_queries(11):
        package = filing_package_build(
            user=world.bureau,
            area=world.area,
            cohort_year=2024,
            start=datetime.date(2024, 9, 1),
            end=datetime.date(2025, 8, 31),
        )
    with django_assert_num_queries(0):
        filing_package_xlsx(package=package)
    assert len(package.transfers) == 2


def test_each_transfer_has_its_decision_explained(client, world, filed):
    workbook = _download(client, world.bureau, world)
    sheet = workbook.worksheets[4]
    assert sheet.title == "决定说明"
    rows = _rows(sheet)
    assert rows[0][:3] == ("编号", "姓名", "决定是如何作出的")
    explained = {row[1]: row[2] for row in rows[1:]}
    assert set(explained) == {"张三", "李四"}
    for text in explained.values():
        assert "原学校学籍管理员已确认申请资格。" in text
        assert "× 100 =" in text  # the total's formula
        assert "达到标准的" in text and "名申请人中排名第" in text


def test_the_policy_sheet_states_the_limits_the_bureau_approved(client, world, filed):
    workbook = _download(client, world.bureau, world)

    sheet = workbook[_zh("Transfer policy")]
    settings_of = {row[0]: row[1] for row in _rows(sheet) if row[0]}
    assert settings_of["学生可申请次数"] == 1
    assert settings_of["学生可填报的志愿数"] == 1
