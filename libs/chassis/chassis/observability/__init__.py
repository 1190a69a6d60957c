"""Request ids, structured logs, Prometheus metrics and health endpoints."""
