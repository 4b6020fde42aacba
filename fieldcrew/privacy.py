"""Personal data of technicians (phone, e-mail): who may read it, and what everyone else sees.

Only HR and administrators read contact data in full (:data:`PERSONAL_DATA_ROLES`); every other
reader (dispatchers, planners, the technicians themselves in lists) gets it masked, keeping just
enough to recognise a number or an address: ``138****1234``, ``z***@example.com``. Exports and API
answers apply the same rule through :func:`contact_for`.
"""

from __future__ import annotations

#: Roles that read technicians' contact data unmasked.
PERSONAL_DATA_ROLES: frozenset[str] = frozenset({"hr", "admin"})


def sees_personal_data(role: str) -> bool:
    """Whether a user of ``role`` reads contact data unmasked."""
    return role in PERSONAL_DATA_ROLES


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``; a short number keeps only its last two digits."""
    text = phone.strip()
    if len(text) >= 8:
        return f"{text[:3]}****{text[-4:]}"
    return "****" + text[-2:] if len(text) > 2 else "****"


def mask_email(email: str) -> str:
    """``zhang.san@example.com`` → ``z***@example.com`` (the domain stays: it tells the employer)."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def contact_for(role: str, phone: str | None, email: str | None) -> tuple[str | None, str | None]:
    """A technician's phone and e-mail as a user of ``role`` may read them (masked unless HR/admin)."""
    if sees_personal_data(role):
        return phone, email
    return (mask_phone(phone) if phone else None, mask_email(email) if email else None)
