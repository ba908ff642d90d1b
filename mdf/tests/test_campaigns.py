"""Through-partner marketing: templates, co-branding (escaped everywhere), the public landing page
and its leads (attributed once), tracked links, the throttled email with consent and unsubscribe,
leads registered as deals, and who may do what (owner / member / outsider)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dealreg.models import DealRegistration, DealStatus
from dealreg.tests.helpers import activate
from mdf.models import (
    Campaign,
    CampaignOptOut,
    CampaignRecipient,
    CampaignStatus,
    CampaignTemplate,
    Lead,
    RecipientStatus,
    TrackedLink,
)
from mdf.services import campaigns
from onboarding.models import Benefit, BenefitGate
from tenancy.context import tenant_context
from tenancy.models import OutboundEmail
from tenancy.outbox import DeliveryStatus

from .helpers import PNG, TEMPLATE_DATA, actor, lead_data, make_campaign, make_template

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _landing(world, campaign, client=None):
    return (client or world.client()).get(reverse("campaign_landing", kwargs={"key": campaign.key}))


def _post_lead(world, campaign, client=None, **overrides):
    return (client or world.client()).post(
        reverse("campaign_landing", kwargs={"key": campaign.key}), lead_data(**overrides)
    )


# --- Templates ------------------------------------------------------------------------------


def test_marketing_builds_and_publishes_a_template_through_the_console(acme):
    client = acme.client(acme.marketing)
    data = {**TEMPLATE_DATA, "post_1": "Read this {{ landing_url }}", "post_2": "", "post_3": ""}
    response = client.post(reverse("console_campaign_template_new"), data)
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        template = CampaignTemplate.objects.get()
    assert template.status == "draft" and template.social_posts == ["Read this {{ landing_url }}"]
    page = client.get(
        reverse("console_campaign_template", kwargs={"campaign_template_uuid": template.uuid})
    )
    body = page.content.decode()
    # The preview fills the placeholders with sample partner details, never the codes.
    preview = body[body.index('id="landing-preview"') : body.index("Email preview")]
    assert "Secure your cloud with Your company" in preview and "{{" not in preview
    url = reverse("console_campaign_template", kwargs={"campaign_template_uuid": template.uuid})
    assert client.post(url, {"action": "published"}).status_code == 302
    with tenant_context(acme.tenant):
        assert CampaignTemplate.objects.get().status == "published"


def test_an_unknown_placeholder_is_refused_with_the_field_named(acme):
    client = acme.client(acme.marketing)
    data = {**TEMPLATE_DATA, "landing_body": "Hello {{ customer }}"}
    response = client.post(reverse("console_campaign_template_new"), data)
    assert response.status_code == 400
    assert "Unknown placeholder(s): customer" in response.content.decode()
    with tenant_context(acme.tenant):
        assert not CampaignTemplate.objects.exists()


@pytest.mark.parametrize("who", ["manager", "executive", "partner_admin"])
def test_only_marketing_and_program_admins_build_templates(acme, who):
    response = acme.client(getattr(acme, who)).post(
        reverse("console_campaign_template_new"), TEMPLATE_DATA
    )
    assert response.status_code == 403
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        campaigns.template_save(actor=actor(acme, getattr(acme, who)), **TEMPLATE_DATA)


def test_partners_see_only_published_templates_in_the_gallery(acme):
    make_template(acme)
    draft = make_template(acme, publish=False)
    with tenant_context(acme.tenant):
        draft.name = "Unfinished draft"
        draft.save()
    body = acme.client(acme.partner_marketing).get(reverse("portal_campaigns")).content.decode()
    assert "Cloud security assessment" in body and "Unfinished draft" not in body
    response = acme.client(acme.partner_marketing).get(
        reverse("portal_campaign_new", kwargs={"campaign_template_uuid": draft.uuid})
    )
    assert response.status_code == 404


# --- Co-branding, escaped -----------------------------------------------------------------


def test_co_branding_through_the_portal_with_a_logo(acme):
    template = make_template(acme)
    client = acme.client(acme.partner_marketing)
    url = reverse("portal_campaign_new", kwargs={"campaign_template_uuid": template.uuid})
    form = client.get(url)
    assert form.status_code == 200 and "Secure your cloud with Acme Partner One" in (
        form.content.decode()
    )
    response = client.post(
        url,
        {
            "name": "Our spring push",
            "brand_color": "#112233",
            "accent_color": "#445566",
            "contact_name": "Pat",
            "contact_email": "pat@partner.test",
            "offer": "20 % off the first year",
            "logo": SimpleUploadedFile("logo.png", PNG),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(acme.tenant):
        campaign = Campaign.objects.get()
    assert campaign.partner == acme.partner and campaign.status == CampaignStatus.DRAFT
    assert campaign.logo and campaign.landing_headline == TEMPLATE_DATA["landing_headline"]
    # A draft's page is not public yet; launched, it shows the branding and serves the logo.
    assert _landing(acme, campaign).status_code == 410
    page = reverse("portal_campaign", kwargs={"campaign_uuid": campaign.uuid})
    assert client.post(page, {"action": "launch"}).status_code == 302
    landing = _landing(acme, campaign).content.decode()
    assert "Secure your cloud with Acme Partner One" in landing
    assert "--lp-brand: #112233" in landing and "20 % off the first year" in landing
    logo = acme.client().get(reverse("campaign_logo", kwargs={"key": campaign.key}))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"


def test_an_executable_logo_or_a_bad_colour_is_a_field_error_and_nothing_is_saved(acme):
    template = make_template(acme)
    client = acme.client(acme.partner_marketing)
    url = reverse("portal_campaign_new", kwargs={"campaign_template_uuid": template.uuid})
    base = {"name": "X", "contact_name": "Pat", "contact_email": "pat@partner.test"}
    response = client.post(
        url,
        {
            **base,
            "brand_color": "#112233",
            "accent_color": "#445566",
            "logo": SimpleUploadedFile("logo.png", b"MZ\x90\x00" + b"\x00" * 64),
        },
    )
    assert response.status_code == 400
    assert "Upload the logo as a PNG or JPEG image." in response.content.decode()
    response = client.post(
        url, {**base, "brand_color": "red;background:url(x)", "accent_color": "#445566"}
    )
    assert response.status_code == 400 and "Enter a colour like #1F4E79." in (
        response.content.decode()
    )
    with tenant_context(acme.tenant):
        assert not Campaign.objects.exists()


def test_partner_text_is_inert_in_the_preview_and_on_the_public_page(acme):
    template = make_template(acme)
    campaign = make_campaign(acme, template=template, offer=XSS, contact_name=XSS)
    pages = [
        _landing(acme, campaign).content.decode(),
        acme.client(acme.partner_marketing)
        .post(
            reverse("portal_campaign_preview"),
            {"template": str(template.uuid), "offer": XSS, "contact_name": XSS},
        )
        .content.decode(),
        acme.client(acme.partner_marketing)
        .get(reverse("portal_campaign", kwargs={"campaign_uuid": campaign.uuid}))
        .content.decode(),
    ]
    for body in pages:
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(" in body
    # The Markdown copy ({{ offer }} inside **…**) got it escaped too, and nh3 would drop the rest.
    with tenant_context(acme.tenant):
        rendered = campaigns.render_landing(campaign, campaigns.branding_of(campaign))
    assert "<script" not in str(rendered.body_html) and "onerror=" not in str(
        rendered.body_html
    ).replace("onerror=alert(1)&gt;", "")


def test_the_live_preview_shows_what_is_typed_without_saving(acme):
    template = make_template(acme)
    response = acme.client(acme.partner_marketing).post(
        reverse("portal_campaign_preview"),
        {"template": str(template.uuid), "offer": "Two months free", "brand_color": "#0a0b0c"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Two months free" in body and "#0a0b0c" in body
    with tenant_context(acme.tenant):
        assert not Campaign.objects.exists()


# --- Leads -----------------------------------------------------------------------------------


def test_a_lead_on_the_landing_page_is_the_partners_and_the_campaigns_once(acme):
    campaign = make_campaign(acme)
    other = make_campaign(acme, user=acme.other_partner_admin, name="Other partner's push")
    response = _post_lead(acme, campaign)
    assert response.status_code == 302
    assert response["Location"] == reverse("campaign_thanks", kwargs={"key": campaign.key})
    assert _post_lead(acme, campaign, email="ADA@analytical.test", message="Again").status_code == (
        302
    )
    with tenant_context(acme.tenant):
        lead = Lead.objects.get()
        assert lead.partner == acme.partner and lead.campaign == campaign
        assert lead.email == "ada@analytical.test" and lead.submissions == 2
        assert lead.channel == "landing" and lead.message == "Again"
        assert not Lead.objects.filter(campaign=other).exists()
        # The partner's marketing people were told once, about the first submission.
        told = OutboundEmail.objects.filter(kind="mdf.campaign_lead")
        assert {row.recipient for row in told} == {acme.partner_admin, acme.partner_marketing}


def test_a_bad_lead_form_shows_field_errors_and_writes_nothing(acme):
    campaign = make_campaign(acme)
    response = _post_lead(acme, campaign, email="not-an-address", company="")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body and "This field is required." in body
    with tenant_context(acme.tenant):
        assert not Lead.objects.exists()


def test_a_paused_campaign_takes_no_leads(acme):
    campaign = make_campaign(acme)
    with tenant_context(acme.tenant):
        campaigns.campaign_move(
            actor=actor(acme, acme.partner_marketing), campaign=campaign, move="pause"
        )
    assert _landing(acme, campaign).status_code == 410
    assert _post_lead(acme, campaign).status_code == 410
    with tenant_context(acme.tenant):
        assert not Lead.objects.exists()


def test_the_honeypot_and_the_rate_limit_keep_bots_out(acme, settings):
    campaign = make_campaign(acme)
    bot = _post_lead(acme, campaign, fax_number="spam")
    assert bot.status_code == 302  # the bot sees a thank-you; nothing was stored
    with tenant_context(acme.tenant):
        assert not Lead.objects.exists()
    client = acme.client()
    statuses = [
        _post_lead(acme, campaign, client, email=f"p{i}@x.test").status_code for i in range(22)
    ]
    assert statuses[:19].count(302) == 19 and statuses[-1] == 429


def test_a_tracked_link_counts_the_click_and_attributes_the_lead(acme):
    campaign = make_campaign(acme)
    with tenant_context(acme.tenant):
        link = TrackedLink.objects.get(campaign=campaign, channel="linkedin")
    client = acme.client()
    response = client.get(reverse("campaign_link", kwargs={"link_key": link.key}))
    assert response.status_code == 302 and f"via={link.key}" in response["Location"]
    page = client.get(response["Location"])
    assert f'value="{link.key}"' in page.content.decode()
    _post_lead(acme, campaign, client, via=link.key)
    with tenant_context(acme.tenant):
        link.refresh_from_db()
        assert link.clicks == 1
        assert Lead.objects.get().channel == "linkedin"
    # A link key of another campaign does not attribute anything to it.
    other = make_campaign(acme, name="Second")
    _post_lead(acme, other, client, via=link.key, email="bob@x.test")
    with tenant_context(acme.tenant):
        assert Lead.objects.get(campaign=other).channel == "landing"


def test_posts_carry_each_networks_tracked_link(acme):
    campaign = make_campaign(acme)
    with tenant_context(acme.tenant):
        links = campaigns.links_of(campaign)
        posts = campaigns.render_posts(campaign, campaigns.branding_of(campaign), links)
    assert [channel for channel, _text in posts] == ["linkedin", "x", "facebook"]
    for channel, text in posts:
        assert text.startswith("New: Free one-day assessment from Acme Partner One")
        assert text.endswith(links[channel])


# --- Email to a partner's list ---------------------------------------------------------------


def _csv(*lines: str):
    return SimpleUploadedFile("list.csv", ("\n".join(lines) + "\n").encode(), "text/csv")


def _upload(world, campaign, upload, consent="on"):
    url = reverse("portal_campaign", kwargs={"campaign_uuid": campaign.uuid})
    data = {"action": "list", "file": upload}
    if consent:
        data["consent"] = consent
    return world.client(world.partner_marketing).post(url, data)


def test_the_list_needs_consent_and_good_rows_all_or_nothing(acme):
    campaign = make_campaign(acme)
    ok_csv = ("email,first_name,company", "a@x.test,Ann,Acme")
    no_consent = _upload(acme, campaign, _csv(*ok_csv), consent="")
    assert no_consent.status_code == 400
    assert "Confirm that everyone on the list agreed" in no_consent.content.decode()
    bad = _upload(acme, campaign, _csv("email,first_name", "a@x.test,Ann", "nope,Bob"))
    assert bad.status_code == 400
    assert "These rows have no valid email address: 3." in bad.content.decode()
    with tenant_context(acme.tenant):
        assert not CampaignRecipient.objects.exists()
    good = _upload(
        acme, campaign, _csv("Email,First name,Company", "A@x.test,Ann,Acme", "a@x.test,Dup,")
    )
    assert good.status_code == 302
    with tenant_context(acme.tenant):
        row = CampaignRecipient.objects.get()
        assert (row.email, row.first_name, row.consent_confirmed_by) == (
            "a@x.test",
            "Ann",
            acme.partner_marketing,
        )


def test_sending_is_throttled_and_honours_unsubscribes(acme, settings):
    settings.CAMPAIGN_MAILS_PER_MINUTE = 2
    campaign = make_campaign(acme)
    lines = ["email,first_name,company"] + [f"p{i}@x.test,P{i},Co{i}" for i in range(5)]
    assert _upload(acme, campaign, _csv(*lines)).status_code == 302
    with tenant_context(acme.tenant):
        campaigns.campaign_opt_out(partner=acme.partner, email="P4@x.test")
    url = reverse("portal_campaign", kwargs={"campaign_uuid": campaign.uuid})
    assert acme.client(acme.partner_marketing).post(url, {"action": "send"}).status_code == 302
    with tenant_context(acme.tenant):
        assert campaigns.tenants_with_campaign_mail_due() == [acme.tenant.pk]
        assert [campaigns.campaign_mail_sweep() for _ in range(4)] == [2, 2, 1, 0]
        mail = OutboundEmail.objects.filter(kind="mdf.campaign_mail").order_by("recipient_email")
        assert mail.count() == 5
        sent = {m.recipient_email: m for m in mail}
        assert sent["p4@x.test"].status == DeliveryStatus.UNSUBSCRIBED
        assert all(sent[f"p{i}@x.test"].status != DeliveryStatus.UNSUBSCRIBED for i in range(4))
        first = sent["p0@x.test"]
        assert first.subject == "P0, is Co0's cloud secure?"
        assert first.reply_to == "pat@partner.test"
        assert "List-Unsubscribe" in first.headers and "/campaigns/unsubscribe/" in (
            first.body_text
        )
        assert "/go/" in first.body_html  # the email's own tracked link
        statuses = set(CampaignRecipient.objects.values_list("status", flat=True))
        assert statuses == {RecipientStatus.QUEUED, RecipientStatus.UNSUBSCRIBED}
    # Sending again finds no one left, and says so.
    again = acme.client(acme.partner_marketing).post(url, {"action": "send"}, follow=True)
    assert "Everyone on the list has already been sent the email." in again.content.decode()


def test_sending_needs_a_live_campaign(acme):
    campaign = make_campaign(acme, launch=False)
    with tenant_context(acme.tenant), pytest.raises(ValidationError, match="Launch the campaign"):
        campaigns.campaign_send(actor=actor(acme, acme.partner_marketing), campaign=campaign)


def test_the_unsubscribe_link_stops_that_partners_campaign_mail(acme, globex):
    campaign = make_campaign(acme)
    with tenant_context(acme.tenant):
        link = campaigns.campaign_unsubscribe_url(campaign.partner, "Someone@X.test")
    path = urlsplit(link).path
    page = acme.client().get(path)
    assert page.status_code == 200 and "someone@x.test" in page.content.decode()
    assert acme.client().post(path).status_code == 200  # one-click, no CSRF token
    with tenant_context(acme.tenant):
        assert CampaignOptOut.objects.filter(partner=acme.partner, email="someone@x.test").exists()
    assert globex.client().get(path).status_code == 404
    assert acme.client().get("/campaigns/unsubscribe/forged/").status_code == 400


# --- Leads become deals ------------------------------------------------------------------


def _unlock_deals(world):
    activate(world)
    with tenant_context(world.tenant):
        BenefitGate.objects.update_or_create(
            benefit=Benefit.DEAL_REGISTRATION, defaults={"requirements": []}
        )


def test_a_lead_is_registered_as_a_deal_once(acme):
    _unlock_deals(acme)
    campaign = make_campaign(acme)
    _post_lead(acme, campaign)
    with tenant_context(acme.tenant):
        lead = Lead.objects.get()
    client = acme.client(acme.partner_sales)
    url = reverse("portal_lead", kwargs={"lead_uuid": lead.uuid})
    page = client.get(url).content.decode()
    assert 'value="Analytical Engines"' in page and 'value="analytical.test"' in page
    close = (lead.created_at + timedelta(days=60)).date().isoformat()
    data = {
        "customer_name": "Analytical Engines",
        "customer_domain": "analytical.test",
        "customer_country": "GB",
        "region": "EMEA",
        "products": "Platform",
        "estimated_value": "50000",
        "currency": "USD",
        "expected_close_date": close,
        "contact_name": "Ada Lovelace",
        "contact_email": "ada@analytical.test",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(acme.tenant):
        lead.refresh_from_db()
        deal = DealRegistration.objects.get()
        assert lead.registration == deal and deal.partner == acme.partner
        assert deal.status in (DealStatus.SUBMITTED, DealStatus.APPROVED)
    assert client.post(url, data).status_code == 403  # already a deal: the form is gone
    with tenant_context(acme.tenant):
        assert DealRegistration.objects.count() == 1
        with pytest.raises(ValidationError, match="already registered"):
            campaigns.lead_register_deal(actor=actor(acme, acme.partner_sales), lead=lead, **{})


# --- Who may (owner / member / outsider) -----------------------------------------------------


def test_campaign_pages_owner_member_outsider(acme, globex):
    campaign = make_campaign(acme)
    _post_lead(acme, campaign)
    with tenant_context(acme.tenant):
        lead = Lead.objects.get()
    page = reverse("portal_campaign", kwargs={"campaign_uuid": campaign.uuid})
    lead_page = reverse("portal_lead", kwargs={"lead_uuid": lead.uuid})
    # Owner: the partner's marketing and admin see and change it.
    assert acme.client(acme.partner_admin).get(page).status_code == 200
    assert acme.client(acme.partner_marketing).post(page, {"action": "pause"}).status_code == 302
    # Member without the right: a sales rep sees the campaign and its leads, changes nothing.
    sales = acme.client(acme.partner_sales)
    assert sales.get(page).status_code == 200 and sales.get(lead_page).status_code == 200
    assert sales.post(page, {"action": "launch"}).status_code == 403
    assert acme.client(acme.partner_presales).get(page).status_code == 403
    # Vendor side: the partner's channel manager sees the console list with it; direct sales
    # have no campaign pages.
    listing = acme.client(acme.manager).get(reverse("console_campaigns")).content.decode()
    assert campaign.name in listing
    assert acme.client(acme.sales).get(reverse("console_campaigns")).status_code == 403
    # Outsiders: another partner of the tenant, and another tenant, find nothing.
    other = acme.client(acme.other_partner_admin)
    assert other.get(page).status_code == 404 and other.get(lead_page).status_code == 404
    assert campaign.name not in other.get(reverse("portal_campaigns")).content.decode()
    assert "Ada" not in other.get(reverse("portal_leads")).content.decode()
    assert globex.client(globex.partner_admin).get(page).status_code == 404
    assert (
        globex.client().get(reverse("campaign_landing", kwargs={"key": campaign.key})).status_code
        == 404
    )
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        campaigns.campaign_move(
            actor=actor(acme, acme.other_partner_admin), campaign=campaign, move="end"
        )


def test_partner_lists_are_filtered_and_exported(acme):
    campaign = make_campaign(acme)
    _post_lead(acme, campaign)
    _post_lead(acme, campaign, email="grace@navy.test", company="Navy", last_name="Hopper")
    client = acme.client(acme.partner_sales)
    body = client.get(reverse("portal_leads"), {"q": "navy"}).content.decode()
    assert "Hopper" in body and "Lovelace" not in body
    csv = client.get(reverse("portal_leads"), {"format": "csv"})
    text = b"".join(csv.streaming_content).decode()
    assert "Came from" in text and "Landing page" in text and "grace@navy.test" in text
    console = acme.client(acme.admin).get(reverse("console_campaigns"), {"format": "csv"})
    assert "Spring cloud push" in b"".join(console.streaming_content).decode()


def test_an_ended_campaign_cannot_be_changed(acme):
    campaign = make_campaign(acme)
    who = None
    with tenant_context(acme.tenant):
        who = actor(acme, acme.partner_marketing)
        campaigns.campaign_move(actor=who, campaign=campaign, move="end")
        with pytest.raises(ValidationError):
            campaigns.campaign_move(actor=who, campaign=campaign, move="launch")
        with pytest.raises(ValidationError):
            campaigns.campaign_update(actor=who, campaign=campaign, offer="New")
        assert Campaign.objects.get().status == CampaignStatus.ENDED


def test_the_preview_answers_404_for_a_garbled_or_foreign_template(acme, globex):
    client = acme.client(acme.partner_marketing)
    url = reverse("portal_campaign_preview")
    assert client.post(url, {"template": "not-a-uuid"}).status_code == 404
    assert client.post(url, {"campaign": "12"}).status_code == 404
    foreign = make_template(globex)
    assert client.post(url, {"template": str(foreign.uuid)}).status_code == 404


def test_the_console_campaign_page_owner_member_outsider(acme, globex):
    campaign = make_campaign(acme)
    _post_lead(acme, campaign)
    url = reverse("console_campaign", kwargs={"campaign_uuid": campaign.uuid})
    page = acme.client(acme.manager).get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "Ada Lovelace" in body and "Acme Partner One" in body
    assert acme.client(acme.executive).get(url).status_code == 200
    assert acme.client(acme.sales).get(url).status_code == 403  # direct sales: no campaigns
    assert acme.client(acme.partner_marketing).get(url).status_code == 403  # the console
    assert globex.client(globex.admin).get(url).status_code == 404
    # Opening the page is not a click on the campaign's links.
    with tenant_context(acme.tenant):
        assert sum(TrackedLink.objects.values_list("clicks", flat=True)) == 0


def test_a_logo_is_stored_only_for_a_valid_campaign_and_a_replaced_one_is_removed(
    acme, settings, django_capture_on_commit_callbacks
):
    from pathlib import Path

    from tenancy.tests.files import stored_files

    template = make_template(acme)
    with tenant_context(acme.tenant):
        who = actor(acme, acme.partner_marketing)
        with pytest.raises(ValidationError):
            campaigns.campaign_create(
                actor=who,
                template=template,
                name="X",
                contact_name="Pat",
                contact_email="not an address",
                logo=SimpleUploadedFile("logo.png", PNG),
            )
    assert not stored_files(Path(settings.MEDIA_ROOT))
    campaign = make_campaign(acme, template=template, logo=SimpleUploadedFile("a.png", PNG))
    first = campaign.logo.name
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        campaign = campaigns.campaign_update(
            actor=actor(acme, acme.partner_marketing),
            campaign=campaign,
            logo=SimpleUploadedFile("b.png", PNG),
        )
    assert stored_files(Path(settings.MEDIA_ROOT)) == [campaign.logo.name]
    assert campaign.logo.name != first
