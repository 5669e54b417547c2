"""Immutable objects a validated process definition is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from engine.expressions import Guard, Expression

if TYPE_CHECKING:
    from engine.definition.plan_model import ContingencyPlanSpec

Label = Mapping[str, str]  # {"en": ..., "zh-CN": ...}


@dataclass(frozen=True)
class SourceRef:
    """Where a node came from in its YAML file (1-based line and column)."""

    file: str
    line: int
    column: int


@dataclass(frozen=True)
class ApprovalLevel:
    """One level of an approval: roles approving in parallel, each with the same quorum.

    `quorum` is "any", "all" or a whole number. `deadline` is an ISO duration of
    days (P3D); `working_days` counts working days of the business calendar instead.
    """

    roles: tuple[str, ...]
    quorum: str | int = "any"
    when: Guard | None = None
    deadline: str | None = None
    working_days: int | None = None
    notify: str | None = None
    add_approver: str | None = None
    label: Label | None = None
    source: SourceRef | None = None


@dataclass(frozen=True)
class ApprovalSpec:
    """The approval of a state and the triggers of its engine-fired outcomes."""

    levels: tuple[ApprovalLevel, ...]
    approved: str
    rejected: str
    withdrawn: str


@dataclass(frozen=True)
class StateSpec:
    name: str
    label: Label
    initial: bool = False
    final: bool = False
    description: Label | None = None
    source: SourceRef | None = None
    approval: ApprovalSpec | None = None


@dataclass(frozen=True)
class SetAction:
    """Set a data field to the value of a CEL expression."""

    field: str
    expression: Expression


@dataclass(frozen=True)
class TaskAction:
    """Create a task for a role, due after an ISO 8601 duration (P3D) or never."""

    title: Label
    role: str
    due: str | None = None


@dataclass(frozen=True)
class NotifyAction:
    """Queue a notification to everyone holding a role."""

    role: str
    subject: Label
    body: Label | None = None


Action = SetAction | TaskAction | NotifyAction

# Fields a guard may read as obligations.<name>.<field>. Money fields are decimal strings.
OBLIGATION_FIELDS: tuple[str, ...] = (
    "due", "amount", "settled_amount", "outstanding", "settled", "overdue", "days_overdue",
)  # fmt: skip
EVENT_FIELD_TYPES: tuple[str, ...] = ("money", "date", "string", "integer")
OBLIGATION_KINDS: tuple[str, ...] = ("payment", "delivery", "acceptance")


@dataclass(frozen=True)
class EventFieldSpec:
    """One field an event carries; `type` is one of EVENT_FIELD_TYPES."""

    name: str
    type: str
    required: bool = False
    label: Label | None = None


@dataclass(frozen=True)
class EventSpec:
    """A kind of event recorded on a contract, such as payment_received."""

    name: str
    label: Label
    fields: Mapping[str, EventFieldSpec]
    description: Label | None = None
    source: SourceRef | None = None


@dataclass(frozen=True)
class ObligationSpec:
    """Something owed under a contract: an amount, due on a date computed from the data.

    The obligation is settled when the `amount_field` values of its `settled_by`
    events add up to its amount.
    """

    name: str
    label: Label
    kind: str
    amount: Expression
    due: Expression
    settled_by: str
    amount_field: str = "amount"
    description: Label | None = None
    source: SourceRef | None = None
    remind: tuple[str, ...] = ()  # signed ISO 8601 durations from the start of the due day
    remind_to: tuple[str, ...] = ()  # roles the reminders notify


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...] = ()
    guard: Guard | None = None
    actions: tuple[Action, ...] = ()
    auto: bool = False
    label: Label | None = None
    source: SourceRef | None = None

    @property
    def engine_only(self) -> bool:
        """True when no role may fire it by hand; only a process rule can."""
        return not self.roles


@dataclass(frozen=True)
class ProcessDefinition:
    """One version of one process, exactly as deployed."""

    process_id: str
    version: int
    title: Label
    roles: Mapping[str, Label]
    data_schema: Mapping[str, Any]
    states: Mapping[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]
    content_hash: str  # sha256 hex of the file's bytes
    source_text: str
    source_name: str
    description: Label | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    events: Mapping[str, EventSpec] = field(default_factory=dict)
    obligations: Mapping[str, ObligationSpec] = field(default_factory=dict)
    contingency_plans: Mapping[str, ContingencyPlanSpec] = field(default_factory=dict)

    @property
    def initial_state(self) -> str:
        return next(s.name for s in self.states.values() if s.initial)

    def transitions_for(self, trigger: str, state: str) -> list[TransitionSpec]:
        """Candidates for `trigger` from `state`, in file order (tried first to last)."""
        return [t for t in self.transitions if t.trigger == trigger and state in t.sources]

    def triggers_from(self, state: str) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.transitions:
            if state in t.sources:
                seen.setdefault(t.trigger, None)
        return list(seen)
