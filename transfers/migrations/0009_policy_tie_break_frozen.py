"""The tie-break is part of a policy: existing versions ranked ties by the earlier
submission, which is what they now say; and an approved version's tie-break is frozen with
the rest of what the bureau approved (PostgreSQL's trigger of 0002, one column more)."""

from django.db import migrations

from core.migration_sql import vendor_sql

from ._policy_frozen import FROZEN_SINCE_0002, policy_frozen_sql

POSTGRES_FORWARD = policy_frozen_sql([*FROZEN_SINCE_0002, "tie_break::text"])

POSTGRES_BACKWARD = policy_frozen_sql(FROZEN_SINCE_0002)


def by_earlier_submission(apps, schema_editor):
    TransferPolicy = apps.get_model("transfers", "TransferPolicy")
    TransferPolicy.objects.filter(tie_break__isnull=True).update(tie_break=[])


class Migration(migrations.Migration):
    dependencies = [("transfers", "0008_policy_tie_break")]

    operations = [
        migrations.RunPython(by_earlier_submission, migrations.RunPython.noop, elidable=False),
        vendor_sql(
            postgres=POSTGRES_FORWARD,
            postgres_reverse=POSTGRES_BACKWARD,
            sqlite=[],
            sqlite_reverse=[],
        ),
    ]
