"""The assessment log's tables: every assessment, and every caseworker decision on one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["ApiKey", "Assessment", "Base", "Decision"]


class Base(DeclarativeBase):
    pass


class Assessment(Base):
    """One scored jobseeker: what went in (features and a fingerprint of the input), what came out."""

    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    client: Mapped[str] = mapped_column(String(100), index=True)
    model_version: Mapped[str] = mapped_column(String(50))
    policy_version: Mapped[str] = mapped_column(String(50))
    input_fingerprint: Mapped[str] = mapped_column(String(64))
    features: Mapped[dict] = mapped_column(JSON)
    days_registered: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(30))
    level: Mapped[str | None] = mapped_column(String(1), nullable=True)
    reasons: Mapped[list] = mapped_column(JSON)
    person_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # P(work or studies within 30, 60, ..., 360 days); None for assessments logged before the curve.
    curve: Mapped[list | None] = mapped_column(JSON, nullable=True)


class Decision(Base):
    """A caseworker's decision on an assessment: follow the recommendation, or override it with a reason."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    client: Mapped[str] = mapped_column(String(100))
    caseworker: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))
    final_outcome: Mapped[str] = mapped_column(String(30))
    final_level: Mapped[str | None] = mapped_column(String(1), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The earlier decision on the same assessment this one replaces (None for the first): both stay in the log.
    supersedes: Mapped[str | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)


class ApiKey(Base):
    """A client system's API key, stored only as its SHA-256 (the key itself is shown once, at creation)."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # After a rotation: the key it replaced, still accepted until ``previous_until`` (a grace period for the
    # client system to switch), and when it was rotated.
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
