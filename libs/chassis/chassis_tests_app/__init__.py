"""A minimal Django project that exercises the chassis the way a service does."""
