"""The month's KPI job (``POST /quality/months/{month}``) is refused at submission for a month it
could only get wrong."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fieldcrew.db import session_scope
from quality.service import LOCAL_TIME, SaveMonthParams, check_save_month
from vocabulary.errors import InputErrors


def test_a_month_not_begun_is_refused_at_submission(api_client: Any) -> None:
    """A month after the current one (Asia/Shanghai) is a 422 naming the month and the rule, before
    any job is queued: its snapshot would be empty and payroll would read it."""
    h = api_client.headers("hr")
    res = api_client.client.post("/quality/months/2999-01", headers=h)
    assert res.status_code == 422, res.text
    (error,) = res.json()["errors"]
    assert (error["field"], error["value"]) == ("month", "2999-01")
    assert error["rule"].startswith("must have begun (today is ")
    assert api_client.client.get("/jobs", headers=h).json() == []


def test_the_current_month_may_be_stored(db_url: str) -> None:
    """The month under way passes (a provisional snapshot), so do past months; a month that cannot
    be read is refused by its field already."""
    today = dt.datetime.now(LOCAL_TIME).date()
    following = (today.replace(day=28) + dt.timedelta(days=5)).strftime("%Y-%m")
    with session_scope(db_url) as session:
        check_save_month(session, SaveMonthParams(month=f"{today:%Y-%m}"))
        check_save_month(session, SaveMonthParams(month="2026-03"))
        with pytest.raises(InputErrors, match="must have begun"):
            check_save_month(session, SaveMonthParams(month=following))
    with pytest.raises(ValueError, match="YYYY-MM"):
        SaveMonthParams(month="2026-13")
