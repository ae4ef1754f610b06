"""Query parameters never make a 500: every list page, for each role, with any text in its
filters, sorts, pages and searches answers 200, 4xx or a form error."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transfer_world import enrol

pytestmark = pytest.mark.django_db

LISTS = [
    "students:list",
    "transfers:applications",
    "transfers:eligibility",
    "transfers:recommendations",
    "transfers:approvals",
    "transfers:objections",
    "transfers:policies",
    "students_review:list",
    "students_review:findings",
    "notifications:inbox",
    "schools:list",
]
KEYS = [
    "page", "sort", "q", "search", "state", "school", "major", "from_school", "to_school", "policy",
    "direction", "term", "per_page", "cohort", "kind", "area", "status", "read",
]  # fmt: skip
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["²", "１２", "٣", "-1", "0", "9" * 40, "1e9", "NaN", "%00", "' OR 1=1"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@pytest.fixture
def people(world):
    return {
        "student": enrol(world).user,
        "registrar": world.registrar_general,
        "district": world.district,
        "bureau": world.bureau,
    }


@pytest.mark.parametrize("role", ["student", "registrar", "district", "bureau"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(LISTS), query=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4)
)
def test_no_query_makes_a_500(client, people, role, name, query):
    client.force_login(people[role])
    url = reverse(name)
    response = client.get(url, query)
    assert response.status_code < 500, (url, query)


NASTY = ["²", "１２", "٣", "9" * 40, "-1", "x"]


@pytest.mark.parametrize("role", ["district", "bureau"])
@pytest.mark.parametrize("name", LISTS)
def test_each_key_of_each_list_takes_each_hostile_value(client, people, role, name):
    """Every key with every value known to break a careless parser, one at a time."""
    client.force_login(people[role])
    url = reverse(name)
    for key in KEYS:
        for value in NASTY:
            response = client.get(url, {key: value})
            assert response.status_code < 500, (url, key, value)
