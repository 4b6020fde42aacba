"""All settings in one place; every field can be set by an environment variable ``FIELDCREW_*``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """fieldcrew's settings (``FIELDCREW_DATABASE_URL``, ``FIELDCREW_HOST``, …)."""

    model_config = SettingsConfigDict(env_prefix="FIELDCREW_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="where the SQLite file and exports live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite in data_dir")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    job_workers: int = Field(default=2, ge=1, description="processes running long jobs")
    job_executor: str = Field(default="process", pattern="^(process|thread)$")
    solver_workers: int = Field(
        default=2, ge=1, description="CP-SAT search workers of a roster solve whose request names none "
        "(recorded in the job's parameters)"
    )
    solver_seed: int = Field(
        default=0, description="CP-SAT random seed of a roster solve whose request names none "
        "(recorded in the job's parameters)"
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="largest request body the service reads (uploads, "
        "JSON); a larger one is refused with 413 before it is read"
    )
    max_jobs_per_user: int = Field(
        default=8, ge=1, description="queued or running jobs one user may have; more is 429 with Retry-After"
    )
    max_jobs: int = Field(
        default=32, ge=1, description="queued or running jobs of all users together; more is 429"
    )
    log_level: str = "INFO"
    demo_seed: int = 20260401
    dispatch_reoptimise_minutes: int = Field(
        default=15, ge=0, description="re-optimise a day's dispatch plan in the background at most this "
        "often while events arrive (0 = only on request)"
    )

    control_clock_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="re-evaluate the dispatch centre's process control (warnings, escalations) every this "
        "many seconds while the service runs (0 = only on events and on request)",
    )

    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one or the embedded SQLite default."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fieldcrew.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
