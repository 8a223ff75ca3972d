"""Alembic migrations of the assessment log."""
