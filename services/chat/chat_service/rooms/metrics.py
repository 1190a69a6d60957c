"""The chat service's own Prometheus metrics (served on /metrics of both chat ports)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

# "livesum": with PROMETHEUS_MULTIPROC_DIR (the dev stack and the chart set it) each process
# writes its own value and /metrics adds up those of the processes still alive, so a
# crashed process's sockets stop counting.
WEBSOCKETS_OPEN = Gauge(
    "chat_websockets_open",
    "WebSocket connections accepted and not yet closed.",
    multiprocess_mode="livesum",
)
WEBSOCKET_CLOSES = Counter(
    "chat_websocket_closes_total",
    "WebSocket connections the server closed, by close code.",
    ["code"],
)
MESSAGES_IN = Counter(
    "chat_messages_in_total",
    "Frames received from WebSocket clients, by frame type ('invalid' when unparseable).",
    ["type"],
)
MESSAGES_OUT = Counter(
    "chat_messages_out_total",
    "Frames sent to WebSocket clients, by frame type.",
    ["type"],
)
BROADCASTS_DROPPED = Counter(
    "chat_broadcasts_dropped_total",
    "Broadcast deliveries lost: 'layer_capacity' counts a process inbox that was full "
    "(every socket of that process in the group missed it), 'slow_client' a frame not "
    "sent to a client that did not keep up (its socket is then closed).",
    ["reason"],
)
