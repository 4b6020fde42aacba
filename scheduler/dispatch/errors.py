"""Errors of the dispatch package; every message names the record, the field, the value and the rule."""

from __future__ import annotations

from vocabulary.errors import Conflict, FieldcrewError, InputErrors, NotFound, Problem

__all__ = [
    "Conflict",
    "DispatchError",
    "EventOutOfOrder",
    "InputErrors",
    "InvalidSolomonFile",
    "InvalidStateFile",
    "Problem",
    "UnknownOrder",
    "UnknownTechnician",
]


class DispatchError(FieldcrewError):
    """Base of the dispatch package's domain errors."""


class UnknownTechnician(NotFound):
    """An event or input names a technician who is not on duty in the plan."""


class UnknownOrder(NotFound):
    """An event names an order the plan does not know."""


class EventOutOfOrder(Conflict):
    """An event that the order life cycle or the plan's clock does not allow (plan unchanged)."""


class InvalidStateFile(FieldcrewError):
    """A dispatch state file that is not an input + plan pair."""

    status_code = 422
    title = "Invalid dispatch state"


class InvalidSolomonFile(FieldcrewError):
    """A Solomon VRPTW file that does not follow the format."""

    status_code = 422
    title = "Invalid Solomon file"
