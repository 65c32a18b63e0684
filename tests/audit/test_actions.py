"""Every audit action code the code base writes has a label (``audit.actions``)."""

from __future__ import annotations

import re
from pathlib import Path

from jiuye.audit.actions import action_choices, action_label

SRC = Path(__file__).resolve().parents[2] / "src" / "jiuye"
ACTION = re.compile(r'\baction\s*=\s*"([^"]+)"(?:\s+if\s+[^\n]*?\s+else\s+"([^"]+)")?')
ARGPARSE = {"store_true", "store_false", "store", "append", "count", "store_const", "version"}
PATTERNS = [
    # audits.append(("zero_family.open", …)), _case_draft(actor, "zero_family.assign", …),
    # AuditDraft(actor, "export.persons", …): the action is the literal after the first argument
    (re.compile(r'audits\.append\(\(\s*"([^"]+)"'), ""),
    (re.compile(r'(?:_case_draft|AuditDraft)\(\s*[\w.]+,\s*"([^"]+)"'), ""),
    # constants: ID_SEARCH_ACTION = "person.search_id", OPEN_CHAIN = "audit.chain", …
    (re.compile(r'^(?:\w*_ACTION|OPEN_CHAIN|CHECKPOINT)\s*=\s*"([^"]+)"', re.M), ""),
    # reads: audit_read(…, what="person_list"), _shown(request, "worklist") (casework.views),
    # @paginate(AuditedPagination, what="persons") (api.<what>_list)
    (re.compile(r'audit_read\((?:[^()]|\([^()]*\))*?what=f?"([^"]+)"', re.S), "read."),
    (re.compile(r'_shown\(\s*request,\s*f?"([^"]+)"'), "read.casework."),
]


def written_codes() -> set[str]:
    codes: set[str] = set()
    for path in SRC.rglob("*.py"):
        if path.name == "actions.py" and path.parent.name == "audit":
            continue  # the labels themselves
        text = path.read_text(encoding="utf-8")
        # action="…", action = "…" if … else "…"
        for first, other in ACTION.findall(text):
            codes.update(c for c in (first, other) if c and c not in ARGPARSE)
        for pattern, prefix in PATTERNS:
            codes.update(prefix + code for code in pattern.findall(text))
        for what in re.findall(r'paginate\(\w+,\s*what="(\w+)"', text):
            codes.add(f"read.api.{what}_list")
    # an f-string's field stands for any name; those passed on (casework's _shown, the API's
    # pages) are found at their callers above
    passed = ("{what}", "{self.what}")
    return {re.sub(r"\{[^}]*\}", "x", code) for code in codes if not any(p in code for p in passed)}


def test_the_scan_finds_the_codes():
    codes = written_codes()
    assert len(codes) > 60
    for code in (
        "person.reveal",
        "zero_family.assign",
        "export.persons",
        "person.search_id",
        "read.person_list",
        "read.casework.worklist",
        "read.casework.ledger.x",
        "read.api.persons_list",
        "ledger.import_rejected",
        "audit.export",
    ):
        assert code in codes


def test_every_written_action_has_a_label():
    missing = sorted(code for code in written_codes() if action_label(code) == code)
    assert missing == []


def test_unknown_codes_fall_back_to_the_code():
    assert action_label("no.such.action") == "no.such.action"
    assert action_label("person.reveal") == "查看完整号码"
    assert action_label("read.casework.ledger.training") == "查看工作台账"


def test_choices_cover_the_labels():
    codes = {code for code, _label in action_choices()}
    assert "person.update" in codes and "read.casework.ledger." in codes
