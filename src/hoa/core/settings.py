"""The one settings object. No other module reads the environment."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from limits import parse
from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from hoa.core.folders import sqlite_file

DEFAULT_SECRET = "dev-only-change-me-dev-only-change-me"  # noqa: S105 - refused in production


class Env(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DatabaseSettings(BaseModel):
    pool_size: int = Field(20, ge=1, description="PostgreSQL connection pool size per process")
    max_overflow: int = Field(10, ge=0, description="PostgreSQL connections allowed above the pool")
    pool_timeout_seconds: float = Field(
        10, gt=0, description="How long a request waits for a free PostgreSQL connection"
    )
    pool_recycle_seconds: int = Field(
        1800,
        ge=1,
        description="PostgreSQL connections older than this are replaced when next taken from "
        "the pool (a read on a connection found dropped runs again on a new one)",
    )
    statement_timeout_ms: int = Field(30_000, ge=0, description="PostgreSQL statement_timeout")
    lock_timeout_ms: int = Field(10_000, ge=0, description="PostgreSQL lock_timeout")
    sqlite_busy_timeout_ms: int = Field(30_000, ge=0, description="SQLite busy_timeout")
    echo: bool = Field(False, description="Log every SQL statement")
    pgbouncer: bool = Field(
        False,
        description="Connections go through pgbouncer in transaction mode: no prepared "
        "statement caches; timeouts come from the role's settings",
    )
    direct_url: str | None = Field(
        None,
        description="PostgreSQL itself when HOA_DATABASE_URL goes through pgbouncer: "
        "migrations and backups use it; unset: HOA_DATABASE_URL",
    )
    read_your_writes_seconds: int = Field(
        10, ge=0, description="After a write, a client's reads go to the primary this long"
    )
    slow_statement_ms: int = Field(
        500, ge=0, description="Statements slower than this are logged (normalized); 0: none"
    )


class SigningKey(BaseModel):
    kid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    secret: SecretStr = Field(min_length=32)


class AuthSettings(BaseModel):
    signing_keys: list[SigningKey] = Field(
        default_factory=list,
        description="JWT keys, current signing key first, then older keys still accepted; "
        "empty: one key derived from HOA_SECRET_KEY",
    )
    refresh_token_days: int = Field(30, ge=1, description="Lifetime of a refresh token")
    password_min_length: int = Field(12, ge=8, le=64, description="Shortest new password")
    lockout_after: int = Field(5, ge=1, description="Failed sign-ins in a row before a lockout")
    lockout_seconds: int = Field(60, ge=1, description="First lockout; doubles per failure")
    lockout_max_seconds: int = Field(3600, ge=1, description="Longest lockout")

    @field_validator("signing_keys")
    @classmethod
    def _unique_kids(cls, keys: list[SigningKey]) -> list[SigningKey]:
        if len({key.kid for key in keys}) != len(keys):
            raise ValueError("signing key ids must be unique")
        return keys


class RateLimitSettings(BaseModel):
    api: str = Field("100/minute", description="Requests per client IP on /api/v1")
    auth_per_ip: str = Field(
        "5/minute", description="Sign-ins, password changes, invitation accepts, joins per IP"
    )
    auth_per_account: str = Field("5/minute", description="The same, per account email")
    rum: str = Field("30/minute", description="Browser timing reports per client IP")
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Proxy addresses/networks whose X-Forwarded-For names the client",
    )
    local_path: Path | None = Field(
        None,
        description="SQLite file of the counters without Redis (and while Redis is down), "
        "shared by the app processes of the host; unset: ratelimit.db next to the SQLite "
        "database or in var/",
    )

    @field_validator("api", "auth_per_ip", "auth_per_account", "rum")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse(value)  # raises ValueError on a malformed limit
        return value


class RedisSettings(BaseModel):
    timeout_ms: int = Field(
        50,
        ge=1,
        description="Longest wait for Redis to connect or answer a request's call (rate "
        "limits, enqueueing a delivery, /readyz); a hung Redis costs a request no more",
    )
    retry_seconds: float = Field(
        5,
        gt=0,
        description="After failed calls Redis is skipped this long, then one call tries it",
    )


class CacheSettings(BaseModel):
    """The read cache (process memory, or Redis with HOA_REDIS_URL). Every write that changes a
    cached value invalidates it after its commit; the lifetimes bound what a lost invalidation
    (Redis failing at that moment) can leave stale."""

    enabled: bool = Field(True, description="Cache hot reads; off: every read asks the database")
    amenities_seconds: int = Field(300, ge=1, le=300, description="Amenity lists and details")
    calendar_seconds: int = Field(
        60, ge=1, le=60, description="Calendar months and availability per amenity and day"
    )
    memberships_seconds: int = Field(900, ge=1, le=900, description="The caller's membership")
    versions_path: Path | None = Field(
        None,
        description="File of the version numbers without Redis, shared by every process of the "
        "host (app processes, hoa worker, the CLI); unset: cache-versions next to the SQLite "
        "database or in var/",
    )


class EmailBackend(StrEnum):
    OUTBOX = "outbox"
    SMTP = "smtp"
    SENDGRID = "sendgrid"


class EmailSettings(BaseModel):
    backend: EmailBackend = Field(
        EmailBackend.OUTBOX, description="outbox (.eml files) | smtp | sendgrid"
    )
    from_address: str = Field("HOA <no-reply@localhost>", description="From header of every email")
    outbox_dir: Path = Field(Path("var/outbox"), description="Folder of the outbox backend")
    smtp_host: str = Field("localhost", description="SMTP server host")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port")
    smtp_user: str | None = Field(None, description="SMTP user name; unset: no login")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS")
    sendgrid_api_key: SecretStr | None = Field(None, description="SendGrid API key")
    sendgrid_url: str = Field(
        "https://api.sendgrid.com", description="SendGrid API base URL (v3 mail/send)"
    )
    timeout_seconds: float = Field(15, gt=0, description="Timeout of one SMTP/HTTP send")


class JobSettings(BaseModel):
    embedded_worker: bool = Field(
        True,
        description="Without HOA_REDIS_URL, consume the local queue inside the app process",
    )
    queue_path: Path | None = Field(
        None, description="SqliteHuey file; unset: jobs.db next to the SQLite database or in var/"
    )
    queue_name: str = Field(
        "hoa", min_length=1, max_length=64, description="Queue name (Redis key prefix)"
    )
    workers: int = Field(2, ge=1, description="Worker threads of a consumer")
    max_attempts: int = Field(6, ge=1, description="Delivery attempts before a notification fails")
    backoff_seconds: float = Field(
        30, gt=0, description="First retry delay; doubles per attempt, with jitter"
    )
    lease_seconds: int = Field(
        120, ge=1, description="How long a delivery may run before another worker re-claims it"
    )
    retention_days: int = Field(
        730, ge=30, description="Age after which sent/failed notifications and audit rows go"
    )
    sweep_grace_seconds: int = Field(
        60, ge=0, description="Age of a due row before the sweep re-enqueues it"
    )


class ServerSettings(BaseModel):
    unready_seconds: float = Field(
        0,
        ge=0,
        description="After SIGTERM, /readyz answers 503 this long while requests are "
        "still served, so a load balancer polling it moves traffic away",
    )
    drain_seconds: int = Field(
        30,
        ge=1,
        description="Then, the longest in-flight requests (and a worker's task) may "
        "take to finish before the process exits anyway",
    )


class MetricsSettings(BaseModel):
    enabled: bool = Field(
        True, description="Count requests, jobs and the rest, and serve them at /metrics"
    )
    token: SecretStr | None = Field(
        None,
        description="Bearer token /metrics requires; unset: open outside production, "
        "closed (404) in production",
    )
    dir: Path = Field(
        Path("var/metrics"),
        description="Folder where every process of hoa serve and hoa worker on this host "
        "writes its metrics (created and cleaned by the command line)",
    )


class BackupSettings(BaseModel):
    dir: Path = Field(Path("var/backups"), description="Folder the backups are written to")
    keep: int = Field(14, ge=1, description="Backups kept; older ones are deleted after a backup")
    age_recipients: list[str] = Field(
        default_factory=list,
        description="age public keys (age1...); set: backups are encrypted to them",
    )
    daily_at: str | None = Field(
        None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="HH:MM (UTC) of a daily backup run by the job queue; unset: none",
    )
    jobs: int = Field(2, ge=1, description="Parallel pg_restore jobs")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOA_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        # A refused value may be a secret (or the whole environment, for a model-level check).
        hide_input_in_errors=True,
    )

    env: Env = Field(Env.DEVELOPMENT, description="development | test | production")
    database_url: str = Field(
        "sqlite+aiosqlite:///var/hoa.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    database_replica_url: str | None = Field(
        None,
        description="A streaming replica (postgresql+asyncpg://...) for lag-tolerant reads",
    )
    allow_sqlite_in_production: bool = Field(
        False, description="Let production run on the SQLite file (single-server setups)"
    )
    db: DatabaseSettings = DatabaseSettings()
    server: ServerSettings = ServerSettings()
    backup: BackupSettings = BackupSettings()
    metrics: MetricsSettings = MetricsSettings()
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        validation_alias=AliasChoices(
            "otel_exporter_otlp_endpoint",
            "HOA_OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ),
        description="OTLP/HTTP collector base URL (traces go to /v1/traces); unset: no tracing",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET), description="Signs sessions and tokens; required in production"
    )
    access_token_minutes: int = Field(
        15, ge=1, description="Lifetime of an access token (session cookie or bearer token)"
    )
    auth: AuthSettings = AuthSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    redis_url: str | None = Field(
        None,
        description="redis://host:port/db shared by all app processes (rate limits, job queue)",
    )
    redis: RedisSettings = RedisSettings()
    cache: CacheSettings = CacheSettings()
    email: EmailSettings = EmailSettings()
    jobs: JobSettings = JobSettings()
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser"
    )
    demo_password: SecretStr = Field(
        SecretStr("maple-grove-demo"), description="Password of the seed-demo accounts"
    )
    invitation_days: int = Field(14, ge=1, description="How long an invitation link stays valid")
    decision_undo_minutes: int = Field(
        5,
        ge=0,
        description="How long an admin may undo approving or declining a request; the "
        "resident's email waits until then",
    )
    public_url: str = Field(
        "http://localhost:8000", description="Base URL used in links (invitations, resets)"
    )
    web_dist: Path = Field(
        Path("web/dist"), description="The built web app served at /; missing: a 'not built' page"
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        "info", description="Lowest level written to the log"
    )
    sentry_dsn: SecretStr | None = Field(
        None, description="Report server errors to this Sentry DSN; unset: Sentry is off"
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1, description="Largest request body accepted (413 above)"
    )
    max_json_depth: int = Field(
        32, ge=1, description="Deepest nesting of arrays/objects in a JSON body (413 above)"
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
    def direct_database_url(self) -> str:
        """PostgreSQL itself (past pgbouncer), for session-level work: migrations, backups."""
        return self.db.direct_url or self.database_url

    @property
    def sqlite_path(self) -> Path | None:
        return sqlite_file(self.database_url)


class InvalidSettings(Exception):
    """Settings that cannot be used: each problem with the variable it is about, never the
    value, which may be a secret."""


def _problem(loc: tuple[int | str, ...], msg: str) -> str:
    msg = msg.removeprefix("Value error, ")
    if not loc:
        return msg  # a check across several settings names them itself
    # The variable is the path down to the first list index; the rest is inside its JSON.
    cut = next((i for i, part in enumerate(loc) if isinstance(part, int)), len(loc))
    where = "HOA_" + "__".join(map(str, loc[:cut])).upper()
    if loc[cut:]:
        where += " (" + ".".join(map(str, loc[cut:])) + ")"
    return f"{where}: {msg}"


@lru_cache
def get_settings() -> Settings:
    """Raises InvalidSettings."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = (_problem(e["loc"], e["msg"]) for e in exc.errors(include_input=False))
        raise InvalidSettings("invalid settings: " + "; ".join(problems)) from None
    except SettingsError as exc:  # a nested group's JSON that does not parse
        raise InvalidSettings(f"invalid settings: {exc}") from None
