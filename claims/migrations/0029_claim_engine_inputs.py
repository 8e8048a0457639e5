"""What the contradiction engine reads of each claim beside each pair, kept on the claim as
stored generated columns: its row's doubt points (hedge, credibility, own statement), and
its current verdict if it settles (false) or alerts (true). Each AddField rewrites the
claims table once. The change feed counts them as derived."""

import claims.models
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0028_entity_part_of_tree_depth'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='claim',
            name='claim_change_feed',
        ),
        migrations.AddField(
            model_name='claim',
            name='alert_verdict_id',
            field=models.GeneratedField(db_persist=True, expression=claims.models.ClaimRatedVerdict('true'), output_field=models.BigIntegerField()),
        ),
        migrations.AddField(
            model_name='claim',
            name='doubt_points',
            field=models.GeneratedField(db_persist=True, expression=claims.models.ClaimDoubtPoints(), output_field=models.SmallIntegerField()),
        ),
        migrations.AddField(
            model_name='claim',
            name='settling_verdict_id',
            field=models.GeneratedField(db_persist=True, expression=claims.models.ClaimRatedVerdict('false'), output_field=models.BigIntegerField()),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='claim',
            trigger=pgtrigger.compiler.Trigger(name='claim_change_feed', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n            DECLARE\n                kinds text[] := '{}';\n                -- Columns kept by triggers or derived from others; their own kinds cover them.\n                derived text[] := ARRAY['updated_at', 'status', 'current_verdict_id', 'review_state',\n                                        'retracted_at', 'retraction_reason', 'search_vector', 'period',\n                                        'own_statement', 'doubt_points', 'settling_verdict_id',\n                                        'alert_verdict_id'];\n            BEGIN\n                IF TG_OP = 'UPDATE' THEN\n                    IF NEW.current_verdict_id IS DISTINCT FROM OLD.current_verdict_id\n                       OR NEW.status IS DISTINCT FROM OLD.status THEN\n                        kinds := kinds || 'verdict'::text;\n                    END IF;\n                    IF NEW.retracted_at IS DISTINCT FROM OLD.retracted_at THEN\n                        kinds := kinds || 'retracted'::text;\n                    END IF;\n                    IF (to_jsonb(NEW) - derived) IS DISTINCT FROM (to_jsonb(OLD) - derived) THEN\n                        kinds := kinds || 'content'::text;\n                    END IF;\n                END IF;\n                IF cardinality(kinds) > 0 THEN\n                    \n        INSERT INTO claims_claimchange (xid, claim_id, changes, status, retracted, changed_at)\n        SELECT pg_current_xact_id()::text::bigint, c.id, kinds, c.status, c.retracted_at IS NOT NULL, now()\n        FROM claims_claim c WHERE c.id = ANY(ARRAY[NEW.id])\n        ON CONFLICT ON CONSTRAINT claimchange_xid_claim_unique DO UPDATE SET\n            changes = ARRAY(SELECT DISTINCT k FROM unnest(claims_claimchange.changes || EXCLUDED.changes) k ORDER BY k),\n            status = EXCLUDED.status,\n            retracted = EXCLUDED.retracted;\n    \n                END IF;\n                RETURN NULL;\n            END;\n        ", hash='8d66cbeb8bb11247602588cfdc391cd3e3f83b17', operation='UPDATE', pgid='pgtrigger_claim_change_feed_cf72d', table='claims_claim', when='AFTER')),
        ),
    ]
