"""The steps `lvyue tick` (and the worker and replay) run at one instant, in order.

Each step takes the store and the tick instant, opens its own transactions
(one per contract it changes), and returns a StepReport. A step must be
idempotent: running it twice at the same instant changes nothing the second
time. Features add their step to `tick_steps()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from engine.store.db import Store


@dataclass
class StepReport:
    """Outcome of one step at one instant."""

    step: str
    changed: int = 0
    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


TickStep = Callable[[Store, datetime], StepReport]


def tick_steps() -> list[TickStep]:
    """Return the steps in the order a tick runs them (imported lazily)."""
    from engine.services.approval_deadlines import approval_deadline_step
    from engine.services.obligation_tick import apply_due_events, check_obligations
    from engine.services.plan_tick import plan_step
    from engine.services.reminders import reminder_step

    # Plans run last, so their guards see what the earlier steps changed at this instant.
    steps: list[TickStep] = [apply_due_events, check_obligations, approval_deadline_step,
                             reminder_step, plan_step]
    return steps
