"""The status and PMKS category history of the households already recorded, from what their
rows say now: each was active from the day it was recorded (or from its status date, when
earlier), moved away or closed from its status date with its reason, and holds its categories
from the day it was recorded. Source "earlier": what the record said before the history was
kept (docs/OUTCOMES.md)."""

from django.db import migrations
from django.utils import timezone

BATCH = 2000


def _since(created_at, status_date):
    """The day a household was first recorded: when its row was made, or its status date when
    that is earlier (a status dated back)."""
    days = [d for d in (created_at and timezone.localdate(created_at), status_date) if d]
    return min(days) if days else timezone.localdate()


def fill(apps, schema_editor):
    Household = apps.get_model("casework", "Household")
    StatusRecord = apps.get_model("casework", "StatusRecord")
    CategoryRecord = apps.get_model("casework", "CategoryRecord")
    Through = Household.categories.through
    statuses, spans = [], []
    rows = Household.objects.order_by("pk").values_list(
        "pk", "status", "status_reason", "status_date", "created_at", "updated_at"
    )
    for pk, status, reason, status_date, created_at, updated_at in rows.iterator(BATCH):
        since = _since(created_at, status_date)
        statuses.append(
            StatusRecord(household_id=pk, status="active", as_of=since, source="earlier")
        )
        if status != "active":
            statuses.append(
                StatusRecord(
                    household_id=pk,
                    status=status,
                    reason=(reason or "-")[:250],
                    as_of=status_date or timezone.localdate(updated_at),
                    source="earlier",
                )
            )
        if len(statuses) >= BATCH:
            StatusRecord.objects.bulk_create(statuses)
            statuses = []
    StatusRecord.objects.bulk_create(statuses)
    links = Through.objects.order_by("pk").values_list(
        "household_id", "needcategory_id", "household__created_at", "household__status_date"
    )
    for household_id, category_id, created_at, status_date in links.iterator(BATCH):
        spans.append(
            CategoryRecord(
                household_id=household_id,
                category_id=category_id,
                start_date=_since(created_at, status_date),
            )
        )
        if len(spans) >= BATCH:
            CategoryRecord.objects.bulk_create(spans)
            spans = []
    CategoryRecord.objects.bulk_create(spans)


def empty(apps, schema_editor):
    apps.get_model("casework", "StatusRecord").objects.all().delete()
    apps.get_model("casework", "CategoryRecord").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0011_status_and_category_history")]

    operations = [migrations.RunPython(fill, empty)]
