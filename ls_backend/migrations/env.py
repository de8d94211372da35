"""Alembic's environment for the backend's store: run on the connection :func:`ls_backend.infra.store.migrate` hands in
(``alembic -c ls_backend/migrations/alembic.ini ...`` works too, with ``-x url=<database URL>``)."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # the alembic command line
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    with create_engine(url).connect() as conn:
        context.configure(connection=conn, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
