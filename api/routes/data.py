"""Bulk data: CSV/Excel import and export of technicians, areas, orders and observations.

- ``GET /data/{kind}/export?format=csv|xlsx``: download every stored row of ``kind`` (the file is
  also the template for a branch's own data).
- ``POST /data/{kind}/import`` (multipart field ``file``, ``.csv`` or ``.xlsx``): check every cell
  and reference, then upsert; on any problem the answer is ``422 application/problem+json`` listing
  **every** bad cell (``file``, ``row``, ``field`` = column, ``value``, ``rule``) and nothing is
  written. The import is recorded in the audit log.
- ``GET /data/kinds``: the kinds, their columns and who may import/export them.

Who may do what (admin always may): technicians — HR imports, HR and dispatchers export (the file
holds contact data: in full for HR and admins, masked ``138****1234`` for dispatchers); areas —
planners import, planners/dispatchers/HR export; orders — dispatchers import, dispatchers and
planners export; observations (work study) — planners.

Uploads larger than ``FIELDCREW_MAX_UPLOAD_BYTES`` are refused with 413 before they are read
(:mod:`api.guards`); of a file with very many bad cells the first 1,000 are listed, with
``error_count`` telling how many there are.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoint annotations at runtime.

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DbSession, attachment, file_responses, require_roles
from fieldcrew import audit
from fieldcrew import io as data_io
from fieldcrew.auth import AuthUser
from fieldcrew.privacy import sees_personal_data

router = APIRouter(prefix="/data", tags=["import / export"])

#: kind → (roles that may import, roles that may export); admin is always allowed.
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "technicians": (("hr",), ("hr", "dispatcher")),
    "areas": (("planner",), ("planner", "dispatcher", "hr")),
    "orders": (("dispatcher",), ("dispatcher", "planner")),
    "observations": (("planner",), ("planner",)),
}

ExportFormat = Literal["csv", "xlsx"]


class DataKind(BaseModel):
    """An importable kind: its file columns (in order), the required ones, who may import/export it."""

    kind: str
    columns: list[str]
    required: list[str]
    import_roles: list[str]
    export_roles: list[str]


class ImportResult(BaseModel):
    """What an import wrote: rows inserted and updated, plus a count per table written."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": {"type": "integer"}})

    kind: str
    file: str
    inserted: int = Field(ge=0)
    updated: int = Field(ge=0)


@router.get("/kinds", response_model=list[DataKind], summary="Importable kinds, their columns and roles")
def kinds(
    _: Annotated[AuthUser, Depends(require_roles("dispatcher", "hr", "planner"))],
) -> list[DataKind]:
    """Every kind with its file columns (in order) and the roles allowed to import and export it."""
    return [
        DataKind(
            kind=kind,
            columns=data_io.columns(kind),
            required=[c.name for c in data_io.SCHEMAS[kind] if c.required],
            import_roles=["admin", *ROLES[kind][0]],
            export_roles=["admin", *ROLES[kind][1]],
        )
        for kind in data_io.KINDS
    ]


def _export_endpoint(kind: str) -> Callable[..., Response]:
    def export(
        session: DbSession,
        user: Annotated[AuthUser, Depends(require_roles(*ROLES[kind][1]))],
        format: Annotated[ExportFormat, Query(description="csv or xlsx")] = "csv",
    ) -> Response:
        content = data_io.export_bytes(session, kind, format, personal_data=sees_personal_data(user.role))
        return attachment(content, format, f"{kind}.{format}")

    export.__name__ = f"export_{kind}"
    export.__doc__ = (
        f"Download every stored {kind} row as CSV or Excel (an import template). Text a spreadsheet "
        "would run as a formula is written with a leading apostrophe"
        + ("; phone and e-mail are masked for roles other than HR and admin." if kind == "technicians"
           else ".")
    )
    return export


def _import_endpoint(kind: str) -> Callable[..., ImportResult]:
    def import_(
        session: DbSession,
        user: Annotated[AuthUser, Depends(require_roles(*ROLES[kind][0]))],
        file: Annotated[UploadFile, File(description=".csv or .xlsx file with the export's columns")],
    ) -> ImportResult:
        name = file.filename or f"{kind}.csv"
        data = file.file.read()
        result = data_io.import_file(session, kind, data, name=name)
        audit.record(session, user, "import", kind, name, None, result.as_dict())
        return ImportResult.model_validate(result.as_dict())

    import_.__name__ = f"import_{kind}"
    import_.__doc__ = (
        f"Import {kind} from CSV or Excel: every bad cell is reported (422 problem+json) and nothing "
        "is written unless the whole file is valid; known ids are updated, new ids inserted."
    )
    return import_


for _kind in data_io.KINDS:
    router.add_api_route(f"/{_kind}/export", _export_endpoint(_kind), methods=["GET"],
                         summary=f"Export {_kind}", response_class=Response,
                         responses=file_responses("csv", "xlsx", description=f"every stored {_kind} row"))
    router.add_api_route(f"/{_kind}/import", _import_endpoint(_kind), methods=["POST"],
                         summary=f"Import {_kind}", response_model=ImportResult)
