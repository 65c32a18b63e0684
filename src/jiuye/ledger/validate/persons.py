"""The 人员 sheet: each ID number derived (birth date, sex, working-age bounds) by the registry's
one derivation, the person placed in a household of the file or the registry within the user's
scope; a registered person's blank cells keep their values; the ten-clears fields of the
optional extension columns go to ``casework.UnemployedProfile``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from stdnum.cn import ric

from jiuye.casework.models import UnemployedProfile
from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.fetch import P, fetch_by, table_empty
from jiuye.ledger.validate.idnumbers import STANDARD_ID, normalise_id
from jiuye.ledger.validate.plan import Counts
from jiuye.ledger.validate.rows import Rows
from jiuye.registry.models import Household, Person, Sex
from jiuye.registry.services import PERSON_EDITABLE

PROFILE_KEYS = ("family_situation", "training_need", "destination", "policies", "social_insurance")
# Person columns compared to tell an update from an unchanged row (the status cache and the
# district, which the loader keeps, aside).
COMPARED_PERSON = tuple(
    i
    for name, i in P.items()
    if name not in ("id", "current_status", "current_since", "current_registered", "district_id")
)
SHEET_KEYS = (
    "name",
    "household",
    "relation",
    "hukou_type",
    "phone",
    "able",
    "willing",
    "female_base",
    "education",
    "skill_level",
    "disabled",
    "veteran",
    "migrant_worker",
    "landless",
    "graduate_year",
    "poverty_labor",
    *PROFILE_KEYS,
    "job_intent",
    "certificates",
)
# 技能证书: certificates separated by 、 (other separators a worker may type are read as 、).
_CERTIFICATE_SEPARATORS = re.compile(r"\s*[、,，;；/]\s*")


def certificates_text(value: str) -> str:
    """The certificates of a cell as the registry keeps them: separated by 、, no blanks."""
    return "、".join(part for part in _CERTIFICATE_SEPARATORS.split(value) if part)


def check_persons(ctx: Context, rows: Rows, counts: Counts) -> None:
    ctx.persons_empty = table_empty(Person)
    c = {key: rows.col(key) for key in SHEET_KEYS}
    if rows.present("certificates"):
        c["certificates"] = [certificates_text(v) if v else v for v in c["certificates"]]
    ids, derived = _derive_ids(ctx, rows, c["female_base"])
    given = {key: rows.present(key) for key in c}
    first: dict[str, int] = {}
    for i, number in enumerate(ids):
        if number is None:
            continue
        j = first.get(number)
        if j is not None:
            rows.error(i, "duplicate_in_file", "id_number", number, first_row=rows.location(j)[1])
        else:
            first[number] = i
    ctx.person_rows = first
    existing = ctx.existing_persons(first)
    households, female_base = c["household"], c["female_base"]
    refs = _household_refs(ctx, {households[i] for i in first.values()})
    allowed: dict[str, bool] = {}
    bad = rows.bad
    fresh: list[int] = []
    known: list[int] = []
    for number, i in first.items():
        if i in bad:
            continue
        h = households[i]
        ref = refs[h]
        if ref[0] == "failed":
            rows.reference_failed(i, "household", "户", ctx.rows["households"], ref[1])
            continue
        if ref[0] == "unknown":
            rows.error(i, "unknown_household", "household", h, ref=h)
            continue
        ok = allowed.get(ref[1])
        if ok is None:
            ok = allowed[ref[1]] = ctx.scope.allows(ref[1])
        if not ok:
            rows.error(i, "out_of_scope", "household", h, what="户")
            continue
        fb = female_base[i]
        if fb and derived[i][2] != Sex.FEMALE:  # type: ignore[index]
            rows.error(i, "female_base_male", "female_base", fb)
            continue
        if number in existing:
            known.append(i)
        else:
            fresh.append(i)
    _insert_new_persons(ctx, fresh, derived, c, refs)
    counts.inserted += len(fresh)
    if known:
        _update_persons(ctx, rows, counts, known, ids, derived, c, given, existing)
    if any(given[k] for k in PROFILE_KEYS):
        _profiles(ctx, fresh, known, ids, c, given, existing)


def _derive_ids(
    ctx: Context, rows: Rows, female_base: Sequence[Any]
) -> tuple[list[str | None], list[tuple[Any, ...] | None]]:
    """The persons sheet's normalised ID numbers and derived fields (number, birth date,
    sex, 16th birthday, retirement day); None where the number is invalid (reported).

    The common case — a standard-form number whose key :class:`IdDeriver` has derived
    already — is inlined here: it runs a million times."""
    derive = ctx.deriver
    cache = derive.cache
    standard = STANDARD_ID.fullmatch
    check_digit = ric.calc_check_digit
    ids: list[str | None] = []
    derived: list[tuple[Any, ...] | None] = []
    for i, (cell, fb) in enumerate(zip(rows.raw_column("id_number"), female_base, strict=True)):
        if cell.__class__ is str and len(cell) == 18 and standard(cell):
            if check_digit(cell) == cell[17]:
                found = cache.get((cell[:14], cell[16] in "13579", fb == "50"))
                if found is not None and found.__class__ is tuple:
                    ids.append(cell)
                    derived.append((cell, *found[1:]))
                    continue
            text: str = cell
        else:
            text, problem = normalise_id(cell)
            if problem is not None:
                ctx.id_error(rows, i, cell, problem)
                ids.append(None)
                derived.append(None)
                continue
        result = derive(text, int(fb) if fb else None)
        if result.__class__ is not tuple:
            ctx.id_error(rows, i, cell, f"id_{result.code}")  # type: ignore[union-attr]
            ids.append(None)
            derived.append(None)
            continue
        ids.append(result[0])  # type: ignore[index]
        derived.append(result)  # type: ignore[arg-type]
    return ids, derived


def _household_refs(ctx: Context, numbers: Iterable[str]) -> dict[str, Any]:
    """Each household number → (id or None, location path, hukou) from the file or the
    registry, or ("failed", row index) / ("unknown",)."""
    refs: dict[str, Any] = {}
    wanted = set()
    for number in numbers:
        found = ctx.households.get(number)
        if found is not None:
            refs[number] = (found[0], found[3], ctx.household_hukou[number])
        elif number in ctx.household_rows:
            refs[number] = ("failed", ctx.household_rows[number])
        else:
            wanted.add(number)
    if wanted and not table_empty(Household):
        for number, pk, community_id, grid_id, hukou, dibao in fetch_by(
            Household,
            "number",
            wanted,
            ("number", "id", "community_id", "grid_id", "hukou_type", "dibao"),
        ):
            refs[number] = (pk, ctx.location(community_id, grid_id), hukou)
            ctx.db_household_ids[number] = pk
            ctx.household_dibao[number] = dibao
    for number in wanted:
        refs.setdefault(number, ("unknown",))
    return refs


def _insert_new_persons(
    ctx: Context,
    fresh: list[int],
    derived: list[tuple[Any, ...] | None],
    c: dict[str, list[Any]],
    refs: dict[str, Any],
) -> None:
    """Rows (PERSON_FIELDS) for persons new to the registry: blanks take the defaults (the
    household's id, community, grid and district are filled in by ``ledger.load``)."""
    names, households, relation, hukou = (
        c["name"],
        c["household"],
        c["relation"],
        c["hukou_type"],
    )
    phone, able, willing, fbase = c["phone"], c["able"], c["willing"], c["female_base"]
    education, skill = c["education"], c["skill_level"]
    disabled, veteran, migrant = c["disabled"], c["veteran"], c["migrant_worker"]
    landless, year, poverty = c["landless"], c["graduate_year"], c["poverty_labor"]
    intent, certificates = c["job_intent"], c["certificates"]
    people = ctx.people
    out = ctx.plan.persons_insert
    for i in fresh:
        number, birth, sex, work_from, retire_on = derived[i]  # type: ignore[misc]
        h = households[i]
        fb = fbase[i]
        row = [
            None,
            number,
            names[i],
            birth,
            sex,
            h,
            relation[i],
            hukou[i] or refs[h][2],
            phone[i],
            None,
            None,
            able[i] is not False,
            willing[i] is not False,
            int(fb) if fb else None,
            education[i],
            skill[i],
            disabled[i] is True,
            veteran[i] is True,
            migrant[i] is True,
            landless[i] is True,
            poverty[i] is True,
            year[i],
            work_from,
            retire_on,
            "",
            None,
            False,
            intent[i],
            certificates[i],
            None,  # the district: the household's, which the loader knows
        ]
        out.append(row)
        people[number] = row


def _update_persons(
    ctx: Context,
    rows: Rows,
    counts: Counts,
    known: list[int],
    ids: list[str | None],
    derived: list[tuple[Any, ...] | None],
    c: dict[str, list[Any]],
    given: dict[str, bool],
    existing: dict[str, tuple[Any, ...]],
) -> None:
    """Registry persons in the sheet: given cells override, blank ones keep the value."""
    old_household_numbers = dict(
        fetch_by(
            Household,
            "id",
            {existing[ids[i]][P["household_id"]] for i in known},  # type: ignore[index]
            ("id", "number"),
        )
    )
    editable = [(P[key], c[key]) for key in PERSON_EDITABLE if key != "name" and given.get(key)]
    for i in known:
        number = ids[i]
        assert number is not None
        old = existing[number]
        old_path = ctx.location(old[P["community_id"]], old[P["grid_id"]])
        if not ctx.scope.allows(old_path):
            rows.error(i, "registered_elsewhere", "id_number", number)
            ctx.plan.found_elsewhere.add(number)
            continue
        if old[P["name"]] != c["name"][i]:
            rows.error(i, "duplicate_registry", "name", c["name"][i], registered=old[P["name"]])
            continue
        new = list(old)
        for index, values in editable:
            value = values[i]
            if value is not None and value != "":
                new[index] = int(value) if index == P["female_base"] else value
        h = c["household"][i]
        new[P["household_id"]] = h
        _number, birth, sex, work_from, retire_on = derived[i]  # type: ignore[misc]
        new[P["birth_date"]], new[P["sex"]] = birth, sex
        new[P["work_from"]], new[P["retire_on"]] = work_from, retire_on
        if new[P["female_base"]] is not None and sex != Sex.FEMALE:
            rows.error(i, "female_base_male", "female_base", new[P["female_base"]])
            continue
        ctx.people[number] = new
        old_h = old_household_numbers.get(old[P["household_id"]])
        compare = list(old)
        compare[P["household_id"]] = old_h
        if all(new[k] == compare[k] for k in COMPARED_PERSON):
            counts.unchanged += 1
            continue
        ctx.plan.persons_update.append(new)
        counts.updated += 1
        moved = old_h != h
        if moved or any(new[P[k]] != old[P[k]] for k in ("able", "willing", "retire_on")):
            ctx.touch_household(h, None)
            if moved:
                ctx.plan.announce_ids.add(old[P["household_id"]])
                ctx.moved_into.add(h)


def _profiles(
    ctx: Context,
    fresh: list[int],
    known: list[int],
    ids: list[str | None],
    c: dict[str, list[Any]],
    given: dict[str, bool],
    existing: dict[str, tuple[Any, ...]],
) -> None:
    """The ten-clears fields (UnemployedProfile) given in the persons sheet."""
    plan = ctx.plan
    columns = [c[key] if given[key] else None for key in PROFILE_KEYS]
    blank = [""] * len(ids)
    values = list(zip(*(col if col is not None else blank for col in columns), strict=True))
    for i in fresh:
        if any(values[i]):
            plan.profiles_insert.append((ids[i], *values[i]))
    known = [i for i in known if (n := ids[i]) is not None and ctx.people[n][0]]
    if not known or table_empty(UnemployedProfile):
        for i in known:
            if any(values[i]):
                plan.profiles_insert.append((ids[i], *values[i]))
        return
    old = {
        row[0]: row
        for row in fetch_by(
            UnemployedProfile,
            "person_id",
            [existing[ids[i]][0] for i in known],  # type: ignore[index]
            ("person_id", "id", *PROFILE_KEYS),
        )
    }
    for i in known:
        previous = old.get(existing[ids[i]][0])  # type: ignore[index]
        if previous is None:
            if any(values[i]):
                plan.profiles_insert.append((ids[i], *values[i]))
            continue
        merged = tuple(v or before for v, before in zip(values[i], previous[2:], strict=True))
        if merged != tuple(previous[2:]):
            plan.profiles_update.append((previous[1], *merged))
