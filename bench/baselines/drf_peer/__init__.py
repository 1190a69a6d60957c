"""A "typical DRF stack" peer of the users service's ``GET /api/v1/users/me``.

What a common Django REST project looks like: ``startproject``'s middleware, the
contrib ``User`` model, djangorestframework-simplejwt's HS256 ``JWTAuthentication`` (which
loads the user row on every request) and a one-to-one profile read by a second query,
rendered by a ``ModelSerializer``. Same Postgres server, same connection settings
(``CONN_MAX_AGE`` 60 with health checks) and same granian flags as the users service.
"""
