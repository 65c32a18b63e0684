"""Panels a higher layer adds to the worklist page, without casework knowing it.

Casework sits below the apps that put work on a unit's list (monitoring's early warnings land
on the responsible unit's worklist, DOMAIN §10), and a lower layer never imports a higher one
(DESIGN.md "Layout"). So the worklist offers a plug-in point: an app registers, from its
``AppConfig.ready()``, a panel with a template and a callable ``(request, units, on)`` that
returns the template's context (``panel`` in it) or None to show nothing. The worklist renders
the panels in the order they were registered, for the units it shows (the user's own, or the
one chosen with ``?unit=``) and the date it is read for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import HttpRequest

from jiuye.units.models import Unit

PanelBuilder = Callable[[HttpRequest, list[Unit], date], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    key: str  # the section's id on the page is ``panel-<key>``
    template: str
    build: PanelBuilder


_PANELS: dict[str, Panel] = {}


def register_panel(key: str, template: str, build: PanelBuilder) -> None:
    """Add (or replace: ``ready()`` may run twice) the panel ``key``."""
    _PANELS[key] = Panel(key, template, build)


def unregister_panel(key: str) -> None:
    _PANELS.pop(key, None)


def registered() -> list[Panel]:
    return list(_PANELS.values())


def worklist_panels(request: HttpRequest, units: list[Unit], on: date) -> list[dict[str, Any]]:
    """The panels to show: each ``{"key", "template", "panel"}`` whose builder returned a
    context."""
    shown = []
    for panel in _PANELS.values():
        context = panel.build(request, units, on)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "panel": context})
    return shown


# ---------------------------------------------------------------------------------------------
# The person's page
# ---------------------------------------------------------------------------------------------

# The same plug-in point on a person's casework page: a higher layer (jobs: the person's
# referrals to postings) adds a card with a template and a callable ``(request, person)`` that
# returns the template's context (``panel`` in it) or None to show nothing. The callable reads
# through its own app's scoped selectors.
PersonPanelBuilder = Callable[[HttpRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class PersonPanel:
    key: str  # the card's id on the page is ``panel-<key>``
    template: str
    build: PersonPanelBuilder


_PERSON_PANELS: dict[str, PersonPanel] = {}


def register_person_panel(key: str, template: str, build: PersonPanelBuilder) -> None:
    """Add (or replace) the person-page panel ``key``."""
    _PERSON_PANELS[key] = PersonPanel(key, template, build)


def unregister_person_panel(key: str) -> None:
    _PERSON_PANELS.pop(key, None)


def person_panels(request: HttpRequest, person: Any) -> list[dict[str, Any]]:
    """The person-page panels to show: each ``{"key", "template", "panel"}``."""
    shown = []
    for panel in _PERSON_PANELS.values():
        context = panel.build(request, person)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "panel": context})
    return shown
