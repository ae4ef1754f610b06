"""A message with a dedupe key goes to each recipient once, even when two senders (two beats,
a retried task) send it at the same moment: on PostgreSQL with real threads, both finish
without error and one row per recipient is written."""

import pytest
import races
from factories import UserFactory

from notifications.models import Notification
from notifications.services import notify
from schools.models import User


@pytest.mark.django_db
def test_a_deduplicated_message_is_written_once_per_recipient():
    people = [UserFactory(role=User.Role.STUDENT) for _ in range(3)]
    notify(recipients=people, subject="提醒", body="申请窗口即将关闭。", dedupe_key="window-1")
    notify(recipients=people, subject="提醒", body="申请窗口即将关闭。", dedupe_key="window-1")
    assert Notification.objects.filter(dedupe_key__startswith="window-1:").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_write_it_once_and_neither_fails():
    people = [UserFactory(role=User.Role.STUDENT) for _ in range(5)]

    def send():
        return notify(recipients=people, subject="提醒", body="窗口将关闭。", dedupe_key="w-2")

    done, refused = races.race([send] * 4)

    assert len(done) == 4 and refused == []
    assert Notification.objects.filter(dedupe_key__startswith="w-2:").count() == 5
