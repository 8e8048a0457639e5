"""factory_boy factories, exposed as fixtures in ``tests/conftest.py``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User

from claims.models import Claim, Entity, Predicate
from sources.models import Party, Source

T = TypeVar("T")

if TYPE_CHECKING:

    class ModelFactory(factory.django.DjangoModelFactory[T]):
        """For the type checker: calling a factory class builds and saves its model (that is
        what factory_boy's metaclass does), so the call's type is the model, not the factory."""

        def __new__(cls, **kwargs: Any) -> T: ...  # type: ignore[misc]  # __new__ returning the model

else:
    ModelFactory = factory.django.DjangoModelFactory


class UserFactory(ModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True  # the role hook only adds groups; nothing to save again

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True

    @factory.post_generation
    def role(self: User, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class PartyFactory(ModelFactory[Party]):
    class Meta:
        model = Party

    name = factory.Sequence(lambda n: f"Party {n}")
    kind = Party.Kind.STATE


class SourceFactory(ModelFactory[Source]):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Report {n}")
    url = factory.Sequence(lambda n: f"https://news.example.org/report-{n}")
    publisher = factory.SubFactory(PartyFactory, kind=Party.Kind.MEDIA)
    published_at = dt.datetime(2020, 10, 23, tzinfo=dt.UTC)


class EntityFactory(ModelFactory[Entity]):
    class Meta:
        model = Entity

    name = factory.Sequence(lambda n: f"Place {n}")
    kind = Entity.Kind.PLACE


def predicate(slug: str) -> Predicate:
    """A predicate from the starter vocabulary (created by migration)."""
    return Predicate.objects.get(slug=slug)


class ClaimFactory(ModelFactory[Claim]):
    """A claim written straight to the table (for reads); write tests use the services."""

    class Meta:
        model = Claim

    subject = factory.SubFactory(EntityFactory)
    predicate = factory.LazyFunction(lambda: predicate("controlled-by"))
    object_entity = factory.SubFactory(EntityFactory, kind=Entity.Kind.ORGANISATION)
    asserted_by = factory.SubFactory(PartyFactory)
    asserted_at = dt.datetime(2020, 10, 23, 12, tzinfo=dt.UTC)
    statement = factory.LazyAttribute(lambda c: f"{c.object_entity} controls {c.subject}")
    valid_from = dt.date(2020, 10, 23)
    valid_until = dt.date(2020, 10, 23)
