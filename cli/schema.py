"""Every table of the product, named explicitly (the composition root's view of the schema).

The platform (:mod:`fieldcrew.tables`) and each instrument (its ``store.py``) declare their tables
on the one :class:`fieldcrew.db.Base`; the platform names no instrument, so whoever needs the
whole schema (schema checks, Alembic autogenerate) asks for it here. A missing or broken table
module is an import error, never a silently smaller schema.
"""

from __future__ import annotations

from sqlalchemy import MetaData

import fieldcrew.tables
import payroll.store
import quality.store
import scheduler.dispatch.control_store
import scheduler.dispatch.partners_store
import scheduler.dispatch.store
import scheduler.roster.store
import timepool.store
from fieldcrew.db import Base

#: The modules that declare tables, in the order the data flows.
TABLE_MODULES = (
    fieldcrew.tables,
    timepool.store,
    scheduler.roster.store,
    scheduler.dispatch.store,
    scheduler.dispatch.control_store,
    scheduler.dispatch.partners_store,
    quality.store,
    payroll.store,
)


def metadata() -> MetaData:
    """The metadata holding every table of the product (platform and instruments)."""
    return Base.metadata
