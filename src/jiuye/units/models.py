"""The unit tree: city → district → street/town → community/village → grid.

``path`` is a materialised path of unit codes ("/110108/110108001/…/"), kept by the services,
so "this unit and everything below" is one indexed prefix match on every database.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    TOWN = "town", _("镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    GRID = "grid", _("网格")


# The levels whose units hold residents (a community's or a village's persons and households).
COMMUNITY_LEVELS = (Level.COMMUNITY, Level.VILLAGE)

# The tier of each level in the tree; street/town and community/village share a tier.
TIER = {
    Level.CITY: 0,
    Level.DISTRICT: 1,
    Level.STREET: 2,
    Level.TOWN: 2,
    Level.COMMUNITY: 3,
    Level.VILLAGE: 3,
    Level.GRID: 4,
}


class Unit(models.Model):
    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    # The community's job service station (劳动保障工作站) as its public notice board shows it:
    # an office address, an office phone and opening hours, never a person's. ``db_default``
    # because the bulk loaders (``jiuye seed``, the ledger import) write rows with raw SQL.
    station_address = models.CharField(
        _("服务站地址"), max_length=200, blank=True, default="", db_default=""
    )
    station_phone = models.CharField(
        _("服务站电话"), max_length=40, blank=True, default="", db_default=""
    )
    station_hours = models.CharField(
        _("服务时间"), max_length=100, blank=True, default="", db_default=""
    )

    JURISDICTION_PATH = "path"

    class Meta:
        ordering = ["code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def tier(self) -> int:
        return TIER[Level(self.level)]

    @property
    def is_community(self) -> bool:
        return self.level in COMMUNITY_LEVELS

    def is_within(self, other: Unit) -> bool:
        """True if this unit is ``other`` or lies below it."""
        return self.path.startswith(other.path)

    def ancestor_paths(self) -> list[str]:
        """The paths of this unit and every unit above it, the top first."""
        parts = [p for p in self.path.split("/") if p]
        return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]

    def district(self) -> Unit | None:
        """The district this unit lies in (itself when it is one); None above or without one."""
        if self.level == Level.DISTRICT:
            return self
        return Unit.objects.filter(path__in=self.ancestor_paths(), level=Level.DISTRICT).first()

    def is_large(self) -> bool:
        """Whether more than a twentieth of all communities and villages lie under this unit
        (read once per unit object). The rows of a rare kind (the unemployed events in force,
        a year's registrations: a few percent of all persons) are then fewer than the unit's
        persons, and queries read them all and keep the unit's; for a smaller unit they start
        from its persons, whose number does not grow with the database. A district of the
        10M city read through its 1M persons took 3.1 s where the city's 350,000
        registrations take less; a street of it read through the city's events did too."""
        cached: bool | None = getattr(self, "_is_large", None)
        if cached is None:
            communities = Unit.objects.filter(level__in=COMMUNITY_LEVELS)
            under = communities.filter(path__startswith=self.path).count()
            cached = self._is_large = 20 * under > communities.count()
        return cached
