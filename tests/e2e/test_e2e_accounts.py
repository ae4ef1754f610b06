"""A new class's accounts, from the import to the first message, through the browser.

The registrar imports two students (and one's first-semester credits) and prints the class's
activation slips; the test reads the PDF. Student A opens the slip's address with the code
after "#" as its QR code gives it, is refused a too-simple password, chooses another and is
signed in; on the profile they give an e-mail address, verify a mobile number with the code
sent to it and choose SMS too. Guardian A activates with the guardian's slip and turns SMS
on, for messages in the other language; guardian B activates with a code sent by SMS
instead of the slip. Student A then applies for a transfer in the demo's open window: the
message about it is in the student's and guardian A's inboxes in the page's language, in the
student's e-mail and on both mobiles in each recipient's own language. In Chinese, and once
more in English.

E-mail goes to Django's file backend and SMS to the file backend, both under ``tmp_path``;
the slips' PDF is read with poppler's ``pdftotext``.
"""

import csv
import datetime
import email
import email.policy
import functools
import html
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from browsing import (
    BLOCKING_IMPACTS,
    DESKTOP,
    PASSWORD,
    PHONE,
    axe_violations,
    catalogue_hint,
    click_link,
    describe_violations,
    expect_words,
    log_in,
    log_out,
    screenshot,
    submit,
    ui_text,
)
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from demo.management.commands.seed_demo import COHORT_YEAR
from imports.columns import COLUMNS
from imports.models import ImportJob
from notifications.models import Delivery, Notification
from schools.models import IntegrationClass, User
from students.models import Student
from students.validators import make_id_card_number
from transfers.models import Application

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips these tests then (or fails them with REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.e2e

#: The new class, at the demo's Yuhang general school, in the demo cohort.
CLASS_NAME = "高一融通9班"
#: The two new students: (sequence of the ID-card number, name, guardian, guardian's
#: mobile). The demo's own Yuhang ID-card numbers use the sequences 100-176 and 500-576.
STUDENTS = [
    (900, "林晓雨", "林国强", "13912340001"),
    (903, "陈思远", "陈美华", "13912340002"),
]
STUDENT_MOBILE = "13712340009"
TOO_SIMPLE = "12345678"
OTHER_LANGUAGE = {"zh-hans": "en", "en": "zh-hans"}
#: A printed code: two groups of five of schools.accounts.CODE_ALPHABET.
SLIP_CODE = re.compile(r"[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}")
#: A word as ``pdftotext -bbox`` gives it: its top left corner and its text.
PDF_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*?)</word>')

WORDS = {
    "zh-hans": {
        "email": "lin.xiaoyu@example.cn",
        "reason": "我对电子商务很感兴趣，希望转入职业高中系统学习专业技能。",
        "relation": "父亲",
    },
    "en": {
        "email": "xiaoyu.lin@example.org",
        "reason": "I would like to learn a trade and start working sooner.",
        "relation": "father",
    },
}


def _id_number(sequence: int) -> str:
    return make_id_card_number("330110", datetime.date(COHORT_YEAR - 16, 3, 1), sequence)


@functools.cache  # ui_text reads the whole catalogue each time
def said(language: str, msgid: str) -> str:
    """``ui_text``, and in Chinese the catalogue must translate it: these are the words a
    page, an e-mail or a text message shows, and English there would be a missing
    translation, not a match."""
    words = ui_text(language, msgid)
    assert language == "en" or words != msgid, (
        f"{msgid!r} is not translated into {language}{catalogue_hint()}"
    )
    return words


# --- the class and the outboxes ----------------------------------------------------------


@pytest.fixture
def new_class(demo):
    """An empty integration class of the demo cohort at the Yuhang general school, beside
    the demo's own: the reference data a registrar's file names, kept by the administrator."""
    model = IntegrationClass.objects.filter(
        host_school=demo.from_school, cohort_year=COHORT_YEAR
    ).first()
    return IntegrationClass.objects.create(
        host_school=demo.from_school,
        pairing=model.pairing,
        major=model.major,
        cohort_year=COHORT_YEAR,
        name=CLASS_NAME,
        capacity=40,
    )


@pytest.fixture
def outboxes(settings, tmp_path, live_server):
    """E-mail as files in ``tmp_path/mail``, text messages as JSON lines in
    ``tmp_path/sms.jsonl``; the slips give the live server's address."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.SITE_URL = live_server.url
    return tmp_path


# --- files, slips and messages -----------------------------------------------------------


def _csv(kind: str, rows: list[dict]) -> bytes:
    """Rows as a CSV file with the templates' headers (学籍号 / student_number)."""
    columns = [column for column in COLUMNS[kind] if column.name in rows[0]]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in columns])
    for row in rows:
        writer.writerow([row[column.name] for column in columns])
    return out.getvalue().encode("utf-8")


def _student_rows(school_code: str) -> list[dict]:
    return [
        {
            "student_number": f"G{_id_number(sequence)}",
            "name": name,
            "id_card_number": _id_number(sequence),
            "guardian_name": guardian,
            "guardian_phone": phone,
            "school_code": school_code,
            "class_name": CLASS_NAME,
            "cohort_year": str(COHORT_YEAR),
            "start_date": f"{COHORT_YEAR}-09-01",
        }
        for sequence, name, guardian, phone in STUDENTS
    ]


def _credit_rows(student_number: str, school_code: str) -> list[dict]:
    """First-semester results in three of the demo school's 4-credit courses: 12 credits,
    more than the demo policy's 10."""
    return [
        {
            "student_number": student_number,
            "school_code": school_code,
            "course_code": course,
            "academic_year": f"{COHORT_YEAR}-{COHORT_YEAR + 1}",
            "semester": "1",
            "score": "86",
            "credits_earned": "4",
        }
        for course in ("YW101", "SX101", "YY101")
    ]


def import_file(page, language: str, kind: str, filename: str, content: bytes) -> None:
    """Upload a file on the import page, see every row checked and import it; each row
    creates one."""
    click_link(page, reverse("imports:index"))
    page.check(f'input[name=kind][value="{kind}"]')
    page.set_input_files(
        "input[name=file]", files=[{"name": filename, "mimeType": "text/csv", "buffer": content}]
    )
    with page.expect_navigation():
        page.get_by_test_id("import-form").locator("[type=submit]").click()
    job = ImportJob.objects.filter(filename=filename).latest("pk")
    assert page.url.endswith(reverse("imports:job", args=[job.pk])), page.url
    commit = reverse("imports:commit", args=[job.pk])
    if not page.locator(f'form[action="{commit}"]').count():
        pytest.fail(f"{filename} cannot be imported:\n{page.locator('main').inner_text()}")
    submit(page, commit)
    rows = content.decode("utf-8").count("\n") - 1
    expect(page.get_by_test_id("job-committed")).to_have_text(
        said(language, "Imported: %(create)s created, %(update)s updated, %(unchanged)s unchanged.")
        % {"create": rows, "update": 0, "unchanged": 0}
    )


def _pdftotext(path: Path, *options: str) -> str:
    if shutil.which("pdftotext") is None:
        message = "reading the slips needs poppler's pdftotext (apt-get install poppler-utils)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return subprocess.run(  # noqa: S603 - a fixed local tool on a file we downloaded
        ["pdftotext", "-enc", "UTF-8", *options, str(path), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def slips_on(path: Path) -> list[tuple[str, str]]:
    """Each slip of the PDF as (its code, its text), found by where its words stand: a slip
    is what its code's column holds, from below the code above it down to its own code."""
    slips = []
    for sheet in _pdftotext(path, "-bbox").split("<page ")[1:]:
        words = [(float(x), float(y), html.unescape(w)) for x, y, w in PDF_WORD.findall(sheet)]
        codes = [(x, y, w) for x, y, w in words if SLIP_CODE.fullmatch(w)]
        columns = sorted({x for x, _, _ in codes})

        def column(x: float, columns=columns) -> float:
            return min(columns, key=lambda start: abs(start - x))

        for code_x, code_y, code in codes:
            top = max((y for x, y, _ in codes if x == code_x and y < code_y), default=-1.0)
            text = " ".join(w for x, y, w in words if column(x) == code_x and top < y <= code_y)
            slips.append((code, text))
    return slips


def text_messages(outboxes: Path) -> list[dict]:
    path = outboxes / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def sms_code(outboxes: Path, mobile: str) -> str:
    """The six-digit code of the last text message to ``mobile``."""
    sent = [message for message in text_messages(outboxes) if message["to"] == mobile]
    assert sent, f"no text message to {mobile}: {text_messages(outboxes)}"
    return re.search(r"\b\d{6}\b", sent[-1]["text"]).group()


def emails(outboxes: Path) -> list[email.message.EmailMessage]:
    """Every message Django's file backend wrote (a file per connection, each message
    followed by a line of 79 dashes)."""
    messages = []
    for path in sorted((outboxes / "mail").glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def submitted_message(language: str, application: Application, name: str) -> tuple[str, str]:
    """The subject and body of the message that an application was submitted, in
    ``language`` (transfers.services.notifications.notify_transition)."""
    state = said(language, "Submitted")
    subject = said(language, "Transfer application %(number)s: %(state)s") % {
        "number": application.pk,
        "state": state,
    }
    body = said(
        language, "%(student)s's application to %(school)s (%(major)s) is now: %(state)s."
    ) % {
        "student": name,
        "school": application.to_school.name,
        "major": application.to_major.name,
        "state": state,
    }
    return subject, body


# --- what a person does ------------------------------------------------------------------


def expect_accessible(page, name: str) -> None:
    """No serious or critical WCAG 2.1 A/AA violation on the page as it is now."""
    violations = axe_violations(page)
    if violations:
        print(f"axe on {name} ({page.url}):\n{describe_violations(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (
        f"axe found serious or critical WCAG 2.1 A/AA violations on {name} ({page.url}):\n"
        + describe_violations(blocking)
    )


def choose_password(page, form: str, password: str) -> None:
    page.fill(f"{form} input[name=password1]", password)
    page.fill(f"{form} input[name=password2]", password)
    with page.expect_navigation():
        page.locator(f"{form} [type=submit]").click()


def expect_activated(page, base: str, language: str, login: str) -> None:
    """Activated, signed in, at home, told the login name."""
    assert page.url == f"{base}/", page.url
    expect(page.locator("main [role=status]").first).to_have_text(
        said(
            language,
            "Your account is active. Next time, sign in as %(login)s with your new password.",
        )
        % {"login": login}
    )
    expect(page.locator('form[action="/accounts/logout/"]')).to_have_count(1)


def verify_mobile(page, language: str, outboxes: Path, mobile: str) -> None:
    """On the profile page: a code sent to ``mobile``, read from the text message, typed."""
    page.fill("#id_mobile-mobile", mobile)
    with page.expect_navigation():
        page.get_by_test_id("send-code").click()
    page.fill("#id_code-code", sms_code(outboxes, mobile))
    with page.expect_navigation():
        page.get_by_test_id("verify-code").click()
    expect(page.get_by_test_id("mobile-state")).to_have_text(
        said(language, "%(mobile)s, verified.") % {"mobile": mobile}
    )


def save_channels(page, language: str, *, messages_in: str, email_address: str = "") -> None:
    """On the profile page: SMS, and e-mail if an address is given, in ``messages_in``."""
    if email_address:
        page.fill("#id_profile-email", email_address)
        page.check("#id_profile-notify_by_email")
    else:  # ticked for every new account, and refused without an address
        page.uncheck("#id_profile-notify_by_email")
    page.check("#id_profile-notify_by_sms")
    page.select_option("#id_profile-language", messages_in)
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=save]) [type=submit]").click()
    expect(page.locator("main [role=status]").first).to_have_text(
        said(language, "Your profile is saved.")
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_new_class_opens_its_accounts_and_hears_of_an_application(
    language, page, browser_log, live_server, demo, new_class, outboxes
):
    base, words = live_server.url, WORDS[language]
    rows = _student_rows(demo.from_school.code)
    number_a, number_b = (row["student_number"] for row in rows)
    (_, name_a, guardian_a, phone_a), (_, name_b, guardian_b, phone_b) = STUDENTS

    # No animations to wait for (the collapsed navbar on a phone opens at once).
    page.emulate_media(reduced_motion="reduce")

    # --- the registrar imports the class and prints its slips ---------------------------------
    page.set_viewport_size(DESKTOP)
    log_in(page, base, demo.registrar_from)
    import_file(page, language, "students", "new-class.csv", _csv("students", rows))
    assert set(
        Student.objects.filter(status_records__integration_class=new_class).values_list(
            "student_number", "guardian_phone"
        )
    ) == {(number_a, phone_a), (number_b, phone_b)}

    # The import's result page leads on to the accounts.
    click_link(page, reverse("students:accounts"))
    expect(page.locator("h1")).to_have_text(said(language, "Accounts and activation slips"))
    row = page.get_by_test_id("account-classes").locator("tr", has_text=CLASS_NAME)
    expect(row).to_have_count(1)
    expect_accessible(page, "accounts")
    screenshot(page, language, "accounts")
    with page.expect_download() as download:
        row.get_by_test_id(f"class-slips-{new_class.pk}").click()
    pdf = outboxes / "slips.pdf"
    download.value.save_as(pdf)

    text = _pdftotext(pdf)
    activation_url = base + reverse("activate")
    for expected in (
        *(name_a, name_b, guardian_a, guardian_b),
        *(number_a, number_b, phone_a, phone_b),
        activation_url,
        said(language, "Student's account"),
        said(language, "Guardian's account"),
        said(language, "Login name"),
        said(language, "Activation code"),
    ):
        assert expected in text, f"{expected!r} is not on the slips:\n{text}"
    slips = slips_on(pdf)
    assert len(slips) == len({code for code, _ in slips}) == 4, f"2 students, 2 guardians:\n{slips}"
    code_of = {}
    for code, slip in slips:
        # A guardian's slip names the student too; a student's, no guardian's number.
        owner = next((phone for phone in (phone_a, phone_b) if phone in slip), None) or next(
            (number for number in (number_a, number_b) if number in slip), None
        )
        assert owner is not None, f"whose slip is this?\n{slip}"
        code_of[owner] = code
    assert set(code_of) == {number_a, number_b, phone_a, phone_b}, code_of
    for login, name in ((number_a, name_a), (phone_a, guardian_a), (phone_b, guardian_b)):
        assert name in dict(slips)[code_of[login]], f"{login}'s slip does not name {name}"

    # Student A's first-semester credits, which the policy asks of an applicant.
    credits = _credit_rows(number_a, demo.from_school.code)
    import_file(page, language, "credits", "new-class-credits.csv", _csv("credits", credits))
    log_out(page)

    # --- student A, on a phone, opens the slip's address as its QR code gives it -------------
    page.set_viewport_size(PHONE)
    form = "form[data-code-from-fragment]"
    qr_code = code_of[number_a].replace("-", "")
    page.goto(f"{activation_url}#{qr_code}")
    code_field = page.locator(f"{form} input[name=code]")
    expect(code_field).to_have_value(qr_code)
    assert "#" not in page.url, "the code is taken out of the address once it is read"
    expect_accessible(page, "activation")
    screenshot(page, language, "activation")

    choose_password(page, form, TOO_SIMPLE)
    with translation.override(language):
        refusal = gettext("This password is entirely numeric.")
    assert language == "en" or refusal != "This password is entirely numeric."
    expect(page.locator(form)).to_contain_text(refusal)
    expect(code_field).to_have_value(qr_code)  # nothing lost but the two passwords
    assert not User.objects.get(username=number_a).has_usable_password()
    expect_accessible(page, "activation-refused")
    choose_password(page, form, PASSWORD)
    expect_activated(page, base, language, number_a)
    expect_words(page, "role", language, "Student")

    # An e-mail address, a verified mobile number and SMS too, in the page's language.
    click_link(page, reverse("profile"))
    verify_mobile(page, language, outboxes, STUDENT_MOBILE)
    save_channels(page, language, messages_in=language, email_address=words["email"])
    expect_accessible(page, "profile")
    screenshot(page, language, "profile")
    student = User.objects.get(username=number_a)
    assert (student.email, student.notify_by_email) == (words["email"], True)
    assert (student.mobile, student.notify_by_sms, student.language) == (
        STUDENT_MOBILE,
        True,
        language,
    )
    log_out(page)

    # --- guardian A activates with the guardian's slip; SMS, in the other language -----------
    page.goto(f"{activation_url}#{code_of[phone_a].replace('-', '')}")
    choose_password(page, form, PASSWORD)
    expect_activated(page, base, language, phone_a)
    expect(page.get_by_test_id("guardian-child")).to_contain_text(name_a)
    click_link(page, reverse("profile"))
    verify_mobile(page, language, outboxes, phone_a)  # the number the school has for them
    save_channels(page, language, messages_in=OTHER_LANGUAGE[language])
    log_out(page)

    # --- guardian B activates with a code sent by SMS instead of the slip ----------------------
    click_link(page, reverse("guardian_activate"))
    page.fill("input[name=mobile]", phone_b)
    with page.expect_navigation():
        page.locator("form:has(input[name=mobile]) [type=submit]").click()
    expect(page.locator("main [role=status]").first).to_have_text(
        said(
            language,
            "If the school has recorded this number for a guardian, a code is on its way to it.",
        )
    )
    expect_accessible(page, "guardian-activation")
    code_form = "form:has(input[name=code])"
    page.fill(f"{code_form} input[name=code]", sms_code(outboxes, phone_b))
    choose_password(page, code_form, PASSWORD)
    expect_activated(page, base, language, phone_b)
    expect(page.get_by_test_id("guardian-child")).to_contain_text(name_b)
    assert User.objects.get(username=phone_b).mobile_verified_at is not None
    log_out(page)

    # --- student A applies for a transfer in the window the demo opened ----------------------
    log_in(page, base, number_a)
    click_link(page, reverse("transfers:my_policy"))
    click_link(page, reverse("transfers:apply"))
    page.select_option("#id_to_major", str(demo.major.pk))
    page.fill("#id_reason", words["reason"])
    page.fill("#id_guardian_name", guardian_a)
    page.fill("#id_guardian_relation", words["relation"])
    page.fill("#id_guardian_phone", phone_a)
    page.fill("#id_guardian_consent_date", timezone.localdate().isoformat())
    page.check("#id_guardian_consents")
    page.check("#id_understands_once_only")
    with page.expect_navigation():
        page.locator("form:has(#id_to_major) [type=submit]").click()
    application = Application.objects.get(student__student_number=number_a)
    assert page.url == base + application.get_absolute_url()

    # Delivered as the application's transaction commits (Celery runs eagerly here). In the
    # inboxes: in the page's language, for the student and the guardian alike.
    subject, body = submitted_message(language, application, name_a)
    click_link(page, reverse("notifications:inbox"))
    message = page.locator("main li", has_text=subject)
    expect(message).to_have_count(1)
    expect(message).to_contain_text(body)
    expect(message.get_by_test_id("deliveries")).to_contain_text(said(language, "Sent"))
    log_out(page)

    log_in(page, base, phone_a)
    click_link(page, reverse("notifications:inbox"))
    message = page.locator("main li", has_text=subject)
    expect(message).to_have_count(1)
    expect(message).to_contain_text(body)
    log_out(page)

    # By e-mail, to the student alone (nobody else gave an address), in their language.
    mails = emails(outboxes)
    assert {mail["To"] for mail in mails} == {words["email"]}, [m["Subject"] for m in mails]
    assert [mail.get_content().strip() for mail in mails if mail["Subject"] == subject] == [body], [
        (mail["Subject"], mail.get_content()) for mail in mails
    ]

    # By SMS to each verified mobile that chose it, in its owner's language.
    guardian_subject, guardian_body = submitted_message(
        OTHER_LANGUAGE[language], application, name_a
    )
    texted = {(message["to"], message["text"]) for message in text_messages(outboxes)}
    assert (STUDENT_MOBILE, f"{subject}\n{body}") in texted, texted
    assert (phone_a, f"{guardian_subject}\n{guardian_body}") in texted, texted

    # Each attempt, as staff read it.
    deliveries = Delivery.objects.filter(
        notification__in=Notification.objects.filter(
            about_type=ContentType.objects.get_for_model(Application), about_id=application.pk
        ),
        outcome=Delivery.Outcome.SENT,
    )
    assert set(deliveries.values_list("notification__recipient__username", "channel")) == {
        (number_a, Delivery.Channel.EMAIL),
        (number_a, Delivery.Channel.SMS),
        (phone_a, Delivery.Channel.SMS),
    }

    assert browser_log.errors == [], f"script errors on the pages: {browser_log.errors}"
