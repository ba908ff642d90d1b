"""Fuzzy account matching at scale on PostgreSQL: a GIN index on the words of each normalised
name, a vocabulary of words with their account counts and a pg_trgm index (kept by trigger),
and the old whole-name trigram index dropped. Nothing on other databases (a Python fallback,
see services/matching.py)."""

import django.db.models.deletion
from django.db import migrations, models


# The words of a normalised name: to_tsvector with the 'simple' configuration (lower-case
# lexemes, no stemming, no stop words). matching.CANDIDATE_IDS uses exactly this expression,
# which is what lets PostgreSQL use the index.
WORDS_INDEX = (
    "CREATE INDEX IF NOT EXISTS customeraccount_name_words ON dealreg_customeraccount "
    "USING gin (tenant_id, to_tsvector('simple'::regconfig, normalized_name))"
)
VOCABULARY_INDEX = (
    "CREATE INDEX IF NOT EXISTS accountnameword_trgm ON dealreg_accountnameword "
    "USING gin (tenant_id, word gin_trgm_ops)"
)
# Statement-level triggers with transition tables: one INSERT per statement, so a COPY or a
# bulk_create of a million accounts adds their words in one pass. A new word gets the count of
# the statement that brought it; known words are not touched (no queue on a popular word's row;
# the hourly recount in services/matching.py corrects the counts). (PostgreSQL allows only one
# event per trigger with transition tables: hence two triggers on one function.)
TRIGGERS = """
CREATE OR REPLACE FUNCTION dealreg_account_name_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dealreg_accountnameword (tenant_id, word, accounts)
    SELECT changed.tenant_id, word, count(*)
    FROM changed, unnest(string_to_array(changed.normalized_name, ' ')) AS word
    WHERE length(word) >= 2
    GROUP BY changed.tenant_id, word
    ON CONFLICT (tenant_id, word) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER customeraccount_words_insert AFTER INSERT ON dealreg_customeraccount
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dealreg_account_name_words();
CREATE TRIGGER customeraccount_words_update AFTER UPDATE ON dealreg_customeraccount
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dealreg_account_name_words();
"""
BACKFILL = """
INSERT INTO dealreg_accountnameword (tenant_id, word, accounts)
SELECT tenant_id, word, count(*)
FROM dealreg_customeraccount, unnest(string_to_array(normalized_name, ' ')) AS word
WHERE length(word) >= 2
GROUP BY tenant_id, word
ON CONFLICT (tenant_id, word) DO NOTHING;
ANALYZE dealreg_accountnameword;
"""
OLD_TRIGRAM_INDEX = "customeraccount_name_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in (WORDS_INDEX, VOCABULARY_INDEX, TRIGGERS, BACKFILL):
        schema_editor.execute(sql)
    # Statistics on the new index expression: without them the planner guesses thousands of
    # matches per word (and plans parallel scans for a few hundred rows) until autovacuum runs.
    schema_editor.execute("ANALYZE dealreg_customeraccount")
    # The trigram index over whole names handed back tens of thousands of rows to re-check at
    # a million accounts; words + vocabulary replace it.
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_TRIGRAM_INDEX}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS customeraccount_words_insert ON dealreg_customeraccount;"
        "DROP TRIGGER IF EXISTS customeraccount_words_update ON dealreg_customeraccount;"
        "DROP FUNCTION IF EXISTS dealreg_account_name_words();"
        "DROP INDEX IF EXISTS customeraccount_name_words;"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {OLD_TRIGRAM_INDEX} ON dealreg_customeraccount "
        "USING gin (tenant_id, normalized_name gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dealreg", "0003_trigram_index"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountNameWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.CharField(max_length=200)),
                ("accounts", models.PositiveIntegerField(default=0)),
                (
                    "tenant",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.tenant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("tenant", "word"), name="accountnameword_word")
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
