"""The 12 operating models as named presets, read from ``presets.yaml`` (configuration, not code)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from scheduler.roster.domain import RuleSettings
from vocabulary.errors import NotFound

PRESETS_FILE = Path(__file__).with_name("presets.yaml")


class StaffLimits(BaseModel):
    """Per-technician limits of an operating model (days scale with the horizon, per 28 days)."""

    model_config = ConfigDict(frozen=True)

    max_consecutive_work: int = Field(default=6, ge=1)
    min_consecutive_work: int = Field(default=1, ge=1)
    min_consecutive_off: int = Field(default=1, ge=1)
    max_weekends: int | None = Field(default=None, ge=0)
    min_total_days: int = Field(default=0, ge=0)
    max_total_days: int | None = Field(default=None, ge=0)


class CoverWeights(BaseModel):
    """Cost of one head under / over the group quota per day."""

    model_config = ConfigDict(frozen=True)

    weight_under: int = Field(default=100, ge=0)
    weight_over: int = Field(default=5, ge=0)


class Preset(BaseModel):
    """One operating model: its rules, staff limits and cover weights."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    rules: RuleSettings = Field(default_factory=RuleSettings)
    staff: StaffLimits = Field(default_factory=StaffLimits)
    cover: CoverWeights = Field(default_factory=CoverWeights)


@lru_cache(maxsize=4)
def load_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """Every preset in ``path`` by name."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: Preset(name=name, **body) for name, body in raw.items()}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; :class:`NotFound` names the known ones otherwise."""
    presets = load_presets()
    if name not in presets:
        raise NotFound(f"unknown operating model {name!r}; known: {', '.join(sorted(presets))}")
    return presets[name]
