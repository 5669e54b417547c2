"""Queries and writes the services need; the only place outside migrations with SQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.store.models import (
    Contract,
    Definition,
    HistoryRow,
    NumberCounter,
    OutboxMessage,
    Person,
    PersonLogin,
    PersonRole,
    Task,
)

# --- definitions -------------------------------------------------------------


def find_definition(session: Session, process_id: str, version: int | None = None) -> Definition | None:
    query = select(Definition).where(Definition.process_id == process_id)
    if version is None:
        query = query.order_by(Definition.version.desc()).limit(1)
    else:
        query = query.where(Definition.version == version)
    return session.scalars(query).first()


def definition_by_id(session: Session, definition_id: int) -> Definition:
    return session.get_one(Definition, definition_id)


def list_definitions(session: Session) -> list[Definition]:
    return list(session.scalars(select(Definition).order_by(Definition.process_id,
                                                            Definition.version)))


def count_contracts_by_definition(session: Session) -> dict[int, int]:
    rows = session.execute(select(Contract.definition_id, func.count()).group_by(
        Contract.definition_id))
    return {definition_id: count for definition_id, count in rows}


# --- contract numbers ----------------------------------------------------------


def _counter_upsert(dialect: str) -> Any:
    insert_for = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, NumberCounter.__table__)
    return (
        insert_for(table)
        .values(series=bindparam("series"), year=bindparam("year"), last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.series, table.c.year],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )


# Statements built once, because imports, ticks and replays run them thousands of
# times and building a statement costs more than running it. As Core statements on
# the session's connection, they leave loaded ORM objects as they were.
_COUNTER_UPSERT = {dialect: _counter_upsert(dialect) for dialect in ("sqlite", "postgresql")}
_CONTRACTS = cast(Table, Contract.__table__)
_INSERT_CONTRACT = insert(_CONTRACTS).returning(_CONTRACTS.c.id)
_REF_TAKEN = select(_CONTRACTS.c.id).where(_CONTRACTS.c.external_ref == bindparam("ref")).limit(1)
_INSERT_HISTORY = insert(cast(Table, HistoryRow.__table__))
_MOVE_UPDATES: dict[tuple[str, ...], Any] = {}


def allocate_number(session: Session, series: str, year: int) -> int:
    """Increment the (series, year) counter in this transaction and return the new value."""
    statement = _COUNTER_UPSERT[session.get_bind().dialect.name]
    return int(session.connection().execute(statement, {"series": series, "year": year})
               .scalar_one())


# --- contracts -----------------------------------------------------------------


def contract_by_number(session: Session, number: str) -> Contract | None:
    return session.scalars(select(Contract).where(Contract.number == number)).first()


def contract_by_external_ref(session: Session, ref: str) -> Contract | None:
    return session.scalars(select(Contract).where(Contract.external_ref == ref)).first()


def external_ref_taken(session: Session, ref: str) -> bool:
    return session.connection().execute(_REF_TAKEN, {"ref": ref}).first() is not None


def list_contracts(session: Session, state: str | None = None, process_id: str | None = None,
                   customer: str | None = None) -> list[tuple[Contract, Definition]]:
    query = select(Contract, Definition).join(Definition, Contract.definition_id == Definition.id)
    if state:
        query = query.where(Contract.state == state)
    if process_id:
        query = query.where(Definition.process_id == process_id)
    if customer:
        query = query.where(Contract.customer == customer)
    return [(c, d) for c, d in session.execute(query.order_by(Contract.number))]


def count_contracts(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Contract)) or 0)


def add_contract(session: Session, **values: Any) -> Contract:
    """INSERT a contract at once and return it with its id.

    The returned object is not attached to the session, so changes to it are not saved.
    """
    contract_id = session.connection().execute(_INSERT_CONTRACT, values).scalar_one()
    return Contract(id=contract_id, **values)


def save_contract_move(session: Session, contract_id: int, seen_version: int,
                       values: dict[str, Any]) -> bool:
    """UPDATE … WHERE row_version = :seen; False when someone else moved it first.

    Loaded Contract objects are not refreshed.
    """
    keys = tuple(sorted(values))
    statement = _MOVE_UPDATES.get(keys)
    if statement is None:
        statement = (update(_CONTRACTS)
                     .where(_CONTRACTS.c.id == bindparam("b_id"),
                            _CONTRACTS.c.row_version == bindparam("b_seen"))
                     .values({key: bindparam(f"v_{key}") for key in keys}))
        _MOVE_UPDATES[keys] = statement
    parameters = {f"v_{key}": value for key, value in values.items()}
    result = session.connection().execute(
        statement, {**parameters, "b_id": contract_id, "b_seen": seen_version})
    return result.rowcount == 1


# --- history -------------------------------------------------------------------


def add_history(session: Session, **values: Any) -> None:
    """INSERT one history row at once."""
    session.connection().execute(_INSERT_HISTORY, values)


def history_of(session: Session, contract_id: int) -> list[HistoryRow]:
    return list(session.scalars(select(HistoryRow).where(HistoryRow.contract_id == contract_id)
                                .order_by(HistoryRow.seq)))


def iter_contracts_for_audit(session: Session) -> Iterator[Contract]:
    yield from session.scalars(select(Contract).order_by(Contract.id)).yield_per(500)


# --- tasks and outbox ----------------------------------------------------------


def add_task(session: Session, **values: Any) -> Task:
    task = Task(**values)
    session.add(task)
    return task


def add_outbox(session: Session, **values: Any) -> OutboxMessage:
    message = OutboxMessage(**values)
    session.add(message)
    return message


def open_tasks(session: Session, roles: list[str] | None = None,
               assignee: str | None = None) -> list[tuple[Task, Contract]]:
    query = (select(Task, Contract).join(Contract, Task.contract_id == Contract.id)
             .where(Task.status == "open"))
    if roles is not None:
        query = query.where(Task.role.in_(roles))
    if assignee is not None:
        query = query.where(Task.assignee == assignee)
    query = query.order_by(Task.created_at, Task.id)
    return [(t, c) for t, c in session.execute(query)]


def tasks_of(session: Session, contract_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.contract_id == contract_id)
                                .order_by(Task.id)))


# --- org -----------------------------------------------------------------------


def replace_org(session: Session, people: list[dict[str, Any]]) -> None:
    """Replace everyone in the org tables with `people` (one transaction)."""
    session.execute(delete(PersonLogin))
    session.execute(delete(PersonRole))
    session.execute(delete(Person))
    for person in people:
        session.add(Person(id=person["id"], name=person["name"], email=person.get("email"),
                           can_act_for_others=person.get("act_for_others", False),
                           active=person.get("active", True)))
    session.flush()
    for person in people:
        for role in person.get("roles", []):
            session.add(PersonRole(person_id=person["id"], role=role))
        for login in person.get("logins", []):
            session.add(PersonLogin(login=login, person_id=person["id"]))


def person(session: Session, person_id: str) -> Person | None:
    return session.get(Person, person_id)


def person_by_login(session: Session, login: str) -> Person | None:
    row = session.get(PersonLogin, login)
    return session.get(Person, row.person_id) if row else None


def roles_of(session: Session, person_id: str) -> list[str]:
    return list(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)
                                .order_by(PersonRole.role)))


def people_with_role(session: Session, role: str) -> list[Person]:
    return list(session.scalars(select(Person).join(PersonRole, PersonRole.person_id == Person.id)
                                .where(PersonRole.role == role, Person.active.is_(True))
                                .order_by(Person.id)))


def count_people(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Person)) or 0)


