"""The import and export page and a job's page, through the test client; scope: another
school's registrar gets a 404 for a job and cannot import into a school not theirs."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_files import csv_file, student_row
from openpyxl import load_workbook

from imports.models import ImportJob
from students.models import Student

pytestmark = pytest.mark.django_db
INDEX = "imports:index"


def _job_url(job, name="job"):
    return reverse(f"imports:{name}", args=[job.pk])


def test_a_registrar_uploads_checks_and_commits_through_the_pages(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.registrar)
    page = client.get(reverse(INDEX)).content.decode()
    assert 'name="file"' in page and 'for="id_file"' in page  # a labelled file control
    assert reverse("imports:template", args=["students", "xlsx"]) in page
    assert reverse("imports:export", args=["credits", "csv"]) in page

    rows = [student_row(world, 1, name="王小明"), student_row(world, 2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(INDEX),
            {"kind": "students", "file": SimpleUploadedFile("新生.csv", csv_file(rows))},
        )
    page = client.get(response.url).content.decode()
    assert "Checked: 2 to create, 0 to update, 0 unchanged." in page
    assert "王小明" in page and "Would create" in page
    assert not Student.objects.exists()

    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_job_url(job, "commit"))
    assert response.url == _job_url(job)
    page = client.get(response.url).content.decode()
    assert "Imported: 2 created, 0 updated, 0 unchanged." in page
    assert "Created" in page
    assert Student.objects.count() == 2


def test_the_job_page_lists_errors_with_line_column_and_message_and_offers_no_import(
    world, client, upload
):
    rows = [student_row(world, 1), student_row(world, 2, start_date="明天")]
    job = upload(world.registrar, "students", csv_file(rows))
    client.force_login(world.registrar)

    page = client.get(_job_url(job)).content.decode()

    assert "1 row has an error. Nothing can be imported" in page
    assert "<td>3</td>" in page
    assert "注册日期 / start_date</strong>: “明天” is not a date" in page
    assert _job_url(job, "commit") not in page

    response = client.post(_job_url(job, "commit"), follow=True)
    assert "a file with an error imports nothing" in response.content.decode()
    assert not Student.objects.exists()


def test_a_bad_upload_form_is_shown_again_with_its_error(world, client):
    client.force_login(world.registrar)

    response = client.post(
        reverse(INDEX), {"kind": "students", "file": SimpleUploadedFile("a.pdf", b"%PDF")}
    )

    assert response.status_code == 200
    assert "Upload a .xlsx or .csv file." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_another_schools_registrar_gets_404_for_a_job(world, client, upload, registrar_b):
    job = upload(world.registrar, "students", csv_file([student_row(world, 1)]), "a-only.csv")
    client.force_login(registrar_b)

    assert client.get(_job_url(job)).status_code == 404
    json = client.get(_job_url(job), headers={"Accept": "application/json"})
    assert json.status_code == 404
    assert client.post(_job_url(job, "commit")).status_code == 404
    assert job.filename not in client.get(reverse(INDEX)).content.decode()
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    assert not Student.objects.exists()


def test_a_registrar_cannot_import_into_another_school(world, upload, registrar_b):
    row = student_row(world, 1, class_name="", cohort_year="")
    job = upload(registrar_b, "students", csv_file([row]), "into-a.csv")

    assert job.school == registrar_b.school
    (error,) = job.results[0]["errors"]
    assert error["column"] == "学校代码 / school_code"
    assert error["message"].startswith(f"{world.school.name} is not your school")


@pytest.mark.parametrize("persona", ["district_a", "bureau"])
def test_district_and_bureau_export_but_do_not_import(request, world, client, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse(INDEX)).content.decode()

    assert 'name="file"' not in page
    assert reverse("imports:export", args=["students", "xlsx"]) in page
    assert 'data-testid="masked-note"' in page  # both see numbers masked (students.privacy)
    response = client.post(
        reverse(INDEX),
        {
            "kind": "students",
            "file": SimpleUploadedFile("a.csv", csv_file([student_row(world, 1)])),
        },
    )
    assert response.status_code == 404
    assert not ImportJob.objects.exists()


def test_a_student_gets_404_for_the_page_and_the_exports(client, student_a):
    client.force_login(student_a.user)

    assert client.get(reverse(INDEX)).status_code == 404
    assert client.get(reverse("imports:export", args=["students", "csv"])).status_code == 404


def test_the_csv_template_has_a_bom_and_both_header_languages(world, client):
    client.force_login(world.registrar)

    response = client.get(reverse("imports:template", args=["credits", "csv"]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    headers = response.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert headers[0] == "学籍号 / student_number"
    assert "获得学分 / credits_earned" in headers


def test_the_xlsx_template_explains_each_column_and_imports_once_filled_in(world, client, upload):
    client.force_login(world.registrar)
    response = client.get(reverse("imports:template", args=["students", "xlsx"]))
    workbook = load_workbook(io.BytesIO(response.content))
    sheet, notes = workbook.worksheets
    assert [c.value for c in sheet[1]][:3] == [
        "学籍号 / student_number",
        "姓名 / name",
        "身份证号 / id_card_number",
    ]
    assert notes["A4"].value == "身份证号 / id_card_number"
    assert "format this column as text" in notes["C4"].value

    row = student_row(world, 1)
    sheet.append([row.get(c.value.split(" / ")[1], "") for c in sheet[1]])
    out = io.BytesIO()
    workbook.save(out)
    job = upload(world.registrar, "students", out.getvalue(), "filled.xlsx")

    assert [r["action"] for r in job.results] == ["create"], job.error


def test_an_unknown_kind_or_format_is_404(world, client):
    client.force_login(world.registrar)

    assert client.get(reverse("imports:template", args=["grades", "csv"])).status_code == 404
    assert client.get(reverse("imports:export", args=["students", "pdf"])).status_code == 404
