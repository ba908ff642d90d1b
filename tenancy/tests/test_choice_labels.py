"""get_FOO_display() on tenant-owned models: the label in the active language, from a map built
once per field and language (Django rebuilds and translates the whole map on every call)."""

from django.utils import translation

from partners.models import PartnerOrganization, PartnerType
from tenancy.scoping import choice_labels


def test_display_is_the_label_and_unknown_codes_come_back_as_they_are():
    partner = PartnerOrganization(partner_type=PartnerType.ISV)
    assert partner.get_partner_type_display() == "ISV / technology"
    partner.partner_type = "no-such-code"
    assert partner.get_partner_type_display() == "no-such-code"


def test_the_map_is_built_once_per_field_and_language():
    field = PartnerOrganization._meta.get_field("partner_type")
    english = choice_labels(field)
    assert choice_labels(field) is english  # built once
    assert all(isinstance(label, str) for label in english.values())
    with translation.override("fr"):
        french = choice_labels(field)
    assert french is not english  # the other language has its own
    assert choice_labels(field) is english
