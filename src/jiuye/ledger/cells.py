"""Cell conversion, one column at a time.

Validating a million-row sheet cell by cell through one generic function costs a function
call and a type dispatch per cell; here each column kind has its own converter whose common case
is a comprehension over the column (a dict lookup for an enumeration, ``str.strip`` for text,
the ``date`` class check for a date) and only unusual cells take the slow path. A converter
returns the column's values (``""`` for blank text, ``None`` for any other blank) and reports
bad cells through ``error(index, code, value, **params)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from jiuye.ledger.columns import EXCEL_MAX_CELL, Column, Kind, fold

ErrorFn = Callable[..., None]
EPOCH = date(1899, 12, 30)
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
_DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_DATE_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_PHONE = re.compile(r"^[0-9+\-() ]+$")


def to_text(value: Any) -> str:
    """A non-text cell as the text a worker would expect to see."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _too_long(error: ErrorFn, i: int, text: str, limit: int) -> None:
    if len(text) > EXCEL_MAX_CELL:
        error(i, "cell_too_long", text, length=len(text), limit=EXCEL_MAX_CELL)
    else:
        error(i, "too_long", text, length=len(text), limit=limit)


def text(values: Sequence[Any], column: Column, error: ErrorFn) -> list[str]:
    try:
        out = list(map(str.strip, values))  # all text: the C loop
    except TypeError:
        out = [v.strip() if v.__class__ is str else to_text(v) for v in values]
    limit = column.max_length
    if out and max(map(len, out)) > limit:
        for i in [i for i, s in enumerate(out) if len(s) > limit]:
            _too_long(error, i, out[i], limit)
            out[i] = ""
    if column.kind == Kind.CODE:
        for i in [i for i, s in enumerate(out) if s and not s.isalnum()]:
            error(i, "code", out[i])
            out[i] = ""
    return out


def phone(values: Sequence[Any], column: Column, error: ErrorFn) -> list[str]:
    out = text(values, column, error)
    for i, s in enumerate(out):
        if s and not _PHONE.match(s):
            error(i, "phone_masked" if "*" in s else "phone", s)
            out[i] = ""
    return out


def _mapping(column: Column) -> dict[Any, str]:
    mapping: dict[Any, str] = {}
    for label, value in column.choices:
        mapping[label] = value
        mapping[fold(label)] = value
    return mapping


def _allowed(column: Column) -> str:
    return "、".join(column.labels)


def enum(values: Sequence[Any], column: Column, error: ErrorFn) -> list[str | None]:
    mapping = _mapping(column)
    get = mapping.get
    try:
        out: list[str | None] = list(map(get, values))
    except TypeError:  # an unhashable cell value cannot be a label
        out = [get(v) if v.__class__ is str else None for v in values]
    if None not in out:
        return out
    for i in [i for i, v in enumerate(out) if v is None]:
        raw = values[i]
        if raw is None or (raw.__class__ is str and not raw.strip()):
            continue
        found = get(fold(to_text(raw)))
        if found is not None:
            out[i] = found
        elif raw.__class__ is str and len(raw) > EXCEL_MAX_CELL:
            _too_long(error, i, raw, EXCEL_MAX_CELL)
        else:
            error(i, "enum", raw, allowed=_allowed(column))
    return out


def boolean(values: Sequence[Any], column: Column, error: ErrorFn) -> list[bool | None]:
    mapping = {key: value == "1" for key, value in _mapping(column).items()}
    get = mapping.get
    try:
        out: list[bool | None] = list(map(get, values))
    except TypeError:
        out = [get(v) if v.__class__ is str else None for v in values]
    if None not in out:
        return out
    yes, no = column.labels[:2]
    for i in [i for i, v in enumerate(out) if v is None]:
        raw = values[i]
        if raw is None or (raw.__class__ is str and not raw.strip()):
            continue
        if raw.__class__ is bool:
            out[i] = raw
            continue
        found = get(fold(to_text(raw)))
        if found is not None:
            out[i] = found
        elif raw.__class__ is str and len(raw) > EXCEL_MAX_CELL:
            _too_long(error, i, raw, EXCEL_MAX_CELL)
        else:
            error(i, "bool", raw, yes=yes, no=no)
    return out


def parse_date(raw: Any) -> date | str | None:
    """A date, None for blank, or an error code."""
    cls = raw.__class__
    if cls is date:
        day = raw
    elif cls is datetime:
        day = raw.date()
    elif cls is str:
        s = raw.strip()
        if not s:
            return None
        try:
            if len(s) == 10 and s[4] == "-" and s[7] == "-":
                day = date.fromisoformat(s)
            else:
                match = _DATE_TEXT.match(s) or _DATE_COMPACT.match(s)
                if match is None:
                    if s.replace(".", "", 1).isdigit():
                        return parse_date(float(s))
                    return "date"
                day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return "date"
    elif cls is float or cls is int:
        if not 1 <= raw < 2958466 or (cls is float and not raw.is_integer()):
            return "date"
        day = EPOCH + timedelta(days=int(raw))
    elif raw is None:
        return None
    else:
        return "date"
    if not MIN_DATE <= day <= MAX_DATE:
        return "date_range"
    return day


def _fast_dates(values: Sequence[Any]) -> list[Any] | None:
    """Every cell an Excel date, or every cell ISO text, all in range: the common case, at C
    speed (``map`` over built-ins)."""
    if not values:
        return []
    kinds = set(map(type, values))
    if kinds == {date}:
        out = list(values)
    elif kinds == {str} and set(map(len, values)) == {10}:
        try:
            out = list(map(date.fromisoformat, values))
        except ValueError:
            return None
    else:
        return None
    if min(out) < MIN_DATE or max(out) > MAX_DATE:
        return None
    return out


def dates(values: Sequence[Any], column: Column, error: ErrorFn) -> list[date | None]:
    fast = _fast_dates(values)
    if fast is not None:
        return fast
    out: list[Any] = [v if v.__class__ is date else parse_date(v) for v in values]
    for i in [i for i, v in enumerate(out) if v.__class__ is str]:
        code = out[i]
        raw = values[i]
        if raw.__class__ is str and len(raw) > EXCEL_MAX_CELL:
            _too_long(error, i, raw, EXCEL_MAX_CELL)
        else:
            error(i, code, raw)
        out[i] = None
    for i in [i for i, v in enumerate(out) if v is not None and not MIN_DATE <= v <= MAX_DATE]:
        error(i, "date_range", values[i])
        out[i] = None
    return out


def _by_value(values: Sequence[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """Convert each distinct value once (a year or an amount column repeats a few values)."""
    try:
        distinct = set(values)
    except TypeError:
        return [convert(v) for v in values]
    table = {v: convert(v) for v in distinct}
    return list(map(table.__getitem__, values))


_BAD = object()


def integer(values: Sequence[Any], column: Column, error: ErrorFn) -> list[int | None]:
    low = column.minimum if column.minimum is not None else -(10**9)
    high = column.maximum if column.maximum is not None else 10**9

    def convert(raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        try:
            number = float(to_text(raw)) if raw.__class__ is str else float(raw)
        except (TypeError, ValueError):
            return _BAD
        return int(number) if number.is_integer() and low <= number <= high else _BAD

    out = _by_value(values, convert)
    if _BAD in out:
        for i in [i for i, v in enumerate(out) if v is _BAD]:
            raw = values[i]
            if raw.__class__ is str and len(raw) > EXCEL_MAX_CELL:
                _too_long(error, i, raw, EXCEL_MAX_CELL)
            else:
                error(i, "int", raw, minimum=low, maximum=high)
            out[i] = None
    return out


CENT = Decimal("0.01")


def decimal(values: Sequence[Any], column: Column, error: ErrorFn) -> list[Decimal | None]:
    def convert(raw: Any) -> Any:
        if raw is None or (raw.__class__ is str and not raw.strip()):
            return None
        try:
            amount = Decimal(to_text(raw).replace(",", "")).quantize(CENT)
        except (InvalidOperation, ValueError):
            return _BAD
        return amount if 0 <= amount < Decimal("1e10") else _BAD

    out = _by_value(values, convert)
    if _BAD in out:
        for i in [i for i, v in enumerate(out) if v is _BAD]:
            raw = values[i]
            if raw.__class__ is str and len(raw) > EXCEL_MAX_CELL:
                _too_long(error, i, raw, EXCEL_MAX_CELL)
            else:
                error(i, "decimal", raw)
            out[i] = None
    return out


CONVERTERS: dict[Kind, Callable[[Sequence[Any], Column, ErrorFn], list[Any]]] = {
    Kind.TEXT: text,
    Kind.CODE: text,
    Kind.PHONE: phone,
    Kind.ENUM: enum,
    Kind.BOOL: boolean,
    Kind.DATE: dates,
    Kind.INT: integer,
    Kind.DECIMAL: decimal,
}
