"""A batch approval records a heartbeat and the deliveries of its task, and may fail with a
message once it has had its attempts (core.jobs)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('transfers', '0014_history_refuses_truncate'),
    ]

    operations = [
        migrations.AddField(
            model_name='approvalbatch',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AddField(
            model_name='approvalbatch',
            name='error',
            field=models.TextField(blank=True, verbose_name='error'),
        ),
        migrations.AddField(
            model_name='approvalbatch',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last progress at'),
        ),
        migrations.AlterField(
            model_name='approvalbatch',
            name='state',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('finished', 'Finished'), ('failed', 'Failed')], default='queued', max_length=10, verbose_name='state'),
        ),
    ]
