"""The Notification model moves to the notifications app (state only here: its table is
renamed by notifications.0001_initial, its rows stay where they are)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0004_application_state_rank_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
