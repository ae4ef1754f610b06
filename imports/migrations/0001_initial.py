"""The ImportJob model, as it was in the students app: its table is renamed and kept with
every row (``students_importjob`` becomes ``imports_importjob``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_moves import move_content_type


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("schools", "0003_cooperative_major_in_use"),
        ("students", "0006_importjob_moves_to_imports"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ImportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('students', 'Students with their status'), ('courses', 'Courses'), ('credits', 'Credit records')], max_length=10, verbose_name='kind')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                        ('filename', models.CharField(max_length=200, verbose_name='file name')),
                        ('content', models.BinaryField(verbose_name='file')),
                        ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('checked', 'Checked'), ('committed', 'Imported'), ('failed', 'Failed')], default='queued', max_length=10, verbose_name='state')),
                        ('total_rows', models.PositiveIntegerField(default=0, verbose_name='rows')),
                        ('processed_rows', models.PositiveIntegerField(default=0, verbose_name='rows processed')),
                        ('results', models.JSONField(default=list, verbose_name='results per row')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='import_jobs', to='schools.school', verbose_name='school')),
                        ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
                    ],
                    options={
                        'verbose_name': 'import',
                        'verbose_name_plural': 'imports',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'ALTER TABLE "students_importjob" RENAME TO "imports_importjob"',
                    'ALTER TABLE "imports_importjob" RENAME TO "students_importjob"',
                ),
            ],
        ),
        move_content_type(model="importjob", from_app="students", to_app="imports"),
    ]
