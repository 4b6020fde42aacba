"""Errors of the dispatch package; every message names the record, the field, the value and the rule."""

from __future__ import annotations

from vocabulary.errors import Conflict, FieldcrewError, InputErrors, NotFound, Problem

__all__ = [
    "Conflict",
    "DayUnderWay",
    "DispatchError",
    "EventNotAllowed",
    "EventOutOfOrder",
    "InputErrors",
    "InvalidSolomonFile",
    "InvalidStateFile",
    "NoRosterForDay",
    "NotYourOrder",
    "OrderTableConflict",
    "OrderTableDay",
    "PlanVersionConflict",
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

    title = "Event out of order"


class NoRosterForDay(Conflict):
    """A day to plan from the order table that no published roster covers, and no on-duty list given."""

    title = "No published roster"


class DayUnderWay(Conflict):
    """A new morning plan of a day whose work has started: the day goes on by events."""

    title = "Day under way"


class PlanVersionConflict(Conflict):
    """The plan in force is not the version the request was made against."""

    title = "Plan version conflict"


class OrderTableConflict(Conflict):
    """The order table no longer says what the plan in force says of an order (changed outside dispatch)."""

    title = "Order table disagrees"


class OrderTableDay(Conflict):
    """A day input given directly that names orders of the order table, or a day planned from it."""

    title = "Day planned from the order table"


class EventNotAllowed(DispatchError):
    """An event the caller's role may not post (a technician posts only his own work's progress)."""

    status_code = 403
    title = "Event not allowed"


class NotYourOrder(NotFound):
    """A technician's event names an order that is not his (or does not exist: the answer is the same)."""


class InvalidStateFile(FieldcrewError):
    """A dispatch state file that is not an input + plan pair."""

    status_code = 422
    title = "Invalid dispatch state"


class InvalidSolomonFile(FieldcrewError):
    """A Solomon VRPTW file that does not follow the format."""

    status_code = 422
    title = "Invalid Solomon file"
