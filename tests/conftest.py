"""Shared fixtures. Factories are exposed as fixtures; users come in each role."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories


@pytest.fixture
def party_factory() -> type[factories.PartyFactory]:
    return factories.PartyFactory


@pytest.fixture
def source_factory() -> type[factories.SourceFactory]:
    return factories.SourceFactory


@pytest.fixture
def entity_factory() -> type[factories.EntityFactory]:
    return factories.EntityFactory


@pytest.fixture
def claim_factory() -> type[factories.ClaimFactory]:
    return factories.ClaimFactory


@pytest.fixture
def user_factory() -> type[factories.UserFactory]:
    return factories.UserFactory


@pytest.fixture
def analyst(db: Any) -> Any:
    return factories.UserFactory(username="analyst", role="Analyst")


@pytest.fixture
def journalist(db: Any) -> Any:
    return factories.UserFactory(username="journalist", role="Journalist")


@pytest.fixture
def consumer(db: Any) -> Any:
    return factories.UserFactory(username="consumer", role="API consumer", is_staff=False)


@pytest.fixture
def superuser(db: Any) -> Any:
    return factories.UserFactory(username="admin", is_superuser=True)
