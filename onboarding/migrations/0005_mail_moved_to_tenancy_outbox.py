"""Onboarding's mail log moves into the tenant-wide outbox (tenancy.OutboundEmail): every row is
copied (same UUID, so links to it keep working), tagged with its partner's and cadence step's
UUID instead of foreign keys; then the old table goes."""

from datetime import timedelta

from django.db import migrations

KINDS = {"welcome_kit": "onboarding.welcome_kit", "cadence": "onboarding.cadence"}
QUEUED_STALE_AFTER = timedelta(minutes=10)  # tenancy.outbox.QUEUED_STALE_AFTER at this time


def copy_rows(apps, schema_editor):
    Old = apps.get_model("onboarding", "OutboundEmail")
    New = apps.get_model("tenancy", "OutboundEmail")
    batch = []
    for old in Old.objects.select_related("partner", "cadence_step").iterator(chunk_size=1000):
        next_at = old.next_attempt_at
        if old.status == "queued" and next_at is None:
            next_at = old.created_at + QUEUED_STALE_AFTER
        batch.append(
            New(
                tenant_id=old.tenant_id,
                uuid=old.uuid,
                kind=KINDS.get(old.kind, f"onboarding.{old.kind}"),
                partner_uuid=old.partner.uuid if old.partner_id else None,
                source_uuid=old.cadence_step.uuid if old.cadence_step_id else None,
                idempotency_key=old.idempotency_key,
                recipient_email=old.recipient_email,
                recipient_id=old.recipient_id,
                from_email=old.from_email,
                reply_to=old.reply_to,
                subject=old.subject,
                body_text=old.body_text,
                body_html=old.body_html,
                headers=old.headers,
                # A welcome kit may carry an invitation link: keep its body out of the log view.
                sensitive=old.kind == "welcome_kit",
                status=old.status,
                reason=old.reason,
                attempts=old.attempts,
                last_error=old.last_error,
                next_attempt_at=next_at,
                created_at=old.created_at,
                sent_at=old.sent_at,
            )
        )
        if len(batch) >= 1000:
            New.objects.bulk_create(batch)
            batch = []
    if batch:
        New.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0004_signature_stored_pdf"),
        ("tenancy", "0002_outbound_email"),
    ]

    operations = [
        # Not reversible: the rows live on in tenancy.OutboundEmail.
        migrations.RunPython(copy_rows, migrations.RunPython.noop),
        migrations.DeleteModel(name="OutboundEmail"),
    ]
