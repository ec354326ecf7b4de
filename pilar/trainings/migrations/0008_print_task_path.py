"""The certificate print task moved from pilar.trainings.tasks into the certificates package
(pilar/trainings/certificates/tasks.py): a job queued before the upgrade names the old path,
which no longer imports, so its rows are pointed at the new one."""

from django.db import migrations

OLD = "pilar.trainings.tasks.print_event_certificates"
NEW = "pilar.trainings.certificates.tasks.print_event_certificates"


def _point(apps, old, new):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    results.objects.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    _point(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _point(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("trainings", "0007_certificate_signer_nip"),
        ("django_tasks_database", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
