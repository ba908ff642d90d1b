"""The console mail log: program admins see every mail of the tenant, a channel manager the mail
about their partners; filterable and paginated; a credential-carrying mail never shows its text;
"send again" / "mark as sent" with the owner / wrong-role (403) / other-tenant (404) trio."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tenancy.context import tenant_context
from tenancy.emails import ACCOUNT, INVITATION
from tenancy.models import AuditEvent, OutboundEmail
from tenancy.outbox import DeliveryStatus

pytestmark = pytest.mark.django_db
LOG = reverse("console_mail_log")


def make_mail(world, *, to, partner=None, status=DeliveryStatus.SENT, **fields):
    with tenant_context(world.tenant):
        return OutboundEmail.objects.create(
            tenant=world.tenant,
            kind=fields.pop("kind", INVITATION),
            partner_uuid=partner.uuid if partner is not None else None,
            recipient_email=to,
            subject=fields.pop("subject", f"Hello {to}"),
            body_text=fields.pop("body_text", "The text"),
            status=status,
            attempts=1,
            **fields,
        )


def shown(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_admin_sees_every_mail_of_the_tenant_and_no_other(acme, globex):
    make_mail(acme, to="one@acme-partner.test", partner=acme.partner)
    make_mail(acme, to="two@acme-other.test", partner=acme.other_partner)
    make_mail(acme, to="staff@acme.test")
    make_mail(globex, to="spy@globex.test", partner=globex.partner)
    page = shown(acme.client(acme.admin).get(LOG))
    for address in ("one@acme-partner.test", "two@acme-other.test", "staff@acme.test"):
        assert address in page
    assert "spy@globex.test" not in page
    assert "Invitation" in page  # the kind in words


def test_channel_manager_sees_only_mail_about_their_partners(acme):
    make_mail(acme, to="mine@acme-partner.test", partner=acme.partner)
    other = make_mail(acme, to="theirs@acme-other.test", partner=acme.other_partner)
    make_mail(acme, to="staff@acme.test")
    page = shown(acme.client(acme.manager).get(LOG))
    assert "mine@acme-partner.test" in page
    assert "theirs@acme-other.test" not in page and "staff@acme.test" not in page
    detail = reverse("console_mail_detail", kwargs={"email_uuid": other.uuid})
    assert acme.client(acme.manager).get(detail).status_code == 404


@pytest.mark.parametrize("role", ["executive", "marketing", "sales", "partner_admin"])
def test_other_roles_get_403(acme, role):
    assert acme.client(getattr(acme, role)).get(LOG).status_code == 403


def test_filters_by_status_kind_and_text(acme):
    make_mail(acme, to="failed@x.test", status=DeliveryStatus.FAILED, last_error="refused")
    make_mail(acme, to="unconfirmed@x.test", status=DeliveryStatus.SENDING)
    make_mail(acme, to="fine@x.test", kind=ACCOUNT, subject="Reset your password")
    client = acme.client(acme.admin)
    page = shown(client.get(LOG, {"status": "problem"}))
    assert "failed@x.test" in page and "unconfirmed@x.test" in page and "fine@x.test" not in page
    page = shown(client.get(LOG, {"status": "failed"}))
    assert "failed@x.test" in page and "unconfirmed@x.test" not in page
    page = shown(client.get(LOG, {"kind": ACCOUNT}))
    assert "fine@x.test" in page and "failed@x.test" not in page
    page = shown(client.get(LOG, {"q": "password"}))
    assert "fine@x.test" in page and "failed@x.test" not in page
    # Nonsense filters are ignored or match nothing; never an error.
    assert "failed@x.test" in shown(client.get(LOG, {"status": "bogus"}))
    assert "failed@x.test" not in shown(client.get(LOG, {"q": "\x00nothing"}))


def test_paginates_by_fifty_keeping_the_filters(acme):
    for n in range(55):
        make_mail(acme, to=f"p{n:02d}@x.test")
    client = acme.client(acme.admin)
    first = shown(client.get(LOG, {"kind": INVITATION}))
    assert "Page 1 of 2" in first and f"kind={INVITATION}&amp;page=2" in first
    second = shown(client.get(LOG, {"kind": INVITATION, "page": 2}))
    assert second.count("@x.test</td>") == 5


def test_a_mail_carrying_a_credential_never_shows_its_text(acme):
    secret = make_mail(acme, to="a@x.test", body_text="reset: /accounts/SECRET/", sensitive=True)
    plain = make_mail(acme, to="b@x.test", body_text="Your deal was approved")
    client = acme.client(acme.admin)
    page = shown(client.get(reverse("console_mail_detail", kwargs={"email_uuid": secret.uuid})))
    assert "SECRET" not in page and "personal link" in page
    page = shown(client.get(reverse("console_mail_detail", kwargs={"email_uuid": plain.uuid})))
    assert "Your deal was approved" in page


def test_send_again_and_mark_sent_trio(acme, globex, django_capture_on_commit_callbacks):
    stuck = make_mail(acme, to="stuck@acme-partner.test", status=DeliveryStatus.SENDING)
    gave_up = make_mail(acme, to="gone@acme-partner.test", status=DeliveryStatus.GAVE_UP)
    again = reverse("console_mail_send_again", kwargs={"email_uuid": gave_up.uuid})
    mark = reverse("console_mail_mark_sent", kwargs={"email_uuid": stuck.uuid})
    assert acme.client(acme.executive).post(again).status_code == 403
    # The manager sees no partner-less mail: not found rather than forbidden.
    assert acme.client(acme.manager).post(again).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(acme.admin).post(again, {"next": LOG + "?status=problem"})
    assert response.status_code == 302 and response["Location"] == LOG + "?status=problem"
    assert [m.to for m in mail.outbox] == [["gone@acme-partner.test"]]
    assert acme.client(acme.admin).post(mark).status_code == 302
    stuck.refresh_from_db()
    gave_up.refresh_from_db()
    assert stuck.status == gave_up.status == DeliveryStatus.SENT
    with tenant_context(acme.tenant):
        assert AuditEvent.objects.filter(action="mail.send_again").count() == 1
        assert AuditEvent.objects.filter(action="mail.marked_sent").count() == 1
    # Already sent: refused with a message, not a crash, and not sent twice.
    assert acme.client(acme.admin).post(again).status_code == 302
    assert len(mail.outbox) == 1
    foreign = make_mail(globex, to="x@globex.test", status=DeliveryStatus.SENDING)
    for name in ("console_mail_send_again", "console_mail_mark_sent", "console_mail_detail"):
        url = reverse(name, kwargs={"email_uuid": foreign.uuid})
        response = acme.client(acme.admin).post(url) if "detail" not in name else None
        response = response or acme.client(acme.admin).get(url)
        assert response.status_code == 404, name


def test_channel_manager_acts_on_mail_of_their_partner(acme, django_capture_on_commit_callbacks):
    mine = make_mail(acme, to="m@acme-partner.test", partner=acme.partner, status="sending")
    theirs = make_mail(acme, to="t@acme-other.test", partner=acme.other_partner, status="sending")
    client = acme.client(acme.manager)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("console_mail_send_again", args=[mine.uuid])).status_code == 302
    assert client.post(reverse("console_mail_mark_sent", args=[theirs.uuid])).status_code == 404
    assert [m.to for m in mail.outbox] == [["m@acme-partner.test"]]


def test_the_log_page_stays_flat(acme, django_assert_max_num_queries):
    for n in range(30):
        make_mail(acme, to=f"q{n}@x.test", partner=acme.partner)
    client = acme.client(acme.admin)
    shown(client.get(LOG))
    make_mail(acme, to="one-more@x.test", partner=acme.partner)
    with django_assert_max_num_queries(12):
        shown(client.get(LOG))
