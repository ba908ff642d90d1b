"""Fuzzy account-name matching on PostgreSQL: pg_trgm + btree_gin and a GIN index on
(tenant_id, normalized_name gin_trgm_ops). Nothing on other databases (SQLite uses a Python
similarity fallback over a bounded candidate set)."""

from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension
from django.db import migrations

INDEX = "customeraccount_name_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON dealreg_customeraccount "
        "USING gin (tenant_id, normalized_name gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("dealreg", "0002_accounts_rules_locks_disputes")]

    operations = [
        TrigramExtension(),
        BtreeGinExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
