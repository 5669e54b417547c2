"""Message translation through gettext; `_` is used for every user-facing string."""

from __future__ import annotations

import gettext
import locale
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "lvyue"
SUPPORTED = ("en", "zh-CN")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def normalize_language(tag: str | None) -> str:
    """Map a language tag or POSIX locale (zh_CN.UTF-8, zh-cn, en_US) to en or zh-CN."""
    if not tag:
        return "en"
    tag = tag.split(".")[0].replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-CN"
    return "en"


def detect_language() -> str:
    """Choose the language from LVYUE_LANG, then LANGUAGE, LC_ALL, LC_MESSAGES and LANG."""
    for name in ("LVYUE_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return normalize_language(value.split(":")[0])
    try:
        current = locale.getlocale(locale.LC_MESSAGES)[0]
    except (ValueError, AttributeError):
        current = None
    return normalize_language(current)


def set_language(tag: str | None) -> str:
    """Install the catalog for `tag` (en or zh-CN) and return the normalized tag."""
    global _translation, _language
    _language = normalize_language(tag)
    catalog = _language.replace("-", "_")
    _translation = gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[catalog], fallback=True
    )
    _route_click_messages(catalog)
    return _language


def _route_click_messages(catalog: str) -> None:
    """Let click's own texts (Usage:, Options, errors) use this catalog and language.

    Click calls the standard gettext.gettext, which reads the current domain and
    takes the language from LANGUAGE, so both are set for this process.
    """
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = catalog


def current_language() -> str:
    return _language


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translation.ngettext(singular, plural, count)


def label(texts: dict[str, str] | None, fallback: str = "") -> str:
    """Pick the current language's text from a bilingual label mapping."""
    if not texts:
        return fallback
    return texts.get(_language) or texts.get("en") or fallback


set_language(detect_language())
