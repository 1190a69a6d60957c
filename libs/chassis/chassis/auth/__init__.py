"""Access-token verification for every service, and role-based permissions.

Tokens are verified locally against auth's JWKS (cached) and the per-user revocation
marker in Redis (cached for at most a second): no database query and no call to auth
per request.
"""
