"""Test support for Strata services: real Postgres and Redis, tokens, API clients."""
