"""Versioned standard and quota tables: round trips, provenance, versions; quotas from the database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from timepool_factories import areas, forecast, seed_branch, study

from fieldcrew.db import session_scope
from fieldcrew.tables import AuditRow
from timepool.domain import StandardParams
from timepool.pool import build_pool
from timepool.quotas import branch_pool, daily_quotas, quotas_for_branch
from timepool.standards import compute_standards
from timepool.store import (
    list_standard_versions,
    load_quotas,
    load_standard_table,
    save_quotas,
    save_standard_table,
)
from vocabulary.errors import NotFound

START = dt.date(2026, 6, 29)


def test_standard_table_round_trip_and_versions(any_db_url: str) -> None:
    """Saving twice gives versions 1 and 2; loading returns exactly what was saved, provenance included."""
    data = study(200, seed=5)
    t1 = compute_standards(data, scope="B1")
    t2 = compute_standards(data, StandardParams(allowance=0.2), scope="B1")
    with session_scope(any_db_url) as s:
        assert save_standard_table(s, t1, "planner").version == 1
        assert save_standard_table(s, t2, "planner", note="A = 20 %").version == 2
    with session_scope(any_db_url) as s:
        assert load_standard_table(s, "B1", 1).model_dump() == t1.model_dump()
        latest = load_standard_table(s, "B1")
        assert latest.model_dump() == t2.model_dump()
        assert latest.observations_sha256 == t1.observations_sha256 and len(latest.observation_ids) == 200
        versions = list_standard_versions(s, "B1")
        assert [v["version"] for v in versions] == [2, 1] and versions[0]["note"] == "A = 20 %"
        audits = s.scalars(select(AuditRow).where(AuditRow.entity == "timepool_standard_version")).all()
        assert len(audits) == 2 and audits[0].actor == "planner"


def test_missing_version_is_not_found(db_url: str) -> None:
    """Loading an unknown scope or version is a NotFound (404), not a crash."""
    with session_scope(db_url) as s, pytest.raises(NotFound):
        load_standard_table(s, "nowhere")
    with session_scope(db_url) as s, pytest.raises(NotFound):
        load_quotas(s, "B1")


def test_quota_round_trip(db_url: str) -> None:
    """Quotas saved with their pool load back as group → date → heads; versions increase."""
    table = compute_standards(study(100, seed=1), scope="B1")
    pool = build_pool(forecast(5.0, days=3), table, areas())
    quotas = daily_quotas(pool, 420, 1)
    with session_scope(db_url) as s:
        v1 = save_quotas(s, "B1", pool, quotas, 420, "planner", {"min_heads": 1})
        v2 = save_quotas(s, "B1", pool, quotas, 420, "planner")
        assert (v1.version, v2.version) == (1, 2) and v1.standards_sha256 == table.observations_sha256
    with session_scope(db_url) as s:
        assert load_quotas(s, "B1") == quotas and load_quotas(s, "B1", 1) == quotas


def test_quotas_for_branch_from_database(db_url: str) -> None:
    """The roster's convenience call: stored observations + order history → group → date → heads."""
    with session_scope(db_url) as s:
        seed_branch(s)
    with session_scope(db_url) as s:
        quotas = quotas_for_branch(s, "B1", START, 7, productive_minutes_per_shift=420, min_heads=1)
        pool = branch_pool(s, "B1", START, 7)
    assert set(quotas) == {"G1"} and sorted(quotas["G1"]) == [START + dt.timedelta(days=i) for i in range(7)]
    # 6 orders a day (4 repairs, 2 installs) → about 6 visits a day of roughly 1–2 hours each
    assert all(1 <= h <= 4 for h in quotas["G1"].values())
    assert sum(d.orders for d in pool.days) == pytest.approx(42, rel=1e-6)


def test_quotas_for_unknown_branch(db_url: str) -> None:
    """A branch without areas is a NotFound."""
    with session_scope(db_url) as s, pytest.raises(NotFound):
        quotas_for_branch(s, "NOPE", START, 7)
