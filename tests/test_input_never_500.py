"""Numbers from the outside are read strictly: a superscript digit, a Unicode digit, an id
longer than a database integer or a year out of range is refused as "not there" or ignored,
never a 500 (issue: input never makes a 500)."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from core.parsing import MAX_ID, parse_id, parse_ids


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("²", None),
        ("１２", None),  # full-width digits
        ("٣", None),  # Arabic-Indic digit
        ("0", None),
        ("-1", None),
        ("", None),
        (None, None),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 40, None),
    ],
)
def test_an_id_is_ascii_digits_in_the_range_of_a_database_id(value, expected):
    assert parse_id(value) == expected


@given(st.text())
def test_any_text_is_an_id_or_none_never_an_error(text):
    value = parse_id(text)
    assert value is None or (0 < value <= MAX_ID and int(text.strip()) == value)


def test_the_valid_ids_are_kept_and_the_others_left_out():
    assert parse_ids(["1", "²", "3", "x", "3"]) == {1, 3}


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["²", "１", "9" * 30])
def test_the_review_pages_ignore_a_term_that_is_not_an_id(client, term):
    from factories import MunicipalityFactory, UserFactory

    from schools.models import User

    client.force_login(UserFactory(role=User.Role.BUREAU, municipality=MunicipalityFactory()))
    for name in ("list", "findings", "export_progress", "export_findings"):
        response = client.get(reverse(f"students_review:{name}"), {"term": term})
        # The pages show the current term; with no term at all an export is not there.
        assert response.status_code in (200, 404), name


@pytest.mark.django_db
@pytest.mark.parametrize("year", [0, 99999])
def test_a_filing_package_of_a_cohort_out_of_range_is_not_there(client, year):
    from factories import PilotAreaFactory, UserFactory

    from schools.models import User

    area = PilotAreaFactory()
    client.force_login(UserFactory(role=User.Role.BUREAU, municipality=area.municipality))
    response = client.get(reverse("filing:download", args=[area.slug, year]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_batch_approval_of_ids_that_are_not_ids_is_refused_with_a_message(client):
    from factories import MunicipalityFactory, UserFactory

    from schools.models import User

    client.force_login(UserFactory(role=User.Role.BUREAU, municipality=MunicipalityFactory()))
    response = client.post(reverse("transfers:approve_batch"), {"applications": ["²", "１"]})
    assert response.status_code in (200, 302)
