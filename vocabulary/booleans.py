"""Yes and no in a spreadsheet cell: the one set of true/false words every instrument reads.

Technician files (``support_team``), order outcomes (``complaint``, ``appointment_kept``), pay
inputs (``comp_time_off``) and callback surveys all say yes or no in the same words, so a file that
one instrument reads is read the same way by every other. The words are compared after stripping
and lower-casing; ``x`` is a ticked box and ``满意``/``不满意`` are callback answers.
"""

from __future__ import annotations

from decimal import Decimal

#: Cell texts read as true (compared stripped and lower-cased).
TRUE_WORDS: frozenset[str] = frozenset({"true", "t", "yes", "y", "1", "是", "x", "满意"})
#: Cell texts read as false (compared stripped and lower-cased).
FALSE_WORDS: frozenset[str] = frozenset({"false", "f", "no", "n", "0", "否", "不满意"})
#: The rule a cell that is neither breaks, naming the words.
BOOLEAN_RULE = "must be true or false (true, yes, y, t, 1, 是, x, 满意 / false, no, n, f, 0, 否, 不满意)"


def parse_bool(value: object) -> bool:
    """A yes/no cell as a bool.

    Parameters
    ----------
    value
        A bool, a number 0 or 1 (an Excel cell), or text: one of :data:`TRUE_WORDS` or
        :data:`FALSE_WORDS`, in any case, with spaces around it or not.

    Returns
    -------
    bool
        What the cell says.

    Raises
    ------
    ValueError
        With :data:`BOOLEAN_RULE` when the cell is anything else, blank included (callers decide
        what a blank cell means).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(BOOLEAN_RULE)
