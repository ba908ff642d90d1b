"""Account-name matching at scale (services/matching.py): the word vocabulary kept by trigger,
near spellings, common words, typed prefixes, and the tenant boundary."""

from __future__ import annotations

import pytest
from django.db import connection

from dealreg.models import AccountNameWord, CustomerAccount
from dealreg.selectors.lockview import lock_search
from dealreg.services import matching
from dealreg.services.accounts import normalize_account_name
from dealreg.services.conflicts import similar_accounts
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the vocabulary and word index are PostgreSQL's"
    ),
]


def accounts(world, *names: str) -> list[CustomerAccount]:
    """Accounts created the way bulk loads do (one statement, no per-row Python)."""
    with tenant_context(world.tenant):
        return CustomerAccount.objects.bulk_create(
            [
                CustomerAccount(
                    tenant=world.tenant,
                    name=name,
                    normalized_name=normalize_account_name(name),
                    domain=f"d{i}-{world.tenant.slug}.example",
                )
                for i, name in enumerate(names)
            ]
        )


def names(found) -> list[str]:
    return [row.name if hasattr(row, "name") else row[0].name for row in found]


def test_the_vocabulary_is_filled_by_the_database_on_insert_and_rename(acme):
    [account] = accounts(acme, "Zantel Vorpex Logistics GmbH")
    words = set(AccountNameWord.objects.filter(tenant=acme.tenant).values_list("word", flat=True))
    assert {"zantel", "vorpex", "logistics"} <= words and "gmbh" not in words
    with tenant_context(acme.tenant):
        account.normalized_name = "quibex logistics"
        account.save(update_fields=["normalized_name"])
    assert AccountNameWord.objects.filter(tenant=acme.tenant, word="quibex").exists()


def test_a_near_spelling_of_a_word_finds_the_account(acme):
    accounts(acme, "Zantel Vorpex Logistics", "Morfal Health")
    with tenant_context(acme.tenant):
        found = similar_accounts("Zamtel Vorpex Logistic Inc.")
    assert names(found) == ["Zantel Vorpex Logistics"]
    assert 0.45 <= found[0][1] < 1


def test_a_common_word_alone_does_not_make_every_account_a_candidate(acme, monkeypatch):
    # "logistics" is in more accounts than COMMON_WORD: only the distinctive word selects.
    monkeypatch.setattr(matching, "COMMON_WORD", 3)
    accounts(
        acme,
        "Zantel Logistics",
        "Aaron Logistics",
        "Berix Logistics",
        "Corval Logistics",
        "Dunvin Logistics",
    )
    with tenant_context(acme.tenant), connection.cursor():
        query, _narrow = matching._candidate_query("zantel logistics", typed=False)
    assert "zantel" in query and "logistics" not in query


def test_when_every_word_is_common_all_of_them_must_match(acme, monkeypatch):
    monkeypatch.setattr(matching, "COMMON_WORD", 1)
    accounts(acme, "Global Logistics", "Global Health", "Prime Logistics", "Global Logistics Co")
    with tenant_context(acme.tenant):
        query, _narrow = matching._candidate_query("global logistics", typed=False)
        found = similar_accounts("Global Logistics")
    assert "&" in query
    assert sorted(names(found)) == ["Global Logistics", "Global Logistics Co"]


def test_unrelated_names_share_no_word_and_are_not_compared(acme):
    accounts(acme, "Zantel Vorpex", "Initech")
    with tenant_context(acme.tenant):
        assert similar_accounts("Umbrella Pharma") == []


def test_the_lock_search_takes_typed_words_as_prefixes_and_ranks_exact_names_first(acme):
    accounts(acme, "Zantel Vorpex GmbH", "Zantel", "Zanka Bros", "Vorpex Zantel Mining")
    with tenant_context(acme.tenant):
        sales = actor_for_user(acme.sales, acme.tenant)
        assert names(lock_search(sales, "Zantel"))[0] == "Zantel"
        hits = names(lock_search(sales, "zan vor"))
    assert set(hits[:2]) == {"Zantel Vorpex GmbH", "Vorpex Zantel Mining"}
    assert "Zanka Bros" not in hits[:2]


def test_another_tenants_accounts_and_words_are_never_matched(acme, globex):
    accounts(globex, "Zantel Vorpex Logistics")
    with tenant_context(acme.tenant):
        assert similar_accounts("Zantel Vorpex Logistics") == []
        assert lock_search(actor_for_user(acme.sales, acme.tenant), "Zantel") == []


def test_the_hourly_recount_corrects_counts_and_forgets_words_no_account_holds(acme):
    first, _second = accounts(acme, "Zantel Logistics", "Morfal Logistics")
    vocabulary = AccountNameWord.objects.filter(tenant=acme.tenant)
    vocabulary.filter(word="logistics").update(accounts=1)  # drifted
    vocabulary.filter(word="morfal").delete()  # missing
    with tenant_context(acme.tenant):
        first.normalized_name = "quibex logistics"  # "zantel" is held by no account now
        first.save(update_fields=["normalized_name"])
        assert matching.account_words_recount() == 3
    assert dict(vocabulary.values_list("word", "accounts")) == {
        "logistics": 2,
        "morfal": 1,
        "quibex": 1,
        "zantel": 0,
    }
    with tenant_context(acme.tenant):
        assert matching.account_words_recount() == 0  # nothing left to correct
        # A word no account holds is not offered as a spelling of an unknown word.
        [group] = matching.word_groups(["zantell"])
    assert "zantel" not in group.alternatives


def test_the_beat_schedule_recounts_every_tenant_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["deal-account-words"]
    assert entry == {"task": "dealreg.sweeps.account_words_all_tenants", "schedule": 3600.0}
