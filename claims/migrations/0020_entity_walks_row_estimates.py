"""Tell the planner how many places the part_of walks return. Without ROWS a set-returning
function is assumed to return 1,000 rows, so the check of one claim under a spreading
predicate expected some thousands of containment candidates and joined them with the
claims table by hash joins over the whole table (58 ms at 100k claims, growing with it)
instead of by its primary key. A place has a few wholes (its district, region, country)
and, for a district, some dozens of parts; the estimates need only be of that order."""

from django.db import migrations

ESTIMATES = """
ALTER FUNCTION cw_entity_parts(bigint) ROWS 20;
ALTER FUNCTION cw_entity_wholes(bigint) ROWS 3;
"""
DEFAULTS = """
ALTER FUNCTION cw_entity_parts(bigint) ROWS 1000;
ALTER FUNCTION cw_entity_wholes(bigint) ROWS 1000;
"""


class Migration(migrations.Migration):
    dependencies = [("claims", "0019_entity_walks_in_plpgsql")]

    operations = [migrations.RunSQL(ESTIMATES, DEFAULTS)]
