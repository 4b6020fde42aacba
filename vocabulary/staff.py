"""Who does the work: technicians, their skills, post grades and employment."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from vocabulary.organisation import Identifier


class Employment(StrEnum):
    """Employer of a technician."""

    OWN_STAFF = "own_staff"
    PARTNER = "partner"  # outsourcing partner (代维), same model, rated and dropped if weak


class Skill(StrEnum):
    """What a technician is qualified for; orders require a subset."""

    BROADBAND = "broadband"
    FIXED_LINE = "fixed_line"
    FIBRE_SPLICING = "fibre_splicing"
    IPTV = "iptv"
    ENTERPRISE = "enterprise"


class ContactData(BaseModel):
    """Personal data. Secret-typed so it never shows up in logs, reprs or tracebacks."""

    model_config = ConfigDict(frozen=True)

    phone: SecretStr | None = None
    email: SecretStr | None = None
    national_id: SecretStr | None = None


class Technician(BaseModel):
    """A field technician (装维人员)."""

    model_config = ConfigDict(frozen=True)

    id: str = Identifier
    name: str = Field(min_length=1, max_length=100, repr=False)
    branch_id: str = Identifier
    region_group_id: str | None = Field(default=None, description="None for the support team")
    home_area_id: str | None = None
    skills: frozenset[Skill] = frozenset({Skill.BROADBAND, Skill.FIXED_LINE})
    post_grade: str = Field(min_length=1, max_length=32, description="e.g. T1..T4; key of the post wage")
    employment: Employment = Employment.OWN_STAFF
    support_team: bool = False
    start_date: dt.date
    end_date: dt.date | None = None
    contact: ContactData = Field(default_factory=ContactData, repr=False)

    @model_validator(mode="after")
    def _consistent(self) -> Technician:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        if not self.support_team and self.region_group_id is None:
            raise ValueError("a technician outside the support team needs a region_group_id")
        return self

    def employed_on(self, day: dt.date) -> bool:
        """Whether the technician is employed on ``day``."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)
