"""Long-running work of the pool as platform jobs (``fieldcrew.jobs.submit_job`` targets)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from timepool.domain import StandardParams, Uplift


def quota_job(params: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Compute (and optionally store) a branch's daily quotas from the database.

    ``params``: branch_id, start (ISO date), days, productive_minutes_per_shift, min_heads,
    standard_params, uplifts, remote_resolution_share, save, actor.
    """
    from fieldcrew.db import session_scope
    from timepool.quotas import branch_pool, daily_quotas
    from timepool.store import save_quotas

    ctx.progress(0.05, "reading observations and order history")
    start = dt.date.fromisoformat(params["start"])
    std_params = StandardParams.model_validate(params.get("standard_params") or {})
    uplifts = [Uplift.model_validate(u) for u in params.get("uplifts") or []]
    with session_scope(ctx.database_url) as session:
        pool = branch_pool(
            session,
            params["branch_id"],
            start,
            int(params["days"]),
            std_params,
            uplifts,
            float(params.get("remote_resolution_share", 0.0)),
        )
        ctx.progress(0.7, "pool built; computing quotas")
        quotas = daily_quotas(
            pool, int(params["productive_minutes_per_shift"]), int(params.get("min_heads", 1))
        )
        version = None
        if params.get("save") and not ctx.cancelled():
            version = save_quotas(
                session,
                params["branch_id"],
                pool,
                quotas,
                int(params["productive_minutes_per_shift"]),
                params.get("actor", "job"),
                {k: v for k, v in params.items() if k not in ("actor",)},
            ).version
    ctx.progress(1.0, "done")
    return {
        "branch_id": params["branch_id"],
        "saved_version": version,
        "notes": pool.notes,
        "quotas": {g: {d.isoformat(): h for d, h in days.items()} for g, days in quotas.items()},
    }
