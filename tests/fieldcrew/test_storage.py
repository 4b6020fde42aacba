"""Storage: migrations build every table, vocabulary objects round-trip, failed writes change nothing.

Runs on SQLite and, when ``FIELDCREW_TEST_POSTGRES_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from factories import T0, seed_org, store_order, technician, work_order
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from cli.schema import metadata
from fieldcrew import records, tables
from fieldcrew.db import Base, alembic_config, current_revisions, session_scope, upgrade
from fieldcrew.tables import AuditRow, TechnicianRow, WorkOrderRow
from vocabulary.orders import OrderStatus, Outcome, StatusEvent, TimeWindow
from vocabulary.staff import ContactData, Employment, Skill


def test_upgrade_reaches_every_head(any_db_url: str) -> None:
    """After ``upgrade`` the database is at every head of the migration graph (all instrument branches)."""
    script = ScriptDirectory.from_config(alembic_config(any_db_url))
    heads = set(script.get_heads())
    assert current_revisions(any_db_url) == heads
    for head in heads:  # every instrument branch grows from the platform's foundation
        assert "0001_foundation" in {rev.revision for rev in script.iterate_revisions(head, "base")}


def test_migrations_create_every_mapped_table(any_db_url: str) -> None:
    """Every table mapped on Base (platform and instruments) exists after migrating to heads."""
    schema = metadata()
    engine = create_engine(any_db_url, poolclass=NullPool)
    try:
        existing = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    missing = set(schema.tables) - existing
    assert not missing, f"tables without a migration: {sorted(missing)}"


def test_platform_migration_matches_the_models(any_db_url: str) -> None:
    """The migrations create exactly the columns, types and indexes that fieldcrew.tables declares."""
    platform = _platform_tables()

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if type_ == "table":
            return name in platform
        table = getattr(obj, "table", None)
        return table is None or table.name in platform

    engine = create_engine(any_db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include}
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def _platform_tables() -> set[str]:
    return {
        cls.__tablename__
        for cls in vars(tables).values()
        if isinstance(cls, type)
        and issubclass(cls, Base)
        and cls is not Base
        and hasattr(cls, "__tablename__")
    }


def test_upgrade_is_idempotent(db_url: str) -> None:
    """Upgrading a database that is already at every head changes nothing and does not fail."""
    before = current_revisions(db_url)
    upgrade(db_url)
    assert current_revisions(db_url) == before


def test_technician_round_trip(any_db_url: str) -> None:
    """A technician with every field set reads back equal, contact data included."""
    tech = technician(
        "T-100",
        skills=frozenset({Skill.IPTV, Skill.FIBRE_SPLICING}),
        employment=Employment.PARTNER,
        end_date=dt.date(2026, 12, 31),
        contact=ContactData(phone="13800000000", email="t@example.com"),
    )
    with session_scope(any_db_url) as session:
        seed_org(session, n_technicians=0)
        session.add(TechnicianRow(**records.technician_row(tech)))
    with session_scope(any_db_url) as session:
        back = records.technician_from_row(session.get(TechnicianRow, "T-100"))  # type: ignore[arg-type]
    assert back == tech
    assert back.contact.phone is not None and back.contact.phone.get_secret_value() == "13800000000"


def test_work_order_round_trip(any_db_url: str) -> None:
    """A completed order with appointment, history and outcome reads back equal (times to the second)."""
    history = tuple(
        StatusEvent(status=s, at=T0 + dt.timedelta(minutes=20 * i), technician_id="T-001")
        for i, s in enumerate(
            [
                OrderStatus.DISPATCHED,
                OrderStatus.STARTED,
                OrderStatus.SUSPENDED,
                OrderStatus.STARTED,
                OrderStatus.COMPLETED,
            ],
            1,
        )
    )
    order = work_order(
        "WO-77",
        appointment=TimeWindow(start=T0 + dt.timedelta(hours=1), end=T0 + dt.timedelta(hours=3)),
        required_skills=frozenset({Skill.BROADBAND}),
        status=OrderStatus.COMPLETED,
        technician_id="T-001",
        history=history,
        outcome=Outcome(satisfaction=4, contact_timely=True, repeat_fault_within_days=3),
    )
    with session_scope(any_db_url) as session:
        seed_org(session)
        store_order(session, order)
    with session_scope(any_db_url) as session:
        back = records.read_orders(session)
    assert back == [order]


def test_failed_write_leaves_the_database_unchanged(any_db_url: str) -> None:
    """A transaction that fails half-way (duplicate key on the 3rd row) writes none of its rows."""
    with session_scope(any_db_url) as session:
        seed_org(session, n_technicians=1)
    with pytest.raises(IntegrityError), session_scope(any_db_url) as session:
        session.add(TechnicianRow(**records.technician_row(technician("T-200"))))
        session.add(AuditRow(actor="t", action="create", entity="technician", entity_id="T-200"))
        session.flush()
        session.add(TechnicianRow(**records.technician_row(technician("T-001"))))  # exists already
        session.flush()
    with session_scope(any_db_url) as session:
        assert session.scalar(select(func.count()).select_from(TechnicianRow)) == 1
        assert session.scalar(select(func.count()).select_from(AuditRow)) == 0


def test_exception_in_block_rolls_back(any_db_url: str) -> None:
    """Any exception inside ``session_scope`` (not only database errors) rolls the whole block back."""
    with pytest.raises(RuntimeError), session_scope(any_db_url) as session:
        seed_org(session)
        raise RuntimeError("computation failed after writing")
    with session_scope(any_db_url) as session:
        assert session.scalar(select(func.count()).select_from(TechnicianRow)) == 0


def test_foreign_keys_are_enforced(any_db_url: str) -> None:
    """An order in an unknown area is refused by the database itself (SQLite foreign keys are on)."""
    with pytest.raises(IntegrityError), session_scope(any_db_url) as session:
        session.add(WorkOrderRow(**records.order_row(work_order("WO-X", area_id="NOWHERE"))))
        session.flush()
