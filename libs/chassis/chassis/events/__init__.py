"""Transactional outbox, relay, idempotent consumers and dead letters."""
