"""Fields a form does not show are not taken from a POST (issue 13, "extra posted fields").

Every POST endpoint is found by walking the URL conf; each is posted by the role that may
post it, once with a valid form and once with the same form plus a value for every model
field the form does not expose (``state``, ``school``, ``student``, ``user``,
``is_superuser``, ``role``, ``id``, ``pk``, ``approved_by``, ...), from the same database
state (a savepoint, rolled back in between) at the same frozen moment. Both posts must answer
alike and leave every table of the project's apps alike: an extra field that reached a model
would show up as a difference. A new POST view is noticed: the endpoints found must be
exactly the ones the journeys below post.
"""

import csv
import datetime
import inspect
import io
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from factories import (
    PASSWORD,
    IntegrationClassFactory,
    StatusRecordFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
)
from form_data import apply_form, policy_form
from transfer_world import (
    AFTER_NOTICE,
    DURING_NOTICE,
    PUBLISH_AT,
    SUBMIT_AT,
    WRITTEN_AT,
    drive,
    enrol,
    publish_policy,
    submit,
)

from imports.columns import COLUMNS
from imports.forms import ImportUploadForm
from imports.models import ImportJob
from notifications.models import Notification
from schools.accounts import account_code_issue
from schools.models import AccountCode, Guardianship, Province, School, User
from students.models import StatusRecord, StatusReview, Student
from students.review.services import review_open
from students.validators import make_id_card_number
from transfers import forms as transfer_forms
from transfers import services
from transfers.models import Application, ApprovalBatch, Objection, TransferPolicy
from transfers.services import score_sheets as sheets

pytestmark = pytest.mark.django_db

S = Application.State
PROJECT_APPS = {
    "core", "schools", "notifications", "students", "credits", "imports", "transfers",
    "filing", "workspaces", "demo",
}  # fmt: skip
#: Tables compared by their row count only: their text may quote a new row's number, which
#: differs between the two posts on PostgreSQL (a sequence is not rolled back).
#: Account codes too: their digests are of random codes, new for each post.
COUNTED_ONLY = {Notification, AccountCode}
#: Models whose fields are posted as extras.
EXTRA_MODELS = [
    Application, TransferPolicy, User, Student, StatusRecord, Objection, StatusReview,
    ImportJob, ApprovalBatch, School,
]  # fmt: skip

# --- the POST endpoints ---------------------------------------------------------------------


def _named_callbacks(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_callbacks(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.callback


def _takes_posts(callback) -> bool:
    """A class-based view with ``post``, a view under ``require_POST``, or one whose code
    reads ``request.POST``, ``request.FILES`` or ``request.method``."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    function = callback
    while True:
        methods = inspect.getclosurevars(function).nonlocals.get("request_method_list")
        if methods is not None:
            return "POST" in methods
        if not hasattr(function, "__wrapped__"):
            break
        function = function.__wrapped__
    source = inspect.getsource(function)
    return any(word in source for word in ("request.POST", "request.FILES", "request.method"))


def post_endpoints() -> set[str]:
    return {
        name
        for name, callback in _named_callbacks()
        if not name.startswith("admin:") and _takes_posts(callback)
    }


# --- posting with and without the extras ---------------------------------------------------


def _project_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and not model._meta.proxy
    ]


def _max_pks() -> dict:
    return {
        model: model._base_manager.aggregate(top=Max("pk"))["top"] or 0
        for model in _project_models()
    }


def _snapshot(existing: dict) -> dict:
    """Every row of the project's tables; a row made by the post, and a reference to one,
    reads "new" (its number is the sequence's, not the post's)."""
    snapshot = {}
    for model in _project_models():
        label = model._meta.label
        if model in COUNTED_ONLY:
            snapshot[label] = model._base_manager.count()
            continue
        fields = [f for f in model._meta.concrete_fields if f.name != "password"]

        def normal(field, value, model=model):
            if isinstance(value, memoryview):  # a BinaryField, on PostgreSQL
                return bytes(value)
            target = model if field.primary_key else field.related_model
            if target is not None and value is not None and value > existing.get(target, 0):
                return "new"
            return value

        rows = model._base_manager.values_list(*(f.attname for f in fields))
        snapshot[label] = sorted(
            repr(tuple(normal(f, v) for f, v in zip(fields, row, strict=True))) for row in rows
        )
    return snapshot


def _hostile(field, avoid: set[str]) -> str | None:
    """A value for ``field`` that would change the row if a form took it: for a reference,
    the newest row that the valid form does not name itself."""
    if field.primary_key:
        return "1"
    if field.is_relation:
        pks = field.related_model._base_manager.order_by("-pk").values_list("pk", flat=True)
        return next((str(pk) for pk in pks[:50] if str(pk) not in avoid), "1")
    if field.choices:
        return str(field.choices[-1][0])
    if isinstance(field, models.BooleanField):
        return "on"
    if isinstance(field, models.IntegerField | models.DecimalField):
        return "7"
    if isinstance(field, models.DateTimeField):
        return "2001-02-03 04:05"
    if isinstance(field, models.DateField):
        return "2001-02-03"
    if isinstance(field, models.JSONField):
        return "[1]"
    if isinstance(field, models.BinaryField):
        return None
    return "posted-extra"


def _extras(exposed: set[str], avoid: set[str]) -> dict[str, str]:
    extras = {"pk": "1"}
    for model in EXTRA_MODELS:
        for field in model._meta.concrete_fields:
            for name in {field.name, field.attname}:
                value = _hostile(field, avoid)
                if name not in exposed and name not in extras and value is not None:
                    extras[name] = value
    for name in ("is_superuser", "is_staff", "role", "user", "approved_by", "state", "school"):
        assert name in extras or name in exposed
    return extras


class Poster:
    """Posts each endpoint twice, with and without the extras, and keeps the clean result."""

    def __init__(self, client, capture):
        self.client, self.capture = client, capture
        self.session: dict = {}
        self.posted: set[str] = set()

    def _run(self, user, url, data, existing):
        if user is None:
            self.client.logout()
        else:
            self.client.force_login(user)
        if self.session:
            store = self.client.session
            store.update(self.session)
            store.save()
        with self.capture(execute=True):
            response = self.client.post(url, data)
        location = re.sub(r"\d+", "#", response.get("Location", ""))
        return response, (response.status_code, location, _snapshot(existing))

    def post(self, name, user, *, args=(), data=dict, exposed=(), writes=True, session=None):
        """``data`` makes the valid form's data (anew for each post: uploads are read once);
        ``exposed`` names the fields the form shows beyond those in the data; ``session``
        holds what an earlier step of the page left in the session."""
        self.session = session or {}
        self.posted.add(name)
        url = reverse(name, args=args)
        if user is not None:
            self.client.force_login(user)  # so that the last login is the same in both
        existing = _max_pks()
        before = _snapshot(existing)
        valid = data()
        posted = {v for v in valid.values() if isinstance(v, str)}
        posted |= {item for v in valid.values() if isinstance(v, list) for item in v}
        extras = _extras(set(valid) | set(exposed), posted)
        savepoint = transaction.savepoint()
        _response, hostile = self._run(user, url, {**valid, **extras}, existing)
        transaction.savepoint_rollback(savepoint)
        response, clean = self._run(user, url, data(), existing)

        assert clean[0] in (200, 302), (name, clean[0])
        assert hostile[:2] == clean[:2], name
        differences = {
            table: (hostile[2][table], rows)
            for table, rows in clean[2].items()
            if hostile[2][table] != rows
        }
        assert differences == {}, f"{name}: the extra fields changed {sorted(differences)}"
        if writes:
            assert clean[2] != before, f"{name} wrote nothing: the test posts an invalid form"
        else:
            assert clean[2] == before, name
        return response


@pytest.fixture
def poster(client, django_capture_on_commit_callbacks):
    return Poster(client, django_capture_on_commit_callbacks)


def _fields(form_class) -> set[str]:
    return set(form_class.base_fields)


# --- the journeys ----------------------------------------------------------------------------

ACCOUNT_POSTS = {"login", "logout", "password_change", "set_language"}


def test_the_account_forms_take_no_extra_field(poster, time_machine, school_a):
    time_machine.move_to(datetime.datetime(2025, 3, 1, 9, tzinfo=datetime.UTC), tick=False)
    registrar = UserFactory(role=User.Role.REGISTRAR, school=school_a)

    poster.post(
        "login",
        None,
        data=lambda: {"username": registrar.username, "password": PASSWORD},
    )
    poster.post(
        "password_change",
        registrar,
        data=lambda: {
            "old_password": PASSWORD,
            "new_password1": "Another-horse-77",
            "new_password2": "Another-horse-77",
        },
        writes=False,  # the password only, whose salted hash the comparison leaves out
    )
    registrar.refresh_from_db()
    assert registrar.check_password("Another-horse-77")
    poster.post("set_language", registrar, data=lambda: {"language": "en"}, writes=False)
    poster.post("logout", registrar, writes=False)

    registrar.refresh_from_db()
    assert (registrar.role, registrar.is_superuser, registrar.is_staff) == (
        User.Role.REGISTRAR,
        False,
        False,
    )
    assert registrar.school == school_a
    assert poster.posted == ACCOUNT_POSTS


POLICY_POSTS = {
    "schools:admission_lines",
    "transfers:province_pack",
    "transfers:policy_new",
    "transfers:policy_edit",
    "transfers:policy_submit",
    "transfers:policy_review",
    "transfers:policy_publish",
    "transfers:policy_new_version",
}


def test_the_policy_forms_take_no_extra_field(poster, world, time_machine):
    time_machine.move_to(WRITTEN_AT, tick=False)
    policy_fields = _fields(transfer_forms.PolicyForm) | {"add_components", "add_quotas"}

    poster.post(
        "transfers:policy_new",
        world.district,
        data=lambda: policy_form(world, "余杭区2024级学籍互转办法"),
        exposed=policy_fields,
    )
    policy = TransferPolicy.objects.get()
    poster.post(
        "transfers:policy_edit",
        world.district,
        args=[policy.pk],
        data=lambda: policy_form(world, "余杭区2024级学籍互转实施办法", saved=True),
        exposed=policy_fields,
    )
    poster.post("transfers:policy_submit", world.district, args=[policy.pk])
    poster.post(
        "transfers:policy_review",
        world.bureau,
        args=[policy.pk],
        data=lambda: {"decision": "approve", "comment": "同意。"},
    )
    poster.post("transfers:policy_publish", world.district, args=[policy.pk])
    poster.post("transfers:policy_new_version", world.district, args=[policy.pk])
    # The bureau records an admission line the packs' criteria read.
    poster.post(
        "schools:admission_lines",
        world.bureau,
        data=lambda: {"year": "2024", "school": str(world.general.pk), "score": "600"},
    )
    # The province above the city sets the pack its cities start from.
    province = Province.objects.create(code="330000", name="浙江省", department_name="浙江省教育厅")
    world.area.municipality.province = province
    world.area.municipality.save()
    department = UserFactory(role=User.Role.PROVINCE, province=province)
    poster.post("transfers:province_pack", department, data=lambda: {"rule_pack": "hangzhou-2023"})

    policy.refresh_from_db()
    assert (policy.pilot_area, policy.state, policy.version, policy.approved_by) == (
        world.area,
        TransferPolicy.State.PUBLISHED,
        1,
        world.bureau,
    )
    assert poster.posted == POLICY_POSTS


APPLICATION_POSTS = {
    "transfers:apply",
    "transfers:application_withdraw",
    "transfers:application_guardian_confirm",
    "transfers:application_eligibility",
    "transfers:score_sheet",
    "transfers:score_upload",
    "transfers:score_upload_commit",
    "transfers:results_publish",
    "transfers:application_objection",
    "transfers:application_resolve",
    "transfers:application_recommend",
    "transfers:allocation_confirm",
    "transfers:application_take_back",
    "transfers:application_decide",
    "transfers:approve_batch",
}


def _scores(application, bonus):
    return {
        component.pk: component.pass_mark + bonus
        for component in application.policy.components.filter(direction=application.direction)
    }


def _score_csv(application, scores) -> bytes:
    """The session's sheet with one row: the application's number and its scores."""
    components = application.policy.components.order_by("direction", "pk")
    columns = sheets.sheet_columns(components).columns
    names = {component.pk: component.name for component in components}
    by_column = {names[pk]: str(value) for pk, value in scores.items()}
    row = [str(application.pk)] + [by_column.get(c.name, "") for c in columns[1:]]
    out = io.StringIO()
    csv.writer(out).writerows([[c.header for c in columns], row])
    return out.getvalue().encode("utf-8-sig")


def test_the_application_forms_take_no_extra_field(poster, world, time_machine):
    policy = publish_policy(world)
    time_machine.move_to(SUBMIT_AT, tick=False)
    first, second, third, leaving = (enrol(world, name=n) for n in ("张三", "李四", "王五", "赵六"))

    # The student applies; another withdraws; the registrar confirms eligibility.
    poster.post("transfers:apply", first.user, data=lambda: apply_form(world))
    mine = Application.objects.get(student=first)
    withdrawn = submit(policy, leaving)
    poster.post("transfers:application_withdraw", leaving.user, args=[withdrawn.pk])
    guardian = UserFactory(username="13900000041", role=User.Role.GUARDIAN)
    Guardianship.objects.create(guardian=guardian, student=first.user)
    poster.post("transfers:application_guardian_confirm", guardian, args=[mine.pk])
    poster.post(
        "transfers:application_eligibility",
        world.registrar_general,
        args=[mine.pk],
        data=lambda: {"decision": "eligible"},
        exposed=_fields(transfer_forms.EligibilityForm),
    )

    # The district scores one on screen, one from a file, the third through the service.
    by_file = drive(world, submit(policy, second), S.ELIGIBLE)
    by_service = drive(world, submit(policy, third), S.ELIGIBLE)
    mine.refresh_from_db()
    poster.post(
        "transfers:score_sheet",
        world.district,
        args=[policy.pk],
        data=lambda: {
            f"score_{mine.pk}_{pk}": str(value) for pk, value in _scores(mine, 30).items()
        },
    )
    file_scores = _scores(by_file, 20)
    poster.post(
        "transfers:score_upload",
        world.district,
        args=[policy.pk],
        data=lambda: {"file": SimpleUploadedFile("scores.csv", _score_csv(by_file, file_scores))},
        writes=False,  # the dry run
    )
    check = sheets.score_sheet_check(
        actor=world.district,
        policy=policy,
        filename="scores.csv",
        content=_score_csv(by_file, file_scores),
    )
    assert check.token, check.errors
    poster.post(
        "transfers:score_upload_commit",
        world.district,
        args=[policy.pk],
        data=lambda: {"token": check.token},
    )
    services.scores_enter(
        actor=world.district, policy=policy, scores={by_service.pk: _scores(by_service, 10)}
    )

    # Results on notice; an objection lodged and answered.
    time_machine.move_to(PUBLISH_AT, tick=False)
    poster.post("transfers:results_publish", world.district, args=[policy.pk])
    time_machine.move_to(DURING_NOTICE, tick=False)
    poster.post(
        "transfers:application_objection",
        first.user,
        args=[mine.pk],
        data=lambda: {"text": "面试成绩有误。"},
    )
    poster.post(
        "transfers:application_resolve",
        world.district,
        args=[mine.pk],
        data=lambda: {"decision": "dismiss", "resolution": "经复核，成绩无误。"},
        exposed={f"correct_{pk}" for pk in _scores(mine, 0)},
    )

    # After the notice: the best-ranked recommended by hand, the rest by the allocation,
    # one recommendation taken back, one approved on its page, one in a batch.
    time_machine.move_to(AFTER_NOTICE, tick=False)
    poster.post(
        "transfers:application_recommend",
        world.district,
        args=[mine.pk],
        data=lambda: {"decision": "recommend"},
        exposed=_fields(transfer_forms.RecommendForm),
    )
    poster.post("transfers:allocation_confirm", world.district, args=[policy.pk])
    poster.post(
        "transfers:application_take_back",
        world.district,
        args=[by_service.pk],
        data=lambda: {"reason": "实训条件暂不具备。"},
    )
    poster.post(
        "transfers:application_decide",
        world.bureau,
        args=[mine.pk],
        data=lambda: {"decision": "approve"},
        exposed=_fields(transfer_forms.DecisionForm),
    )
    poster.post(
        "transfers:approve_batch",
        world.bureau,
        data=lambda: {"applications": [str(by_file.pk)]},
    )

    states = dict(Application.objects.values_list("student__name", "state"))
    assert states == {
        "张三": S.COMPLETED,
        "李四": S.COMPLETED,
        "王五": S.NOT_RECOMMENDED,
        "赵六": S.WITHDRAWN,
    }
    mine.refresh_from_db()
    assert (mine.student, mine.to_school, mine.from_school) == (
        first,
        world.vocational,
        world.general,
    )
    assert poster.posted == APPLICATION_POSTS


REGISTRAR_POSTS = {
    "imports:index",
    "imports:commit",
    "students_review:confirm",
    "students_review:finish",
    "students_review:reopen",
    "students:hand_over",
    "students:reveal_numbers",
}


def _students_csv(row: dict) -> bytes:
    columns = [column for column in COLUMNS[ImportJob.Kind.STUDENTS] if column.name in row]
    out = io.StringIO()
    csv.writer(out).writerows([[c.header for c in columns], [row[c.name] for c in columns]])
    return out.getvalue().encode("utf-8-sig")


def test_the_school_and_district_forms_take_no_extra_field(
    poster, time_machine, school_a, vocational_a, registrar_a, district_a, pairing_a
):
    time_machine.move_to(datetime.datetime(2024, 10, 15, 2, tzinfo=datetime.UTC), tick=False)
    klass = IntegrationClassFactory(pairing=pairing_a, host_school=school_a, cohort_year=2024)
    term = TermFactory()
    students = [StudentFactory() for _ in range(2)]
    for student in students:
        StatusRecordFactory(student=student, school=school_a)
    review = review_open(school=school_a, term=term)

    poster.post(
        "students_review:confirm",
        registrar_a,
        args=[review.pk],
        data=lambda: {"students": [str(students[0].pk)]},
        exposed={"action", "one", "page_students", "next"},
    )
    poster.post("students_review:finish", registrar_a, args=[review.pk])
    poster.post(
        "students_review:reopen",
        district_a,
        args=[review.pk],
        data=lambda: {"reason": "漏核两名学生。"},
    )

    number = make_id_card_number("330110", datetime.date(2010, 3, 1), 1)
    row = {
        "student_number": f"G{number}",
        "name": "王小明",
        "id_card_number": number,
        "gender": "男",
        "birth_date": "2010-03-01",
        "guardian_name": "王大明",
        "guardian_phone": "13800000001",
        "school_code": school_a.code,
        "track": "",
        "class_name": klass.name,
        "cohort_year": "2024",
        "major_code": "",
        "start_date": "2024-09-01",
    }
    poster.post(
        "imports:index",
        registrar_a,
        data=lambda: {"kind": "students", "file": SimpleUploadedFile("s.csv", _students_csv(row))},
        exposed=_fields(ImportUploadForm),
    )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.CHECKED, job.error or job.results
    poster.post("imports:commit", registrar_a, args=[job.pk])

    review.refresh_from_db()
    assert (review.school, review.state) == (school_a, StatusReview.State.OPEN)
    assert list(review.confirmations.values_list("student", flat=True)) == [students[0].pk]
    gone = StudentFactory(name="钱七")
    StatusRecordFactory(student=gone, school=school_a, closed=True)
    poster.post(
        "students:hand_over",
        district_a,
        args=[gone.pk],
        data=lambda: {"to_school": str(vocational_a.pk), "reason": "转回户籍所在地就读。"},
    )
    poster.post(
        "students:reveal_numbers",
        district_a,
        args=[gone.pk],
        data=lambda: {"reason": "核对转出材料上的学籍号。"},
    )

    job.refresh_from_db()
    assert (job.state, job.school, job.uploaded_by) == (
        ImportJob.State.COMMITTED,
        school_a,
        registrar_a,
    )
    assert Student.objects.get(name="王小明").status_records.get().school == school_a
    handover = gone.handovers.get()
    assert (handover.from_school, handover.to_school, handover.actor) == (
        school_a,
        vocational_a,
        district_a,
    )
    reveal = gone.reveals.get()
    assert (reveal.viewer, reveal.reason) == (district_a, "核对转出材料上的学籍号。")
    assert poster.posted == REGISTRAR_POSTS


PEOPLE_POSTS = {
    "students:class_slips",
    "students:slip",
    "activate",
    "guardian_activate",
    "profile",
    "schools:staff",
    "schools:staff_reinvite",
    "two_factor",
    "two_factor_verify",
}


def test_the_account_and_profile_forms_take_no_extra_field(
    poster, time_machine, school_a, registrar_a, district_a, pairing_a
):
    time_machine.move_to(datetime.datetime(2024, 10, 15, 2, tzinfo=datetime.UTC), tick=False)
    klass = IntegrationClassFactory(pairing=pairing_a, host_school=school_a, cohort_year=2024)
    student = StudentFactory(guardian_phone="13800000021")
    StatusRecordFactory(student=student, school=school_a, integration_class=klass)
    other = StudentFactory(guardian_phone="13800000022")
    StatusRecordFactory(student=other, school=school_a, integration_class=klass)

    response = poster.post(
        "students:class_slips", registrar_a, args=[klass.pk], data=lambda: {"guardians": "on"},
        exposed={"only_new"},
    )  # fmt: skip
    assert response["Content-Type"] == "application/pdf"
    poster.post("students:slip", registrar_a, args=[other.pk], data=lambda: {"guardians": "on"})
    account = User.objects.get(username=student.student_number)
    code = account_code_issue(user=account, purpose=AccountCode.Purpose.ACTIVATE, issued_by=None)
    poster.post(
        "activate",
        None,
        data=lambda: {"code": code, "password1": "Long-river-81", "password2": "Long-river-81"},
    )
    account.refresh_from_db()
    assert account.check_password("Long-river-81")

    guardian = User.objects.get(username="13800000021")
    poster.post("guardian_activate", None, data=lambda: {"mobile": guardian.username})
    sms = account_code_issue(
        user=guardian, purpose=AccountCode.Purpose.MOBILE, issued_by=None, sent_to="13800000021"
    )
    poster.post(
        "guardian_activate",
        None,
        data=lambda: {"code": sms, "password1": "Quiet-hill-52", "password2": "Quiet-hill-52"},
        session={"guardian_activation_mobile": guardian.username},
    )
    guardian.refresh_from_db()
    assert (guardian.role, guardian.mobile_verified_at is not None) == (User.Role.GUARDIAN, True)

    profile = {"mobile-mobile", "code-code"}
    poster.post(
        "profile",
        account,
        data=lambda: {
            "action": "save",
            "profile-email": "xiaoming@example.cn",
            "profile-notify_by_email": "on",
            "profile-language": "en",
        },
        exposed=profile,
    )
    poster.post(
        "profile",
        account,
        data=lambda: {"action": "send-code", "mobile-mobile": "13900000031"},
        exposed=profile,
    )
    typed = account_code_issue(
        user=account, purpose=AccountCode.Purpose.MOBILE, issued_by=None, sent_to="13900000031"
    )
    poster.post(
        "profile", account, data=lambda: {"action": "verify", "code-code": typed}, exposed=profile
    )
    account.refresh_from_db()
    assert (account.email, account.mobile, account.language) == (
        "xiaoming@example.cn",
        "13900000031",
        "en",
    )

    poster.post(
        "schools:staff",
        district_a,
        data=lambda: {
            "username": "li.registrar",
            "last_name": "李",
            "first_name": "老师",
            "email": "li@example.cn",
            "role": User.Role.REGISTRAR,
            "school": str(school_a.pk),
            "language": "zh-hans",
        },
    )
    invited = User.objects.get(username="li.registrar")
    poster.post("schools:staff_reinvite", district_a, args=[invited.pk])
    assert (invited.role, invited.school, invited.is_superuser) == (
        User.Role.REGISTRAR,
        school_a,
        False,
    )
    assert (account.role, account.is_staff, guardian.is_staff) == (
        User.Role.STUDENT,
        False,
        False,
    )

    # The registrar turns on two-step sign-in, then signs in with it.
    device = TOTPDevice.objects.create(user=registrar_a, name="app", confirmed=False)
    poster.post(
        "two_factor",
        registrar_a,
        data=lambda: {"action": "enable", "token": _totp(device)},
        writes=False,  # the device's tables only
    )
    device.refresh_from_db()
    assert device.confirmed
    time_machine.shift(datetime.timedelta(seconds=60))
    poster.post(
        "two_factor_verify",
        registrar_a,
        data=lambda: {"token": _totp(device), "next": "/"},
        writes=False,
    )
    assert poster.posted == PEOPLE_POSTS


def _totp(device) -> str:
    from django_otp.oath import TOTP

    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    )


def test_the_journeys_post_every_post_endpoint_of_the_url_conf():
    found = post_endpoints()

    assert "transfers:apply" in found and "login" in found  # the walk sees both kinds
    posted = ACCOUNT_POSTS | POLICY_POSTS | APPLICATION_POSTS | REGISTRAR_POSTS | PEOPLE_POSTS
    assert found - posted == set(), "a POST endpoint no journey above posts: add a step"
    assert posted - found == set(), "a journey posts an endpoint that takes no POST now"
