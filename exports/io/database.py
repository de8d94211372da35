"""Database URLs as the project's stores take them (the backend's store and the adjudication record)."""
from __future__ import annotations


def engine_url(url: str) -> str:
    """A database URL as SQLAlchemy takes it: ``postgresql://`` (and ``postgres://``) use psycopg 3, the driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
