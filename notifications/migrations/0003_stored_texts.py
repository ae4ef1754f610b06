"""Notifications keep their subject and message as stored texts (a message and its
parameters, core.stored_text), translated when shown; the texts written before are kept as
they were, as literal text."""

from django.db import migrations, models


def keep_written_texts(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    rows = list(Notification.objects.only("pk", "subject", "body"))
    for row in rows:
        row.subject_text = row.subject
        row.body_text = row.body
    Notification.objects.bulk_update(rows, ["subject_text", "body_text"], batch_size=1000)


def back_to_text(apps, schema_editor):
    from core.stored_text import render

    Notification = apps.get_model("notifications", "Notification")
    rows = list(Notification.objects.only("pk", "subject_text", "body_text"))
    for row in rows:
        row.subject = render(row.subject_text)[:200]
        row.body = render(row.body_text)
    Notification.objects.bulk_update(rows, ["subject", "body"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_generic_link"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="subject_text",
            field=models.JSONField(default=str, verbose_name="subject"),
        ),
        migrations.AddField(
            model_name="notification",
            name="body_text",
            field=models.JSONField(default=str, verbose_name="message"),
        ),
        migrations.RunPython(keep_written_texts, back_to_text),
        migrations.RemoveField(model_name="notification", name="body"),
        migrations.RemoveField(model_name="notification", name="subject"),
    ]
