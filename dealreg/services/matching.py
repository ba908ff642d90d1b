"""Finding accounts by name at a million accounts: "blocking" on words, then trigram scoring.

Comparing a name with every account (or with the tens of thousands a whole-name trigram index
hands back for common trigrams) is too slow at volume. So, on PostgreSQL:

1. The query's words are looked up in the tenant's vocabulary of account-name words
   (`AccountNameWord`: each word with how many accounts hold it). A word no account uses is
   probably misspelt: it stands for its ALTERNATIVES closest spellings in the vocabulary
   (pg_trgm GIN index, word similarity ≥ WORD_SIMILARITY: "zamtel" → "zantel"). A search also
   takes such a word as the start of a word ("zan vor" → "zantel vorpex").
2. Words held by more than COMMON_WORD accounts ("logistics", "global") are common.
3. Candidates are the accounts holding any distinctive (not common) word, through the GIN index
   on the words of `normalized_name`; if every word is common, those holding all of them (a
   search: those holding every typed word, or any distinctive one). At most CANDIDATES.
4. The candidates are scored by pg_trgm `similarity` of the whole normalised name, best first.

An account is only found if it shares a word, a near spelling of one, or (searching) a word
prefix with the query: "Acmecorp" and "Acme Corp" have no word in common, but the name
normalisation already joins "A.C.M.E." and drops legal forms ("Corp", "Inc.", "GmbH").

Other databases (SQLite in development) compare, with rapidfuzz, the accounts whose names
contain one of the query's words, at most CANDIDATES of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from tenancy.context import require_current_tenant

from ..models import AccountNameWord, CustomerAccount

WORD_SIMILARITY = 0.4  # one wrong letter in a six-letter word is 0.4
ALTERNATIVES = 5  # near spellings kept per unknown word, the closest first
COMMON_WORD = 1000  # a word in more accounts than this does not pick candidates by itself
CANDIDATES = 2000  # at most this many accounts are scored per lookup (a quarter: common words)
EXACT = 50  # accounts with exactly the normalised name, always among the candidates
MIN_WORD = 2  # shorter words (initials) are not looked up on their own
PREFIX_MIN = 3  # an unknown typed word this long is also taken as the start of a word


def words_of(normalized: str) -> list[str]:
    """The distinct words of a normalised name, in order ([a-z0-9]+, from the normaliser)."""
    seen: dict[str, None] = {}
    for word in normalized.split():
        if len(word) >= MIN_WORD:
            seen.setdefault(word, None)
    return list(seen)


@dataclass
class WordGroup:
    """One query word and what stands for it: itself if known, else its near spellings."""

    word: str
    alternatives: dict[str, int] = field(default_factory=dict)  # word → accounts holding it
    prefix: bool = False

    @property
    def accounts(self) -> int:
        return sum(self.alternatives.values())

    @property
    def distinctive(self) -> bool:
        return bool(self.alternatives) and self.accounts <= COMMON_WORD

    def tsquery(self, *, prefix: bool = True) -> str:
        # Words are [a-z0-9]+ (normalised): nothing to quote inside a tsquery.
        with_prefix = prefix and self.prefix
        terms = sorted(self.alternatives) + ([f"{self.word}:*"] if with_prefix else [])
        return "(" + " | ".join(terms) + ")" if terms else ""


def word_groups(words: list[str], *, typed: bool = False) -> list[WordGroup]:
    """Step 1 of the module docstring: known words stand for themselves (one indexed lookup);
    only words the tenant's accounts never used are expanded to their closest spellings."""
    tenant = require_current_tenant()
    groups = [WordGroup(word) for word in words]
    known = dict(
        AccountNameWord.objects.filter(tenant=tenant, word__in=words).values_list(
            "word", "accounts"
        )
    )
    unknown = [group.word for group in groups if group.word not in known]
    similar: dict[str, list[tuple[str, int]]] = {}
    if unknown:
        with connection.cursor() as cursor:
            # `%` is served by the (tenant_id, word gin_trgm_ops) index at this threshold.
            cursor.execute(f"SET pg_trgm.similarity_threshold = {WORD_SIMILARITY:.2f}")
            cursor.execute(
                "SELECT q.word, v.word, v.accounts FROM unnest(%s::text[]) AS q(word) "
                "JOIN dealreg_accountnameword v ON v.tenant_id = %s AND v.word %% q.word "
                "WHERE v.accounts > 0 "
                "ORDER BY q.word, similarity(v.word, q.word) DESC, v.word",
                [unknown, tenant.pk],
            )
            for word, alternative, accounts in cursor.fetchall():
                similar.setdefault(word, []).append((alternative, accounts))
    for group in groups:
        if group.word in known:
            group.alternatives = {group.word: known[group.word]}
        else:
            group.alternatives = dict(similar.get(group.word, [])[:ALTERNATIVES])
            # Searching, a word no name holds is probably being typed ("zan" → "zantel").
            group.prefix = typed and len(group.word) >= PREFIX_MIN
    return groups


def _candidate_query(normalized: str, *, typed: bool) -> tuple[str, bool]:
    """The tsquery picking the candidate accounts (steps 1–3 of the module docstring), and
    whether a distinctive word picks them (few: all can be scored)."""
    words = words_of(normalized)
    if not words:
        return "", False
    groups = word_groups(words, typed=typed)
    # A typed word's prefix may match thousands of words: it narrows (AND), never widens (OR).
    distinctive = [group.tsquery(prefix=False) for group in groups if group.distinctive]
    every_word = " & ".join(filter(None, (group.tsquery() for group in groups)))
    if typed:
        # A search: names holding every typed word (or a word starting so), or any of its
        # distinctive words.
        parts = [f"({every_word})" if every_word else "", *distinctive]
        return " | ".join(filter(None, parts)), bool(distinctive)
    if distinctive:
        return " | ".join(distinctive), True
    return every_word, False


# The candidates: at most a limit of the accounts holding the words (the GIN index on exactly
# this to_tsvector expression, migration 0004; the tsquery's words are [a-z0-9]+), and those with
# exactly the name (btree), which the cap must not leave out.
CAPPED_IDS = """
(SELECT id FROM dealreg_customeraccount
 WHERE tenant_id = %s AND to_tsvector('simple'::regconfig, dealreg_customeraccount.normalized_name)
       @@ to_tsquery('simple'::regconfig, %s)
 LIMIT %s)
UNION
(SELECT id FROM dealreg_customeraccount WHERE tenant_id = %s AND normalized_name = %s LIMIT %s)
"""


def name_candidates(
    qs: QuerySet, normalized: str, *, typed: bool = False, threshold: float = 0.0
) -> QuerySet:
    """`qs` narrowed to the accounts worth comparing with `normalized`, annotated `score`
    (trigram similarity of the whole normalised name), best first. PostgreSQL only."""
    tsquery, narrow = _candidate_query(normalized, typed=typed)
    if not tsquery:
        return qs.none()
    # Every value below is a bound parameter. The candidates are ids from a limited subquery
    # (each half served by its own index), never a filter on `qs` itself: on a small tenant the
    # planner would otherwise walk all its accounts and test (and score) each one, so a lookup
    # would cost more the bigger the tenant's account list (issue 12).
    tenant = require_current_tenant().pk
    # A distinctive word picks a few hundred accounts at most: all of them are scored (up to
    # CANDIDATES); only common words are capped to a quarter of that.
    limit = CANDIDATES if narrow else CANDIDATES // 4
    params = [tenant, tsquery, limit, tenant, normalized, EXACT]
    qs = qs.filter(pk__in=RawSQL(CAPPED_IDS, params))  # noqa: S611
    scored = qs.annotate(score=TrigramSimilarity("normalized_name", normalized))
    if threshold:
        scored = scored.filter(score__gte=threshold)
    return scored.order_by("-score", "pk")


def fallback_candidates(qs: QuerySet, normalized: str) -> list[CustomerAccount]:
    """Other databases: accounts whose normalised name contains one of the words."""
    condition = Q()
    for word in words_of(normalized):
        condition |= Q(normalized_name__contains=word)
    if not condition:
        return []
    return list(qs.filter(condition)[:CANDIDATES])


# One statement: count each word over the tenant's accounts; add missing words, correct changed
# counts, and set to 0 the words no account holds any more (renamed, deleted accounts), which
# are then never offered as a spelling.
RECOUNT = """
WITH counts AS (
    SELECT word, count(*) AS n
    FROM dealreg_customeraccount, unnest(string_to_array(normalized_name, ' ')) AS word
    WHERE tenant_id = %(tenant)s AND length(word) >= %(min_word)s
    GROUP BY word
), upserted AS (
    INSERT INTO dealreg_accountnameword (tenant_id, word, accounts)
    SELECT %(tenant)s, word, n FROM counts
    ON CONFLICT (tenant_id, word) DO UPDATE SET accounts = EXCLUDED.accounts
    WHERE dealreg_accountnameword.accounts <> EXCLUDED.accounts
    RETURNING 1
), forgotten AS (
    UPDATE dealreg_accountnameword v SET accounts = 0
    WHERE v.tenant_id = %(tenant)s AND v.accounts > 0
      AND NOT EXISTS (SELECT 1 FROM counts WHERE counts.word = v.word)
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted) + (SELECT count(*) FROM forgotten)
"""


def account_words_recount() -> int:
    """Recount how many of the current tenant's accounts hold each word, and add any missing
    word (beat, hourly; the bench after loading). Returns the words changed. PostgreSQL only."""
    if connection.vendor != "postgresql":
        return 0
    params = {"tenant": require_current_tenant().pk, "min_word": MIN_WORD}
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT, params)
        return cursor.fetchone()[0]
