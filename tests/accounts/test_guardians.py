"""A guardian's account follows their children only: the record, the application, and every
message the child receives; another student is "not found"."""

import pytest
from factories import StatusRecordFactory, StudentFactory, UserFactory

from notifications.models import Notification
from notifications.services import notify
from schools.models import Guardianship, User


@pytest.fixture
def guardian(student_a):
    user = UserFactory(username="13900000001", role=User.Role.GUARDIAN, mobile="13900000001")
    Guardianship.objects.create(guardian=user, student=student_a.user)
    return user


def test_the_guardian_sees_their_child_and_not_another(guardian, student_a, student_b, client_as):
    client = client_as(guardian)

    home = client.get("/")
    assert home.status_code == 200
    assert student_a.name in home.content.decode()
    assert student_b.name not in home.content.decode()
    assert client.get(f"/students/{student_a.pk}/").status_code == 200
    assert client.get(f"/students/{student_b.pk}/").status_code == 404
    assert client.get(f"/credits/students/{student_a.pk}/transcript/").status_code == 200
    assert client.get(f"/credits/students/{student_b.pk}/transcript/").status_code == 404


def test_a_guardian_of_two_sees_both(guardian, student_a, school_a, client_as):
    sibling = StudentFactory(name="张四", user=UserFactory(role=User.Role.STUDENT))
    StatusRecordFactory(student=sibling, school=school_a)
    Guardianship.objects.create(guardian=guardian, student=sibling.user)

    body = client_as(guardian).get("/").content.decode()

    assert student_a.name in body and "张四" in body


def test_the_guardian_receives_what_the_student_receives(guardian, student_a, registrar_a):
    notify(recipients=[student_a.user, registrar_a], subject="S", body="B")

    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        student_a.user.username,
        registrar_a.username,
        guardian.username,
    }


def test_a_guardian_holds_no_place_in_the_hierarchy(guardian, school_a):
    from django.db import IntegrityError, transaction

    guardian.school = school_a
    with pytest.raises(IntegrityError), transaction.atomic():
        guardian.save()


def test_a_guardianship_of_oneself_is_refused(guardian):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Guardianship.objects.create(guardian=guardian, student=guardian)
