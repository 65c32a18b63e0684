"""The policy catalog (DOMAIN §9): data files citing the documents, read and checked here.

``policies/catalog/*.toml`` ships the policies of HD-2018 and 004 and the certification rewards
(DOMAIN §6); ``JIUYE_POLICIES_DIR`` may add or override files. A file holds

- ``[[parameter]]``: a dated parameter (the local minimum wage): its values, each from a date.
  A change is a new value from a new date, never an edit of an old one: a value's date may not
  repeat, and the value in force at a date is the latest one begun by then.
- ``[[policy]]``: ``id``, ``version``, ``name``, ``clause`` and ``quote`` (where the document
  says it), ``beneficiary`` (person, employer or unit), ``period`` (once, monthly, yearly),
  ``budget_line``, ``[policy.when]`` (the conditions on a person, ``policies.conditions``),
  ``[policy.heads]`` (an employer's or unit's qualifying persons: hires of the calendar year,
  contracts in force, public-welfare posts held, referrals that placed), ``[policy.amount]``
  and, for a loan, ``[policy.waiver]``.

Amounts (``[policy.amount]``, ``kind``):

- ``fixed``: ``amount`` yuan;
- ``parameter``: ``share`` × the parameter's value at the date (per head when the policy
  counts heads);
- ``per_head``: ``amount`` yuan per head;
- ``tiers``: by heads, the highest tier reached (``tiers = [[3, 10000], [6, 50000]]``);
- ``range``: the amount the application declares, within ``[min, max]`` (a loan);
- ``declared_share``: ``share`` of the amount the application declares (a tuition), at most
  ``max`` when given;
- ``reward``: the certification reward's own amount (``standards/rulesets``: never restated).

A broken file stops the program with its path and the reason (:class:`CatalogError`).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy

SHIPPED_DIR = Path(__file__).resolve().parent / "catalog"

BENEFICIARIES = ("person", "employer", "unit")
PERIODS = ("once", "monthly", "yearly")
AMOUNT_KINDS = ("fixed", "parameter", "per_head", "tiers", "range", "declared_share", "reward")
HEAD_SOURCES = ("hires", "contracts", "public_posts", "referral_hires", "certification")
PERIOD_WORDS = {
    "once": gettext_lazy("一次性"),
    "monthly": gettext_lazy("按月"),
    "yearly": gettext_lazy("按年"),
}


class CatalogError(Exception):
    pass


@dataclass(frozen=True)
class Parameter:
    id: str
    name: str
    unit: str
    values: tuple[tuple[date, Decimal], ...]  # (from, value), by date
    note: str = ""
    example: bool = False  # the documents set no amount: a placeholder the district replaces

    def value_on(self, on: date) -> tuple[date, Decimal] | None:
        """The value in force on ``on`` and the date it began (None before the first)."""
        found = None
        for since, value in self.values:
            if since <= on:
                found = (since, value)
        return found


@dataclass(frozen=True)
class Amount:
    kind: str
    amount: Decimal | None = None
    parameter: str | None = None
    share: Decimal = Decimal(1)
    tiers: tuple[tuple[int, Decimal], ...] = ()
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class Heads:
    source: str
    when: dict[str, Any] = field(default_factory=dict)  # conditions on each head (a person)
    local: bool = False  # the head lives in the employer's district (HD-2018: 地区)
    enterprises: bool = False  # only enterprises (企业: a USCC beginning 91), not committees
    min_term: int | None = None  # contracts: months
    max_term: int | None = None
    ruleset: str | None = None  # certification: the rule set whose rewards are paid


@dataclass(frozen=True)
class Policy:
    id: str
    version: int
    name: str
    document: str
    clause: str
    quote: str
    beneficiary: str
    period: str
    budget_line: str
    amount: Amount
    when: dict[str, Any]
    heads: Heads | None
    waiver: dict[str, Any] | None
    waiver_text: str
    attested: str  # what only evidence can show (the checker judges it); empty: nothing
    file: str
    digest: str

    def period_key(self, on: date) -> str:
        """The period ``on`` falls in: the entitlement's uniqueness key (DOMAIN §9)."""
        if self.period == "monthly":
            return f"{on.year:04d}-{on.month:02d}"
        if self.period == "yearly":
            return f"{on.year:04d}"
        return "once"

    @property
    def period_words(self) -> str:
        return str(PERIOD_WORDS[self.period])

    @property
    def computed(self) -> bool:
        """Whether the registry can list who is eligible (not for a policy that only evidence
        can decide, such as an incubation base's city title)."""
        return bool(self.when or self.heads)


def _where(path: str, what: str) -> str:
    return f"{path}: {what}"


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CatalogError(f"{where}: {value!r} is not a number")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise CatalogError(f"{where}: {value!r} is not a number") from None


def _parameter(raw: dict[str, Any], path: str) -> Parameter:
    where = _where(path, f"[[parameter]] {raw.get('id', '?')}")
    values = []
    for item in raw.get("values", []):
        since = item.get("from")
        if not isinstance(since, date):
            raise CatalogError(f"{where}: a value needs a date 'from'")
        values.append((since, _decimal(item.get("value"), where)))
    days = [d for d, _v in values]
    if not values or len(set(days)) != len(days):
        raise CatalogError(f"{where}: values need distinct dates (a change is a new date)")
    return Parameter(
        id=str(raw["id"]),
        name=str(raw.get("name", raw["id"])),
        unit=str(raw.get("unit", "元")),
        values=tuple(sorted(values)),
        note=str(raw.get("note", "")),
        example=bool(raw.get("example", False)),
    )


def _amount(raw: dict[str, Any], where: str) -> Amount:
    kind = raw.get("kind")
    if kind not in AMOUNT_KINDS:
        raise CatalogError(f"{where}: amount kind {kind!r} is not one of {AMOUNT_KINDS}")

    def num(key: str) -> Decimal | None:
        return _decimal(raw[key], f"{where} amount.{key}") if key in raw else None

    tiers = tuple((int(n), _decimal(a, f"{where} tiers")) for n, a in raw.get("tiers", []))
    amount = Amount(
        kind=kind,
        amount=num("amount"),
        parameter=raw.get("parameter"),
        share=num("share") or Decimal(1),
        tiers=tuple(sorted(tiers)),
        min=num("min"),
        max=num("max"),
    )
    needs = {
        "fixed": amount.amount is not None,
        "per_head": amount.amount is not None,
        "parameter": bool(amount.parameter),
        "tiers": bool(amount.tiers),
        "range": amount.min is not None and amount.max is not None,
        "declared_share": True,
        "reward": True,
    }
    if not needs[kind]:
        raise CatalogError(f"{where}: amount kind {kind!r} lacks its values")
    return amount


def _heads(raw: dict[str, Any], where: str) -> Heads:
    source = raw.get("source")
    if source not in HEAD_SOURCES:
        raise CatalogError(f"{where}: heads source {source!r} is not one of {HEAD_SOURCES}")
    return Heads(
        source=source,
        when=dict(raw.get("when", {})),
        local=bool(raw.get("local", False)),
        enterprises=bool(raw.get("enterprises", False)),
        min_term=raw.get("min_term"),
        max_term=raw.get("max_term"),
        ruleset=raw.get("ruleset"),
    )


def _policy(raw: dict[str, Any], path: str, document: str) -> Policy:
    from jiuye.policies import conditions  # the condition vocabulary checks its own keys

    pid = raw.get("id")
    where = _where(path, f"[[policy]] {pid or '?'}")
    for key in ("id", "version", "name", "clause", "beneficiary", "period", "budget_line"):
        if key not in raw:
            raise CatalogError(f"{where}: '{key}' is required")
    if raw["beneficiary"] not in BENEFICIARIES:
        raise CatalogError(f"{where}: beneficiary must be one of {BENEFICIARIES}")
    if raw["period"] not in PERIODS:
        raise CatalogError(f"{where}: period must be one of {PERIODS}")
    when = dict(raw.get("when", {}))
    heads = _heads(raw["heads"], where) if "heads" in raw else None
    if raw["beneficiary"] == "person" and heads is not None:
        raise CatalogError(f"{where}: a person's policy has no heads")
    if raw["beneficiary"] != "person" and when:
        raise CatalogError(f"{where}: an employer's or unit's conditions go in [policy.heads]")
    waiver = raw.get("waiver")
    for block in (when, heads.when if heads else {}, (waiver or {}).get("when", {})):
        try:
            conditions.parse(block)
        except ValueError as error:
            raise CatalogError(f"{where}: {error}") from None
    digest = hashlib.sha256(
        json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    return Policy(
        id=str(pid),
        version=int(raw["version"]),
        name=str(raw["name"]),
        document=document,
        clause=str(raw["clause"]),
        quote=str(raw.get("quote", "")),
        beneficiary=raw["beneficiary"],
        period=raw["period"],
        budget_line=str(raw["budget_line"]),
        amount=_amount(raw.get("amount", {}), where),
        when=when,
        heads=heads,
        waiver=dict(waiver["when"]) if waiver else None,
        waiver_text=str((waiver or {}).get("text", "")),
        attested=str(raw.get("attested", "")),
        file=Path(path).name,
        digest=digest,
    )


@dataclass(frozen=True)
class Catalog:
    policies: dict[str, Policy]
    parameters: dict[str, Parameter]
    documents: dict[str, str]  # document id → title


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{path}: {error}") from None


def _directories() -> tuple[str, ...]:
    dirs = [str(SHIPPED_DIR)]
    extra = getattr(settings, "JIUYE_POLICIES_DIR", "")
    if extra:
        dirs.append(str(extra))
    return tuple(dirs)


@lru_cache(maxsize=4)
def _load(directories: tuple[str, ...]) -> Catalog:
    policies: dict[str, Policy] = {}
    parameters: dict[str, Parameter] = {}
    documents: dict[str, str] = {}
    for directory in directories:
        for file in sorted(Path(directory).glob("*.toml")) if Path(directory).is_dir() else []:
            data = _read(file)
            document = str(data.get("document", file.stem))
            documents[document] = str(data.get("title", document))
            for raw in data.get("parameter", []):
                parameter = _parameter(raw, str(file))
                parameters[parameter.id] = parameter
            for raw in data.get("policy", []):
                policy = _policy(raw, str(file), document)
                policies[policy.id] = policy
    for policy in policies.values():
        name = policy.amount.parameter
        if name and name not in parameters:
            raise CatalogError(f"{policy.file}: {policy.id}: unknown parameter {name!r}")
        if policy.amount.kind == "reward" and not (policy.heads and policy.heads.ruleset):
            raise CatalogError(f"{policy.file}: {policy.id}: a reward names its rule set")
    return Catalog(policies, parameters, documents)


def catalog() -> Catalog:
    return _load(_directories())


def policies() -> dict[str, Policy]:
    """Every policy by id, in the files' order."""
    return catalog().policies


def parameters() -> dict[str, Parameter]:
    return catalog().parameters


class UnknownPolicy(KeyError):
    pass


def policy_get(policy_id: str) -> Policy:
    found = policies()
    key = (policy_id or "").strip().upper()
    for pid, policy in found.items():
        if pid.upper() == key:
            return policy
    raise UnknownPolicy(policy_id)


def clear_cache() -> None:
    _load.cache_clear()
