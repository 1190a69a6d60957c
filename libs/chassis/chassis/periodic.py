"""Names of the periodic tasks: the one beat (the worker's) sends each by name to the
queue of the service that registers it, so both sides read the name from here."""

AUTH_PURGE_EXPIRED_SESSIONS = "auth.purge_expired_sessions"
AUTH_PURGE_SPENT_RESET_TOKENS = "auth.purge_spent_reset_tokens"
USERS_RECONCILE_REGISTRATIONS = "users.reconcile_registrations"
WORKER_PURGE_NOTIFICATIONS = "worker.purge_notifications"
