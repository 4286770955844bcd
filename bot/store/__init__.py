"""Persistence: SQLModel tables, the async engine, Alembic migrations and the queries."""
