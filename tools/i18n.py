"""Maintain the gettext catalogs under engine/locale/ (domain `lvyue`).

    python tools/i18n.py update   # extract msgids, merge translations, write .po and .mo
    python tools/i18n.py check    # exit 1 if a msgid lacks a zh_CN translation or .mo is stale

Translations come from the existing zh_CN catalog first, then from fragments
in engine/locale/pending/*.po (msgid/msgstr pairs written alongside new code).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "engine" / "locale"
DOMAIN = "lvyue"
# N_ marks texts translated later into every language at once (engine/labels.py).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def extract() -> list[str]:
    """Collect every msgid marked with _(), N_() or ngettext() under engine/, sorted."""
    found: set[str] = set()
    for folder in (ROOT / "engine",):
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(folder), method_map=[("**.py", "python")], keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return sorted(m for m in found if m)


def _read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.string}


def known_translations() -> dict[str, str]:
    translations: dict[str, str] = {}
    for fragment in sorted((LOCALE / "pending").glob("*.po")):
        translations.update(_read(fragment))
    translations.update(_read(LOCALE / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.po"))
    return translations


def build(locale: str, msgids: list[str], translations: dict[str, str]) -> Catalog:
    catalog = Catalog(locale=locale, domain=DOMAIN, project="Lvyue", version="0.1",
                      charset="utf-8", fuzzy=False)
    for msgid in msgids:
        catalog.add(msgid, translations.get(msgid, "") if locale == "zh_CN" else "")
    return catalog


def render(catalog: Catalog) -> tuple[bytes, bytes]:
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(po, catalog, width=100, omit_header=False, sort_output=True,
             include_previous=False, no_location=True)
    write_mo(mo, catalog)
    return po.getvalue(), mo.getvalue()


def problems(msgids: list[str], translations: dict[str, str]) -> list[str]:
    found = []
    for msgid in msgids:
        text = translations.get(msgid)
        if not text:
            found.append(f"untranslated: {msgid!r}")
        elif sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text)):
            found.append(f"placeholders differ: {msgid!r} -> {text!r}")
    return found


def _strip_date(po: bytes) -> bytes:
    return re.sub(rb'"POT-Creation-Date: [^"]*"\n', b"", po)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    msgids = extract()
    translations = known_translations()
    outputs = {}
    for locale in ("zh_CN", "en"):
        folder = LOCALE / locale / "LC_MESSAGES"
        outputs[folder] = render(build(locale, msgids, translations))
    if command == "update":
        for folder, (po, mo) in outputs.items():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{DOMAIN}.po").write_bytes(po)
            (folder / f"{DOMAIN}.mo").write_bytes(mo)
    stale = [str(folder) for folder, (po, mo) in outputs.items()
             if not (folder / f"{DOMAIN}.mo").exists()
             or _strip_date((folder / f"{DOMAIN}.po").read_bytes()) != _strip_date(po)]
    found = problems(msgids, translations)
    for line in found:
        print(line)
    for folder in stale:
        print(f"stale catalog (run python tools/i18n.py update): {folder}")
    print(f"{len(msgids)} msgids, {len(found)} problems")
    return 1 if found or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
