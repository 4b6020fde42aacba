"""Audit log: every write records who, what, when and the before/after images, in the database.

Call :func:`record` inside the same transaction as the write it describes, so that the audit row
and the change commit (or roll back) together: an audit entry never describes a write that did
not happen, and a write never happens without its audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, SecretStr
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcrew.tables import AuditRow, utcnow

#: Columns whose values are personal data: the audit log records that they changed, not the value.
PERSONAL_FIELDS: frozenset[str] = frozenset({"phone", "email", "national_id", "contact"})
REDACTED = "***"


class _HasUsername(Protocol):
    @property
    def username(self) -> str: ...


def jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON types (dates → ISO strings, Decimal → string, sets → sorted lists).

    Parameters
    ----------
    value
        Anything an audit image may hold: scalars, mappings, sequences, pydantic models,
        dataclasses, ORM rows.

    Returns
    -------
    Any
        A structure of ``dict``/``list``/``str``/``int``/``float``/``bool``/``None``.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="python"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "__table__"):
        return snapshot(value)
    return str(value)


def snapshot(row: Any) -> dict[str, Any]:
    """The column values of an ORM row as a JSON-able dict, personal data redacted.

    Parameters
    ----------
    row
        A mapped instance (e.g. :class:`fieldcrew.tables.TechnicianRow`).

    Returns
    -------
    dict
        ``{column key: value}`` for every mapped column.
    """
    mapper = sa_inspect(row).mapper
    image: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        value = getattr(row, attr.key)
        image[attr.key] = REDACTED if attr.key in PERSONAL_FIELDS and value is not None else jsonable(value)
    return image


def _redact(image: Any) -> Any:
    if isinstance(image, Mapping):
        return {
            k: (REDACTED if k in PERSONAL_FIELDS and v is not None else _redact(v)) for k, v in image.items()
        }
    return image


def record(
    session: Session,
    actor: str | _HasUsername,
    action: str,
    entity: str,
    entity_id: str | int,
    before: Any,
    after: Any,
) -> AuditRow:
    """Add one audit entry to ``session`` (it commits or rolls back with the write it describes).

    Parameters
    ----------
    session
        The session of the write being audited.
    actor
        Username, or any object with a ``username`` (e.g. the API's ``CurrentUser``).
    action
        What was done: ``"create"``, ``"update"``, ``"delete"``, ``"import"``, ``"publish"``, …
    entity
        Kind of thing changed, e.g. ``"technician"``, ``"roster"``.
    entity_id
        Its identifier.
    before, after
        Images before and after the change (``None`` for create/delete); ORM rows, pydantic
        models, dataclasses and mappings are converted to JSON, personal fields redacted.

    Returns
    -------
    AuditRow
        The pending audit row.
    """
    username = actor if isinstance(actor, str) else actor.username
    row = AuditRow(
        at=utcnow(),
        actor=username,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_redact(jsonable(before)),
        after=_redact(jsonable(after)),
    )
    session.add(row)
    return row


def entries(
    session: Session, entity: str | None = None, entity_id: str | None = None, limit: int = 100
) -> list[AuditRow]:
    """Most recent audit entries first, optionally for one entity kind and id."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditRow.entity == entity)
    if entity_id is not None:
        query = query.where(AuditRow.entity_id == entity_id)
    return list(session.scalars(query))
