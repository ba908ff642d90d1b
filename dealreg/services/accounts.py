"""Customer accounts: the name normalisation duplicate detection compares, and find-or-create by
domain (the thing a registration locks)."""

from __future__ import annotations

import re
import unicodedata

from django.db import IntegrityError, transaction

from tenancy.common.domains import normalize_domain
from tenancy.context import require_current_tenant

from ..models import CustomerAccount

# Legal-form words that say nothing about which customer it is ("ACME Corporation Inc." = "Acme").
LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "gmbh",
        "ag",
        "kg",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "plc",
        "pty",
        "pte",
        "oy",
        "ab",
        "as",
        "aps",
        "kk",
        "group",
        "holding",
        "holdings",
        "the",
    }
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize_account_name(name: str) -> str:
    """Lower-case ASCII words without punctuation and legal suffixes, single-spaced.
    "Acme Corp" and "ACME Corporation Inc." both give "acme"."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii")
    # "S.A." / "B.V." / "L.L.C.": drop dots first so the letters join into one word.
    text = text.lower().replace(".", "").replace("&", " and ")
    words = _NON_WORD.sub(" ", text).split()
    kept = [w for w in words if w not in LEGAL_SUFFIXES]
    # A name made only of legal words ("The Company") keeps its words rather than vanish.
    return " ".join(kept or words)[:200]


def account_for(
    *, name: str, domain: str = "", country: str = "", region: str = ""
) -> CustomerAccount:
    """The tenant's account with this (normalised) domain, else a new one. Without a domain, an
    account with the same normalised name and no domain is reused."""
    account, _created = account_find_or_create(
        name=name, domain=domain, country=country, region=region
    )
    return account


def account_find_or_create(
    *, name: str, domain: str = "", country: str = "", region: str = ""
) -> tuple[CustomerAccount, bool]:
    """`account_for`, and whether the account was created by this call (a new account has no
    registrations, owner or opportunities yet: conflict detection skips asking)."""
    domain = normalize_domain(domain or "")
    normalized = normalize_account_name(name)
    if domain:
        existing = CustomerAccount.objects.filter(domain=domain).first()
    else:
        existing = CustomerAccount.objects.filter(normalized_name=normalized, domain="").first()
    if existing is not None:
        return existing, False
    account = CustomerAccount(
        tenant=require_current_tenant(),
        name=name.strip()[:200],
        normalized_name=normalized,
        domain=domain,
        country=country or "",
        region=region or "",
    )
    try:
        with transaction.atomic():  # a savepoint: a racing insert of the same domain loses here
            account.save()
    except IntegrityError:
        if not domain:
            raise
        return CustomerAccount.objects.get(domain=domain), False
    return account, True
