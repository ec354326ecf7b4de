"""Name search (`/pillars/?q=`) finds a person by any part of the name (`name ILIKE '%…%'`,
Django's `icontains`). On PostgreSQL a trigram GIN index on UPPER(name) answers that without
reading every person (docs/PERFORMANCE.md, "Pages at national scale"). SQLite has no such
index: nothing to do there.
"""

from django.db import migrations

UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS person_name_trgm ON registry_person "
    "USING gin ((UPPER(name::text)) gin_trgm_ops)",
]
DOWN = ["DROP INDEX IF EXISTS person_name_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_person_birth_date_index")]
    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
