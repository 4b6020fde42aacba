"""Long-running work of the pool as platform jobs: :data:`QUOTAS` (``timepool.quotas``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fieldcrew.db import session_scope
from fieldcrew.jobs import JobContext, JobKind
from fieldcrew.tables import BranchRow
from timepool.domain import QuotaRequest
from timepool.quotas import branch_pool, daily_quotas, load_areas
from timepool.store import save_quotas
from vocabulary.errors import InputErrors, Problem


class QuotaJobParams(QuotaRequest):
    """Parameters of a quota job: the request of ``POST /timepool/quotas/jobs`` and who made it."""

    actor: str = "job"


def quota_job(params: QuotaJobParams, ctx: JobContext) -> dict[str, Any]:
    """Compute (and, when ``params.save``, store) a branch's daily quotas from the database.

    The quotas are saved fenced (:meth:`JobContext.fenced`): only by the run that still owns the
    job, together with its result.
    """
    ctx.progress(0.05, "reading observations and order history")
    out: dict[str, Any] = {"branch_id": params.branch_id, "saved_version": None}
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
        out |= {"notes": pool.notes, "quotas": quotas.to_json()}
        if params.save and not ctx.cancelled():
            out["saved_version"] = save_quotas(
                session,
                params.branch_id,
                pool,
                quotas,
                params.productive_minutes_per_shift,
                params.actor,
                params.model_dump(mode="json", exclude={"actor"}),
            ).version
            ctx.fenced(session, out)  # last: a run that lost its job saves no quotas
    ctx.progress(1.0, "done")
    return out


def check_quotas(session: Session, params: QuotaJobParams) -> None:
    """Refuse at submission the quotas of a branch that does not exist or has no small areas to
    forecast orders in (the job could only fail).

    Raises
    ------
    InputErrors
        Naming ``branch_id`` and the rule (HTTP 422).
    """
    branch_id = params.branch_id
    if session.get(BranchRow, branch_id) is None:
        raise InputErrors([Problem("branch_id", "must name a stored branch", branch_id)])
    if not load_areas(session, branch_id):
        rule = "branch has no small areas to forecast orders in"
        raise InputErrors([Problem("branch_id", rule, branch_id)])


#: Daily quotas of a branch as a background job (``POST /timepool/quotas/jobs``).
QUOTAS = JobKind("timepool.quotas", QuotaJobParams, quota_job, validate=check_quotas)
