"""An import job records its stage, its language, a heartbeat and the deliveries of its
task, for the sweep that queues again a job whose worker died (core.jobs). A job queued or
running for its commit when this runs is marked so: its commit has kept the check's results
(as the job's page tells the two apart), and its task's message must still find it."""

from django.db import migrations, models


def stage_of_jobs_in_flight(apps, schema_editor):
    ImportJob = apps.get_model("imports", "ImportJob")
    in_flight = ImportJob.objects.filter(state__in=["queued", "running"]).exclude(results=[])
    in_flight.update(stage="commit")


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last progress at'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='language',
            field=models.CharField(blank=True, max_length=16, verbose_name='language'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='stage',
            field=models.CharField(choices=[('check', 'Check'), ('commit', 'Import')], default='check', max_length=6, verbose_name='stage'),
        ),
        migrations.RunPython(stage_of_jobs_in_flight, migrations.RunPython.noop),
    ]
