"""Moving a model to another app keeps its content type, and so its permissions, the
groups and users granted them, and every generic link to its rows: the content type is
renamed to the new app instead of being left stale and a new one created."""

from django.db import migrations


def move_content_type(*, model: str, from_app: str, to_app: str) -> migrations.RunPython:
    def forward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        old = ContentType.objects.filter(app_label=from_app, model=model)
        if not ContentType.objects.filter(app_label=to_app, model=model).exists():
            old.update(app_label=to_app)

    def backward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        new = ContentType.objects.filter(app_label=to_app, model=model)
        if not ContentType.objects.filter(app_label=from_app, model=model).exists():
            new.update(app_label=from_app)

    return migrations.RunPython(forward, backward, elidable=False)
