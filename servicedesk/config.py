"""Configuration from environment variables, with safe defaults for the local run only."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

#: Values that must never be accepted as a production secret.
_WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "local-only-secret"}


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service."""


@dataclass(frozen=True)
class Settings:
    mode: str
    secret_key: str
    database_url: str
    max_content_length: int
    scheduler_in_process: bool
    resolved_grace_business_days: int
    mail_transport: str
    smtp_host: str
    smtp_port: int
    mail_from: str
    mail_file: str
    #: Personal API tokens expire this many days after they are issued.
    token_lifetime_days: int = 30
    #: The address people reach the pages at: links in e-mail (the rating link) start here.
    public_url: str = "http://127.0.0.1:5000"
    #: The largest attachment accepted, in bytes (a larger upload answers 413).
    attachment_max_bytes: int = 10 * 1024 * 1024
    #: IMAP mailbox polled by the scheduler for incoming mail; empty host: no polling.
    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_password: str = ""
    imap_ssl: bool = True
    imap_folder: str = "INBOX"
    #: Incoming mail accepted per sender address per hour; more goes to quarantine.
    mail_in_rate_per_hour: int = 20
    #: How long a worker keeps the public service-level figures (0: computed every time).
    public_cache_seconds: float = 60.0
    #: May the customer's account manager sign its agreement versions (else only admins)?
    account_managers_sign: bool = False
    #: Reverse proxies in front of the app whose X-Forwarded-For is trusted (ProxyFix).
    trusted_proxy_count: int = 0


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(instance_path: str, env: dict[str, str] | None = None) -> Settings:
    """Read the settings; production mode refuses to start without a real SECRET_KEY."""
    env = dict(os.environ if env is None else env)
    mode = env.get("SERVICEDESK_MODE", "local").strip().lower()
    if mode not in {"local", "production", "test"}:
        raise ConfigError(f"SERVICEDESK_MODE must be local, production or test, not {mode!r}")
    secret = env.get("SECRET_KEY", "")
    if mode == "production":
        if secret.strip().lower() in _WEAK_SECRETS or len(secret) < 32:
            raise ConfigError(
                "production mode needs SECRET_KEY: at least 32 random characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        if not env.get("DATABASE_URL"):
            raise ConfigError("production mode needs DATABASE_URL (a PostgreSQL URL)")
        if not normalise_database_url(env["DATABASE_URL"]).startswith("postgresql"):
            # One file, one writer, no advisory locks: SQLite is for the local run only.
            raise ConfigError(
                "production mode needs a PostgreSQL DATABASE_URL "
                "(postgresql://user@host/db), not SQLite"
            )
    elif not secret:
        # Local and test runs get a random key per process: sessions do not survive a
        # restart, which is the honest behaviour for a key nobody configured.
        secret = secrets.token_urlsafe(48)
    default_db = "sqlite:///" + str(Path(instance_path) / "servicedesk.sqlite3")
    return Settings(
        mode=mode,
        secret_key=secret,
        database_url=normalise_database_url(env.get("DATABASE_URL") or default_db),
        max_content_length=int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        scheduler_in_process=_bool(env.get("SCHEDULER_IN_PROCESS"), default=False),
        resolved_grace_business_days=int(env.get("RESOLVED_GRACE_BUSINESS_DAYS", "5")),
        mail_transport=env.get("MAIL_TRANSPORT", "file" if mode != "production" else "smtp"),
        smtp_host=env.get("SMTP_HOST", "localhost"),
        smtp_port=int(env.get("SMTP_PORT", "25")),
        mail_from=env.get("MAIL_FROM", "palvelupiste@kpk.example"),
        mail_file=env.get("MAIL_FILE", str(Path(instance_path) / "outbox-mail.log")),
        token_lifetime_days=int(env.get("TOKEN_LIFETIME_DAYS", "30")),
        trusted_proxy_count=int(env.get("TRUSTED_PROXY_COUNT", "0")),
        public_url=env.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        attachment_max_bytes=int(env.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        imap_host=env.get("IMAP_HOST", ""),
        imap_port=int(env.get("IMAP_PORT", "993")),
        imap_user=env.get("IMAP_USER", ""),
        imap_password=env.get("IMAP_PASSWORD", ""),
        imap_ssl=_bool(env.get("IMAP_SSL"), default=True),
        imap_folder=env.get("IMAP_FOLDER", "INBOX"),
        mail_in_rate_per_hour=int(env.get("MAIL_IN_RATE_PER_HOUR", "20")),
        public_cache_seconds=float(env.get("PUBLIC_CACHE_SECONDS", "60")),
        account_managers_sign=_bool(env.get("ACCOUNT_MANAGERS_SIGN"), default=False),
    )


def normalise_database_url(url: str) -> str:
    """Let people paste the usual `postgresql://` URL; we drive it with psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _from_a_dialect(exc: BaseException) -> bool:
    """Raised while SQLAlchemy's dialect imported its driver (not any missing module)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    return any("sqlalchemy" in f.filename and "dialects" in f.filename for f in frames)


def startup_message(exc: BaseException) -> str | None:
    """One line that says why the service cannot start, or None if `exc` is not that.

    The CLI and `wsgi.py` print it instead of a traceback: a wrong DATABASE_URL, a
    database that is down, a missing driver or a weak SECRET_KEY is the operator's
    to fix, and a traceback hides the one sentence that says how.
    """
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    if isinstance(exc, ConfigError):
        return f"Cannot start: {exc}."
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        return (
            f"Cannot start: DATABASE_URL is not a database URL we can use ({exc}); "
            "use sqlite:///path or postgresql://user@host/db."
        )
    if isinstance(exc, ModuleNotFoundError) and _from_a_dialect(exc):
        return (
            f"Cannot start: the database driver is missing (no module {exc.name!r}); "
            'install it, e.g. python -m pip install "psycopg[binary]".'
        )
    if isinstance(exc, OperationalError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"Cannot start: the database cannot be reached or opened: {reason}"
    return None
