"""The table printed once the platform is up: where everything is, and how to log in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.admin import DevAdmin
from devstack.database import redact_url
from devstack.gateway import DOCUMENTED_SERVICES
from devstack.ports import Ports


@dataclass(frozen=True)
class Summary:
    ports: Ports
    services: Sequence[str]
    database_url: str
    redis_url: str
    smtp_url: str
    mail_dir: Path
    log_dir: Path
    admin: DevAdmin
    admin_seeded: bool

    @property
    def gateway_url(self) -> str:
        return f"http://{self.ports.host}:{self.ports.gateway}"

    def lines(self) -> list[str]:
        """The table, one row per line, without the closing "up" line."""
        rows = [("Gateway", self.gateway_url)]
        docs = [f"{self.gateway_url}/api/docs/{service}/" for service in DOCUMENTED_SERVICES]
        rows.append(("API docs", "  ".join(docs)))
        rows += [(service, self._service_ports(service)) for service in self.services]
        rows += [
            ("Postgres", redact_url(self.database_url)),
            ("Redis", redact_url(self.redis_url)),
            ("SMTP sink", f"{self.smtp_url}, mail in {self.mail_dir}"),
            ("Logs", str(self.log_dir)),
            ("Admin", self._admin()),
        ]
        width = max(len(label) for label, _ in rows)
        return [f"  {label:<{width}}  {value}" for label, value in rows]

    def up_line(self) -> str:
        return f"Strata is up at {self.gateway_url} (Ctrl-C stops it)"

    def _service_ports(self, service: str) -> str:
        ports, host = self.ports, self.ports.host
        parts = [f"http://{host}:{ports.http[service]}"] if service in ports.http else []
        if service == "chat":
            parts.append(f"ws://{host}:{ports.websocket}")
        if service in ports.grpc:
            grpc, metrics = ports.grpc[service], ports.grpc_metrics[service]
            parts.append(f"gRPC {host}:{grpc} (metrics :{metrics})")
        if service in ports.celery_metrics:
            parts.append(f"celery metrics :{ports.celery_metrics[service]}")
        return ", ".join(parts)

    def _admin(self) -> str:
        account = f"{self.admin.email} / {self.admin.password}"
        if self.admin_seeded:
            return f"{account} (dev only)"
        return f"{account} (not created: services/auth has no seed_dev_admin command yet)"
