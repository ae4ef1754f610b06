"""The bureau's approval queue and the other application lists: what each row shows, in
rank order, and only in scope."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from transfer_world import enrol

from students.privacy import masked_student_number
from transfers.models import Application, Direction

S = Application.State


def _application(world, policy, student, *, state=S.RECOMMENDED, rank=None, total=None):
    status = student.status_records.get(state="active")
    return Application.objects.create(
        student=student,
        policy=policy,
        from_status=status,
        from_school=status.school,
        to_school=world.vocational,
        to_major=world.major,
        direction=Direction.GENERAL_TO_VOCATIONAL,
        reason="理由",
        guardian_name="家长",
        guardian_relation="父亲",
        guardian_phone="13800000000",
        guardian_consent_date=datetime.date(2025, 1, 5),
        state=state,
        total_score=total,
        rank=rank,
    )


def _table(response) -> str:
    return response.content.decode().split("<tbody>")[1].split("</tbody>")[0]


@pytest.fixture
def queue(world, policy):
    """Three recommended applications, ranked 3, 1, 2, and one still submitted."""
    return [
        _application(world, policy, enrol(world, name="甲"), rank=3, total=Decimal("70.50")),
        _application(world, policy, enrol(world, name="乙"), rank=1, total=Decimal("90.00")),
        _application(world, policy, enrol(world, name="丙"), rank=2, total=Decimal("80.25")),
        _application(world, policy, enrol(world, name="丁"), state=S.SUBMITTED),
    ]


def test_the_queue_lists_the_recommended_in_rank_order(client, world, queue):
    client.force_login(world.bureau)

    response = client.get(reverse("transfers:approvals"))

    assert [a["pk"] for a in response.context["page"]] == [queue[1].pk, queue[2].pk, queue[0].pk]
    table = _table(response)
    assert table.index("乙") < table.index("丙") < table.index("甲")
    assert "丁" not in table


def test_a_queue_row_shows_the_application_and_a_labelled_tick_box(client, world, queue):
    client.force_login(world.bureau)
    first = queue[1]

    table = _table(client.get(reverse("transfers:approvals")))

    assert (
        f'<input class="form-check-input" type="checkbox" name="applications" '
        f'value="{first.pk}" id="app-{first.pk}" aria-label="Select 乙">'
    ) in table
    assert f'<a href="{first.get_absolute_url()}">{first.pk}</a>' in table
    # The bureau sees student numbers masked (students.privacy).
    number = masked_student_number(first.student.student_number)
    assert f'乙 <span class="text-muted small">{number}</span>' in table
    assert first.student.student_number not in table
    assert (
        f"<td>{world.general.name}</td><td>{world.vocational.name}</td>"
        f"<td>{world.major.name}</td><td>Recommended</td>"
    ) in table
    assert '<td class="text-end">90.00</td><td class="text-end">1</td>' in table


def test_the_queue_speaks_chinese_in_chinese(client, world, queue):
    client.force_login(world.bureau)
    client.cookies["django_language"] = "zh-hans"

    table = _table(client.get(reverse("transfers:approvals")))

    assert 'aria-label="选择乙"' in table
    assert "<td>已推荐</td>" in table
    assert "Recommended" not in table


def test_other_lists_have_no_tick_boxes_and_dashes_for_no_score(client, world, queue):
    client.force_login(world.registrar_general)

    response = client.get(reverse("transfers:eligibility"))

    table = _table(response)
    assert 'type="checkbox"' not in table
    assert "丁" in table
    assert '<td class="text-end">—</td><td class="text-end">—</td>' in table


def test_another_citys_bureau_sees_an_empty_queue(client, world, queue):
    client.force_login(world.bureau_other)

    response = client.get(reverse("transfers:approvals"))

    assert list(response.context["page"]) == []
    assert "No applications." in _table(response)
    assert "Approve ticked transfers" not in response.content.decode()


def test_names_are_escaped_in_the_rows(client, world, policy):
    _application(world, policy, enrol(world, name="<i>戊</i>"), rank=1, total=Decimal("60"))
    client.force_login(world.bureau)

    table = _table(client.get(reverse("transfers:approvals")))

    assert "&lt;i&gt;戊&lt;/i&gt;" in table
    assert "<i>" not in table
