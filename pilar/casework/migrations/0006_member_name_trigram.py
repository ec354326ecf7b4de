"""Name search (`/households/?q=`) finds a household by a member's name anywhere in it
(`name ILIKE '%…%'`, Django's `icontains`). On PostgreSQL a trigram GIN index on UPPER(name)
answers that without reading every member (docs/PERFORMANCE.md, "Pages at national scale").
SQLite has no such index: nothing to do there.
"""

from django.db import migrations

UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS member_name_trgm ON casework_householdmember "
    "USING gin ((UPPER(name::text)) gin_trgm_ops)",
]
DOWN = ["DROP INDEX IF EXISTS member_name_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("casework", "0005_activity_date_index")]
    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
