"""Every form that takes ids or numbers never makes a 500 (issue 13, item 7): each is posted,
as each role, with its valid data and hostile values in its id and number fields
(superscript and full-width digits, huge and negative numbers, floats, empty values, lists,
NUL bytes, very long text); the answer is a 4xx, a redirect with a message or the form again
with its errors. Each post runs in a savepoint rolled back after it, so one that happens to
be valid leaves the next the same world."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from factories import StatusRecordFactory, StudentFactory, UserFactory
from form_data import apply_form, policy_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transfer_world import (
    AFTER_NOTICE,
    DURING_NOTICE,
    PUBLISH_AT,
    STANDARDS,
    SUBMIT_AT,
    approve_and_publish,
    default_quotas,
    draft_policy,
    drive,
    enrol,
    scores_for,
    submit,
)

from schools.models import Major, School, User
from students.models import Student
from students.review.services import review_open
from transfers import services
from transfers.forms import MAX_ROWS
from transfers.models import Application

pytestmark = pytest.mark.django_db

S = Application.State
NASTY = [
    "²", "１２", "٣", "9" * 40, str(2**63), "-1", "0", "-0", "+1", " 1 ", "1.5", "1e9", "NaN",
    "Infinity", "", "\x00", "1\x00", "x" * 5000, "' OR 1=1", "%00",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=20),
    st.lists(st.sampled_from(NASTY), min_size=0, max_size=3),
)
ROLES = ["student", "registrar", "district", "bureau", "admin"]
#: What the test of every field posts in each, one value at a time.
EACH = ["²", "１２", "9" * 40, "-1", "1.5", "", "\x00", "x" * 5000, ["1", "²"]]
#: The policy form's fields that test takes, on the draft only (its page is the slowest to
#: answer); the fuzz takes these and the other number fields of both forms.
POLICY_EACH = ["cohort_year", "components-TOTAL_FORMS", "quotas-0-school"]


@pytest.fixture
def scene(world, time_machine):
    """A policy with two choices, published; a student who has not applied; an eligible
    application (the score sheet), a published one with an objection, a recommended one
    (the approvals), a new draft version (the policy form), an open review and a student
    with no registration (the hand-over)."""
    policy = draft_policy(world)
    services.policy_update(actor=world.district, policy=policy, max_choices=2)
    approve_and_publish(world, policy)
    objecting = drive(world, submit(policy, enrol(world)), S.ASSESSED, bonus=0)
    recommended = drive(world, submit(policy, enrol(world)), S.ASSESSED, bonus=20)
    services.results_publish(actor=world.district, policy=policy, now=PUBLISH_AT)
    services.objection_lodge(
        actor=objecting.student.user, application=objecting, text="成绩有误。", now=DURING_NOTICE
    )
    services.application_recommend(
        actor=world.district, application=recommended, recommend=True, now=AFTER_NOTICE
    )
    eligible = drive(world, submit(policy, enrol(world)), S.ELIGIBLE)
    draft = services.policy_new_version(actor=world.district, policy=policy)
    review = review_open(school=world.general, term=world.first_term)
    gone = StudentFactory()
    StatusRecordFactory(student=gone, school=world.general, closed=True)
    time_machine.move_to(SUBMIT_AT, tick=False)
    people = {
        "student": enrol(world).user,
        "registrar": world.registrar_general,
        "district": world.district,
        "bureau": world.bureau,
        "admin": UserFactory(role=User.Role.ADMIN, is_staff=True, is_superuser=True),
    }
    components = [c.pk for c in policy.components.all()]
    # Ids of rows that exist, for the values that are valid ids of the wrong row.
    ids = sorted(
        {
            str(pk)
            for model in (School, Major, Application, Student)
            for pk in model.objects.values_list("pk", flat=True)
        }
    )
    score_keys = [f"score_{eligible.pk}_{pk}" for pk in scores_for(eligible)]
    forms = {
        # name: (URL, the valid data, the fields that take ids or numbers)
        "apply": (
            reverse("transfers:apply"),
            apply_form(world),
            ["to_major", "choice_2", "guardian_consent_date", "guardian_phone"],
        ),
        "policy_new": (
            reverse("transfers:policy_new"),
            policy_form(world, "新办法"),
            POLICY_EACH
            + [
                "cohort_year",
                "notice_days",
                "max_choices",
                "min_first_semester_credits",
                "window_opens",
                "components-TOTAL_FORMS",
                "components-INITIAL_FORMS",
                "components-0-max_score",
                "components-0-weight",
                "quotas-TOTAL_FORMS",
                "quotas-0-school",
                "quotas-0-major",
                "quotas-0-seats",
                "add_components",
            ],
        ),  # fmt: skip
        "policy_edit": (
            reverse("transfers:policy_edit", args=[draft.pk]),
            policy_form(world, "修订", saved=True),
            POLICY_EACH
            + [
                "notice_days",
                "components-INITIAL_FORMS",
                "components-1-pass_mark",
                "quotas-INITIAL_FORMS",
                "quotas-1-school",
                "quotas-1-seats",
                "add_quotas",
            ],
        ),  # fmt: skip
        "score_sheet": (
            reverse("transfers:score_sheet", args=[policy.pk]),
            dict.fromkeys(score_keys, "80"),
            score_keys,
        ),
        "resolve": (
            reverse("transfers:application_resolve", args=[objecting.pk]),
            {"decision": "uphold", "resolution": "已复核。"},
            [f"correct_{pk}" for pk in components] + ["decision"],
        ),
        "approve_batch": (
            reverse("transfers:approve_batch"),
            {"applications": [str(recommended.pk)]},
            ["applications"],
        ),
        "score_upload_commit": (
            reverse("transfers:score_upload_commit", args=[policy.pk]),
            {"token": ""},
            ["token"],
        ),
        "review_confirm": (
            reverse("students_review:confirm", args=[review.pk]),
            {"students": [str(eligible.student_id)]},
            ["one", "students", "page_students", "action"],
        ),
        "hand_over": (
            reverse("students:hand_over", args=[gone.pk]),
            {"to_school": str(world.vocational.pk), "reason": "转回户籍所在地。"},
            ["to_school"],
        ),
    }
    return people, forms, ids


def _near(ids: list[str]):
    """An existing id, written as a lenient parser would still read it."""
    return st.tuples(
        st.sampled_from(ids), st.sampled_from(["{}", " {} ", "+{}", "{}.0", "0{}"])
    ).map(lambda pair: pair[1].format(pair[0]))


def _post(client, user, url, data) -> int:
    client.force_login(user)
    savepoint = transaction.savepoint()
    try:
        return client.post(url, data).status_code
    finally:
        transaction.savepoint_rollback(savepoint)


def test_each_number_field_of_each_form_takes_each_hostile_value(client, scene):
    """Values known to break a careless parser, one field at a time, as the role whose form
    it is."""
    people, forms, ids = scene
    general = str(School.objects.filter(kind=School.Kind.GENERAL).order_by("pk")[0].pk)
    each = [*EACH, general, f" {general} ", f"+{general}"]
    owners = {
        "apply": "student", "policy_new": "district", "policy_edit": "district",
        "score_sheet": "district", "resolve": "district", "approve_batch": "bureau",
        "score_upload_commit": "district", "review_confirm": "registrar",
        "hand_over": "district",
    }  # fmt: skip
    assert set(owners) == set(forms)
    for name, (url, valid, fields) in forms.items():
        assert _post(client, people[owners[name]], url, valid) < 400, name  # valid as it is
        if name == "policy_new":
            continue
        for field in POLICY_EACH if name == "policy_edit" else fields:
            for value in each:
                status = _post(client, people[owners[name]], url, {**valid, field: value})
                assert status < 500, (name, field, value)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_form_makes_a_500_whoever_posts_it(client, scene, data):
    people, forms, ids = scene
    name = data.draw(st.sampled_from(sorted(forms)), label="form")
    role = data.draw(st.sampled_from(ROLES), label="role")
    url, valid, fields = forms[name]
    values = st.one_of(VALUES, _near(ids), st.lists(_near(ids), max_size=3))
    hostile = data.draw(st.dictionaries(st.sampled_from(fields), values, min_size=1, max_size=4))

    status = _post(client, people[role], url, {**valid, **hostile})

    assert status < 500, (name, role, hostile)


# --- what the fuzz found ------------------------------------------------------------------


def test_seats_given_twice_for_a_school_and_major_are_refused_with_a_message(world):
    quotas = default_quotas(world, seats=2)

    with pytest.raises(ValidationError) as refused:
        draft_policy(world, quotas=[*quotas, quotas[0]])

    assert refused.value.message_dict == {
        "quotas": [f"The seats of {world.vocational.name} in {world.major.name} are given twice."]
    }


def test_a_subject_given_twice_for_a_direction_is_refused_with_a_message(world):
    policy = draft_policy(world)
    components = [services.ComponentSpec(*row) for row in STANDARDS]

    with pytest.raises(ValidationError) as refused:
        services.policy_update(
            actor=world.district, policy=policy, components=[*components, components[0]]
        )

    assert refused.value.message_dict == {
        "components": ["专业基础知识 is given twice for the same direction."]
    }


def test_the_policy_form_with_a_row_of_seats_twice_is_shown_again_with_the_message(client, world):
    data = policy_form(world, "新办法")
    data.update(
        {"quotas-1-school": data["quotas-0-school"], "quotas-1-major": data["quotas-0-major"]}
    )
    client.force_login(world.district)

    response = client.post(reverse("transfers:policy_new"), data)

    assert response.status_code == 200
    assert "are given twice" in response.content.decode()


def test_a_table_of_thousands_of_rows_is_refused_without_building_them(client, world):
    data = policy_form(world, "新办法") | {"components-TOTAL_FORMS": "9" * 19}
    client.force_login(world.district)

    response = client.post(reverse("transfers:policy_new"), data)

    assert response.status_code == 200
    assert len(response.context["components"].forms) == MAX_ROWS
    assert f"Please submit at most {MAX_ROWS} forms." in response.content.decode()
