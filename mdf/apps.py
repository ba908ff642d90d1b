from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MdfConfig(AppConfig):
    name = "mdf"
    verbose_name = _("Marketing development funds")

    def ready(self) -> None:
        from tenancy.audit import register_audit_labels

        from . import models
        from .services import mail  # noqa: F401  (declares the mail kinds)

        register_audit_labels(
            actions={
                "mdf.fund_created": _("created the fund"),
                "mdf.fund_changed": _("changed the fund"),
                "mdf.allocation_set": _("set an MDF allocation"),
                "mdf.allocations_run": _("allocated the fund by tier rules"),
                "mdf.carried_over": _("carried the fund's balances over"),
                "mdf.request_submitted": _("requested funds"),
                "mdf.request_resubmitted": _("changed an MDF request"),
                "mdf.request_forwarded": _("approved an MDF request and sent it to marketing"),
                "mdf.request_approved": _("approved an MDF request"),
                "mdf.request_rejected": _("rejected an MDF request"),
                "mdf.request_changes_requested": _("asked for changes to an MDF request"),
                "mdf.request_withdrawn": _("withdrew an MDF request"),
                "mdf.request_closed": _("closed an unclaimed MDF request"),
                "mdf.claim_submitted": _("claimed funds"),
                "mdf.claim_approved": _("approved an MDF claim"),
                "mdf.claim_rejected": _("rejected an MDF claim"),
                "mdf.claim_changes_requested": _("asked for changes to an MDF claim"),
                "mdf.payout_recorded": _("recorded an MDF payout"),
            },
            fields={
                "budget": _("Budget"),
                "allocated": _("Allocated"),
                "created": _("Created"),
                "changed": _("Changed"),
                "total": _("Total"),
                "into": _("Into"),
                "partners": _("Partners"),
                "is_late": _("Late"),
                "method": _("Method"),
                "period": _("Period"),
                "request_status": _("Status"),
            },
            choices={
                "request_status": models.RequestStatus,
                "method": models.PayoutMethod,
                "period": models.FundPeriod,
            },
        )

        from tenancy.api.scopes import register_api_area

        # The API's area for per-key scopes (tenancy.api.scopes).
        register_api_area("mdf", "marketing", _("MDF and campaigns"))
