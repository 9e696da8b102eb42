"""The `connect-energy` command line."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError
from sqlalchemy.exc import DatabaseError

from bot import catalog_command, offers_command, supplier_command, terminal
from bot.errors import ConfigurationError, DatabaseNotReady, UsageError
from bot.listeners import bind_listeners
from bot.runtime import connect, open_runtime
from marketplace.schema import UnknownSchemaVersion, upgrade_database
from marketplace.settings import MissingSecretKey, Settings

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler: Callable[[argparse.Namespace, Settings], int] = arguments.handler
    try:
        return handler(arguments, load_settings())
    except UsageError as error:
        print(f"connect-energy: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigurationError as error:
        for problem in str(error).splitlines():
            print(f"connect-energy: invalid configuration: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseNotReady as error:
        print(f"connect-energy: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        # The reader went away (`connect-energy offers | head`): stop quietly, like cat does.
        sys.stderr.close()
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


def load_settings() -> Settings:
    """The settings, from the environment and the `.env` file of the working folder.

    Raises:
        ConfigurationError: naming each setting that is invalid, one per line, or saying
            why `.env` cannot be read.
    """
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for problem in error.errors(include_url=False, include_input=False):
            name = ".".join(str(part) for part in problem["loc"]).upper()
            problems.append(f"{name}: {problem['msg'].removeprefix('Value error, ')}")
        raise ConfigurationError("\n".join(problems)) from error
    except UnicodeDecodeError as error:
        # Environment variables are already text, so only the .env file can fail to decode.
        raise ConfigurationError(".env is not UTF-8 text") from error
    except OSError as error:
        raise ConfigurationError(f"cannot read .env: {error.strerror}") from error


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (argparse exits with 2 on bad usage)."""
    parser = argparse.ArgumentParser(
        prog="connect-energy",
        description="Connect Energy: compare electricity offers in Brazil, in chat.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app, the dispatcher and channels")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=run_serve)

    db = commands.add_parser("db", help="database administration")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser(
        "upgrade", help="apply migrations, then load or refresh the ANEEL reference data"
    )
    upgrade.set_defaults(handler=run_db_upgrade)

    offers_command.register(commands)
    catalog_command.register(commands)
    supplier_command.register(commands)
    terminal.register(commands)
    return parser


def run_db_upgrade(_arguments: argparse.Namespace, settings: Settings) -> int:
    """Apply migrations and refresh the bundled reference data."""
    engine = connect(settings)
    try:
        report = upgrade_database(engine)
    except DatabaseError as error:
        raise DatabaseNotReady(f"cannot open the database: {error.orig or error}") from error
    except UnknownSchemaVersion as error:
        raise DatabaseNotReady(f"the database is not one this release can use: {error}") from error
    finally:
        engine.dispose()
    print(
        f"database up to date: {report.distributors} distributors, {report.tariffs} tariffs, "
        f"{report.flag_months} flag months, {report.cep_ranges} CEP ranges"
    )
    return EXIT_OK


def run_serve(arguments: argparse.Namespace, settings: Settings) -> int:
    """Serve the web app (and, as they arrive, the channels) with uvicorn."""
    import uvicorn

    if not 0 < arguments.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {arguments.port}")
    _check_secret_key(settings)
    _check_notifications(settings)
    _follow_port(settings, arguments.port)
    open_runtime(settings).close()  # prepare an empty embedded database before workers start
    listeners = bind_listeners(arguments.host, arguments.port)
    try:
        config = uvicorn.Config("webhooks.app:create_app", factory=True, log_level="info")
        server = uvicorn.Server(config)
        # Given sockets, uvicorn does not announce where it listens; say it the same way.
        logging.getLogger("uvicorn.error").info(
            "Connect Energy running on %s (Press CTRL+C to quit)",
            ", ".join(_address_of(listener) for listener in listeners),
        )
        server.run(sockets=listeners)
    finally:
        for listener in listeners:
            listener.close()
    return EXIT_OK


def _follow_port(settings: Settings, port: int) -> None:
    """Without PUBLIC_URL, the links the bot sends (contracts, payments) name the port served.

    The app reads its settings from the environment (uvicorn builds it), so the default
    address goes there, with this port instead of 8000.
    """
    if "public_url" in settings.model_fields_set:
        return
    parts = urlsplit(settings.public_url)
    os.environ["PUBLIC_URL"] = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def _check_secret_key(settings: Settings) -> None:
    try:
        settings.resolved_secret_key()
    except MissingSecretKey as error:
        raise ConfigurationError(str(error)) from error
    except OSError as error:
        raise ConfigurationError(
            f"SECRET_KEY is unset and cannot be kept beside the database: {error.strerror}"
        ) from error


def _check_notifications(settings: Settings) -> None:
    # Said before the server starts, in plain words, rather than as a failed startup.
    from bot.push_sender import FcmUnavailable, load_credentials

    if settings.fcm_credentials:
        try:
            load_credentials(settings.fcm_credentials)
        except FcmUnavailable as error:
            raise ConfigurationError(str(error)) from error


def _address_of(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


if __name__ == "__main__":
    sys.exit(main())
