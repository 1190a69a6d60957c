"""Load generators that run inside a service's Django project (no HTTP in between)."""
