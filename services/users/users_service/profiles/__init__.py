"""User profiles: who a user is (name, encrypted phone), their role and whether active."""
