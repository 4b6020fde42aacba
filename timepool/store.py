"""Persistence of the work-hour pool: versioned standard-hour tables and quota tables with provenance.

A saved table is never changed: saving again for the same scope (branch or province) creates
the next version. Each standard version keeps its provenance: the method version and
parameters, the digest and ids of the observations behind it, and what the outlier rule set
aside and why. Each quota version records the standard version and pool it came from.
Every save records an audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldcrew.audit import record
from fieldcrew.db import Base
from fieldcrew.tables import utcnow
from timepool.domain import (
    Pool,
    Quotas,
    SetAsideGroup,
    StandardCell,
    StandardParams,
    StandardTable,
    TravelCell,
)
from vocabulary.errors import NotFound


class StandardVersionRow(Base):
    """One immutable version of a standard-hour table (定额) for a scope."""

    __tablename__ = "timepool_standard_versions"
    __table_args__ = (
        UniqueConstraint("scope", "version", name="uq_timepool_standard_versions_scope_version"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    method_version: Mapped[str] = mapped_column(String(64))
    params: Mapped[Any] = mapped_column(JSON)
    observation_count: Mapped[int] = mapped_column(Integer)
    observations_sha256: Mapped[str] = mapped_column(String(64))
    observation_ids: Mapped[Any] = mapped_column(JSON)
    sources: Mapped[Any] = mapped_column(JSON)
    set_aside: Mapped[Any] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")


class StandardCellRow(Base):
    """One cell (order type, difficulty, area type) of a standard version."""

    __tablename__ = "timepool_standard_cells"
    __table_args__ = (
        UniqueConstraint(
            "version_id", "order_type", "difficulty", "area_type", name="uq_timepool_standard_cells"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("timepool_standard_versions.id"), index=True)
    order_type: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[int] = mapped_column(Integer)
    area_type: Mapped[str] = mapped_column(String(16))
    n_observed: Mapped[int] = mapped_column(Integer)
    n_used: Mapped[int] = mapped_column(Integer)
    n_set_aside: Mapped[int] = mapped_column(Integer)
    mean_normal_min: Mapped[float] = mapped_column(Float)
    sd_normal_min: Mapped[float] = mapped_column(Float)
    standard_min: Mapped[float] = mapped_column(Float)
    ci_low_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    required_n: Mapped[int | None] = mapped_column(Integer, nullable=True)
    more_needed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    adequate: Mapped[bool] = mapped_column(Boolean)


class TravelCellRow(Base):
    """Travel standard of one area type in a standard version."""

    __tablename__ = "timepool_travel_cells"
    __table_args__ = (UniqueConstraint("version_id", "area_type", name="uq_timepool_travel_cells"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("timepool_standard_versions.id"), index=True)
    area_type: Mapped[str] = mapped_column(String(16))
    n_observed: Mapped[int] = mapped_column(Integer)
    n_used: Mapped[int] = mapped_column(Integer)
    n_set_aside: Mapped[int] = mapped_column(Integer)
    travel_min: Mapped[float] = mapped_column(Float)
    sd_travel_min: Mapped[float] = mapped_column(Float)
    ci_low_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high_min: Mapped[float | None] = mapped_column(Float, nullable=True)


class QuotaVersionRow(Base):
    """One immutable version of a branch's daily staffing quotas."""

    __tablename__ = "timepool_quota_versions"
    __table_args__ = (
        UniqueConstraint("branch_id", "version", name="uq_timepool_quota_versions_branch_version"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    start: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    productive_minutes_per_shift: Mapped[int] = mapped_column(Integer)
    standard_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("timepool_standard_versions.id"), nullable=True
    )
    standards_scope: Mapped[str] = mapped_column(String(128))
    standards_sha256: Mapped[str] = mapped_column(String(64))
    params: Mapped[Any] = mapped_column(JSON)
    notes: Mapped[Any] = mapped_column(JSON)


class QuotaCellRow(Base):
    """Pool minutes and heads of one region group on one day in a quota version."""

    __tablename__ = "timepool_quota_cells"
    __table_args__ = (
        UniqueConstraint("version_id", "region_group_id", "day", name="uq_timepool_quota_cells"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("timepool_quota_versions.id"), index=True)
    region_group_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date)
    orders: Mapped[float] = mapped_column(Float)
    pool_min: Mapped[float] = mapped_column(Float)
    heads: Mapped[int] = mapped_column(Integer)


# ---------------------------------------------------------------------------------------------
# Standards
# ---------------------------------------------------------------------------------------------

_CELL_FIELDS = tuple(StandardCell.model_fields)
_TRAVEL_FIELDS = tuple(TravelCell.model_fields)


def save_standard_table(
    session: Session, table: StandardTable, actor: str, note: str = ""
) -> StandardVersionRow:
    """Store ``table`` as the next version of its scope; returns the new version row."""

    current = session.scalar(
        select(func.max(StandardVersionRow.version)).where(StandardVersionRow.scope == table.scope)
    )
    row = StandardVersionRow(
        scope=table.scope,
        version=(current or 0) + 1,
        created_by=actor,
        method_version=table.method_version,
        params=table.params.model_dump(mode="json"),
        observation_count=table.observation_count,
        observations_sha256=table.observations_sha256,
        observation_ids=list(table.observation_ids),
        sources=list(table.sources),
        set_aside=[a.model_dump(mode="json") for a in table.set_aside],
        note=note,
    )
    session.add(row)
    session.flush()
    for c in table.cells:
        session.add(StandardCellRow(version_id=row.id, **c.model_dump(mode="json")))
    for tc in table.travel:
        session.add(TravelCellRow(version_id=row.id, **tc.model_dump(mode="json")))
    session.flush()
    record(
        session,
        actor,
        "create",
        "timepool_standard_version",
        row.id,
        None,
        {
            "scope": row.scope,
            "version": row.version,
            "observations_sha256": row.observations_sha256,
            "method_version": row.method_version,
            "cells": len(table.cells),
        },
    )
    return row


def _version_row(session: Session, scope: str, version: int | None) -> StandardVersionRow:
    stmt = select(StandardVersionRow).where(StandardVersionRow.scope == scope)
    if version is None:
        stmt = stmt.order_by(StandardVersionRow.version.desc()).limit(1)
    else:
        stmt = stmt.where(StandardVersionRow.version == version)
    row = session.scalar(stmt)
    if row is None:
        which = "any version" if version is None else f"version {version}"
        raise NotFound(f"no standard-hour table for scope {scope!r} ({which})")
    return row


def load_standard_table(session: Session, scope: str, version: int | None = None) -> StandardTable:
    """A stored standard table (the latest version when ``version`` is None)."""
    row = _version_row(session, scope, version)
    cells = session.scalars(
        select(StandardCellRow).where(StandardCellRow.version_id == row.id).order_by(StandardCellRow.id)
    )
    travel = session.scalars(
        select(TravelCellRow).where(TravelCellRow.version_id == row.id).order_by(TravelCellRow.id)
    )
    return StandardTable(
        scope=row.scope,
        method_version=row.method_version,
        params=StandardParams.model_validate(row.params),
        observation_count=row.observation_count,
        observations_sha256=row.observations_sha256,
        observation_ids=list(row.observation_ids or []),
        cells=[StandardCell.model_validate({f: getattr(c, f) for f in _CELL_FIELDS}) for c in cells],
        travel=[TravelCell.model_validate({f: getattr(t, f) for f in _TRAVEL_FIELDS}) for t in travel],
        set_aside=[SetAsideGroup.model_validate(a) for a in row.set_aside or []],
        sources=list(row.sources or []),
    )


def list_standard_versions(session: Session, scope: str | None = None) -> list[dict[str, Any]]:
    """Summary of stored standard versions (newest first)."""
    stmt = select(StandardVersionRow).order_by(StandardVersionRow.scope, StandardVersionRow.version.desc())
    if scope is not None:
        stmt = stmt.where(StandardVersionRow.scope == scope)
    return [
        {
            "id": r.id,
            "scope": r.scope,
            "version": r.version,
            "created_at": r.created_at.isoformat(),
            "created_by": r.created_by,
            "method_version": r.method_version,
            "observation_count": r.observation_count,
            "observations_sha256": r.observations_sha256,
            "note": r.note,
        }
        for r in session.scalars(stmt)
    ]


def standard_version_id(session: Session, scope: str, version: int | None = None) -> int:
    """Database id of a stored standard version."""
    return _version_row(session, scope, version).id


# ---------------------------------------------------------------------------------------------
# Quotas
# ---------------------------------------------------------------------------------------------


def save_quotas(
    session: Session,
    branch_id: str,
    pool: Pool,
    quotas: Quotas,
    productive_minutes_per_shift: int,
    actor: str,
    params: Mapping[str, Any] | None = None,
    standard_version: int | None = None,
) -> QuotaVersionRow:
    """Store daily quotas (with the pool behind them) as the next version of the branch's quotas."""

    days = sorted({d.day for d in pool.days})
    if not days:
        raise ValueError("the pool has no days")
    current = session.scalar(
        select(func.max(QuotaVersionRow.version)).where(QuotaVersionRow.branch_id == branch_id)
    )
    row = QuotaVersionRow(
        branch_id=branch_id,
        version=(current or 0) + 1,
        created_by=actor,
        start=days[0],
        days=len(days),
        productive_minutes_per_shift=productive_minutes_per_shift,
        standard_version_id=standard_version,
        standards_scope=pool.standards_scope,
        standards_sha256=pool.standards_sha256,
        params=dict(params or {}),
        notes=list(pool.notes),
    )
    session.add(row)
    session.flush()
    for d in pool.days:
        if not quotas.has(d.region_group_id, d.day):
            continue
        heads = quotas.heads(d.region_group_id, d.day)
        session.add(
            QuotaCellRow(
                version_id=row.id,
                region_group_id=d.region_group_id,
                day=d.day,
                orders=d.orders,
                pool_min=d.total_min,
                heads=heads,
            )
        )
    session.flush()
    record(
        session,
        actor,
        "create",
        "timepool_quota_version",
        row.id,
        None,
        {
            "branch_id": branch_id,
            "version": row.version,
            "start": days[0].isoformat(),
            "days": len(days),
            "standards_sha256": pool.standards_sha256,
        },
    )
    return row


def load_quotas(
    session: Session, branch_id: str, version: int | None = None
) -> Quotas:
    """Stored quotas of a branch (group → date → heads); the latest version when ``version`` is None."""
    stmt = select(QuotaVersionRow).where(QuotaVersionRow.branch_id == branch_id)
    if version is None:
        stmt = stmt.order_by(QuotaVersionRow.version.desc()).limit(1)
    else:
        stmt = stmt.where(QuotaVersionRow.version == version)
    row = session.scalar(stmt)
    if row is None:
        raise NotFound(f"no stored quotas for branch {branch_id!r}")
    out: dict[str, dict[dt.date, int]] = {}
    for c in session.scalars(select(QuotaCellRow).where(QuotaCellRow.version_id == row.id)):
        out.setdefault(c.region_group_id, {})[c.day] = c.heads
    return Quotas(out)
