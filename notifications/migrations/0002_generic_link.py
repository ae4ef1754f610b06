"""A notification links to what it is about generically instead of by a foreign key to an
application: the link of every existing row is copied, then the foreign key goes."""

import django.db.models.deletion
from django.db import migrations, models


def link_to_applications(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Notification = apps.get_model("notifications", "Notification")
    if not Notification.objects.filter(application__isnull=False).exists():
        return
    application_type, _created = ContentType.objects.get_or_create(
        app_label="transfers", model="application"
    )
    Notification.objects.filter(application__isnull=False).update(
        about_type=application_type, about_id=models.F("application_id")
    )


def link_back_to_applications(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Notification = apps.get_model("notifications", "Notification")
    application_type = ContentType.objects.filter(app_label="transfers", model="application")
    Notification.objects.filter(about_type__in=application_type).update(
        application_id=models.F("about_id")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="about_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="about (kind)",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="about_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="about (id)"),
        ),
        migrations.RunPython(link_to_applications, link_back_to_applications, elidable=False),
        migrations.RemoveField(model_name="notification", name="application"),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["about_type", "about_id"], name="notification_about_idx"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("about_id__isnull", True), ("about_type__isnull", True)),
                    models.Q(("about_id__isnull", False), ("about_type__isnull", False)),
                    _connector="OR",
                ),
                name="notification_about_is_whole",
            ),
        ),
    ]
