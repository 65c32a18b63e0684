"""Rule sets are data: ``rulesets/*.toml`` here, plus any ``*.toml`` in ``JIUYE_RULESETS_DIR``
(a district adds its own rule set without code; a file there with a shipped id replaces it).

A rule set file::

    id = "HD-2012"
    name = "…"
    [level.community]                 # one table per level
    name = "充分就业社区（村）"
    units = ["community", "village"]  # unit levels it applies to
    extends = "community"             # optional: this level's criteria and checklist first
    [[level.community.criteria]]
    id = "HD-C1"                      # unique within the level
    rule = "HD-C1"                    # the DOMAIN.md rule ID it implements
    indicator = "employment_rate"     # see standards.indicators
    op = ">="                         # >=, <=, =, >, <
    threshold = 0.90
    [[level.community.checklist]]     # what no data decides: ticked by a reviewer
    id = "HD-D1"
    text = "…"
    [level.community.score]           # optional: a points table (see standards.scoring)

Errors name the file and the entry; a broken file is refused as a whole.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from jiuye.standards.indicators import INDICATORS
from jiuye.standards.rules import OPS, ChecklistItem, Criterion, Level, threshold_fraction
from jiuye.standards.scoring import parse_table
from jiuye.units.models import Level as UnitLevel

SHIPPED_DIR = Path(__file__).resolve().parent / "rulesets"


class RuleSetError(ValueError):
    """A rule set file that cannot be used."""


@dataclass(frozen=True)
class RuleSet:
    id: str
    name: str
    levels: dict[str, Level]
    issuer: str = ""
    source: str = ""
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The file's ``version`` (what its authors call this edition) and a hash of its content
    # (what a certification's snapshot was judged by; a changed threshold changes it).
    version: str = "1"
    digest: str = ""

    def level(self, key: str) -> Level:
        try:
            return self.levels[key]
        except KeyError:
            raise RuleSetError(f"{self.id} has no level {key!r}") from None

    def levels_for(self, unit_level: str) -> list[Level]:
        """The levels that apply to a unit of ``unit_level``, in file order."""
        return [lv for lv in self.levels.values() if unit_level in lv.units]

    def default_level(self, unit_level: str) -> Level | None:
        found = self.levels_for(unit_level)
        return found[0] if found else None


def _criterion(where: str, raw: Mapping[str, Any]) -> Criterion:
    try:
        cid = str(raw["id"])
        indicator = str(raw["indicator"])
        op = raw["op"]
        threshold = threshold_fraction(raw["threshold"])
    except (KeyError, ValueError) as error:
        raise RuleSetError(f"{where}: criterion {raw.get('id', '?')}: {error}") from None
    if indicator not in INDICATORS:
        raise RuleSetError(f"{where}: {cid}: unknown indicator {indicator!r}")
    if op not in OPS:
        raise RuleSetError(f"{where}: {cid}: unknown operator {op!r}")
    kind = INDICATORS[indicator].kind
    if kind == "ratio" and not 0 <= threshold <= 1:
        raise RuleSetError(f"{where}: {cid}: a rate's threshold must lie in [0, 1]")
    if kind != "ratio" and threshold.denominator != 1:
        raise RuleSetError(f"{where}: {cid}: a count's threshold must be a whole number")
    return Criterion(
        id=cid,
        indicator=indicator,
        op=op,
        threshold=threshold,
        rule=str(raw.get("rule", cid)),
        clause=str(raw.get("clause", "")),
        text=str(raw.get("text", "")),
        info=INDICATORS[indicator],
    )


def _checklist(where: str, raw: Mapping[str, Any]) -> ChecklistItem:
    if "id" not in raw or not str(raw.get("text", "")).strip():
        raise RuleSetError(f"{where}: a checklist item needs an id and a text")
    return ChecklistItem(
        id=str(raw["id"]),
        text=str(raw["text"]),
        rule=str(raw.get("rule", raw["id"])),
        clause=str(raw.get("clause", "")),
    )


def parse(data: Mapping[str, Any], *, path: str = "") -> RuleSet:
    """A :class:`RuleSet` from the parsed TOML of one file."""
    where = path or str(data.get("id", "?"))
    if not isinstance(data.get("id"), str) or not data["id"].strip():
        raise RuleSetError(f"{where}: the rule set needs an id")
    raw_levels = data.get("level")
    if not isinstance(raw_levels, dict) or not raw_levels:
        raise RuleSetError(f"{where}: the rule set has no [level.*] tables")
    unit_levels = set(UnitLevel.values)
    levels: dict[str, Level] = {}
    for key, raw in raw_levels.items():
        here = f"{where} [level.{key}]"
        units = tuple(raw.get("units", ()))
        if not units or not set(units) <= unit_levels:
            raise RuleSetError(f"{here}: units must be some of {sorted(unit_levels)}")
        criteria = [_criterion(here, c) for c in raw.get("criteria", [])]
        checklist = [_checklist(here, c) for c in raw.get("checklist", [])]
        base = raw.get("extends")
        if base:
            if base not in levels:
                raise RuleSetError(f"{here}: extends {base!r}, which must come before it")
            criteria = [*levels[base].criteria, *criteria]
            checklist = [*levels[base].checklist, *checklist]
        score = None
        if "score" in raw:
            try:
                score = parse_table(raw["score"], known_indicators=set(INDICATORS))
            except (KeyError, ValueError) as error:
                raise RuleSetError(f"{here} score: {error}") from None
        ids = [c.id for c in criteria] + [c.id for c in checklist]
        if score is not None:
            ids += score.checklist_ids()
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RuleSetError(f"{here}: duplicate ids {duplicates}")
        levels[key] = Level(
            key=key,
            name=str(raw.get("name", key)),
            units=units,
            criteria=tuple(criteria),
            checklist=tuple(checklist),
            score=score,
            certify=bool(raw.get("certify", True)),
        )
    known = {"id", "name", "issuer", "source", "level", "version"}
    levels = _pass_marks(data["id"].strip(), levels)
    return RuleSet(
        id=data["id"].strip(),
        name=str(data.get("name", data["id"])),
        levels=levels,
        issuer=str(data.get("issuer", "")),
        source=str(data.get("source", "")),
        path=path,
        extra={k: v for k, v in data.items() if k not in known},
        version=str(data.get("version", "1")),
        digest=content_digest(data),
    )


def content_digest(data: Mapping[str, Any]) -> str:
    """SHA-256 of the parsed content (comments and layout do not count), with the pass marks
    the settings give: what decides an evaluation."""
    marks = sorted(getattr(settings, "JIUYE_PASS_MARKS", []))
    text = json.dumps([data, marks], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _pass_marks(ruleset_id: str, levels: dict[str, Level]) -> dict[str, Level]:
    """The score tables' pass mark from ``JIUYE_PASS_MARKS`` ("QG-2016=85"; empty after the
    "=": none) where it names this rule set."""
    for entry in getattr(settings, "JIUYE_PASS_MARKS", []):
        key, _sep, mark = entry.partition("=")
        if key.strip().lower() != ruleset_id.lower():
            continue
        try:
            value = int(mark) if mark.strip() else None
        except ValueError:
            raise RuleSetError(f"JIUYE_PASS_MARKS: {entry!r} is not a whole number") from None
        levels = {
            k: replace(lv, score=replace(lv.score, pass_mark=value)) if lv.score else lv
            for k, lv in levels.items()
        }
    return levels


def load_file(path: Path) -> RuleSet:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RuleSetError(f"{path}: {error}") from None
    return parse(data, path=str(path))


def _directories() -> list[Path]:
    dirs = [SHIPPED_DIR]
    extra = getattr(settings, "JIUYE_RULESETS_DIR", "")
    if extra:
        dirs.append(Path(extra))
    return dirs


@lru_cache(maxsize=4)
def _load(directories: tuple[str, ...]) -> dict[str, RuleSet]:
    found: dict[str, RuleSet] = {}
    for directory in directories:
        path = Path(directory)
        if not path.is_dir():
            continue
        for file in sorted(path.glob("*.toml")):
            ruleset = load_file(file)
            found[ruleset.id] = ruleset
    return found


def rulesets() -> dict[str, RuleSet]:
    """Every rule set by id: the shipped ones, then those of ``JIUYE_RULESETS_DIR``."""
    return _load(tuple(str(d) for d in _directories()))


def ruleset_get(ruleset_id: str) -> RuleSet:
    found = rulesets()
    for key, ruleset in found.items():
        if key.lower() == ruleset_id.strip().lower():
            return ruleset
    raise RuleSetError(f"unknown rule set {ruleset_id!r}; known: {', '.join(sorted(found))}")


def clear_cache() -> None:
    _load.cache_clear()
