"""One partner per website domain in a tenant (case-insensitive, blank domains aside).

Existing duplicates are resolved before the constraint is added: domains are lower-cased, and of
several partners of one tenant sharing a domain the oldest keeps it; the others keep their website
but lose the domain (the de-duplication key). Each one is printed; editing such a partner's profile
then says which partner already uses the domain, so staff can merge or correct them.
"""

from django.db import migrations, models
from django.db.models.functions import Lower


def resolve_duplicate_domains(apps, schema_editor):
    PartnerOrganization = apps.get_model("partners", "PartnerOrganization")
    rows = PartnerOrganization._base_manager.exclude(domain="").order_by(
        "tenant_id", "created_at", "id"
    )
    owners: dict[tuple[int, str], str] = {}
    for partner in rows.iterator():
        domain = partner.domain.strip().lower()
        key = (partner.tenant_id, domain)
        if key in owners:
            print(
                f"\n  partners: tenant {partner.tenant_id}: {partner.name!r} shared the domain "
                f"{domain} with {owners[key]!r}; its domain was cleared (website kept)."
            )
            domain = ""
        else:
            owners[key] = partner.name
        if domain != partner.domain:
            PartnerOrganization._base_manager.filter(pk=partner.pk).update(domain=domain)
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        # Postgres cannot build the index below while deferred checks are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0004_application_submitted_data"),
    ]

    operations = [
        migrations.RunPython(resolve_duplicate_domains, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="partnerorganization",
            constraint=models.UniqueConstraint(
                models.F("tenant"),
                Lower("domain"),
                condition=models.Q(("domain", ""), _negated=True),
                name="partnerorg_unique_domain",
            ),
        ),
    ]
