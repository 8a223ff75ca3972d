"""Alembic environment: migrations run on the connection the assessment log hands over."""

from alembic import context

from serving._log_schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
