"""Not tests: the reader's test world (shared by tests/test_reader*.py and the browser
tests): two sides, a district with a village in it, a town known by three spellings, and
claims the engine finds contradictions between."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User

from claims import detection, services
from claims.models import Claim, Contradiction, Entity
from sources.models import Party, Source
from tests import factories


@dataclass
class ReaderWorld:
    azerbaijan: Party
    aliyev: Party
    armenia: Party
    armenian_mod: Party
    district: Entity
    village: Entity
    town: Entity
    forces: Entity
    source: Source
    town_yes: Claim
    town_no: Claim
    village_yes: Claim
    village_no: Claim
    town_flag: Contradiction
    village_flag: Contradiction


def claim_pair(
    *, subject: Entity, forces: Entity, yes_by: Party, no_by: Party, day: dt.date, source: Source | None = None
) -> tuple[Claim, Claim]:
    """Two claims the negation rule flags: ``yes_by`` says ``forces`` control ``subject``
    from ``day``, ``no_by`` denies it for that day."""
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    yes = factories.ClaimFactory(
        subject=subject, object_entity=forces, asserted_by=yes_by, asserted_at=at, valid_from=day, valid_until=None,
        statement=f"{forces.name} control {subject.name}", quote=f"Our forces hold {subject.name}.",
    )  # fmt: skip
    no = factories.ClaimFactory(
        subject=subject, object_entity=forces, asserted_by=no_by, asserted_at=at + dt.timedelta(hours=2),
        valid_from=day, valid_until=day, polarity=Claim.Polarity.DENIES, hedge=Claim.Hedge.CLAIMED,
        statement=f"{forces.name} do not control {subject.name}",
    )  # fmt: skip
    if source is not None:
        yes.appearances.create(source=source, excerpt=f"they hold {subject.name}", locator="¶2")
    return yes, no


def reader_world(reviewer: User) -> ReaderWorld:
    PF, EF = factories.PartyFactory, factories.EntityFactory
    azerbaijan, armenia = PF(name="Azerbaijan"), PF(name="Armenia")
    aliyev = PF(name="Ilham Aliyev", kind=Party.Kind.OFFICIAL, parent=azerbaijan)
    armenian_mod = PF(name="Armenian Ministry of Defence", kind=Party.Kind.MILITARY, parent=armenia)
    district = EF(name="Zangilan district", aliases=["Zəngilan rayonu"])
    village = EF(name="Aghband", aliases=["Ağbənd", "Agbend"], part_of=district)
    town = EF(name="Shusha", aliases=["Shushi", "Şuşa"])
    forces = EF(name="Azerbaijani forces", kind=Entity.Kind.ORGANISATION)
    source = factories.SourceFactory(
        title="Shusha is ours", url="https://news.example.org/shusha", archive_url="https://archive.example.org/shusha"
    )
    town_yes, town_no = claim_pair(
        subject=town, forces=forces, yes_by=aliyev, no_by=armenian_mod, day=dt.date(2020, 11, 8), source=source
    )
    village_yes, village_no = claim_pair(
        subject=village, forces=forces, yes_by=aliyev, no_by=armenian_mod, day=dt.date(2020, 10, 22)
    )
    # Armenia's denial about the town is later rated false (and published): the flag resolves.
    services.verdict_record(
        claim=town_no, rating="false", rationale="Video of the town square on 8 November.", reviewer=reviewer,
        publish=True,
    )  # fmt: skip
    detection.contradiction_scan(triggered_by="test")
    town_flag = Contradiction.objects.get(claim_a__subject=town)
    village_flag = Contradiction.objects.get(claim_a__subject=village)
    for claim in (town_yes, town_no, village_yes, village_no):
        claim.refresh_from_db()
    return ReaderWorld(
        azerbaijan, aliyev, armenia, armenian_mod, district, village, town, forces, source,
        town_yes, town_no, village_yes, village_no, town_flag, village_flag,
    )  # fmt: skip
