"""Errors shared by every fieldcrew package.

Every input problem names where it is (file, row, field), what was found (value) and the rule it
breaks, so a user can fix a spreadsheet without guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FieldcrewError(Exception):
    """Base of every domain error; the API maps subclasses to HTTP statuses in one handler."""

    status_code = 400
    title = "Bad request"


class NotFound(FieldcrewError):
    """A referenced resource does not exist."""

    status_code = 404
    title = "Not found"


class Conflict(FieldcrewError):
    """The request conflicts with the state of a resource (e.g. editing a published roster)."""

    status_code = 409
    title = "Conflict"


class TooManyRequests(FieldcrewError):
    """A limit of concurrent work is reached (e.g. queued jobs); the caller may retry later.

    Parameters
    ----------
    message
        What limit was reached.
    retry_after_s
        Seconds after which a retry may succeed (the API sends them as ``Retry-After``).
    """

    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, retry_after_s: int = 30) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class UnsupportedYear(FieldcrewError):
    """The holiday library has no data for a year, so working days cannot be known."""

    status_code = 422
    title = "Calendar year not supported"


@dataclass(frozen=True)
class Problem:
    """One bad cell or field: where it is, what it holds and which rule it breaks."""

    field: str
    rule: str
    value: Any = None
    row: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: value {self.value!r} breaks rule: {self.rule}"

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if not isinstance(value, str | int | float | bool | None):
            value = str(value)
        return {"file": self.file, "row": self.row, "field": self.field, "value": value, "rule": self.rule}


@dataclass
class InputErrors(FieldcrewError):
    """Every problem found in one input, reported together; nothing was written.

    ``total`` is the number of problems found when a reader kept only the first of very many
    (``problems`` then holds fewer); ``None`` means ``problems`` holds them all.
    """

    problems: list[Problem] = field(default_factory=list)
    total: int | None = None
    status_code = 422
    title = "Invalid input"

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def count(self) -> int:
        """How many problems the input has (at least as many as are listed)."""
        return max(self.total or 0, len(self.problems))

    def __str__(self) -> str:
        head = f"{self.count} problem(s) in the input; nothing was written"
        return "\n".join([head, *(f"- {p}" for p in self.problems[:50])])

    def __bool__(self) -> bool:
        return bool(self.problems)
