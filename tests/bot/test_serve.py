"""`connect-energy serve` refusing to start, plainly, and starting on sockets it bound."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from bot.cli import main
from marketplace.settings import Settings


@dataclass
class Served:
    """A call of uvicorn's `Server.run`: the sockets given, and where they listened then."""

    sockets: list[socket.socket]
    addresses: list[tuple[str, int]]


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Served]:
    """Each time `serve` handed uvicorn its sockets; uvicorn returns at once, serving none."""
    monkeypatch.chdir(tmp_path)  # the embedded default, away from any developer .env
    for name in ("DATABASE_URL", "SECRET_KEY", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    calls: list[Served] = []

    def record(_server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        given = list(sockets or [])
        calls.append(Served(given, [listener.getsockname() for listener in given]))

    monkeypatch.setattr(uvicorn.Server, "run", record)
    return calls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_serve_outside_the_embedded_default_needs_a_secret_key(
    served: list[Served],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/never_opened")

    status = main(["serve", "--port", str(free_port())])

    assert status == 2
    assert capsys.readouterr().err == (
        "connect-energy: invalid configuration: SECRET_KEY must be set outside the embedded "
        "default\n"
    )
    assert served == []


def test_serve_on_the_embedded_default_keeps_its_key_beside_the_database(
    served: list[Served], tmp_path: Path
) -> None:
    port = free_port()

    status = main(["serve", "--port", str(port)])

    key_file = tmp_path / "connect_energy.db.secret"
    assert status == 0
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_text()) >= 32
    assert [call.addresses for call in served] == [[("127.0.0.1", port)]]
    assert all(listener.fileno() == -1 for listener in served[0].sockets)  # closed afterwards


@pytest.mark.parametrize(
    ("host", "complaint"),
    [
        ("not a host", "--host 'not a host' is not a name or address this machine knows"),
        ("\udcff", "--host '\\udcff' is not a name or address this machine knows"),
        ("\x1b[2J", "--host '\\x1b[2J' is not a name or address this machine knows"),
    ],
)
def test_serve_on_an_unknown_host_says_so(
    served: list[Served],
    capsys: pytest.CaptureFixture[str],
    host: str,
    complaint: str,
) -> None:
    status = main(["serve", "--host", host, "--port", str(free_port())])

    assert status == 2
    assert capsys.readouterr().err == f"connect-energy: {complaint}\n"
    assert served == []


def test_serve_on_a_port_in_use_says_so(
    served: list[Served], capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        status = main(["serve", "--port", str(port)])

    assert status == 2
    assert capsys.readouterr().err == (
        f"connect-energy: port {port} on '127.0.0.1' is already in use; choose another with "
        "--port\n"
    )
    assert served == []


def test_serve_on_another_port_makes_its_links_point_at_that_port(
    served: list[Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "recorded so that the test restores it")
    monkeypatch.delenv("PUBLIC_URL")  # unset, as with `make run`
    port = free_port()

    status = main(["serve", "--port", str(port)])

    assert status == 0
    assert Settings().public_url == f"http://127.0.0.1:{port}"  # what the app reads


def test_serve_keeps_a_public_url_that_was_set(
    served: list[Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://bot.example.com")

    status = main(["serve", "--port", str(free_port())])

    assert status == 0
    assert Settings().public_url == "https://bot.example.com"
