"""The platform's tables: organisation, technicians, work orders, observations, users, audit, jobs.

Instrument-specific tables (published rosters, dispatch plans, payroll runs, quota versions) live
in each instrument's ``store.py`` on the same :class:`~fieldcrew.db.Base`; the platform names no
instrument: the composition root (:mod:`cli.schema`) imports every table module explicitly.
Money columns are integer fen; times are timezone-naive local time (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from fieldcrew.db import Base


def utcnow() -> dt.datetime:
    """Current UTC time, naive (stored uniformly on SQLite and PostgreSQL)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)

class BranchRow(Base):
    __tablename__ = "branches"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(100), default="")
    bbox: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)

class DistrictRow(Base):
    __tablename__ = "districts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))

class RegionGroupRow(Base):
    __tablename__ = "region_groups"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    operating_model: Mapped[str] = mapped_column(String(64), default="urban_dense")

class SmallAreaRow(Base):
    __tablename__ = "small_areas"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region_group_id: Mapped[str] = mapped_column(ForeignKey("region_groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    area_type: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

class TechnicianRow(Base):
    __tablename__ = "technicians"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    region_group_id: Mapped[str | None] = mapped_column(ForeignKey("region_groups.id"), nullable=True)
    home_area_id: Mapped[str | None] = mapped_column(ForeignKey("small_areas.id"), nullable=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_grade: Mapped[str] = mapped_column(String(32))
    employment: Mapped[str] = mapped_column(String(16), default="own_staff")
    support_team: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)

class WorkOrderRow(Base):
    __tablename__ = "work_orders"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_type: Mapped[str] = mapped_column(String(16), index=True)
    difficulty: Mapped[int] = mapped_column(Integer, default=1)
    area_id: Mapped[str] = mapped_column(ForeignKey("small_areas.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    customer_grade: Mapped[str] = mapped_column(String(16))
    line_type: Mapped[str] = mapped_column(String(16), default="broadband")
    created: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    appointment_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    appointment_end: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    deadline: Mapped[dt.datetime] = mapped_column(DateTime)
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="created", index=True)
    technician_id: Mapped[str | None] = mapped_column(
        ForeignKey("technicians.id"), nullable=True, index=True
    )
    # outcome
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    contact_timely: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    appointment_kept: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    skill_satisfied: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    attitude_satisfied: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    repeat_fault_within_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    praise: Mapped[bool] = mapped_column(Boolean, default=False)
    # what the technician reported on completion: fault fixed or not; the earlier order this
    # visit repeats (a repeat fault)
    fixed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    repeat_of: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: when the technician first contacted the customer (the start of his response); set once
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    #: whether the order's source records first contacts (dispatched through the loop, or imported
    #: from a file that records them): only then is a missing first contact "no contact yet" and
    #: not "unknown", so the technician's response KPI counts the order
    contacts_recorded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

#: ``order_events.status`` of a first-contact record: not a life-cycle status, so every reader of
#: an order's status history leaves these rows out (:func:`fieldcrew.records.order_from_row`).
CONTACTED = "contacted"

class OrderEventRow(Base):
    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    #: the status the order moved to, or :data:`CONTACTED` for a contact with the customer
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    technician_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: who recorded the change (a user name, or the job that made it); None for imported history
    actor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: why (suspension reason, dispatch event, reschedule note); None for imported history
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)

class ObservationRow(Base):
    """One time-and-motion observation (工作写实) behind the standard hours."""

    __tablename__ = "observations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    branch_id: Mapped[str] = mapped_column(String(64), index=True)
    observer: Mapped[str] = mapped_column(String(100))
    technician_id: Mapped[str] = mapped_column(String(64))
    order_type: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[int] = mapped_column(Integer)
    area_type: Mapped[str] = mapped_column(String(16))
    travel_min: Mapped[float] = mapped_column(Float)
    onsite_min: Mapped[float] = mapped_column(Float)
    paperwork_min: Mapped[float] = mapped_column(Float)
    waiting_min: Mapped[float] = mapped_column(Float)
    rating_pct: Mapped[float] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")

class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    #: for the technician role: the technician this user is (sees only own roster and pay)
    technician_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: argon2id hash of the user's console password (PHC string); None: signs in with API keys only
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: UTC; sign-in refused until then (too many failed passwords)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

class SignInSessionRow(Base):
    """A console session opened with a password: only the SHA-256 of its cookie is stored."""

    __tablename__ = "sign_in_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)

class SignInFailureRow(Base):
    """A failed password of a known user (UTC), kept for the lockout window."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)

class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

class AuditRow(Base):
    """Who changed what, when, with the before/after images."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)

class JobRow(Base):
    """A long-running job (roster solve, day plan, payroll run, …)."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    #: "module:function" run by the job executor
    target: Mapped[str] = mapped_column(String(200), default="")
    owner: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued/running/succeeded/failed/cancelled
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[Any] = mapped_column(JSON, nullable=True)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

Index("ix_work_orders_tech_created", WorkOrderRow.technician_id, WorkOrderRow.created)
