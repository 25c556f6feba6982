"""The one settings object. No other module reads the environment."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-change-me-dev-only-change-me"  # noqa: S105 - refused in production


class Env(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DatabaseSettings(BaseModel):
    pool_size: int = Field(20, ge=1, description="PostgreSQL connection pool size per process")
    max_overflow: int = Field(10, ge=0, description="PostgreSQL connections allowed above the pool")
    statement_timeout_ms: int = Field(30_000, ge=0, description="PostgreSQL statement_timeout")
    lock_timeout_ms: int = Field(10_000, ge=0, description="PostgreSQL lock_timeout")
    sqlite_busy_timeout_ms: int = Field(30_000, ge=0, description="SQLite busy_timeout")
    echo: bool = Field(False, description="Log every SQL statement")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    env: Env = Field(Env.DEVELOPMENT, description="development | test | production")
    database_url: str = Field(
        "sqlite+aiosqlite:///var/hoa.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    allow_sqlite_in_production: bool = Field(
        False, description="Let production run on the SQLite file (single-server setups)"
    )
    db: DatabaseSettings = DatabaseSettings()
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET), description="Signs sessions and tokens; required in production"
    )
    access_token_minutes: int = Field(
        60 * 24 * 7, ge=1, description="Lifetime of a session or bearer token"
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser"
    )
    demo_password: SecretStr = Field(
        SecretStr("maple-grove-demo"), description="Password of the seed-demo accounts"
    )
    invitation_days: int = Field(14, ge=1, description="How long an invitation link stays valid")
    public_url: str = Field(
        "http://localhost:8000", description="Base URL used in links (invitations, resets)"
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.env is not Env.PRODUCTION:
            return self
        problems = []
        if (
            self.secret_key.get_secret_value() == DEFAULT_SECRET
            or len(self.secret_key.get_secret_value()) < 32
        ):
            problems.append("HOA_SECRET_KEY must be set to a random value of 32+ characters")
        if self.is_sqlite and not self.allow_sqlite_in_production:
            problems.append(
                "HOA_DATABASE_URL is SQLite; use PostgreSQL or set HOA_ALLOW_SQLITE_IN_PRODUCTION"
            )
        if "*" in self.cors_origins:
            problems.append("HOA_CORS_ORIGINS may not contain '*'")
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1]
        return None if path in ("", ":memory:") else Path(path)


@lru_cache
def get_settings() -> Settings:
    return Settings()
