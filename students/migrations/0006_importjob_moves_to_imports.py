"""The ImportJob model moves to the imports app (state only here: its table is renamed by
imports.0001_initial, its rows stay)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0005_student_id_card_number_irregular"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ImportJob")],
            database_operations=[],
        ),
    ]
