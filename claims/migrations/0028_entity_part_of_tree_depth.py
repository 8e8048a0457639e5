"""Places nest at most TREE_MAX_DEPTH (32) levels deep: the part_of trigger refuses a deeper tree too."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0027_claim_own_statement'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='entity',
            name='entity_part_of_no_loop',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='entity',
            trigger=pgtrigger.compiler.Trigger(name='entity_part_of_tree', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (NEW.part_of_id IS NOT NULL)', func="\n            -- A save that leaves the parent as it was changes no tree (Django's UPDATE lists\n            -- every column): no lock, and no walk down the row's subtree.\n            IF TG_OP = 'UPDATE' AND NEW.part_of_id IS NOT DISTINCT FROM OLD.part_of_id THEN\n                RETURN NEW;\n            END IF;\n            PERFORM pg_advisory_xact_lock(hashtext('claims_entity.part_of_id'));\n            IF EXISTS (\n        WITH RECURSIVE up(id) AS (\n            SELECT NEW.part_of_id\n            UNION SELECT t.part_of_id FROM claims_entity t JOIN up ON t.id = up.id WHERE t.part_of_id IS NOT NULL\n        )\n        SELECT 1 FROM up WHERE id = NEW.id\n    ) THEN\n                RAISE EXCEPTION 'This place lies within the entity itself: an entity cannot be part of a place within it.' USING ERRCODE = 'check_violation', CONSTRAINT = 'entity_part_of_no_loop';\n            END IF;\n            IF (\n        WITH RECURSIVE up(id, steps) AS (\n            SELECT NEW.part_of_id, 1\n            UNION ALL\n            SELECT t.part_of_id, up.steps + 1 FROM claims_entity t JOIN up ON t.id = up.id\n            WHERE t.part_of_id IS NOT NULL AND up.steps <= 32\n        ), down(id, steps) AS (\n            SELECT NEW.id, 0\n            UNION ALL\n            SELECT t.id, down.steps + 1 FROM claims_entity t JOIN down ON t.part_of_id = down.id\n            WHERE down.steps <= 32\n        )\n        SELECT (SELECT max(steps) FROM up) + (SELECT max(steps) FROM down)\n    ) > 32 THEN\n                RAISE EXCEPTION 'Places nest at most 32 levels deep, and this would nest them deeper: put the place within a place higher up.' USING ERRCODE = 'check_violation', CONSTRAINT = 'entity_part_of_depth';\n            END IF;\n            RETURN NEW;\n        ", hash='5e5ef8a51005455c6b9c007b5f61c219963fa3b0', operation='INSERT OR UPDATE OF "part_of_id"', pgid='pgtrigger_entity_part_of_tree_6e44f', table='claims_entity', when='BEFORE')),
        ),
    ]
