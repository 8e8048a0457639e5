# A party's side in one SQL function, called by the model, the API, the contradiction
# engine and the benchmark instead of four walks of their own.

from django.db import migrations

from sources.sql import DROP_PARTY_SIDE_FUNCTION, PARTY_SIDE_FUNCTION


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0003_alias_limit_representable_dates_field_checks"),
    ]

    operations = [
        # CREATE OR REPLACE: a later change to the function is a migration that runs the
        # new text again, and a fresh database gets the same from this one.
        migrations.RunSQL(PARTY_SIDE_FUNCTION, DROP_PARTY_SIDE_FUNCTION),
    ]
