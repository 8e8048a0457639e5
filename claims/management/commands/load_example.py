"""Load the worked example (the Lachin corridor article) into the database.

Idempotent: everything is looked up by its natural key first, and only what is missing is
written, so a second run changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pghistory
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from claims import example_data as data
from claims import services
from claims.models import Claim, Entity, Predicate, Verdict
from sources.models import Party, Source
from sources.services import party_get_or_create, source_get_or_create

REVIEWER = "example-reviewer"


class Command(BaseCommand):
    help = "Load the example article's parties, sources, places, claims and verdicts (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with pghistory.context(actor="load_example"), transaction.atomic():
            created = self.load()
        if any(created.values()):
            summary = ", ".join(f"{count} {name}" for name, count in created.items() if count)
            self.stdout.write(self.style.SUCCESS(f"Example loaded: {summary}."))
        else:
            self.stdout.write("Example already loaded; nothing changed.")

    def load(self) -> dict[str, int]:
        created = {"parties": 0, "sources": 0, "entities": 0, "claims": 0, "verdicts": 0}

        parties: dict[str, Party] = {}
        for spec in data.PARTIES:
            fields = {k: v for k, v in spec.items() if k not in {"name", "parent"}}
            if spec.get("parent"):
                fields["parent"] = parties[spec["parent"]]
            parties[spec["name"]], new = party_get_or_create(name=spec["name"], defaults=fields)
            created["parties"] += new

        sources: dict[str, Source] = {}
        for spec in data.SOURCES:
            fields = {k: v for k, v in spec.items() if k not in {"key", "title", "publisher", "republished_from"}}
            fields["publisher"] = parties[spec["publisher"]] if spec["publisher"] else None
            if spec.get("republished_from"):
                fields["republished_from"] = sources[spec["republished_from"]]
            # Found by URL, else by what, by whom and when: titles are what analysts edit.
            if spec.get("url"):
                natural_key: dict[str, Any] = {"url": spec["url"]}
            else:
                natural_key = {k: fields[k] for k in ("kind", "publisher", "published_at")}
            defaults = {**fields, "title": spec["title"]}
            sources[spec["key"]], new = source_get_or_create(lookup=natural_key, defaults=defaults)
            created["sources"] += new

        entities: dict[str, Entity] = {}
        for name, kind, aliases, part_of, location in data.ENTITIES:
            entity_fields: dict[str, Any] = {"aliases": aliases}
            if location:
                lat, lon, precision = location
                entity_fields.update(
                    latitude=Decimal(str(lat)),
                    longitude=Decimal(str(lon)),
                    coordinate_precision_km=Decimal(str(precision)),
                )
            parent = entities[part_of] if part_of else None
            entities[name], new = Entity.objects.get_or_create(
                name=name, kind=kind, part_of=parent, defaults=entity_fields
            )
            created["entities"] += new

        predicates = {p.slug: p for p in Predicate.objects.all()}
        claims: dict[str, Claim] = {}
        for spec in data.CLAIMS:
            # Found by who asserted what proposition and when: wording is what analysts correct.
            existing = Claim.objects.filter(
                asserted_by=parties[spec["asserted_by"]],
                subject=entities[spec["subject"]],
                predicate=predicates[spec["predicate"]],
                object_entity=entities[spec["object"]] if "object" in spec else None,
                polarity=spec.get("polarity", Claim.Polarity.AFFIRMS),
                asserted_at=spec["asserted_at"],
            ).first()
            if existing:
                claims[spec["key"]] = existing
                continue
            quantity = Decimal(spec["quantity"]) if "quantity" in spec else None
            claims[spec["key"]] = services.claim_create(
                subject=entities[spec["subject"]],
                predicate=predicates[spec["predicate"]],
                object_entity=entities[spec["object"]] if "object" in spec else None,
                quantity_best=quantity,
                text_value=spec.get("text", ""),
                polarity=spec.get("polarity", Claim.Polarity.AFFIRMS),
                valid_from=spec.get("valid_from"),
                valid_until=spec.get("valid_until"),
                asserted_by=parties[spec["asserted_by"]],
                asserted_at=spec["asserted_at"],
                statement=spec["statement"],
                quote=spec.get("quote", ""),
                hedge=spec["hedge"],
                credibility=spec["credibility"],
                appearances=[
                    services.Appearance(source=sources[key], role=role, excerpt=spec.get("quote", ""), locator=where)
                    for key, role, where in spec["sources"]
                ],
            )
            created["claims"] += 1

        reviewer, _ = get_user_model().objects.get_or_create(
            username=REVIEWER, defaults={"is_active": False, "first_name": "Example", "last_name": "Reviewer"}
        )
        for spec in data.VERDICTS:
            claim = claims[spec["claim"]]
            if Verdict.objects.filter(claim=claim, reviewer=reviewer).exists():
                continue  # recorded before; later verdicts by people supersede it, never duplicate it
            services.verdict_record(
                claim=claim,
                rating=spec["rating"],
                rationale=spec["rationale"],
                reviewer=reviewer,
                evidence=[sources[key] for key in spec["evidence"]],
                publish=spec["publish"],
            )
            created["verdicts"] += 1
        return created
