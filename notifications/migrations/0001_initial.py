"""The Notification model, as it was in the transfers app: its table is renamed and kept
with every row (``transfers_notification`` becomes ``notifications_notification``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_moves import move_content_type


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("transfers", "0005_notification_moves_to_notifications"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("subject", models.CharField(max_length=200, verbose_name="subject")),
                        ("body", models.TextField(verbose_name="message")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                        ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
                        ("emailed_at", models.DateTimeField(blank=True, null=True, verbose_name="e-mailed at")),
                        ("dedupe_key", models.CharField(blank=True, max_length=100, null=True, unique=True)),
                        (
                            "application",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to="transfers.application",
                                verbose_name="application",
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="recipient",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "notification",
                        "verbose_name_plural": "notifications",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx")
                        ],
                    },
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'ALTER TABLE "transfers_notification" RENAME TO "notifications_notification"',
                    'ALTER TABLE "notifications_notification" RENAME TO "transfers_notification"',
                ),
            ],
        ),
        move_content_type(model="notification", from_app="transfers", to_app="notifications"),
    ]
