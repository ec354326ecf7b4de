from django.conf import settings
from django.db import migrations, models


def keep_one_working_manual_run(apps, schema_editor):
    # Two "back up now" asked for at the same moment could both be waiting: the older ones
    # are marked failed so that the constraint below can be added.
    BackupRun = apps.get_model("backups", "BackupRun")
    working = BackupRun.objects.filter(kind="manual", status__in=["queued", "running"])
    newest = working.order_by("-pk").first()
    if newest is not None:
        working.exclude(pk=newest.pk).update(
            status="failed", error="asked for twice at the same moment"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("backups", "0001_backup_runs_and_worker_heartbeat"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(keep_one_working_manual_run, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="backuprun",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "manual"), ("status__in", ["queued", "running"])),
                fields=("kind",),
                name="backups_one_manual_run_at_a_time",
            ),
        ),
    ]
