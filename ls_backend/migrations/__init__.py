"""The store's Alembic migrations (env.py; one revision per schema change in versions/)."""
