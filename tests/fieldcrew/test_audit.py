"""The audit log: who, what, when, before/after, in the same transaction as the write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from factories import seed_org
from sqlalchemy import func, select

from fieldcrew import audit
from fieldcrew.auth import AuthUser
from fieldcrew.db import session_scope
from fieldcrew.tables import AuditRow, TechnicianRow, utcnow
from vocabulary.staff import Skill


def test_record_stores_actor_action_and_images(any_db_url: str) -> None:
    """An update is recorded with the actor, the time and both images."""
    with session_scope(any_db_url) as session:
        seed_org(session, n_technicians=1)
    start = utcnow()
    with session_scope(any_db_url) as session:
        row = session.get(TechnicianRow, "T-001")
        assert row is not None
        before = audit.snapshot(row)
        row.post_grade = "T3"
        audit.record(
            session, AuthUser("hr1", "hr"), "update", "technician", "T-001", before, audit.snapshot(row)
        )
    with session_scope(any_db_url) as session:
        entry = audit.entries(session, "technician", "T-001")[0]
    assert (entry.actor, entry.action, entry.entity_id) == ("hr1", "update", "T-001")
    assert entry.before["post_grade"] == "T2" and entry.after["post_grade"] == "T3"
    assert entry.at >= start - dt.timedelta(seconds=1)


def test_audit_rolls_back_with_the_failed_write(db_url: str) -> None:
    """An audit entry never describes a write that did not happen."""
    with pytest.raises(RuntimeError), session_scope(db_url) as session:
        audit.record(session, "x", "delete", "technician", "T-1", {"id": "T-1"}, None)
        raise RuntimeError("write failed")
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(AuditRow)) == 0


def test_personal_data_is_redacted(db_url: str) -> None:
    """Phone and e-mail are recorded as changed ('***'), never in clear."""
    with session_scope(db_url) as session:
        seed_org(session, n_technicians=1)
        row = session.get(TechnicianRow, "T-001")
        assert row is not None
        row.phone = "13912345678"
        image = audit.snapshot(row)
        entry = audit.record(session, "hr", "update", "technician", "T-001", {"phone": "138"}, image)
        assert entry.after["phone"] == audit.REDACTED and entry.before["phone"] == audit.REDACTED
        assert "13912345678" not in str(entry.after)


def test_jsonable_converts_domain_values() -> None:
    """Dates, decimals, enums and sets become JSON values deterministically."""
    value = {"d": dt.date(2026, 6, 1), "m": Decimal("12.50"), "s": {Skill.IPTV, Skill.BROADBAND}, "n": None}
    assert audit.jsonable(value) == {"d": "2026-06-01", "m": "12.50", "s": ["broadband", "iptv"], "n": None}
