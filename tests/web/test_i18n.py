"""The English catalog: complete, compiled, and used for the model labels."""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any

from django.utils import translation

import jiuye

LOCALE = Path(jiuye.__file__).parent / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "en" / "LC_MESSAGES" / "django.mo"


def _entries() -> list[dict[str, Any]]:
    """(msgctxt, msgid, msgstr(s), flags) of each entry of the .po (a small reader)."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, Any] = {"flags": "", "msgstr": []}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                fields["flags"] = line
            elif line.startswith("#"):
                continue
            elif m := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line):
                key = "msgstr" if m.group(1).startswith("msgstr") else m.group(1)
                if key == "msgstr":
                    fields["msgstr"].append(m.group(2))
                else:
                    fields[key] = m.group(2)
            elif line.startswith('"') and key:
                if key == "msgstr":
                    fields["msgstr"][-1] += line[1:-1]
                else:
                    fields[key] += line[1:-1]
        if fields.get("msgid"):
            entries.append(fields)
    return entries


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    entries = _entries()
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalog_matches_the_po() -> None:
    """CI does not recompile: the committed .mo must hold every translation of the .po."""
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    stale = []
    for e in _entries():
        if "msgid_plural" in e:
            continue
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        expected = e["msgstr"][0].encode().decode("unicode_escape").encode("latin-1").decode()
        if catalog._catalog.get(key) != expected:  # type: ignore[attr-defined]
            stale.append(e["msgid"])
    assert stale == [], "run compilemessages (see the .po header)"


def test_model_labels_translate() -> None:
    from jiuye.registry.models import Person, Status
    from jiuye.units.models import Level

    with translation.override("en"):
        assert str(Status.UNEMPLOYED.label) == "Unemployed"
        assert str(Level.COMMUNITY.label) == "Community"
        assert str(Person._meta.get_field("id_number").verbose_name) == "Resident ID number"
    with translation.override("zh-hans"):
        assert str(Status.UNEMPLOYED.label) == "失业"
