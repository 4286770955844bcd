"""A throwaway PostgreSQL database per test, on the server TEST_DATABASE_URL names."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url


@asynccontextmanager
async def postgres_database(server_url: str) -> AsyncIterator[str]:
    """Create a database, yield its SQLAlchemy URL, drop it (with any open connection)."""
    url = make_url(server_url)
    name = f"glute_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
