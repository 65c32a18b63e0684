"""Filter forms of the list pages (plain GET forms; HTMX submits the same fields)."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jiuye.lib import idcard
from jiuye.registry.definitions import employed_now_q, labor_force_now_q
from jiuye.registry.models import Household, Person, Status
from jiuye.registry.selectors import unit_filter
from jiuye.units.models import TIER, Level, Unit
from jiuye.units.scope import units_visible

_FULL_ID = re.compile(r"\d{17}[\dX]|\d{15}")
_ID_TAIL = re.compile(r"\d{3}[\dX]")
FILTER_LEVELS = (Level.STREET, Level.TOWN, Level.COMMUNITY, Level.VILLAGE)
EMPLOYED_ANY = "employed"


def unit_choices(user: Any) -> list[tuple[str, Any]]:
    """Streets/towns and communities/villages the user may see, indented by tier."""
    units = units_visible(user).filter(level__in=FILTER_LEVELS).order_by("path")
    rows = list(units.values_list("pk", "name", "level"))
    top = min((TIER[Level(level)] for _pk, _name, level in rows), default=0)
    return [("", _("全部"))] + [
        (str(pk), "\u3000" * (TIER[Level(level)] - top) + name) for pk, name, level in rows
    ]


class _UnitFilterForm(forms.Form):
    unit = forms.ChoiceField(label=_("单位"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["unit"]).choices = unit_choices(user)

    def valid_data(self) -> dict[str, Any]:
        """The fields that passed validation (an invalid one is ignored, not the whole form)."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def selected_unit(self) -> Unit | None:
        pk = self.valid_data().get("unit")
        if not pk:
            return None
        return units_visible(self.user).filter(pk=pk).first()


class PersonFilterForm(_UnitFilterForm):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("姓名、完整身份证号或末4位"),
                "type": "search",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("当前状态"),
        required=False,
        choices=[("", _("全部")), (EMPLOYED_ANY, _("实现就业（合计）")), *Status.choices],
    )
    registered = forms.BooleanField(label=_("登记失业"), required=False)
    labor_force = forms.BooleanField(label=_("仅劳动力"), required=False)

    field_order = ["q", "unit", "status", "registered", "labor_force"]

    def full_id(self) -> str | None:
        """The searched full ID number (normalised, 15 → 18 digits), if the search is one."""
        q = (self.valid_data().get("q") or "").strip().upper()
        if not _FULL_ID.fullmatch(q):
            return None
        with contextlib.suppress(idcard.IdNumberError):
            q = idcard.parse(q).number
        return q

    def id_search(self) -> str | None:
        """ "full" or "tail" when the search is by (the last 4 characters of) an ID number."""
        if self.full_id():
            return "full"
        q = (self.valid_data().get("q") or "").strip().upper()
        return "tail" if _ID_TAIL.fullmatch(q) else None

    def apply(self, persons: QuerySet[Person], *, on: date) -> QuerySet[Person]:
        """Narrow an already-scoped queryset by the valid filters."""
        data = self.valid_data()
        q = (data.get("q") or "").strip().upper()
        full_id = self.full_id()
        if full_id:
            persons = persons.filter(id_number=full_id)
        elif _ID_TAIL.fullmatch(q):
            persons = persons.filter(id_number__endswith=q)
        elif q:
            persons = persons.filter(name__icontains=data["q"].strip())
        unit = self.selected_unit()
        if unit is not None:
            persons = persons.filter(unit_filter(unit))
        status = data.get("status")
        if status == EMPLOYED_ANY:
            persons = persons.filter(employed_now_q())
        elif status:
            persons = persons.filter(current_status=status)
        if data.get("registered"):
            persons = persons.filter(current_registered=True)
        if data.get("labor_force"):
            persons = persons.filter(labor_force_now_q(on))
        return persons


class HouseholdFilterForm(_UnitFilterForm):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"placeholder": _("户编号或地址"), "type": "search", "autocomplete": "off"}
        ),
    )
    dibao = forms.BooleanField(label=_("低保户"), required=False)

    field_order = ["q", "unit", "dibao"]

    def apply(self, households: QuerySet[Household]) -> QuerySet[Household]:
        data = self.valid_data()
        q = (data.get("q") or "").strip()
        if q:
            # Part of the household number (anywhere in it) or of the address.
            households = households.filter(Q(number__icontains=q) | Q(address__icontains=q))
        unit = self.selected_unit()
        if unit is not None:
            households = households.filter(unit_filter(unit))
        if data.get("dibao"):
            households = households.filter(dibao=True)
        return households
