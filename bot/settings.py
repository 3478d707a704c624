"""Settings: the only place that reads the environment. A frozen dataclass."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.catalog.load import DEFAULT_CONTENT_DIR
from bot.core.flows.handoff_hours import OfficeHours

# the retention period: less would delete the contacts of surveys sent today; more than ten
# years is a typo, not a policy (bot.storage.retention refuses the same bounds)
MIN_RETENTION_MONTHS = 1
MAX_RETENTION_MONTHS = 120


class SettingsError(ValueError):
    """A setting in the environment that cannot be used; the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: must be a whole number") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: must be a number") from None
    if value != value:  # NaN passes every range check otherwise
        raise SettingsError(f"{name}={raw!r}: must be a number")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults that need no configuration at all."""

    host: str = "127.0.0.1"
    port: int = 8080
    content_dir: Path = DEFAULT_CONTENT_DIR
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    database_url: str | None = None  # None: SQLite file under data_dir
    retention_months: int = 12  # personal data older than this is deleted
    webhook_timeout: float = 10.0  # seconds per webhook delivery attempt
    retry_base: float = 30.0  # first retry after 15-30 s, then doubling (with jitter)
    retry_max_attempts: int = 8  # then the delivery is dead-lettered
    outbox_poll: float = 1.0  # seconds between outbox passes when idle
    public_url: str | None = None  # https base URL the platforms reach us at (webhook mode)
    zalo_bot_token: str | None = None
    zalo_bot_secret: str | None = None  # webhook secret token (X-Bot-Api-Secret-Token)
    zalo_bot_api_base: str = "https://bot-api.zaloplatforms.com"
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None  # default: derived from the token
    telegram_api_base: str = "https://api.telegram.org"
    zalo_oa_app_id: str | None = None
    zalo_oa_secret_key: str | None = None  # the OA secret key: verifies X-ZEvent-Signature
    zalo_app_secret: str | None = None  # the app secret: sent when refreshing the token
    zalo_oa_access_token: str | None = None  # first token; later ones live in the database
    zalo_oa_refresh_token: str | None = None  # first refresh token (single-use)
    zalo_oa_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_oa_timeout: float = 10.0  # seconds per OA API call (send, token refresh)
    zalo_oa_retry_base: float = 1.0  # first wait after a rate limit (-32), then doubling
    # -- handoff (issue 12): counsellors' office hours, idle close, the web chat's event stream --
    handoff_hours: str = "mon-fri 07:30-17:00"  # Vietnam time; "always" for no limit
    handoff_idle_minutes: int = 30  # an open handoff quiet this long (in office hours) closes
    events_stream_seconds: float = 300.0  # one event stream response at most; the page reconnects
    events_poll: float = 1.0  # seconds between database checks of a waiting event stream
    portal_idle_minutes: int = 30  # portal: a session unused this long is signed out (portal)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read HUONGNGHIEP_* variables; anything unset keeps its default."""
        env = os.environ if env is None else env
        defaults = cls()
        settings = cls._read(env, defaults)
        settings.validate()
        return settings

    @classmethod
    def _read(cls, env: Mapping[str, str], defaults: Settings) -> Settings:
        return cls(
            host=env.get("HUONGNGHIEP_HOST", defaults.host),
            port=_int(env, "HUONGNGHIEP_PORT", defaults.port),
            content_dir=Path(env.get("HUONGNGHIEP_CONTENT_DIR", str(defaults.content_dir))),
            data_dir=Path(env.get("HUONGNGHIEP_DATA_DIR", str(defaults.data_dir))),
            log_level=env.get("HUONGNGHIEP_LOG_LEVEL", defaults.log_level).upper(),
            database_url=env.get("DATABASE_URL") or None,
            retention_months=_int(env, "HUONGNGHIEP_RETENTION_MONTHS", defaults.retention_months),
            webhook_timeout=_float(env, "HUONGNGHIEP_WEBHOOK_TIMEOUT", defaults.webhook_timeout),
            retry_base=_float(env, "HUONGNGHIEP_RETRY_BASE_SECONDS", defaults.retry_base),
            retry_max_attempts=_int(
                env, "HUONGNGHIEP_RETRY_MAX_ATTEMPTS", defaults.retry_max_attempts
            ),
            outbox_poll=_float(env, "HUONGNGHIEP_OUTBOX_POLL_SECONDS", defaults.outbox_poll),
            public_url=(env.get("HUONGNGHIEP_PUBLIC_URL") or "").rstrip("/") or None,
            zalo_bot_token=env.get("ZALO_BOT_TOKEN") or None,
            zalo_bot_secret=env.get("ZALO_BOT_WEBHOOK_SECRET") or None,
            zalo_bot_api_base=(
                env.get("ZALO_BOT_API_BASE_URL") or defaults.zalo_bot_api_base
            ).rstrip("/"),
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_api_base=(
                env.get("TELEGRAM_API_BASE_URL") or defaults.telegram_api_base
            ).rstrip("/"),
            zalo_oa_app_id=env.get("ZALO_OA_APP_ID") or None,
            zalo_oa_secret_key=env.get("ZALO_OA_SECRET_KEY") or None,
            zalo_app_secret=env.get("ZALO_APP_SECRET") or None,
            zalo_oa_access_token=env.get("ZALO_OA_ACCESS_TOKEN") or None,
            zalo_oa_refresh_token=env.get("ZALO_OA_REFRESH_TOKEN") or None,
            zalo_oa_api_base=(env.get("ZALO_OA_API_BASE_URL") or defaults.zalo_oa_api_base).rstrip(
                "/"
            ),
            zalo_oauth_base=(env.get("ZALO_OAUTH_BASE_URL") or defaults.zalo_oauth_base).rstrip(
                "/"
            ),
            zalo_oa_timeout=_float(env, "ZALO_OA_TIMEOUT_SECONDS", defaults.zalo_oa_timeout),
            zalo_oa_retry_base=_float(
                env, "ZALO_OA_RETRY_BASE_SECONDS", defaults.zalo_oa_retry_base
            ),
            # -- handoff (issue 12) --
            handoff_hours=env.get("HUONGNGHIEP_HANDOFF_HOURS", defaults.handoff_hours),
            handoff_idle_minutes=_int(
                env, "HUONGNGHIEP_HANDOFF_IDLE_MINUTES", defaults.handoff_idle_minutes
            ),
            events_stream_seconds=_float(
                env, "HUONGNGHIEP_EVENTS_STREAM_SECONDS", defaults.events_stream_seconds
            ),
            portal_idle_minutes=_int(  # portal
                env, "HUONGNGHIEP_PORTAL_IDLE_MINUTES", defaults.portal_idle_minutes
            ),
        )

    def validate(self) -> None:
        """Refuse values no deployment means (a typo in a number, a negative timeout)."""
        checks = [
            ("HUONGNGHIEP_PORT", self.port, 1, 65535),
            (
                "HUONGNGHIEP_RETENTION_MONTHS",
                self.retention_months,
                MIN_RETENTION_MONTHS,
                MAX_RETENTION_MONTHS,
            ),
            ("HUONGNGHIEP_RETRY_MAX_ATTEMPTS", self.retry_max_attempts, 1, 100),
            ("HUONGNGHIEP_WEBHOOK_TIMEOUT", self.webhook_timeout, 0.1, 300),
            ("HUONGNGHIEP_RETRY_BASE_SECONDS", self.retry_base, 0.0, 86400),
            ("HUONGNGHIEP_OUTBOX_POLL_SECONDS", self.outbox_poll, 0.01, 3600),
            ("ZALO_OA_TIMEOUT_SECONDS", self.zalo_oa_timeout, 0.1, 300),
            ("ZALO_OA_RETRY_BASE_SECONDS", self.zalo_oa_retry_base, 0.0, 3600),
            ("HUONGNGHIEP_HANDOFF_IDLE_MINUTES", self.handoff_idle_minutes, 1, 7 * 24 * 60),
            ("HUONGNGHIEP_EVENTS_STREAM_SECONDS", self.events_stream_seconds, 0.1, 3600),
            ("HUONGNGHIEP_PORTAL_IDLE_MINUTES", self.portal_idle_minutes, 1, 720),  # portal
        ]
        for name, value, low, high in checks:
            if not low <= value <= high:
                raise SettingsError(f"{name}={value}: must be between {low} and {high}")
        try:  # handoff (issue 12)
            OfficeHours.parse(self.handoff_hours)
        except ValueError as exc:
            raise SettingsError(f"HUONGNGHIEP_HANDOFF_HOURS: {exc}") from None

    @property
    def zalo_oa_enabled(self) -> bool:
        """Zalo OA runs with an app id, the OA secret key and an access or refresh token."""
        return bool(
            self.zalo_oa_app_id
            and self.zalo_oa_secret_key
            and (self.zalo_oa_access_token or self.zalo_oa_refresh_token)
        )

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL in use: DATABASE_URL, or SQLite under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'huongnghiep.db').resolve()}"
