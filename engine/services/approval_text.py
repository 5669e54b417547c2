"""Texts stored in both languages, such as task titles and notification subjects.

Stored texts are read later by people in either language, so each is kept as a
label {"en": ..., "zh-CN": ...} translated through the gettext catalog of each
language rather than the language of the command that wrote it.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from typing import Any

from engine.i18n import DOMAIN, LOCALE_DIR, SUPPORTED


def N_(message: str) -> str:
    """Mark `message` for extraction into the catalog without translating it here."""
    return message


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR),
                               languages=[language.replace("-", "_")], fallback=True)


def bilingual(message: str, **values: Any) -> dict[str, str]:
    """Translate `message` into every supported language and format it with `values`.

    A value that is itself a label mapping contributes its text in that language.
    """
    texts: dict[str, str] = {}
    for language in SUPPORTED:
        picked = {key: _pick(value, language) for key, value in values.items()}
        texts[language] = _catalog(language).gettext(message).format(**picked)
    return texts


def _pick(value: Any, language: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(language) or value.get("en") or ""
    return value
