"""The only module that imports `transitions`: one machine per definition version.

Contracts are not attached to the machine as models. Each firing uses a
short-lived token object that carries the current state and the guard
context, so one machine serves every contract pinned to its version.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from transitions import EventData, Machine, MachineError

from engine.definition.model import ProcessDefinition, TransitionSpec
from engine.expressions import evaluate_guard

log = logging.getLogger(__name__)


@dataclass
class _Token:
    """Stands in for a contract while the machine decides one trigger."""

    state: str
    variables: dict[str, Any]
    allowed: tuple[TransitionSpec, ...] | None = None
    chosen: TransitionSpec | None = None
    failed_guards: list[TransitionSpec] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    """Machine decision for one trigger: the winning transition, or None."""

    transition: TransitionSpec | None
    failed_guards: tuple[TransitionSpec, ...]


class ProcessMachine:
    """A `transitions.Machine` built once for one deployed definition version."""

    def __init__(self, definition: ProcessDefinition) -> None:
        self.definition = definition
        self._machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial_state,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for spec in definition.transitions:
            self._machine.add_transition(
                trigger=spec.trigger,
                source=list(spec.sources),
                dest=spec.dest,
                conditions=[_guard_condition(spec)],
                before=[_remember(spec)],
            )

    def decide(self, state: str, trigger: str, variables: dict[str, Any],
               allowed: tuple[TransitionSpec, ...] | None = None) -> Decision:
        """Run `trigger` from `state`; guards are tried in file order (first true wins).

        `allowed`, when given, limits the candidates (those the actor's role may fire).
        """
        token = _Token(state=state, variables=variables, allowed=allowed)
        event = self._machine.events.get(trigger)
        if event is None:
            return Decision(None, ())
        try:
            event.trigger(token)
        except MachineError:
            return Decision(None, ())
        return Decision(token.chosen, tuple(token.failed_guards))


def _guard_condition(spec: TransitionSpec):  # type: ignore[no-untyped-def]
    def condition(event: EventData) -> bool:
        token: _Token = event.model
        if token.allowed is not None and spec not in token.allowed:
            return False
        if spec.guard is None:
            return True
        if evaluate_guard(spec.guard, token.variables):
            return True
        token.failed_guards.append(spec)
        return False

    return condition


def _remember(spec: TransitionSpec):  # type: ignore[no-untyped-def]
    def before(event: EventData) -> None:
        event.model.chosen = spec

    return before


_cache: dict[tuple[str, int, str], ProcessMachine] = {}
_lock = threading.Lock()


def machine_for(definition: ProcessDefinition) -> ProcessMachine:
    """Return the shared machine for this definition version, building it once."""
    key = (definition.process_id, definition.version, definition.content_hash)
    with _lock:
        machine = _cache.get(key)
        if machine is None:
            machine = ProcessMachine(definition)
            _cache[key] = machine
            log.debug("built machine", extra={"process": key[0], "version": key[1]})
        return machine
