"""Alembic environment: runs migrations on the connection handed in by `marketplace.schema`."""

from __future__ import annotations

from alembic import context

from marketplace import models  # noqa: F401  (registers every table on the metadata)
from marketplace.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations with `connect-energy db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
