"""Scores from a spreadsheet: the district downloads the session's score sheet, fills it in,
uploads it, sees every row checked (the dry run) and saves it all or nothing through
``scores_enter``. Only the district officer of the policy's area finds these pages."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from transfer_world import COHORT, STANDARDS, drive, enrol, give_credits, submit

from core.exceptions import NotFound
from transfers import services
from transfers.models import Application, Score
from transfers.services import score_sheets as sheets

S = Application.State

NUMBER = "申请编号 / Application number"
WRITTEN_G2V = "专业基础知识（仅普高转中职） / Written test, general → vocational only"
INTERVIEW = "面试 / Interview"
WRITTEN_V2G = "语数英（仅中职转普高） / Written test, vocational → general only"
HEADERS = [
    NUMBER,
    "学生姓名 / Student name",
    "转入学校 / Receiving school",
    "专业 / Major",
    "转学方向 / Direction",
    WRITTEN_G2V,
    INTERVIEW,
    WRITTEN_V2G,
]


@pytest.fixture
def eligible(world, policy, applicant, vocational_applicant):
    """One applicant of each direction, awaiting assessment: (general → vocational,
    vocational → general)."""
    return (
        drive(world, submit(policy, applicant), S.ELIGIBLE),
        drive(world, submit(policy, vocational_applicant), S.ELIGIBLE),
    )


def _eligible_applicant(world, policy, name: str) -> Application:
    student = enrol(world, name=name)
    give_credits(world, student)
    return drive(world, submit(policy, student), S.ELIGIBLE)


def _row(application, written_g2v="", interview="", written_v2g="") -> list:
    """A data row; the columns for reading only are left empty, as they may be."""
    return [application.pk, "", "", "", "", written_g2v, interview, written_v2g]


def _valid_rows(eligible) -> list[list]:
    general, vocational = eligible
    return [HEADERS, _row(general, 80, 70), _row(vocational, "", 90, 120)]


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _read_xlsx(content: bytes) -> list[list]:
    workbook = load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def _check(world, policy, rows, *, content: bytes | None = None, filename="scores.csv"):
    return sheets.score_sheet_check(
        actor=world.district,
        policy=policy,
        filename=filename,
        content=_csv(rows) if content is None else content,
    )


def _messages(check) -> list[tuple[int, str, str]]:
    return [
        (result.line, error["column"], error["message"])
        for result in check.results
        for error in result.errors or ()
    ]


def _upload(client, policy, content: bytes, filename="scores.csv"):
    return client.post(
        reverse("transfers:score_upload", args=[policy.pk]),
        {"file": SimpleUploadedFile(filename, content)},
    )


def _nothing_saved(*applications) -> None:
    for application in applications:
        application.refresh_from_db()
        assert application.state == S.ELIGIBLE
        assert application.total_score is None
    assert not Score.objects.exists()


# The download


def test_the_template_has_a_row_per_applicant_awaiting_assessment_and_no_id_numbers(
    client, world, policy, eligible, applicant, vocational_applicant
):
    general, vocational = eligible
    later = _eligible_applicant(world, policy, "王五")
    not_yet = submit(policy, enrol(world, name="赵六"))  # submitted, not yet eligible
    client.force_login(world.district)

    response = client.get(reverse("transfers:score_template", args=[policy.pk, "csv"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    rows = _read_csv(response.content)
    assert rows[0] == HEADERS
    # By direction, then application number; each row's own component cells left empty.
    assert [row[0] for row in rows[1:]] == [str(general.pk), str(later.pk), str(vocational.pk)]
    assert str(not_yet.pk) not in [row[0] for row in rows]
    assert rows[1][1:5] == ["张三", world.vocational.name, world.major.name, "General → vocational"]
    assert rows[3][1:5] == ["李四", world.general.name, world.major.name, "Vocational → general"]
    assert all(cell == "" for row in rows[1:] for cell in row[5:])
    text = response.content.decode("utf-8-sig")
    for student in (applicant, vocational_applicant):
        assert student.id_card_number not in text
        assert student.student_number not in text


def test_the_xlsx_template_explains_each_column_in_a_notes_sheet(client, world, policy, eligible):
    client.force_login(world.district)

    response = client.get(reverse("transfers:score_template", args=[policy.pk, "xlsx"]))

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    scores, notes = workbook.worksheets
    assert [cell.value for cell in scores[1]] == HEADERS
    assert [row[0].value for row in scores.iter_rows(min_row=2)] == [a.pk for a in eligible]
    explained = {row[0]: row[2] for row in notes.iter_rows(min_row=2, values_only=True)}
    assert "leave it empty for the others" in explained[WRITTEN_V2G]
    assert "Vocational → general: out of 150, pass mark 90." in explained[WRITTEN_V2G]
    assert "leave it empty" not in explained[INTERVIEW]


def test_a_formula_looking_cell_in_the_template_is_text(client, world, policy):
    student = enrol(world, name='=HYPERLINK("http://evil")')
    give_credits(world, student)
    drive(world, submit(policy, student), S.ELIGIBLE)
    client.force_login(world.district)

    as_csv = client.get(reverse("transfers:score_template", args=[policy.pk, "csv"]))
    as_xlsx = client.get(reverse("transfers:score_template", args=[policy.pk, "xlsx"]))

    assert _read_csv(as_csv.content)[1][1] == '\'=HYPERLINK("http://evil")'
    cell = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]["B2"]
    assert (cell.value, cell.data_type) == ('\'=HYPERLINK("http://evil")', "s")


def test_an_unknown_format_is_not_there(client, world, policy):
    client.force_login(world.district)
    response = client.get(reverse("transfers:score_template", args=[policy.pk, "pdf"]))
    assert response.status_code == 404


def test_the_score_sheet_page_links_to_the_files(client, world, policy, eligible):
    client.force_login(world.district)
    page = client.get(reverse("transfers:score_sheet", args=[policy.pk])).content.decode()
    assert reverse("transfers:score_template", args=[policy.pk, "xlsx"]) in page
    assert reverse("transfers:score_template", args=[policy.pk, "csv"]) in page
    assert reverse("transfers:score_upload", args=[policy.pk]) in page


# The round trip


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_filled_template_is_checked_then_saved_through_the_pages(
    client, world, policy, eligible, fmt
):
    general, vocational = eligible
    client.force_login(world.district)
    template = client.get(reverse("transfers:score_template", args=[policy.pk, fmt])).content
    rows = _read_xlsx(template) if fmt == "xlsx" else _read_csv(template)
    filled = [rows[0]]
    for row in rows[1:]:
        number = int(row[0])
        row = list(row)
        if number == general.pk:
            row[5], row[6] = 80, 70
        else:
            row[6], row[7] = 90, "120"
        filled.append(row)
    content = _xlsx(filled) if fmt == "xlsx" else _csv(filled)

    response = _upload(client, policy, content, f"scores.{fmt}")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="check-valid"' in page
    assert "Weighted total 76.00; meets the standards." in page
    check = response.context["check"]
    assert check.may_commit and check.errors == 0
    _nothing_saved(general, vocational)  # the dry run writes nothing

    response = client.post(
        reverse("transfers:score_upload_commit", args=[policy.pk]), {"token": check.token}
    )

    assert response.status_code == 302
    assert response.url == reverse("transfers:results", args=[policy.pk])
    general.refresh_from_db()
    vocational.refresh_from_db()
    # 80/100·0.6 + 70/100·0.4 = 76; 120/150·0.6 + 90/100·0.4 = 84
    assert (general.state, general.total_score, general.passed) == (S.ASSESSED, D("76.00"), True)
    assert (vocational.state, vocational.total_score) == (S.ASSESSED, D("84.00"))
    assert {(s.application_id, s.component.name): s.value for s in Score.objects.all()} == {
        (general.pk, "专业基础知识"): D("80"),
        (general.pk, "面试"): D("70"),
        (vocational.pk, "语数英"): D("120"),
        (vocational.pk, "面试"): D("90"),
    }
    assert general.events.filter(to_state=S.ASSESSED, actor=world.district).exists()


def test_headers_in_chinese_only_and_half_scores_are_read(world, policy, eligible):
    general, vocational = eligible
    rows = [
        ["申请编号", "专业基础知识", "面试", "语数英"],
        [general.pk, "80.5", "70", ""],
        [vocational.pk, "", "90", "120"],
    ]
    check = _check(world, policy, rows)
    assert check.may_commit, _messages(check)
    services_applications = sheets.score_sheet_commit(
        actor=world.district, policy=policy, token=check.token
    )
    assert len(services_applications) == 2
    assert Score.objects.get(application=general, component__name="专业基础知识").value == D("80.5")


# Refusals: a message per row and column; nothing saved


def test_an_unknown_application_and_another_areas_read_alike_as_not_found(world, policy, eligible):
    general, _vocational = eligible
    other_policy = services.policy_create(
        actor=world.district_other,
        pilot_area=world.other_pairing.pilot_area,
        cohort_year=COHORT,
        title="临平区2024级普职融通学籍互转实施办法",
        window_opens=policy.window_opens,
        window_closes=policy.window_closes,
        components=[services.ComponentSpec(*row) for row in STANDARDS],
        quotas=[services.QuotaSpec(world.other_pairing.vocational_school, world.major_outside, 4)],
        min_first_semester_credits=None,
        notice_days=5,
        tie_break=[],
    )
    rows = [HEADERS, _row(general, 80, 70), [999999, "", "", "", "", 80, 70, ""]]

    check = sheets.score_sheet_check(
        actor=world.district_other, policy=other_policy, filename="s.csv", content=_csv(rows)
    )

    assert _messages(check) == [
        (2, NUMBER, f"Application {general.pk} was not found."),
        (3, NUMBER, "Application 999999 was not found."),
    ]
    assert not check.may_commit


def test_an_application_not_awaiting_assessment_is_refused(world, policy, eligible):
    general, vocational = eligible
    waiting = submit(policy, enrol(world, name="赵六"))
    rows = [HEADERS, _row(general, 80, 70), _row(waiting, 80, 70)]

    check = _check(world, policy, rows)

    assert _messages(check) == [
        (3, NUMBER, f"Application {waiting.pk} is Submitted, not awaiting assessment.")
    ]
    assert check.errors == 1 and not check.may_commit


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        (("80", "", ""), INTERVIEW, "The score is missing."),
        (("80", "七十", ""), INTERVIEW, "“七十” is not a number."),
        (("80", "105", ""), INTERVIEW, "105 is above the maximum 100."),
        (("-1", "70", ""), WRITTEN_G2V, "-1 is below the minimum 0."),
        (("80", "70.25", ""), INTERVIEW, "70.25 has more than one decimal place."),
        (
            ("80", "70", "120"),
            WRITTEN_V2G,
            "Applicants General → vocational have no such component: leave the cell empty.",
        ),
    ],
)
def test_a_bad_score_is_refused_on_its_line_and_column(
    world, policy, eligible, cells, column, message
):
    general, vocational = eligible
    rows = [HEADERS, _row(vocational, "", 90, 120), _row(general, *cells)]

    check = _check(world, policy, rows)

    assert _messages(check) == [(3, column, message)]
    assert not check.may_commit


def test_a_score_of_the_maximum_or_zero_is_valid(world, policy, eligible):
    general, vocational = eligible
    rows = [HEADERS, _row(general, 0, 100), _row(vocational, "", "0", "150")]
    check = _check(world, policy, rows)
    assert check.may_commit, _messages(check)


def test_a_formula_in_a_score_cell_is_refused(world, policy, eligible):
    general, vocational = eligible
    rows = [HEADERS, _row(general, 80, "=60+10"), _row(vocational, "", 90, 120)]

    check = _check(world, policy, rows, content=_xlsx(rows), filename="scores.xlsx")

    assert _messages(check) == [
        (2, INTERVIEW, "This cell holds a formula; paste its value instead.")
    ]


def test_a_second_row_for_the_same_application_is_refused(world, policy, eligible):
    general, vocational = eligible
    rows = [*_valid_rows(eligible), _row(general, 85, 75)]

    check = _check(world, policy, rows)

    assert _messages(check) == [
        (4, NUMBER, "This application is on line 2 already: give each application one row.")
    ]


def test_a_missing_application_number_is_refused(world, policy, eligible):
    rows = [*_valid_rows(eligible), ["", "", "", "", "", 80, 70, ""]]
    check = _check(world, policy, rows)
    assert _messages(check) == [(4, NUMBER, "This column is required.")]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            [h for h in HEADERS if h != INTERVIEW],
            "Columns missing: 面试 / Interview.",
        ),
        ([*HEADERS, "备注"], "Columns not known: 备注."),
        ([*HEADERS, "面试"], "Columns given twice: 面试."),
    ],
)
def test_a_file_with_wrong_headers_is_refused_as_a_whole(world, policy, eligible, headers, message):
    general, _vocational = eligible
    check = _check(world, policy, [headers, [general.pk, "", "", "", "", 80, 70, "", ""]])
    assert check.error.startswith(message)
    assert "Use the template's headers" in check.error
    assert not check.results and not check.may_commit


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        ("\ufeff申请编号,面试\r\n".encode(), "The file has a header row but no data rows."),
    ],
)
def test_an_empty_file_is_refused(world, policy, eligible, content, message):
    check = _check(world, policy, [], content=content)
    assert check.error == message


def test_a_file_that_is_not_xlsx_or_csv_is_refused_by_the_page(client, world, policy, eligible):
    client.force_login(world.district)

    response = _upload(client, policy, b"%PDF-1.7 scores", "scores.pdf")

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Upload a .xlsx or .csv file."]
    assert response.context["check"] is None


def test_a_broken_workbook_is_refused_by_the_page(client, world, policy, eligible):
    client.force_login(world.district)

    response = _upload(client, policy, b"not a workbook", "scores.xlsx")

    assert response.context["form"].errors["file"] == [
        "This file is not a readable Excel workbook (.xlsx)."
    ]


def test_the_page_lists_each_problem_by_line_and_column(client, world, policy, eligible):
    general, vocational = eligible
    client.force_login(world.district)
    rows = [HEADERS, _row(general, 80, 70), _row(vocational, "", 105, 120)]

    response = _upload(client, policy, _csv(rows))

    page = response.content.decode()
    assert "Line 3, column 面试 / Interview: 105 is above the maximum 100." in page
    assert 'data-testid="check-has-errors"' in page
    assert 'name="token"' not in page  # nothing to save from a file with an error


# All or nothing


def test_one_bad_row_saves_nothing(client, world, policy, eligible):
    general, vocational = eligible
    client.force_login(world.district)
    rows = [HEADERS, _row(general, 80, 70), _row(vocational, "", 90, 151)]

    response = _upload(client, policy, _csv(rows))
    assert response.context["check"].errors == 1
    # A commit without a valid check is refused.
    response = client.post(
        reverse("transfers:score_upload_commit", args=[policy.pk]), {"token": ""}, follow=True
    )

    assert "This check has expired or is not for this policy" in response.content.decode()
    _nothing_saved(general, vocational)


def test_a_change_since_the_check_saves_nothing(world, policy, eligible):
    general, vocational = eligible
    check = _check(world, policy, _valid_rows(eligible))
    assert check.may_commit
    # Meanwhile one applicant is scored on the on-screen sheet.
    services.scores_enter(
        actor=world.district,
        policy=policy,
        scores={
            vocational.pk: {c.pk: c.max_score for c in policy.components.filter(direction="v2g")}
        },
    )

    with pytest.raises(ValidationError, match="is Assessed, not awaiting assessment"):
        sheets.score_sheet_commit(actor=world.district, policy=policy, token=check.token)

    general.refresh_from_db()
    assert (general.state, general.total_score) == (S.ELIGIBLE, None)
    assert not Score.objects.filter(application=general).exists()


def test_a_check_is_saved_once(world, policy, eligible):
    check = _check(world, policy, _valid_rows(eligible))
    sheets.score_sheet_commit(actor=world.district, policy=policy, token=check.token)

    with pytest.raises(ValidationError, match="not awaiting assessment"):
        sheets.score_sheet_commit(actor=world.district, policy=policy, token=check.token)

    assert Score.objects.count() == 4


def test_a_tampered_check_is_refused(world, policy, eligible):
    check = _check(world, policy, _valid_rows(eligible))
    with pytest.raises(ValidationError, match="expired or is not for this policy"):
        sheets.score_sheet_commit(actor=world.district, policy=policy, token=check.token + "x")
    assert not Score.objects.exists()


# Who may


@pytest.mark.parametrize("persona", ["district_other", "student", "registrar_general", "bureau"])
def test_it_is_not_there_for_anyone_but_the_areas_district_officer(
    client, world, policy, eligible, applicant, persona
):
    check = _check(world, policy, _valid_rows(eligible))
    user = applicant.user if persona == "student" else getattr(world, persona)
    client.force_login(user)

    responses = [
        client.get(reverse("transfers:score_template", args=[policy.pk, "xlsx"])),
        client.get(reverse("transfers:score_upload", args=[policy.pk])),
        _upload(client, policy, _csv(_valid_rows(eligible))),
        client.post(
            reverse("transfers:score_upload_commit", args=[policy.pk]), {"token": check.token}
        ),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    _nothing_saved(*eligible)


def test_the_service_refuses_another_areas_district_officer(world, policy, eligible):
    with pytest.raises(NotFound):
        sheets.score_sheet_check(
            actor=world.district_other,
            policy=policy,
            filename="s.csv",
            content=_csv(_valid_rows(eligible)),
        )


# Cost


def test_the_dry_run_reads_the_database_a_fixed_number_of_times(
    client, world, policy, eligible, django_assert_max_num_queries
):
    general, vocational = eligible
    more = [_eligible_applicant(world, policy, f"学生{i}") for i in range(6)]
    client.force_login(world.district)
    small = [HEADERS, _row(general, 80, 70)]
    large = [*_valid_rows(eligible), *(_row(a, 80 + i, 70) for i, a in enumerate(more))]

    # The session, the user, the policy, its components and the applications at once.
    with django_assert_max_num_queries(6):
        response = _upload(client, policy, _csv(small))
    assert response.context["check"].may_commit
    with django_assert_max_num_queries(6):
        response = _upload(client, policy, _csv(large))
    assert response.context["check"].may_commit
    assert len(response.context["check"].results) == 8


def test_a_rows_problems_are_listed_in_the_order_of_its_columns(world, policy, eligible):
    general, vocational = eligible
    rows = [HEADERS, _row(general, 80, 70), _row(vocational, "", 105, "abc")]

    check = _check(world, policy, rows)

    assert _messages(check) == [
        (3, INTERVIEW, "105 is above the maximum 100."),
        (3, WRITTEN_V2G, "“abc” is not a number."),
    ]
