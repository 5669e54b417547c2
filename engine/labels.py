"""Engine texts in every supported language at once.

Notifications and plan history are stored when the engine acts but read later,
by people who may use another language than the process that wrote them. Such
texts are stored as labels ({"en": ..., "zh-CN": ...}) translated through the
same gettext catalogs as `_()`. Call sites mark their message ids with `N_`
so catalog tools find them.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from typing import Any

from engine.i18n import DOMAIN, LOCALE_DIR, SUPPORTED


def N_(message: str) -> str:
    """Mark `message` for the catalogs without translating it now."""
    return message


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR),
                               languages=[language.replace("-", "_")], fallback=True)


def translate(message: str, language: str) -> str:
    """Return `message` translated into `language` (en or zh-CN); English when not found."""
    return _catalog(language).gettext(message)


def pick(texts: Mapping[str, str] | None, language: str, fallback: str = "") -> str:
    """Return the text of a label in `language`, else English, else `fallback`."""
    if not texts:
        return fallback
    return texts.get(language) or texts.get("en") or fallback


def bilingual(message: str, **params: Any) -> dict[str, str]:
    """Translate `message` into every supported language and fill in `params`.

    A parameter that is itself a label contributes its text in each language.
    """
    texts = {}
    for language in SUPPORTED:
        values = {key: pick(value, language) if isinstance(value, Mapping) else value
                  for key, value in params.items()}
        texts[language] = translate(message, language).format(**values)
    return texts
