"""Two analysts saving at once, each edit fine alone, together a loop in the places tree
(Zangilan district within Aghband while Aghband goes within Zangilan district). The second
gets the field error, not a 500: its validation waits for the first edit's transaction
(project.db.tree_error takes the lock the tree trigger takes)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from claims.models import Entity
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_the_second_of_two_racing_admin_edits_that_make_a_loop_gets_a_field_error(
    migration_data: None, analyst: Any
) -> None:
    district = factories.EntityFactory(name="Zangilan district")
    village = factories.EntityFactory(name="Aghband")
    first_saved, first_may_commit = threading.Event(), threading.Event()

    def first_edit() -> None:  # Aghband within Zangilan district, held uncommitted a moment
        try:
            with transaction.atomic():
                mine = Entity.objects.get(pk=village.pk)
                mine.part_of_id = district.pk
                mine.full_clean()
                mine.save()
                first_saved.set()
                first_may_commit.wait(10)
        finally:
            connection.close()

    first = threading.Thread(target=first_edit)
    first.start()
    assert first_saved.wait(10)
    # The second edit's validation would see no loop yet; it must wait for the first.
    threading.Timer(0.5, first_may_commit.set).start()
    client = Client()
    client.force_login(analyst)
    response = client.post(
        reverse("admin:claims_entity_change", args=[district.pk]),
        {"name": district.name, "kind": district.kind, "part_of": village.pk},
    )
    first.join(10)

    assert response.status_code == 200
    assert "an entity cannot be part of a place within it" in response.content.decode()
    district.refresh_from_db()
    village.refresh_from_db()
    assert (district.part_of_id, village.part_of_id) == (None, district.pk)
