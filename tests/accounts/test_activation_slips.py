"""A registrar opens a class's accounts and prints their slips; a student and a guardian
activate with the code on theirs, choose a password and sign in; printing again ends the old
code; nobody else's students, and no code twice."""

import datetime

import pytest
from factories import IntegrationClassFactory, StatusRecordFactory, StudentFactory
from native import needs_weasyprint

from schools.accounts import account_activate, account_code_issue, code_typed
from schools.models import AccountCode, Guardianship, User
from students.accounts import accounts_issue, class_students

GOOD_PASSWORD = "qiu-tian-lai-le-2026"


def signs_in(client, username: str, password: str) -> bool:
    """Through the login page, as a person would (django-axes wants the request)."""
    client.logout()
    client.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


@pytest.fixture
def klass(pairing_a, school_a):
    return IntegrationClassFactory(pairing=pairing_a, host_school=school_a, name="融通1班")


@pytest.fixture
def pupils(klass, school_a):
    students = [StudentFactory() for _ in range(3)]
    for student in students:
        StatusRecordFactory(student=student, school=school_a, integration_class=klass)
    return students


@pytest.fixture
def slips_rendered(monkeypatch):
    """What the slip PDF is given, without rendering it (the PDF itself is tested below)."""
    seen: list = []

    def render(template, context, **kwargs):
        seen.append(context)
        return b"%PDF-1.7 slips"

    monkeypatch.setattr("students.account_views.render_pdf", render)
    return seen


def test_a_class_gets_student_and_guardian_accounts_with_one_slip_each(registrar_a, pupils, klass):
    slips = accounts_issue(actor=registrar_a, students=class_students(registrar_a, klass.pk))

    assert [s.kind for s in slips] == ["student", "guardian"] * 3
    for student in pupils:
        student.refresh_from_db()
        assert student.user.username == student.student_number
        assert student.user.role == User.Role.STUDENT
        assert not student.user.has_usable_password()
        guardian = User.objects.get(username=student.guardian_phone)
        assert guardian.role == User.Role.GUARDIAN
        assert Guardianship.objects.filter(guardian=guardian, student=student.user).exists()
    assert {s.class_name for s in slips} == {"融通1班"}
    assert all(len(code_typed(s.code)) == 10 and "-" in s.code for s in slips)
    assert all(s.url.endswith("/accounts/activate/") for s in slips)


def test_codes_are_kept_only_as_digests(registrar_a, pupils, klass):
    slips = accounts_issue(actor=registrar_a, students=pupils)
    stored = list(AccountCode.objects.values_list("digest", flat=True))
    assert len(stored) == len(slips)
    for slip in slips:
        assert all(code_typed(slip.code) not in digest for digest in stored)


def test_a_student_activates_with_the_slip_and_signs_in(client, registrar_a, pupils):
    slip = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]

    response = client.post(
        "/accounts/activate/",
        {"code": slip.code.lower(), "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )

    assert response.status_code == 302 and response.url == "/"
    client.logout()
    assert signs_in(client, slip.login, GOOD_PASSWORD)
    # The code works once.
    client.logout()
    again = client.post(
        "/accounts/activate/",
        {"code": slip.code, "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert again.status_code == 200
    assert "not valid" in again.content.decode()


def test_a_guardian_activates_and_signs_in_with_the_mobile_number(client, registrar_a, pupils):
    slips = accounts_issue(actor=registrar_a, students=pupils[:1])
    guardian_slip = next(s for s in slips if s.kind == "guardian")

    account_activate(typed_code=guardian_slip.code, password=GOOD_PASSWORD)

    assert signs_in(client, pupils[0].guardian_phone, GOOD_PASSWORD)


def test_a_weak_password_is_refused_with_the_validators_reasons_and_the_code_is_kept(
    client, registrar_a, pupils
):
    slip = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]

    response = client.post(
        "/accounts/activate/", {"code": slip.code, "password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 200
    assert "too common" in response.content.decode()
    account_activate(typed_code=slip.code, password=GOOD_PASSWORD)  # still valid


def test_the_password_reasons_are_in_chinese_on_the_chinese_page(client, registrar_a, pupils):
    slip = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]
    client.cookies["django_language"] = "zh-hans"

    response = client.post(
        "/accounts/activate/", {"code": slip.code, "password1": "12345678", "password2": "12345678"}
    )

    assert "这个密码太常见了" in response.content.decode()


def test_printing_again_ends_the_old_code_and_resets_the_password(client, registrar_a, pupils):
    first = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]
    account_activate(typed_code=first.code, password=GOOD_PASSWORD)
    second = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]
    third = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]

    with pytest.raises(Exception, match="not valid"):
        account_activate(typed_code=second.code, password="another-long-phrase-77")
    account_activate(typed_code=third.code, password="another-long-phrase-77")
    assert signs_in(client, third.login, "another-long-phrase-77")
    assert not signs_in(client, third.login, GOOD_PASSWORD)


def test_only_new_leaves_activated_accounts_alone(registrar_a, pupils):
    slips = accounts_issue(actor=registrar_a, students=pupils[:1])
    for slip in slips:
        account_activate(typed_code=slip.code, password=GOOD_PASSWORD)

    assert accounts_issue(actor=registrar_a, students=pupils[:1], only_new=True) == []


def test_an_expired_code_is_refused(registrar_a, pupils, time_machine):
    slip = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]
    time_machine.move_to(datetime.datetime.now() + datetime.timedelta(days=15))

    with pytest.raises(Exception, match="not valid"):
        account_activate(typed_code=slip.code, password=GOOD_PASSWORD)


def test_the_database_keeps_one_live_code_per_account_and_purpose(registrar_a, pupils, db):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    slip = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]
    user = User.objects.get(username=slip.login)
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountCode.objects.create(
            user=user,
            purpose=AccountCode.Purpose.ACTIVATE,
            digest="x" * 64,
            issued_at=now,
            expires_at=now + datetime.timedelta(days=1),
        )


def test_a_registrar_cannot_open_accounts_for_another_schools_students(
    registrar_b, pupils, klass, client_as
):
    assert accounts_issue(actor=registrar_b, students=pupils) == []
    client = client_as(registrar_b)
    assert client.post(f"/students/accounts/class/{klass.pk}/").status_code == 404
    assert client.post(f"/students/{pupils[0].pk}/slip/").status_code == 404


@pytest.mark.parametrize("persona", ["student_a", "district_a", "bureau"])
def test_only_registrars_print_slips(persona, pupils, klass, client_as):
    client = client_as(persona)
    assert client.get("/students/accounts/").status_code == 404
    assert client.post(f"/students/accounts/class/{klass.pk}/").status_code == 404


def test_the_registrar_prints_a_class_and_a_student(
    registrar_a, pupils, klass, client_as, slips_rendered
):
    client = client_as(registrar_a)
    page = client.get("/students/accounts/")
    assert page.status_code == 200
    assert "融通1班" in page.content.decode()

    response = client.post(f"/students/accounts/class/{klass.pk}/", {"guardians": "on"})
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert len(slips_rendered[-1]["slips"]) == 6
    assert slips_rendered[-1]["slips"][0]["qr"].startswith("data:image/svg+xml")

    one = client.post(f"/students/{pupils[0].pk}/slip/")
    assert one["Content-Type"] == "application/pdf"
    assert [s["kind"] for s in slips_rendered[-1]["slips"]] == ["student"]
    detail = client.get(f"/students/{pupils[0].pk}/")
    assert 'data-testid="student-slip"' in detail.content.decode()


def test_the_activation_page_renders_for_anyone(client, db):
    response = client.get("/accounts/activate/")
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


def test_too_many_wrong_codes_from_one_address_are_stopped(client, registrar_a, pupils):
    slip = accounts_issue(actor=registrar_a, students=pupils[:1], guardians=False)[0]
    wrong = {"code": "AAAAA-AAAAA", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    for _ in range(20):
        client.post("/accounts/activate/", wrong)

    response = client.post(
        "/accounts/activate/",
        {"code": slip.code, "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )

    assert "Too many wrong codes" in response.content.decode()


def test_a_staff_code_can_be_issued_and_redeemed_for_an_invitation(registrar_a):
    code = account_code_issue(user=registrar_a, purpose=AccountCode.Purpose.INVITE, issued_by=None)
    user = account_activate(typed_code=code, password=GOOD_PASSWORD)
    assert user == registrar_a


@needs_weasyprint
def test_the_slips_are_a_pdf(registrar_a, pupils, klass, client_as):
    response = client_as(registrar_a).post(f"/students/accounts/class/{klass.pk}/")
    assert response.content.startswith(b"%PDF")
