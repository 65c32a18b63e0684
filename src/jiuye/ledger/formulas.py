"""Text in CSV files that a spreadsheet would take for a formula (issue 11, finding 9: CSV, or
formula, injection).

A spreadsheet opening a CSV file computes a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and some strip a leading tab or carriage return first): ``=HYPERLINK(…)`` typed into a
resident's note becomes a link that sends data away once the export is opened. So every text
cell written to a CSV file that starts with one of them gets a leading apostrophe (the OWASP
advice: spreadsheets show such a cell as text, without the apostrophe). A cell that already
starts with apostrophes before one of them gets one more, so the change can be undone exactly:
reading a CSV file, the importer takes one apostrophe off a cell that starts with apostrophes
before one of those characters (:func:`restore`). Our CSV export imports back to the values it
was made from, and exporting again gives the same bytes. Numbers and dates are written as
numbers and dates, never changed; an .xlsx cell is typed text (``ledger.xlsx`` writes no
formula at all), so workbooks need none of this.

Only CSV cells: :func:`neutralise` is applied where CSV rows are written, to every text cell.
"""

from __future__ import annotations

import re

# First characters that make a spreadsheet compute a cell (or hide one that does), and the
# apostrophe that marks a cell we changed.
FORMULA_FIRST = frozenset("=+-@\t\r'")  # a cell starting otherwise is left as it is
_FORMULA_START = re.compile("'*[=+\\-@\t\r]")
# A CSV text holding a cell that :func:`restore` would change ("'" before one of them).
_MARKED = re.compile("'+[=+\\-@\t\r]")


def neutralise(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text."""
    if text[:1] in FORMULA_FIRST and _FORMULA_START.match(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The value :func:`neutralise` was given for a cell it wrote."""
    if text[:1] == "'" and _FORMULA_START.match(text, 1):
        return text[1:]
    return text


def may_need_restoring(text: str) -> bool:
    """Whether a CSV file's text has any cell :func:`restore` would change (a quick search of the
    whole text, so that the cells of most files need not be looked at one by one)."""
    return "'" in text and _MARKED.search(text) is not None
