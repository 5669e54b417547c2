"""The part of every commit that keeps approval rounds in step with the contract's moves.

Recorder.commit calls `before_commit` before it writes anything. Approval outcomes,
whose rule starts with `approval:`, close their round where they are fired. This
hook handles every other move. Entering a state with an approval starts a round,
leaving it closes the round, and a data change inside the state withdraws it.
"""

from __future__ import annotations

from typing import Any

from engine import jsonutil
from engine.errors import RefusedError
from engine.i18n import _
from engine.runtime.moves import SYSTEM_ACTOR, ContractSnapshot, Move, fire_by_engine
from engine.services.approval_rounds import (
    RULE_PREFIX,
    RoundScope,
    close_round_later,
    definition_of,
    rule_for,
    start_round,
)
from engine.services.contract_data import diff
from engine.services.identity import os_login
from engine.services.recording import Entry, Recorder
from engine.store import approval_repo
from engine.store.approval_models import ApprovalRound


def before_commit(recorder: Recorder, state: str,
                  data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Start, close or withdraw rounds for this transaction; return the final state and data."""
    definition = definition_of(recorder.session, recorder.contract)
    if not any(spec.approval is not None for spec in definition.states.values()):
        return state, data
    scope = RoundScope(recorder.session, recorder, recorder.contract, definition, recorder.now,
                       recorder.os_login or os_login())
    current = approval_repo.open_round(scope.session, scope.contract.id)

    for move in list(recorder.moves):
        if move.rule is not None and move.rule.startswith(RULE_PREFIX):
            continue
        if current is not None and move.from_state == current.state != move.to_state:
            _close_for_move(scope, current, move)
            current = None
        approval = definition.states[move.to_state].approval
        if approval is not None and move.from_state != move.to_state:
            initiator = move.actor if move.actor != SYSTEM_ACTOR else scope.contract.created_by
            start_round(scope, move.to_state, approval, initiator, data)

    if current is not None and state == current.state:
        before = jsonutil.loads(current.data_json)
        if before != jsonutil.loads(jsonutil.dumps(data)):
            return _withdraw_for_change(scope, current, state, data, before)
    return state, data


def _close_for_move(scope: RoundScope, current: ApprovalRound, move: Move) -> None:
    """Close the round that `move` leaves; only the initiator may withdraw it by hand."""
    approval = scope.definition.states[current.state].approval
    assert approval is not None
    withdrawing = move.transition.trigger == approval.withdrawn
    allowed = {current.initiator, scope.contract.created_by}
    if withdrawing and move.rule is None and move.actor not in allowed:
        raise RefusedError(
            _("Only the initiator may withdraw {number} before the approval decision: "
              "{initiator} submitted it and {creator} created it, so {actor} may not fire "
              "{trigger!r}.").format(number=scope.number, initiator=current.initiator,
                                     creator=scope.contract.created_by, actor=move.actor,
                                     trigger=move.transition.trigger))

    status = "withdrawn" if withdrawing else "cancelled"
    scope.recorder.append(Entry(
        kind="approval", actor=move.actor, os_login=scope.os_login, role=move.role,
        rule=move.rule, trigger=move.transition.trigger,
        details={"event": f"round_{status}", "round": current.round_no},
    ))
    close_round_later(scope, current.id, status, move.actor, None)


def _withdraw_for_change(scope: RoundScope, current: ApprovalRound, state: str,
                         data: dict[str, Any],
                         before: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Withdraw the round whose data changed, by firing its `withdrawn` outcome as the engine."""
    approval = scope.definition.states[state].approval
    assert approval is not None
    fields = sorted(diff(before, jsonutil.loads(jsonutil.dumps(data))))
    rule = f"{rule_for(state)}:withdrawn"
    scope.recorder.append(Entry(
        kind="approval", actor=SYSTEM_ACTOR, os_login=scope.os_login, rule=rule,
        details={"event": "round_withdrawn", "round": current.round_no, "cause": "data_changed",
                 "fields": fields},
    ))
    snapshot = ContractSnapshot(scope.number, scope.contract.customer, state, data,
                                scope.definition.process_id, scope.definition.version)
    for move in fire_by_engine(scope.definition, snapshot, approval.withdrawn, rule, scope.now):
        scope.recorder.append_move(move, scope.os_login, None)
    close_round_later(scope, current.id, "withdrawn", SYSTEM_ACTOR,
                      "data changed: " + ", ".join(fields))
    return snapshot.state, snapshot.data
