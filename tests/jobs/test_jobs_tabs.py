"""The jobs pages hang together: tabs between employers, postings and placements with the
public board of the user's own unit; a person's page links to their matches."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["jobs:index", "jobs:posting_list", "jobs:placements"])
def test_tabs_and_the_board_of_the_users_unit(
    personas: dict[str, Any], tree: dict[str, Any], name: str
) -> None:
    page = _client(personas["worker_a"]).get(reverse(name)).content.decode()
    assert 'id="jobs-tabs"' in page
    for target in ("jobs:index", "jobs:posting_list", "jobs:placements"):
        assert f'href="{reverse(target)}"' in page
    assert reverse("jobs:board", args=[tree["a"].code]) in page
    # A grid coordinator's board is their community's.
    grid = _client(personas["grid_a1"]).get(reverse(name)).content.decode()
    assert reverse("jobs:board", args=[tree["a"].code]) in grid


def test_the_person_page_links_to_the_matches(personas: dict[str, Any], person_a: Any) -> None:
    page = _client(personas["worker_a"]).get(reverse("casework:person", args=[person_a.pk]))
    assert reverse("jobs:match_person", args=[person_a.pk]) in page.content.decode()
