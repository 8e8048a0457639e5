import pytest

from claims.models import Predicate


@pytest.mark.django_db
def test_the_starter_vocabulary_is_installed_by_migration():
    assert Predicate.objects.get(slug="controlled-by").single_valued is True
