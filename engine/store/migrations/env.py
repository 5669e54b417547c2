"""Alembic environment: migrations run on the Store handed over in config.attributes."""

from __future__ import annotations

from alembic import context

from engine.store.models import Base

store = context.config.attributes["store"]

with store.engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
