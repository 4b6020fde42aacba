"""Long-running work of the pool as platform jobs: :data:`QUOTAS` (``timepool.quotas``)."""

from __future__ import annotations

from typing import Any

from fieldcrew.db import session_scope
from fieldcrew.jobs import JobContext, JobKind
from timepool.domain import QuotaRequest
from timepool.quotas import branch_pool, daily_quotas
from timepool.store import save_quotas


class QuotaJobParams(QuotaRequest):
    """Parameters of a quota job: the request of ``POST /timepool/quotas/jobs`` and who made it."""

    actor: str = "job"


def quota_job(params: QuotaJobParams, ctx: JobContext) -> dict[str, Any]:
    """Compute (and, when ``params.save``, store) a branch's daily quotas from the database."""
    ctx.progress(0.05, "reading observations and order history")
    with session_scope(ctx.database_url) as session:
        pool = branch_pool(
            session,
            params.branch_id,
            params.start,
            params.days,
            params.standard_params,
            params.uplifts,
            params.remote_resolution_share,
        )
        ctx.progress(0.7, "pool built; computing quotas")
        quotas = daily_quotas(pool, params.productive_minutes_per_shift, params.min_heads)
        version = None
        if params.save and not ctx.cancelled():
            version = save_quotas(
                session,
                params.branch_id,
                pool,
                quotas,
                params.productive_minutes_per_shift,
                params.actor,
                params.model_dump(mode="json", exclude={"actor"}),
            ).version
    ctx.progress(1.0, "done")
    return {
        "branch_id": params.branch_id,
        "saved_version": version,
        "notes": pool.notes,
        "quotas": quotas.to_json(),
    }


#: Daily quotas of a branch as a background job (``POST /timepool/quotas/jobs``).
QUOTAS = JobKind("timepool.quotas", QuotaJobParams, quota_job)
