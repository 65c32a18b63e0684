"""The warning rules as data (``warning_rules/default.toml``, or the file named by the setting
``JIUYE_WARNING_RULES``): each rule a kind the engine knows (``detectors``), the DOMAIN IDs it
cites, its parameters, a measure compared with each level's threshold, and a version. A
malformed file is refused with what is wrong and where, at the first use."""

from __future__ import annotations

import operator
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from jiuye.monitoring.models import LEVEL_RANK, WarningLevel

DEFAULT_FILE = Path(__file__).parent / "warning_rules" / "default.toml"
KINDS = (
    "registered_rise",
    "zero_family_overdue",
    "mass_layoff",
    "certified_drift",
    "difficult_after_services",
)
OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


# The data a rule's ``requires`` names: the app that keeps it and what it is, in words. Were
# that app not installed, the rule would wait for its data and fire nothing (W-MASS-LAYOFF
# reads the employers' layoff reports, DOMAIN §8, which ``jiuye.jobs`` keeps since issue 16).
REQUIRES: dict[str, tuple[str, Any]] = {
    "employers": ("jiuye.jobs", _("用人单位与裁员报告（DOMAIN §8）")),
}


class RuleBookError(ValueError):
    pass


@dataclass(frozen=True)
class Threshold:
    level: WarningLevel
    value: float


@dataclass(frozen=True)
class WarningRule:
    id: str
    version: str
    kind: str
    name: str
    text: str
    cites: tuple[str, ...]
    measure: str
    op: str
    levels: tuple[Threshold, ...]  # the mildest first
    params: dict[str, Any] = field(default_factory=dict)
    requires: str = ""

    def level_for(self, measure: float | None) -> WarningLevel | None:
        """The most severe level whose threshold ``measure`` meets (None: no warning)."""
        if measure is None:
            return None
        compare = OPS[self.op]
        found = None
        for threshold in self.levels:
            if compare(measure, threshold.value):
                found = threshold.level
        return found

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    @property
    def waiting_for(self) -> str:
        """What data the rule waits for ("" when what it ``requires`` is kept)."""
        if not self.requires:
            return ""
        app, label = REQUIRES.get(self.requires, ("", self.requires))
        if app and apps.is_installed(app):
            return ""
        return str(label)


@dataclass(frozen=True)
class RuleBook:
    id: str
    name: str
    version: str
    rules: tuple[WarningRule, ...]
    source: str


def _levels(where: str, raw: Any) -> tuple[Threshold, ...]:
    if not isinstance(raw, list) or not raw:
        raise RuleBookError(f"{where}: levels must be a non-empty list")
    found = []
    for index, item in enumerate(raw, 1):
        try:
            level = WarningLevel(str(item["level"]))
            value = float(item["threshold"])
        except (KeyError, TypeError, ValueError) as error:
            raise RuleBookError(
                f"{where}: level {index} needs level (III/II/I) and a number threshold"
            ) from error
        found.append(Threshold(level, value))
    found.sort(key=lambda t: LEVEL_RANK[t.level])
    if len({t.level for t in found}) != len(found):
        raise RuleBookError(f"{where}: a level is given twice")
    return tuple(found)


_FIXED = {"id", "kind", "name", "text", "cites", "measure", "op", "levels", "version", "requires"}


def _rule(book_version: str, index: int, raw: Any) -> WarningRule:
    where = f"rule {index}"
    if not isinstance(raw, dict):
        raise RuleBookError(f"{where}: not a table")
    rule_id = str(raw.get("id") or "")
    where = f"rule {index} ({rule_id or '?'})"
    if not rule_id:
        raise RuleBookError(f"{where}: id is required")
    kind = str(raw.get("kind") or "")
    if kind not in KINDS:
        raise RuleBookError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    op = str(raw.get("op") or "")
    if op not in OPS:
        raise RuleBookError(f"{where}: op {op!r} is not one of {', '.join(OPS)}")
    cites = raw.get("cites") or []
    if not isinstance(cites, list) or not cites:
        raise RuleBookError(f"{where}: cites (the DOMAIN IDs it reads) is required")
    return WarningRule(
        id=rule_id,
        version=str(raw.get("version") or book_version),
        kind=kind,
        name=str(raw.get("name") or rule_id),
        text=str(raw.get("text") or ""),
        cites=tuple(str(c) for c in cites),
        measure=str(raw.get("measure") or ""),
        op=op,
        levels=_levels(where, raw.get("levels")),
        params={k: v for k, v in raw.items() if k not in _FIXED},
        requires=str(raw.get("requires") or ""),
    )


def load(path: Path) -> RuleBook:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RuleBookError(f"{path}: {error}") from error
    version = str(data.get("version") or "")
    if not version:
        raise RuleBookError(f"{path}: version is required")
    rules = tuple(_rule(version, i, raw) for i, raw in enumerate(data.get("rule") or [], 1))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RuleBookError(f"{path}: a rule id is used twice")
    return RuleBook(
        id=str(data.get("id") or path.stem),
        name=str(data.get("name") or ""),
        version=version,
        rules=rules,
        source=str(path),
    )


@cache
def _load_cached(path: str) -> RuleBook:
    return load(Path(path))


def rulebook() -> RuleBook:
    configured = getattr(settings, "JIUYE_WARNING_RULES", "") or str(DEFAULT_FILE)
    return _load_cached(configured)
