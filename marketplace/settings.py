"""One validated settings object, read once at start-up from the environment."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///connect_energy.db"
# psycopg 3 is the only PostgreSQL driver we ship; SQLite comes with Python.
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
SUPPORTED_DATABASES = "sqlite:///FILE or postgresql://USER@HOST:PORT/DATABASE"
HTTP_URL_EXAMPLE = "use an absolute http:// or https:// URL, e.g. https://energia.example.com"
# Telegram accepts 1 to 256 of these characters as a webhook's secret_token.
TELEGRAM_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class Settings(BaseSettings):
    """Configuration of one Connect Energy process.

    Every name matches an environment variable (DESIGN.md lists them); an optional
    `.env` file in the working folder is read too.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    mongo_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = None

    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str | None = Field(
        default=None, pattern=r"^@?[A-Za-z][A-Za-z0-9_]{4,31}$"
    )

    whatsapp_access_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_api_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = Field(default="v23.0", pattern=r"^v\d+\.\d+$")
    whatsapp_messages_per_second: float = Field(
        default=80, gt=0, le=1000, description="Cloud API calls per second from our number."
    )
    whatsapp_template_name: str | None = Field(
        default=None, description="Approved template sent when the 24-hour window is closed."
    )
    whatsapp_template_languages: str = Field(
        default="pt_BR",
        pattern=r"^[A-Za-z_]{2,10}(,[A-Za-z_]{2,10})*$",
        description="Languages the template is approved in, comma-separated; first is default.",
    )

    picpay_token: str | None = None
    picpay_seller_token: str | None = None
    picpay_api_url: str = "https://appws.picpay.com/ecommerce/public"
    payment_link_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="How long a payment link can be paid."
    )
    payment_check_minutes: int = Field(
        default=10,
        ge=1,
        le=24 * 60,
        description="How long a payment may stay pending before we ask PicPay ourselves.",
    )

    fcm_credentials: str | None = Field(
        default=None, description="Path to a Firebase service-account JSON; enables push."
    )
    fcm_api_url: str = "https://fcm.googleapis.com"
    smtp_url: str | None = Field(
        default=None, pattern=r"^(smtp|smtp\+starttls|smtps)://", description="Enables e-mail."
    )
    email_from: str | None = Field(
        default=None, description="The From of e-mails; default noreply@ the PUBLIC_URL host."
    )

    identity_jwks_url: str | None = Field(
        default=None, description="The identity provider's JWKS; enables the device route."
    )
    identity_issuer: str | None = None
    identity_audience: str | None = None

    contract_link_hours: int = Field(
        default=72, ge=1, le=720, description="How long a contract's signing link works."
    )

    default_locale: str = Field(default="pt_BR", pattern=r"^(pt_BR|en|es)$")
    load_demo_catalog: bool = Field(
        default=True, description="Load the demo catalog into an empty embedded database."
    )

    @field_validator("public_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator(
        "telegram_bot_token", "telegram_webhook_secret", "picpay_token", "picpay_seller_token"
    )
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("telegram_bot_username")
    @classmethod
    def _without_at(cls, value: str | None) -> str | None:
        return value.removeprefix("@") if value else None

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret_shape(cls, value: str | None) -> str | None:
        if value is not None and not TELEGRAM_SECRET_SHAPE.match(value):
            raise ValueError("use 1 to 256 characters among A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_api_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("fcm_credentials", "smtp_url", "email_from", "identity_jwks_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("fcm_api_url")
    @classmethod
    def _strip_fcm_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator(
        "public_url",
        "telegram_api_url",
        "whatsapp_api_url",
        "picpay_api_url",
        "fcm_api_url",
        "identity_jwks_url",
    )
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        # Links the bot sends and the APIs it calls are built by appending paths to these.
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            port_ok = parts.port is None or parts.port > 0  # .port raises when malformed
        except ValueError as error:
            raise ValueError(f"not a URL ({error}); {HTTP_URL_EXAMPLE}") from error
        plain = value.isascii() and value.isprintable() and " " not in value
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or not plain:
            raise ValueError(HTTP_URL_EXAMPLE)
        if parts.query or parts.fragment:
            raise ValueError(f"must hold no query or fragment; {HTTP_URL_EXAMPLE}")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        # Plain "postgresql://" would make SQLAlchemy look for psycopg2, which we do not ship.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                value = "postgresql+psycopg://" + value.removeprefix(prefix)
        url = _parse_database_url(value)
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"the {url.drivername!r} database is not supported; use {SUPPORTED_DATABASES}"
            )
        if url.get_backend_name() == "postgresql" and not url.database:
            # libpq would fall back to a database named after the user, rarely the one meant.
            raise ValueError(
                "a PostgreSQL URL must name its database: postgresql://USER@HOST:PORT/DATABASE"
            )
        return value

    def email_sender(self) -> str:
        """The From address of the e-mails the product sends."""
        if self.email_from:
            return self.email_from
        host = urlsplit(self.public_url).hostname or "localhost"
        return f"Connect Energy <noreply@{host}>"

    @property
    def payments_sandboxed(self) -> bool:
        """Whether payments go to the built-in sandbox (no `PICPAY_TOKEN`): no real money."""
        return not self.picpay_token

    @property
    def is_embedded(self) -> bool:
        """Whether this process runs on the embedded default (a SQLite file)."""
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The SQLite file behind the database URL, or None for a server database."""
        if not self.is_embedded:
            return None
        location = make_url(self.database_url).database
        if not location or location == ":memory:":
            return None
        return Path(location)

    def resolved_secret_key(self) -> str:
        """The secret key, made and kept beside the embedded database when none is set.

        Raises:
            MissingSecretKey: outside the embedded default, when `SECRET_KEY` is unset.
        """
        if self.secret_key:
            return self.secret_key
        database_file = self.sqlite_path()
        if database_file is None:
            raise MissingSecretKey("SECRET_KEY must be set outside the embedded default")
        key_file = database_file.with_name(database_file.name + ".secret")
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            key_file.chmod(0o600)
        return key_file.read_text(encoding="utf-8").strip()


def _parse_database_url(value: str) -> URL:
    if not value.isprintable():  # also lone surrogates: bytes of the environment not UTF-8
        raise ValueError(
            f"holds control characters or bytes that are not UTF-8; use {SUPPORTED_DATABASES}"
        )
    try:
        url = make_url(value)
    except (ArgumentError, ValueError) as error:  # ValueError: a port that is not a number
        raise ValueError(f"not a database URL; use {SUPPORTED_DATABASES}") from error
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError(f"the port must be between 1 and 65535, not {url.port}")
    return url


class MissingSecretKey(RuntimeError):
    """A secret key is required and none was configured."""
