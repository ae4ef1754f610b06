"""No whole ID-card or student number reaches anyone the policy does not show it to
(``students.privacy``), on any page, list, export, PDF or admin page, nor in a file name or
a redirect: every page of the URL conf is read as each role, its parameters filled in with
the objects of a world in which students applied, transferred and left (issue 13, item 2).

The numbers a viewer may see whole are those of the viewer themselves (a student) and of
the students of the viewer's school (a registrar): the school of a student's active
registration, or of their latest one. The students' usernames are their numbers, as in the
national system, and they have no name on their account, so a username shown anywhere shows.

PDFs compress their text: their HTML, as rendered for WeasyPrint, is read instead (the PDF
itself is not printed here; ``tests/transcripts`` prints real ones).
"""

import io
import re
import zipfile

import pytest
from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from factories import StatusRecordFactory, StudentFactory, UserFactory
from transfer_world import S, drive, enrol, give_credits, publish_policy, submit

from imports.models import ImportJob
from schools.models import IntegrationClass, User
from students.models import StatusRecord, Student
from students.review.services import review_confirm, review_open
from transfers import services
from transfers.models import Application, ApprovalBatch, ResultsVersion, TransferPolicy

pytestmark = pytest.mark.django_db

PERSONAS = [
    "registrar_general",
    "registrar_vocational",
    "registrar_other",
    "district",
    "district_other",
    "bureau",
    "bureau_other",
    "admin",
    "student_staying",
    "student_moved",
]


def _as_national_account(student: Student) -> Student:
    """The student's login as the national system makes it: the number, and no name."""
    User.objects.filter(pk=student.user_id).update(
        username=student.student_number, first_name="", last_name=""
    )
    student.user.refresh_from_db()
    return student


@pytest.fixture
def people(world, django_capture_on_commit_callbacks):
    """The world's people, and its students: one who applied and stays (submitted), one
    whose transfer to the vocational school completed, one assessed, one who left (no
    active registration), and one registered at the other area's school."""
    policy = publish_policy(world)
    staying = _as_national_account(enrol(world, name="甲"))
    moved = _as_national_account(enrol(world, name="乙"))
    assessed = _as_national_account(enrol(world, name="丙"))
    for student in (staying, moved, assessed):
        give_credits(world, student)
    left = StudentFactory(name="丁")
    StatusRecordFactory(student=left, school=world.general, closed=True)
    elsewhere = StudentFactory(name="戊")
    StatusRecordFactory(student=elsewhere, school=world.other_pairing.general_school)

    submit(policy, staying)
    transfer = drive(world, submit(policy, moved), S.RECOMMENDED)
    with django_capture_on_commit_callbacks(execute=True):  # the batch's task runs
        services.approval_batch_start(
            actor=world.bureau, applications=Application.objects.filter(pk=transfer.pk)
        )
    transfer.refresh_from_db()
    assert transfer.state == S.COMPLETED
    drive(world, submit(policy, assessed), S.ELIGIBLE)

    review = review_open(school=world.general, term=world.first_term)
    review_confirm(actor=world.registrar_general, review=review, student_ids=[staying.pk])
    ImportJob.objects.create(
        kind=ImportJob.Kind.STUDENTS,
        school=world.general,
        uploaded_by=world.registrar_general,
        filename="students.csv",
        content=b"",
        state=ImportJob.State.CHECKED,
        results=[
            {
                "line": 2,
                "label": f"{staying.name} {staying.student_number}",
                "action": "error",
                "errors": [{"column": "学籍号", "message": f"{staying.id_card_number} 已存在"}],
            }
        ],
    )
    admin_user = UserFactory(role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    staff = [world.registrar_general, world.district, world.bureau]
    User.objects.filter(pk__in=[u.pk for u in staff]).update(is_staff=True)
    for user in staff:
        user.refresh_from_db()
    return {
        "registrar_general": world.registrar_general,
        "registrar_vocational": world.registrar_vocational,
        "registrar_other": world.registrar_other,
        "district": world.district,
        "district_other": world.district_other,
        "bureau": world.bureau,
        "bureau_other": world.bureau_other,
        "admin": admin_user,
        "student_staying": staying.user,
        "student_moved": moved.user,
        "policy": policy,
        "students": [staying, moved, assessed, left, elsewhere],
    }


def _school_of(student: Student) -> int | None:
    """Written out again from the rule, not read from the code under test."""
    records = list(student.status_records.all())
    active = [r for r in records if r.state == StatusRecord.State.ACTIVE]
    if active:
        return active[0].school_id
    latest = max(records, key=lambda r: (r.start_date, r.pk), default=None)
    return latest.school_id if latest else None


def _sees_whole(viewer: User, student: Student) -> bool:
    if viewer.is_superuser or viewer.role == User.Role.ADMIN:
        return False
    if viewer.role == User.Role.STUDENT:
        return student.user_id == viewer.pk
    if viewer.role == User.Role.REGISTRAR:
        return _school_of(student) == viewer.school_id
    return False


# --- the walk ---------------------------------------------------------------------------


def _routes(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue
            inner = entry.namespace or namespace
            yield from _routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}:{entry.name}" if namespace else entry.name, entry.pattern


def _arguments(name: str, pattern, world, people) -> list[dict]:
    """Every set of URL arguments of the world's objects for the route ``name``."""
    keys = set(pattern.regex.groupindex)
    if not keys:
        return [{}]
    policy = people["policy"]
    students = [s.pk for s in Student.objects.order_by("pk")]
    if name.startswith(("students:", "credits:")) and keys == {"pk"}:
        return [{"pk": pk} for pk in students]
    if name.startswith("students_review:") and keys == {"pk"}:
        return [{"pk": pk} for pk in world.general.status_reviews.values_list("pk", flat=True)]
    if name.startswith("imports:") and keys == {"pk"}:
        return [{"pk": pk} for pk in ImportJob.objects.values_list("pk", flat=True)]
    if name.startswith("imports:") and keys == {"kind", "fmt"}:
        return [{"kind": k, "fmt": f} for k in ImportJob.Kind.values for f in ("csv", "xlsx")]
    if keys == {"class_pk"}:
        return [{"class_pk": pk} for pk in IntegrationClass.objects.values_list("pk", flat=True)]
    if name == "schools:staff_reinvite":
        return [{"pk": pk} for pk in User.objects.values_list("pk", flat=True)]
    if name == "schools:detail":
        return [{"pk": world.general.pk}, {"pk": world.vocational.pk}]
    if name == "filing:download":
        return [{"area": world.area.slug, "cohort_year": policy.cohort_year}]
    if name == "transfers:approval_batch":
        return [{"pk": pk} for pk in ApprovalBatch.objects.values_list("pk", flat=True)]
    if name.startswith("transfers:application_") and keys == {"pk"}:
        return [{"pk": pk} for pk in Application.objects.values_list("pk", flat=True)]
    policies = TransferPolicy.objects.values_list("pk", flat=True)
    if keys == {"pk"}:
        return [{"pk": pk} for pk in policies]
    if keys == {"pk", "fmt"}:
        return [{"pk": pk, "fmt": fmt} for pk in policies for fmt in ("csv", "xlsx")]
    if keys == {"pk", "number"}:
        versions = ResultsVersion.objects.values_list("policy_id", "number")
        return [{"pk": pk, "number": number} for pk, number in versions]
    raise AssertionError(f"{name}: no objects for {sorted(keys)}; add them to the walk")


#: Pages shown for one term: the world's.
TERM_PAGES = {
    "students_review:list",
    "students_review:findings",
    "students_review:export_progress",
    "students_review:export_findings",
}


def _urls(world, people) -> list[str]:
    urls = []
    for name, pattern in _routes():
        if name in ("logout", "set_language", "readyz"):
            continue  # a GET of these signs out or only redirects; readiness shows no one
        for kwargs in _arguments(name, pattern, world, people):
            url = reverse(name, kwargs=kwargs)
            urls.append(url)
            if name in TERM_PAGES:
                urls.append(f"{url}?term={world.first_term.pk}")
    return urls


def _admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        for pk in model._default_manager.order_by("-pk").values_list("pk", flat=True)[:3]:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]))
    student_users = User.objects.filter(role=User.Role.STUDENT).values_list("pk", flat=True)
    urls += [reverse("admin:auth_user_password_change", args=[pk]) for pk in student_users]
    return urls


# --- what a response shows --------------------------------------------------------------


def _shown(response, rendered: list[str]) -> str:
    """Everything the response tells its reader: headers that name files or places, the
    body as text (a workbook's sheets, a PDF's HTML), and any HTML printed as a PDF."""
    parts = [response.get("Content-Disposition", ""), response.get("Location", "")]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as workbook:
            parts += [workbook.read(n).decode("utf-8", "replace") for n in workbook.namelist()]
    elif "pdf" in kind:
        parts += rendered
    else:
        parts.append(body.decode("utf-8", "replace"))
    rendered.clear()
    return "\n".join(parts)


@pytest.fixture
def pdf_html(monkeypatch):
    """The HTML each PDF is printed from; the printing itself is left out (slow, and its
    text is compressed)."""
    import weasyprint

    rendered: list[str] = []

    def render(template, context=None, *args, **kwargs):
        html = render_to_string(template, context, *args, **kwargs)
        rendered.append(html)
        return html

    class Printed:
        def __init__(self, string):
            self.string = string

        def write_pdf(self):
            return b"%PDF-1.7\n% printed from the HTML read by the test\n"

    monkeypatch.setattr("core.pdf.render_to_string", render)
    monkeypatch.setattr(weasyprint, "HTML", Printed)
    return rendered


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_shows_a_number_its_viewer_may_not_see_whole(
    client, world, people, pdf_html, persona
):
    viewer = people[persona]
    client.force_login(viewer)
    hidden = {
        number: student.name
        for student in people["students"]
        if not _sees_whole(viewer, student)
        for number in (student.id_card_number, student.student_number)
    }
    urls = _urls(world, people) + (_admin_urls() if viewer.is_staff else [])
    read = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200:
            read += 1
            assert "no-store" in response.get("Cache-Control", ""), url
        shown = _shown(response, pdf_html)
        leaked = [name for number, name in hidden.items() if number in shown]
        assert not leaked, f"{url} shows {persona} the whole number of {leaked}"
    assert read > 15, "the walk read almost nothing: is the world in scope?"


def test_those_who_see_numbers_whole_see_them_on_the_students_page(client, world, people):
    staying, moved = people["students"][:2]
    for viewer, student in [
        (people["student_staying"], staying),
        (people["registrar_general"], staying),
        (people["registrar_vocational"], moved),  # the receiving school, after the transfer
    ]:
        client.force_login(viewer)
        page = client.get(reverse("students:detail", args=[student.pk])).content.decode()
        assert student.student_number in page
        assert student.id_card_number in page
        assert 'data-testid="reveal-numbers"' not in page

    client.force_login(people["registrar_general"])  # the old school, after the transfer
    page = client.get(reverse("students:detail", args=[moved.pk])).content.decode()
    assert re.search(r"G\d{6}\*{8}\d{3}[\dX]", page)
    assert moved.id_card_number not in page


def test_the_pdfs_and_workbooks_of_the_walk_are_read(client, world, people, pdf_html):
    """The walk reads what it claims to: a PDF's HTML holds the student's number as its
    viewer sees it, and a workbook's sheets hold the rows."""
    staying = people["students"][0]
    client.force_login(people["registrar_general"])

    pdf = client.get(reverse("credits:transcript_pdf", args=[staying.pk]))
    workbook = client.get(reverse("imports:export", args=["students", "xlsx"]))

    assert staying.student_number in _shown(pdf, pdf_html)
    assert staying.id_card_number in _shown(workbook, pdf_html)
