"""The SQL of the sources app that lives in the database: a party's side.

A party's *side* is its topmost ancestor (a ministry belongs to its state): the side in a
conflict it speaks for. ``cw_party_side`` is the one place that walks up to it; the model
(``Party.side``), the API's documents, the contradiction engine (self-contradiction or
dispute) and the raw benchmark endpoint all call it.
"""

from __future__ import annotations

PARTY_SIDE = "cw_party_side"

# A party with no parent is its own side. The walk stops after 32 steps, or where a parent
# link comes back to a party already passed (the admin prevents only a party being its
# own parent), so a cycle cannot run away. STABLE: it reads sources_party.
PARTY_SIDE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {PARTY_SIDE}(party bigint) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
AS $$
DECLARE
    side bigint := party;
    up bigint;
    passed bigint[] := ARRAY[party];
BEGIN
    FOR step IN 1..32 LOOP
        SELECT parent_id INTO up FROM sources_party WHERE id = side;
        EXIT WHEN up IS NULL OR up = ANY(passed);
        side := up;
        passed := passed || up;
    END LOOP;
    RETURN side;
END;
$$;
"""  # noqa: S608 - constants
DROP_PARTY_SIDE_FUNCTION = f"DROP FUNCTION IF EXISTS {PARTY_SIDE}(bigint);"

# Each party's side as (party id, side id, side name), for the parties ``%s`` (an array).
PARTY_SIDES = f"""
SELECT p.id, s.id, s.name
FROM sources_party p JOIN sources_party s ON s.id = {PARTY_SIDE}(p.id)
WHERE p.id = ANY(%s)
"""  # noqa: S608 - constants
