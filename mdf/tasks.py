"""MDF tasks: the throttled sender of partners' campaign mail (tenant restored by TenantTask)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import SweepTask, fan_out


class CampaignMailSweep(SweepTask):
    # Each campaign's batch commits on its own (its mail goes after its own commit); a recipient
    # row's status says whether it was handed over, so a second run repeats nothing.
    atomic = False


@shared_task(base=CampaignMailSweep, bind=True, name="mdf.tasks.send_campaign_mail")
def send_campaign_mail(self) -> int:
    from .services.campaigns import campaign_mail_sweep

    return campaign_mail_sweep()


@shared_task(name="mdf.tasks.send_campaign_mail_all_tenants")
def send_campaign_mail_all_tenants() -> int:
    """Beat (every minute): a campaign-mail batch for each tenant with campaign mail waiting."""
    from .services.campaigns import tenants_with_campaign_mail_due

    return fan_out(send_campaign_mail, tenants_with_campaign_mail_due())
