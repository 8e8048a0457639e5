"""Parties nest at most TREE_MAX_DEPTH (32) levels deep: the parent trigger refuses a deeper tree too."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sources', '0008_tree_without_loops'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='party',
            name='party_parent_no_loop',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='party',
            trigger=pgtrigger.compiler.Trigger(name='party_parent_tree', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (NEW.parent_id IS NOT NULL)', func="\n            -- A save that leaves the parent as it was changes no tree (Django's UPDATE lists\n            -- every column): no lock, and no walk down the row's subtree.\n            IF TG_OP = 'UPDATE' AND NEW.parent_id IS NOT DISTINCT FROM OLD.parent_id THEN\n                RETURN NEW;\n            END IF;\n            PERFORM pg_advisory_xact_lock(hashtext('sources_party.parent_id'));\n            IF EXISTS (\n        WITH RECURSIVE up(id) AS (\n            SELECT NEW.parent_id\n            UNION SELECT t.parent_id FROM sources_party t JOIN up ON t.id = up.id WHERE t.parent_id IS NOT NULL\n        )\n        SELECT 1 FROM up WHERE id = NEW.id\n    ) THEN\n                RAISE EXCEPTION 'This party is under the party itself: a party cannot belong to a party under it.' USING ERRCODE = 'check_violation', CONSTRAINT = 'party_parent_no_loop';\n            END IF;\n            IF (\n        WITH RECURSIVE up(id, steps) AS (\n            SELECT NEW.parent_id, 1\n            UNION ALL\n            SELECT t.parent_id, up.steps + 1 FROM sources_party t JOIN up ON t.id = up.id\n            WHERE t.parent_id IS NOT NULL AND up.steps <= 32\n        ), down(id, steps) AS (\n            SELECT NEW.id, 0\n            UNION ALL\n            SELECT t.id, down.steps + 1 FROM sources_party t JOIN down ON t.parent_id = down.id\n            WHERE down.steps <= 32\n        )\n        SELECT (SELECT max(steps) FROM up) + (SELECT max(steps) FROM down)\n    ) > 32 THEN\n                RAISE EXCEPTION 'Parties nest at most 32 levels deep, and this would nest them deeper: put the party under a party higher up.' USING ERRCODE = 'check_violation', CONSTRAINT = 'party_parent_depth';\n            END IF;\n            RETURN NEW;\n        ", hash='0657828837c310791728d86a81f7767d686abcc4', operation='INSERT OR UPDATE OF "parent_id"', pgid='pgtrigger_party_parent_tree_a7c4f', table='sources_party', when='BEFORE')),
        ),
    ]
