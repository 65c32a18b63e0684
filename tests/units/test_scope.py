"""The one jurisdiction scope: own unit and below, siblings never, fails closed."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404

from jiuye.registry import selectors, services
from jiuye.units.scope import units_visible
from tests.conftest import make_id


@pytest.fixture
def people(tree):
    out = {}
    for key, unit in (("a1", tree["a1"]), ("a", tree["a"]), ("b", tree["b"]), ("c", tree["c"])):
        hh = services.household_create(actor=None, number=f"H-{key}", unit=unit, hukou_type="urban")
        out[key] = services.person_create(
            actor=None, id_number=make_id(date(1985, 1, 2)), name=f"居民{key}", household=hh
        )
    return out


VISIBLE = [
    ("worker_a", {"a1", "a"}),
    ("worker_b", {"b"}),
    ("grid_a1", {"a1"}),
    ("street", {"a1", "a", "b"}),
    ("district", {"a1", "a", "b", "c"}),
    ("sysadmin", set()),  # 三权分立: the system administrator reads no personal data
    ("secadmin", set()),
    ("auditor", set()),
    ("nobody", set()),  # fails closed: no unit, no rows
]


@pytest.mark.parametrize(("persona", "expected"), VISIBLE)
def test_persons_visible(personas, people, persona, expected):
    user = personas[persona]
    got = set(selectors.persons_visible(user=user).values_list("name", flat=True))
    assert got == {f"居民{k}" for k in expected}


@pytest.mark.parametrize(("persona", "expected"), VISIBLE)
def test_foreign_person_is_not_found(personas, people, persona, expected):
    user = personas[persona]
    for key, person in people.items():
        if key in expected:
            assert selectors.person_get(user=user, pk=person.pk) == person
        else:
            with pytest.raises(Http404):
                selectors.person_get(user=user, pk=person.pk)


def test_anonymous_and_inactive_see_nothing(personas, people):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.persons_visible(user=AnonymousUser()).exists()
    assert not selectors.persons_visible(user=None).exists()
    district = personas["district"]
    district.is_active = False
    district.save()
    district = type(district).objects.get(pk=district.pk)
    assert not selectors.persons_visible(user=district).exists()


def test_units_visible_is_not_personal(personas, tree):
    codes = set(units_visible(personas["street"]).values_list("code", flat=True))
    assert codes == {
        "110108001",
        "110108001001",
        "110108001002",
        "110108001001A1",
        "110108001001A2",
    }
    assert units_visible(personas["sysadmin"]).count() == 8
    assert not units_visible(personas["nobody"]).exists()


def test_prefix_codes_do_not_leak(tree, personas):
    """A sibling whose code starts with another's code must not fall inside its path."""
    from jiuye.units.models import Level
    from jiuye.units.services import unit_create

    twin = unit_create(
        actor=None, code="1101080010011", name="孪生社区", level=Level.COMMUNITY, parent=tree["s1"]
    )
    hh = services.household_create(actor=None, number="H-twin", unit=twin, hukou_type="urban")
    services.person_create(
        actor=None, id_number=make_id(date(1990, 3, 3)), name="孪生", household=hh
    )
    assert not selectors.persons_visible(user=personas["worker_a"]).filter(name="孪生").exists()
