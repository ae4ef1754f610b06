"""Each role's home shows real numbers from the database, and the bureau's charts say the
same as the tables beside them."""

import re

import pytest
from transfer_world import drive, enrol, give_credits, submit

from transfers.models import Application

S = Application.State


@pytest.fixture
def city(world, policy):
    """Three applicants from the general school: one completed, one recommended, one
    submitted; and one from the vocational school, eligible."""
    states = [S.COMPLETED, S.RECOMMENDED, S.SUBMITTED]
    applications = []
    for index, state in enumerate(states):
        student = enrol(world, name=f"学生{index}")
        give_credits(world, student)
        applications.append(drive(world, submit(policy, student), state, bonus=10 - index))
    student = enrol(world, school=world.vocational, name="学生V")
    give_credits(world, student)
    applications.append(drive(world, submit(policy, student), S.ELIGIBLE))
    return applications


def _chart_and_table(html: str, title: str) -> tuple[list[int], list[int]]:
    """The bar values and the table cells of the chart section with this title."""
    section = html.split(f">{title}</h3>", 1)[1].split("</section>", 1)[0]
    bars = [int(v) for v in re.findall(r'<rect [^>]*data-value="(\d+)"', section)]
    cells = [
        int(v) for v in re.findall(r'<td class="text-end" data-series="\d">(\d+)</td>', section)
    ]
    return bars, cells


def test_the_bureau_sees_the_city_picture_with_charts_matching_their_tables(client, world, city):
    client.force_login(world.bureau)
    response = client.get("/")
    html = response.content.decode()

    area = world.pairing.pilot_area.name
    by_area = next(c for c in response.context["charts"] if c["title"] == "By pilot area")
    row = next(g for g in by_area["groups"] if g["label"] == area)
    assert row["values"] == [4, 1, 1]  # applications, approved (or completed), completed
    for title in ("By pilot area", "By direction", "By cohort"):
        bars, cells = _chart_and_table(html, title)
        assert bars == cells and bars, title
    by_direction = next(c for c in response.context["charts"] if c["title"] == "By direction")
    assert [g["values"] for g in by_direction["groups"]] == [[3, 1, 1], [1, 0, 0]]
    assert response.context["awaiting_approval"] == 1


def test_the_registrar_sees_the_schools_numbers_and_queue(client, world, city):
    client.force_login(world.registrar_general)
    response = client.get("/")

    transfers = {label: (out, inc) for label, out, inc in response.context["transfer_rows"]}
    # Outgoing: the three from this school; incoming: the vocational applicant coming here.
    assert transfers == {
        "Submitted": (1, 0),
        "Eligible": (0, 1),
        "Recommended": (1, 0),
        "Completed": (1, 0),
    }
    assert response.context["eligibility_count"] == 1
    assert [a.pk for a in response.context["eligibility_queue"]] == [city[2].pk]
    # The completed applicant left; the two others are still registered here.
    active = sum(row["count"] for row in response.context["by_class"])
    assert active == response.context["student_total"] == 2


def test_the_receiving_registrar_sees_incoming_transfers(client, world, city):
    client.force_login(world.registrar_vocational)
    response = client.get("/")

    incoming = {a.pk for a in response.context["incoming_to_place"]}
    assert incoming == {city[0].pk, city[1].pk}


def test_the_district_sees_sessions_notices_and_seats(client, world, city):
    client.force_login(world.district)
    response = client.get("/")

    policy = response.context["policies"][0]
    assert (policy.to_score, policy.to_publish) == (1, 0)
    counts = dict(response.context["state_rows"])
    labels = {label: n[0] for label, n in counts.items()}
    assert labels["Completed"] == 1 and labels["Eligible"] == 1 and labels["Submitted"] == 1
    taken = {(row["school"].pk, row["major"].pk): row["taken"] for row in response.context["seats"]}
    assert taken[(world.vocational.pk, city[0].to_major.pk)] == 2  # completed + recommended


def test_the_student_sees_their_application_and_its_next_step(client, world, city):
    application = city[1]
    client.force_login(application.student.user)
    response = client.get("/")

    assert response.context["application"] == application
    assert "bureau decides" in str(response.context["next_step"])
    assert response.context["status"].school == world.general


def test_a_student_who_has_not_applied_sees_the_window_and_the_apply_button(
    client, world, policy, time_machine
):
    student = enrol(world, name="未申请")
    time_machine.move_to(policy.window_opens.replace(hour=12), tick=False)
    client.force_login(student.user)
    response = client.get("/")

    assert response.context["window_open"] is True
    assert b'href="/transfers/apply/"' in response.content
    assert b'data-testid="countdown"' in response.content
