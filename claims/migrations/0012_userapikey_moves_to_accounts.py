"""UserAPIKey now belongs to ``accounts`` (its migration 0001 takes the table over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_verdict_holds_from"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="UserAPIKey")], database_operations=[]
        ),
    ]
