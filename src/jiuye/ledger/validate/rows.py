"""One sheet's rows being validated: the converted columns, the rows that failed, and the located
issues reported for them (a cell's own problem, a rule check's :class:`Problem`, a reference to a
failed row of another sheet)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jiuye.ledger import cells
from jiuye.ledger.columns import Kind, Sheet
from jiuye.ledger.issues import Issue, issue_from_problem, make_issue
from jiuye.ledger.readers import RawSheet
from jiuye.lib.problems import Problem

_NOT_GIVEN = object()


class Rows:
    """A sheet being validated: converted columns, the rows that failed, issue reporting."""

    def __init__(self, raw: RawSheet | None, sheet: Sheet, issues: list[Issue]) -> None:
        self.raw = raw
        self.sheet = sheet
        self.n = raw.length if raw else 0
        self.bad: set[int] = set()
        self.issues = issues
        self._columns: dict[str, list[Any]] = {}
        self._flagged: set[tuple[int, str]] = set()

    def present(self, key: str) -> bool:
        return self.raw is not None and key in self.raw.columns

    def location(self, i: int) -> tuple[str, int]:
        assert self.raw is not None
        return self.raw.locate(i)

    def header(self, key: str) -> str:
        """The column's header as the file has it (the contract's name if it is absent)."""
        if not key:
            return ""
        return self.raw.header(key) if self.raw is not None else self.sheet.column(key).zh

    def _failed(self, i: int, key: str) -> None:
        self.bad.add(i)
        self._flagged.add((i, key))

    def error(self, i: int, code: str, key: str = "", value: Any = None, **params: Any) -> None:
        """Row ``i`` fails with the ledger's own issue ``code`` (``issues.MESSAGES``)."""
        name, row = self.location(i)
        self.issues.append(
            make_issue(code, sheet=name, row=row, column=self.header(key), value=value, **params)
        )
        self._failed(i, key)

    def problem(self, i: int, problem: Problem, value: Any = _NOT_GIVEN) -> None:
        """Row ``i`` fails a rule check (``registry.checks``, ``casework.checks``): the issue has
        the check's code and words, located at the column of the problem's field (the checks
        name fields as the sheet's column keys). ``value`` defaults to the row's cell there."""
        key = problem.field if problem.field in self.sheet.by_key else ""
        if value is _NOT_GIVEN:
            value = self.shown(key, i) if key else None
        name, row = self.location(i)
        self.issues.append(
            issue_from_problem(problem, sheet=name, row=row, column=self.header(key), value=value)
        )
        self._failed(i, key)

    def shown(self, key: str, i: int) -> Any:
        """Row ``i``'s value of column ``key`` as the workbook writes it (a label for a yes/no
        or an enumeration)."""
        value = self.col(key)[i]
        column = self.sheet.column(key)
        if value is None or value == "":
            return value
        if column.kind == Kind.BOOL:
            yes, no = column.labels[:2]
            return yes if value else no
        if column.kind == Kind.ENUM:
            return column.label_of(str(value))
        return value

    def raw_column(self, key: str) -> Sequence[Any]:
        if self.raw is None or key not in self.raw.columns:
            return ("",) * self.n
        return self.raw.columns[key]

    def col(self, key: str) -> list[Any]:
        """The converted column (blank text "", other blanks None)."""
        if key in self._columns:
            return self._columns[key]
        column = self.sheet.column(key)
        if not self.present(key):
            blank: Any = "" if column.kind in (Kind.TEXT, Kind.CODE, Kind.PHONE) else None
            values = [blank] * self.n
        else:

            def error(i: int, code: str, value: Any = None, **params: Any) -> None:
                self.error(i, code, key, value, **params)

            values = cells.CONVERTERS[column.kind](self.raw_column(key), column, error)
            if column.required and (None in values or "" in values):
                for i in [i for i, v in enumerate(values) if v is None or v == ""]:
                    if (i, key) not in self._flagged:
                        self.error(i, "required", key)
        self._columns[key] = values
        return values

    def reference_failed(self, i: int, key: str, what: str, other: Rows, j: int) -> None:
        name, row = other.location(j)
        self.error(
            i,
            "depends_on_failed_row",
            key,
            self.raw_column(key)[i],
            what=what,
            other_sheet=name,
            other_row=row,
        )
