"""The remittance advice of a payout: a PDF (WeasyPrint) rendered once and kept with its SHA-256
(tenancy.uploads.store_document_once), so what the partner downloads never changes afterwards."""

from __future__ import annotations

import logging

from django.db import transaction
from django.template.loader import render_to_string

from tenancy.context import require_current_tenant, tenant_context
from tenancy.uploads import store_document_once

from ..models import Payout

logger = logging.getLogger(__name__)


def remittance_html(payout: Payout) -> str:
    tenant = payout.tenant
    claim = payout.claim
    fund_request = claim.request
    color = tenant.brand_color if str(tenant.brand_color or "").startswith("#") else "#0d6efd"
    return render_to_string(
        "mdf/remittance.html",
        {
            "payout": payout,
            "claim": claim,
            "request": fund_request,
            "fund": fund_request.allocation.fund,
            "partner": payout.partner,
            "tenant": tenant,
            "brand_color": color,
        },
    )


def remittance_pdf(payout: Payout) -> bytes:
    import weasyprint

    # NOTE: only https fetches (the tenant's logo); nothing may read local files.
    fetcher = weasyprint.URLFetcher(timeout=5, allowed_protocols=("https",))
    return weasyprint.HTML(string=remittance_html(payout), url_fetcher=fetcher).write_pdf()


def remittance_store(payout: Payout) -> Payout:
    store_document_once(
        payout,
        file_field="remittance_file",
        sha_field="remittance_sha256",
        render=lambda: remittance_pdf(payout),
    )
    return payout


def store_after_commit(payout: Payout) -> None:
    """Render the advice once the payout is committed; a failure (e.g. the logo host is down)
    never undoes the payout: the first download renders it then."""

    tenant = require_current_tenant()

    def render() -> None:
        # The commit may come after the caller's tenant context ended (e.g. the demo's seeding).
        try:
            with tenant_context(tenant), transaction.atomic():
                remittance_store(payout)
        except Exception:
            logger.exception("Rendering the remittance of payout %s failed", payout.uuid)

    transaction.on_commit(render)
