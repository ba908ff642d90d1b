"""The registration the HubSpot and BottleCRM connector tests push, and the attribution the PRM
owns on it (sent on the created deal and on every later push)."""

from datetime import UTC, date, datetime
from decimal import Decimal

from integrations.connectors.base import DealRecord

DEAL_UUID = "6f1c2d3e-0000-4000-8000-00000000abcd"
DEAL = DealRecord(
    deal_uuid=DEAL_UUID,
    reference="DR-6f1c2d3e",
    status="approved",
    status_label="Approved",
    customer_name="Acme Corp",
    customer_domain="acme.example",
    amount=Decimal("12000.00"),
    currency="EUR",
    close_date=date(2025, 6, 30),
    partner_uuid="partner-uuid-1",
    partner_name="Globex",
    approved_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
    lock_expires_at=datetime(2025, 9, 30, tzinfo=UTC),
    region="EMEA",
    products=("Widget",),
    url="https://acme.prm.example/deals/6f1c2d3e/",
)
OWNED = {
    "prm_deal_id": DEAL_UUID,
    "prm_partner_id": "partner-uuid-1",
    "prm_partner": "Globex",
    "prm_registration_status": "Approved",
    "prm_lock_expires": "2025-09-30T00:00:00+00:00",
    "prm_registration_url": "https://acme.prm.example/deals/6f1c2d3e/",
}
