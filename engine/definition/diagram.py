"""Mermaid state diagrams (stateDiagram-v2) of process definitions."""

from __future__ import annotations

import gettext
from functools import cache

from engine.definition.model import Label, ProcessDefinition, TransitionSpec
from engine.i18n import DOMAIN, LOCALE_DIR, normalize_language

GUARD_WIDTH = 32

# Mermaid reads these characters as syntax inside labels; entity codes show them as text.
_MERMAID_ESCAPES = {"#": "#35;", '"': "#quot;", ";": "#59;", "<": "#lt;", ">": "#gt;", "\n": " "}


@cache
def _translation(language: str) -> gettext.NullTranslations:
    catalog = language.replace("-", "_")
    return gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[catalog], fallback=True
    )


def to_mermaid(defn: ProcessDefinition, lang: str = "en") -> str:
    """Return a Mermaid stateDiagram-v2 of `defn` with labels in `lang` (en or zh-CN).

    Each edge shows the trigger, the guard (shortened to GUARD_WIDTH characters),
    the roles that may fire it, and whether the engine fires it (auto or engine only).
    """
    language = normalize_language(lang)
    lines = ["stateDiagram-v2", f"    %% {defn.process_id} v{defn.version}"]

    for state in defn.states.values():
        text = _escape(_pick(state.label, language, state.name))
        lines.append(f'    state "{text}" as {state.name}')
    lines.append(f"    [*] --> {defn.initial_state}")

    for transition in defn.transitions:
        label = _edge_label(defn, transition, language)
        for source in transition.sources:
            lines.append(f"    {source} --> {transition.dest}: {label}")

    for state in defn.states.values():
        if state.final:
            lines.append(f"    {state.name} --> [*]")
    return "\n".join(lines) + "\n"


def _edge_label(defn: ProcessDefinition, transition: TransitionSpec, language: str) -> str:
    _ = _translation(language).gettext  # the diagram's language, not the session's
    parts = [transition.trigger]
    if transition.guard is not None:
        parts.append(f"[{_shorten(transition.guard.source)}]")

    if transition.auto:
        parts.append("(" + _("auto") + ")")
    elif transition.engine_only:
        parts.append("(" + _("engine only") + ")")
    else:
        roles = [_pick(defn.roles.get(role), language, role) for role in transition.roles]
        parts.append(f"({', '.join(roles)})")
    return _escape(" ".join(parts))


def _pick(label: Label | None, language: str, fallback: str) -> str:
    if not label:
        return fallback
    return label.get(language) or label.get("en") or fallback


def _shorten(source: str) -> str:
    text = " ".join(source.split())
    if len(text) <= GUARD_WIDTH:
        return text
    return text[: GUARD_WIDTH - 1].rstrip() + "…"


def _escape(text: str) -> str:
    return "".join(_MERMAID_ESCAPES.get(char, char) for char in text)
