"""Immutable objects for the contingency plans (应急预案) of a process definition."""

from __future__ import annotations

from dataclasses import dataclass

from engine.definition.model import Label, SourceRef, TaskAction
from engine.expressions import Guard

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class EscalationStep:
    """One step of a plan's escalation ladder; exactly one of notify, task and fire is set."""

    index: int  # position in the file's `escalate` list
    after: str  # ISO 8601 duration from the plan's opening
    notify: str | None = None  # role
    task: TaskAction | None = None
    fire: str | None = None  # trigger


@dataclass(frozen=True)
class ContingencyPlanSpec:
    """A named risk: its trigger, the transition it fires, measures, escalation and closure.

    The trigger is `when` (a guard) or `on` (an event name), limited to `states`
    when given and otherwise to every state that is not final. Without
    `closes_when`, the plan closes when every measure is done.
    """

    plan_id: str
    risk: Label
    severity: str
    owner: str
    contacts: tuple[str, ...] = ()
    when: Guard | None = None
    on: str | None = None
    states: tuple[str, ...] = ()
    fire: str | None = None
    measures: tuple[TaskAction, ...] = ()
    escalate: tuple[EscalationStep, ...] = ()
    closes_when: Guard | None = None
    description: Label | None = None
    source: SourceRef | None = None

    @property
    def notified_roles(self) -> tuple[str, ...]:
        """Return the owner and the contacts, each once, in that order."""
        return tuple(dict.fromkeys((self.owner, *self.contacts)))
