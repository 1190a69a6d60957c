"""Strata's dev stack: the whole platform on one machine, in the foreground.

``python -m devstack`` (``make dev``) starts an embedded Postgres, Redis and SMTP sink,
bootstraps the database, migrates and starts every service process behind a Caddy
gateway on 127.0.0.1:8080, and stops all of it on Ctrl-C. ``python -m devstack reset``
(``make dev-reset``) wipes its state, ``.devstack/``. See ``devstack/README.md``.
"""
