from django.db import migrations


class Migration(migrations.Migration):
    """A claim's value_type must equal its predicate's. Django has no composite foreign
    keys, so this one is written in SQL. ON UPDATE CASCADE means that changing a
    predicate's value type rewrites its claims' value_type, and the claims' CHECK
    constraint then refuses the change if their values no longer fit."""

    dependencies = [("claims", "0002_initial")]

    operations = [
        migrations.RunSQL(
            sql="""
                ALTER TABLE claims_claim
                ADD CONSTRAINT claim_value_type_matches_predicate
                FOREIGN KEY (predicate_id, value_type)
                REFERENCES claims_predicate (id, value_type)
                ON UPDATE CASCADE DEFERRABLE INITIALLY IMMEDIATE;
            """,
            reverse_sql="ALTER TABLE claims_claim DROP CONSTRAINT claim_value_type_matches_predicate;",
        ),
    ]
