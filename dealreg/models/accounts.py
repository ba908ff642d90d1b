"""Customer accounts: the thing a registration locks. Owned by a direct sales rep or nobody."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from partners.models import Region
from tenancy.scoping import TenantOwnedModel


class CustomerAccount(TenantOwnedModel):
    name = models.CharField(_("account name"), max_length=200)
    # Lower-case, punctuation and legal suffixes ("Inc.", "GmbH", "Corporation") removed:
    # what duplicate detection compares ("ACME Corporation Inc." → "acme").
    normalized_name = models.CharField(max_length=200, db_index=False)
    domain = models.CharField(_("domain"), max_length=253, blank=True)
    country = CountryField(_("country"), blank=True)
    region = models.CharField(_("region"), max_length=8, choices=Region.choices, blank=True)
    # A direct sales rep who owns (has claimed) the account; empty = unowned.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("direct owner"),
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "domain"],
                condition=~models.Q(domain=""),
                name="customeraccount_domain",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "normalized_name"], name="customeraccount_norm"),
            models.Index(fields=["tenant", "owner"], name="customeraccount_owner"),
        ]
        # On PostgreSQL, migration 0004 adds a GIN index on (tenant_id, the words of
        # normalized_name) and keeps AccountNameWord filled by trigger: fuzzy name matching
        # looks at the accounts sharing a (similar) word, never the whole table.

    def __str__(self) -> str:
        return self.name


class AccountNameWord(models.Model):
    """The distinct words of a tenant's account names (PostgreSQL only), with how many accounts
    hold each and a pg_trgm index: a misspelt word ("zamtel") finds the words spelled like it
    ("zantel"), whose accounts the word index then gives. Filled by a database trigger on every
    insert or update of an account, so bulk loads and imports cannot miss it; words of renamed
    or deleted accounts stay until the hourly recount sets them to 0."""

    # The unique (tenant, word) index serves every lookup: no separate tenant index.
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    word = models.CharField(max_length=200)
    # How many accounts hold the word: set when the word first appears (the inserting statement's
    # count), then recounted hourly (beat `deal-account-words`). Concurrent inserts never queue
    # on a popular word's row; a count only has to tell common words from distinctive ones.
    accounts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "word"], name="accountnameword_word"),
        ]

    def __str__(self) -> str:
        return self.word


class DirectOpportunity(TenantOwnedModel):
    """An opportunity direct sales is working on an account (from the CRM later); an open one
    is a conflict for a partner registration."""

    account = models.ForeignKey(
        CustomerAccount, on_delete=models.CASCADE, related_name="direct_opportunities"
    )
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "account", "is_open"], name="directopp_account"),
        ]

    def __str__(self) -> str:
        return self.name
