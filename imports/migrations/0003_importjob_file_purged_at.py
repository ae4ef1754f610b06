"""An import job records when its uploaded file was emptied (imports.services.
import_files_purge): its results stay, the file with the students' numbers goes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0002_importjob_heartbeat_attempts'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='file_purged_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='file deleted at'),
        ),
    ]
