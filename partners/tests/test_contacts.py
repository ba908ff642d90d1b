"""Key contacts: bad input on "Add a contact" shows field errors beside the fields with the typed
values kept; at most one primary contact per partner (a database constraint), a new primary
takes over from the old one (form, API and import)."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from partners.models import ContactRole, PartnerContact
from partners.tests.factories import PartnerContactFactory
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db

CONTACTS_API = "/api/v1/partner-contacts/"


def add_url(partner) -> str:
    return reverse("console_partner_contact_add", kwargs={"partner_uuid": partner.uuid})


def roles(world, partner) -> dict[str, str]:
    with tenant_context(world.tenant):
        return dict(PartnerContact.objects.filter(partner=partner).values_list("email", "role"))


# --- Field errors beside the fields, input kept ------------------------------------------------


def test_bad_input_shows_errors_beside_the_fields_and_keeps_what_was_typed(acme):
    response = acme.client(acme.manager).post(
        add_url(acme.partner),
        {"name": "", "email": "not-an-email", "title": "Alliance lead", "role": "technical"},
    )
    assert response.status_code == 422
    form = response.context["contact_form"]
    assert set(form.errors) == {"name", "email"}
    html = response.content.decode()
    assert 'name="name"' in html and "is-invalid" in html and "invalid-feedback" in html
    assert "This field is required." in html and "Enter a valid email address." in html
    assert 'value="not-an-email"' in html and 'value="Alliance lead"' in html
    assert '<option value="technical" selected>' in html
    assert "<details open>" in html  # the form is open, not folded away
    assert "The contact was not added" not in html  # no flash banner instead
    assert roles(acme, acme.partner) == {}


def test_a_duplicate_email_is_an_error_beside_the_email(acme):
    PartnerContactFactory(tenant=acme.tenant, partner=acme.partner, email="ola@partner.example")
    response = acme.client(acme.admin).post(
        add_url(acme.partner),
        {"name": "Ola Again", "email": "OLA@partner.example", "role": "sales"},
    )
    assert response.status_code == 422
    assert response.context["contact_form"].errors["email"] == [
        "This partner already has a contact with this email."
    ]
    assert 'value="Ola Again"' in response.content.decode()


def test_who_may_add_contacts(acme, globex):
    body = {"name": "Ann Lee", "email": "ann@partner.example", "role": "sales"}
    assert acme.client(acme.manager).post(add_url(acme.partner), body).status_code == 302
    assert acme.client(acme.executive).post(add_url(acme.partner), body).status_code == 403
    assert acme.client(acme.admin).post(add_url(globex.partner), body).status_code == 404
    assert list(roles(acme, acme.partner)) == ["ann@partner.example"]


# --- One primary contact ------------------------------------------------------------------------


def test_a_new_primary_contact_takes_over_from_the_old_one(acme):
    client = acme.client(acme.manager)
    for name in ("Ann", "Bob", "Cem"):
        body = {"name": name, "email": f"{name.lower()}@partner.example", "role": "primary"}
        assert client.post(add_url(acme.partner), body).status_code == 302
    assert roles(acme, acme.partner) == {
        "ann@partner.example": "other",
        "bob@partner.example": "other",
        "cem@partner.example": "primary",
    }
    with tenant_context(acme.tenant):
        last = AuditEvent.objects.filter(action="partner.contact_added").order_by("-id").first()
    assert last.changes["no_longer_primary"] == ["bob@partner.example"]


def test_the_form_suggests_another_role_once_there_is_a_primary(acme):
    PartnerContactFactory(
        tenant=acme.tenant, partner=acme.partner, name="Ann <b>Lee</b>", role=ContactRole.PRIMARY
    )
    page = acme.client(acme.admin).get(
        reverse("console_partner_detail", kwargs={"partner_uuid": acme.partner.uuid})
    )
    form = page.context["contact_form"]
    assert form["role"].initial == ContactRole.OTHER
    html = page.content.decode()
    assert "Ann &lt;b&gt;Lee&lt;/b&gt; is the primary contact" in html  # escaped, not markup


def test_the_database_refuses_a_second_primary_contact(acme):
    PartnerContactFactory(tenant=acme.tenant, partner=acme.partner, role=ContactRole.PRIMARY)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerContactFactory(tenant=acme.tenant, partner=acme.partner, role=ContactRole.PRIMARY)
    # Another partner has its own primary contact.
    PartnerContactFactory(tenant=acme.tenant, partner=acme.other_partner, role=ContactRole.PRIMARY)


def test_the_api_makes_one_primary_too(acme):
    api = acme.api(acme.manager)
    for name in ("ann", "bob"):
        response = api.post(
            CONTACTS_API,
            {"partner": str(acme.partner.uuid), "name": name, "email": f"{name}@p.example"},
        )
        assert response.status_code == 201, response.json()
    assert roles(acme, acme.partner) == {"ann@p.example": "other", "bob@p.example": "primary"}
    bad = api.post(CONTACTS_API, {"partner": str(acme.partner.uuid), "name": "", "email": "x"})
    assert bad.status_code == 400 and {"name", "email"} <= set(bad.json())


# --- Imports keep one primary contact -----------------------------------------------------------


def test_an_import_keeps_one_primary_contact(acme, django_capture_on_commit_callbacks):
    from partners.selectors.imports import CONTACT_COLUMNS
    from partners.tests.test_imports import csv_bytes, last_import, partner_row, start, upload

    capture = django_capture_on_commit_callbacks
    PartnerContactFactory(
        tenant=acme.tenant, partner=acme.partner, email="old@p1.example", role=ContactRole.PRIMARY
    )
    columns = ["name", "website", "partner_type", *CONTACT_COLUMNS]
    two_primaries = [
        partner_row(1, contact_name="Ann", contact_email="ann@i1.example", contact_role="primary"),
        {"name": "Imported 1", "contact_name": "Bob", "contact_email": "bob@i1.example",
         "contact_role": "primary"},
    ]  # fmt: skip
    upload(acme, acme.admin, "bad.csv", csv_bytes(two_primaries, columns), capture)
    errors = last_import(acme).errors
    assert [(e["row"], e["field"]) for e in errors] == [(3, "contact_role")]
    assert "row 2 already is" in errors[0]["message"]

    rows = [
        # A new partner, two contacts without a role: the first is its primary contact.
        partner_row(1, contact_name="Ann", contact_email="ann@i1.example"),
        {"name": "Imported 1", "contact_name": "Bob", "contact_email": "bob@i1.example"},
        # An existing partner: the file's primary contact takes over from the current one.
        {"name": acme.partner.name, "website": acme.partner.website, "partner_type": "reseller",
         "contact_name": "New", "contact_email": "new@p1.example", "contact_role": "primary"},
    ]  # fmt: skip
    upload(acme, acme.admin, "good.csv", csv_bytes(rows, columns), capture)
    partner_import = start(acme, acme.admin, last_import(acme), capture)
    assert partner_import.status == "done", partner_import.errors
    with tenant_context(acme.tenant):
        imported = PartnerContact.objects.filter(partner__name="Imported 1")
        assert dict(imported.values_list("email", "role")) == {
            "ann@i1.example": "primary",
            "bob@i1.example": "other",
        }
    assert roles(acme, acme.partner) == {"old@p1.example": "other", "new@p1.example": "primary"}


# Outside a transaction: SQLite's schema editor cannot change a table inside one.
@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_earliest_primary_and_demotes_the_others(acme):
    """The data step before the constraint, on rows that broke the rule (the constraint is
    dropped inside this test's transaction, and comes back with its rollback)."""
    import importlib
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    migration = importlib.import_module("partners.migrations.0008_contact_one_primary")
    constraint = next(
        c for c in PartnerContact._meta.constraints if c.name == "partnercontact_one_primary"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(PartnerContact, constraint)
    now = timezone.now()
    for i, email in enumerate(["second@p.example", "first@p.example", "third@p.example"]):
        PartnerContactFactory(
            tenant=acme.tenant,
            partner=acme.partner,
            email=email,
            role=ContactRole.PRIMARY,
            created_at=now + timedelta(minutes={0: 5, 1: 1, 2: 9}[i]),
        )
    PartnerContactFactory(
        tenant=acme.tenant, partner=acme.other_partner, email="only@p.example", role="primary"
    )
    with connection.cursor() as cursor:
        cursor.execute(migration.DEMOTE_EXTRA_PRIMARIES)
    assert roles(acme, acme.partner) == {
        "first@p.example": "primary",
        "second@p.example": "other",
        "third@p.example": "other",
    }
    assert roles(acme, acme.other_partner) == {"only@p.example": "primary"}
