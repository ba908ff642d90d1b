"""The database foreign keys from tenancy's memberships, invitations and API keys to the partner
organisation they belong to.

Tenancy keeps only the column `partner_organization_id` (its code and migrations name no app above
it); the relation is added by partners (tenancy.models.register_member_organization), and so is
the constraint, here. Databases created before tenancy's first migration was rewritten already
have these constraints (that migration used to create them): nothing is added twice. On SQLite
(the local `make run` database) constraints cannot be added to an existing table; deletes still
cascade through Django, as for every foreign key.
"""

from django.db import migrations

TABLES = ("tenancy_membership", "tenancy_invitation", "tenancy_apikey")
COLUMN = "partner_organization_id"
TARGET = ("partners_partnerorganization", "id")


def _has_foreign_key(schema_editor, table: str) -> bool:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return any(
        c["foreign_key"] == TARGET and c["columns"] == [COLUMN] for c in constraints.values()
    )


def add_foreign_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table in TABLES:
        if _has_foreign_key(schema_editor, table):
            continue
        # Deferrable like the foreign keys Django creates (fixtures and bulk loads in any order).
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(f'{table}_partner_org_fk')} "
            f"FOREIGN KEY ({quote(COLUMN)}) REFERENCES {quote(TARGET[0])} ({quote(TARGET[1])}) "
            "DEFERRABLE INITIALLY DEFERRED"
        )


def drop_foreign_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    connection = schema_editor.connection
    for table in TABLES:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for name, c in constraints.items():
            if c["foreign_key"] == TARGET and c["columns"] == [COLUMN]:
                schema_editor.execute(
                    f"ALTER TABLE {schema_editor.quote_name(table)} "
                    f"DROP CONSTRAINT {schema_editor.quote_name(name)}"
                )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_import_file_under_tenant"),
        ("tenancy", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_foreign_keys, drop_foreign_keys)]
