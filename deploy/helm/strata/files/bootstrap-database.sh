#!/usr/bin/env bash
# Create Strata's database, and per service a schema and a least-privileged login role.
#
# Each role owns its schema, finds it first on its search_path, may connect to the database
# and nothing else: no rights on the other schemas, none on the database beyond CONNECT,
# no CREATE on `public`. Every statement is safe to run again (roles' passwords are reset
# to the ones given). Used by docker compose (as a Postgres init script), by the Helm chart's
# database-bootstrap hook, and by its evaluation-mode Postgres.
#
# Environment:
#   PGHOST, PGPORT, PGUSER, PGPASSWORD, PGSSLMODE   an administrator's connection (libpq)
#   STRATA_DATABASE          the database to create (default: strata)
#   STRATA_SERVICES          the services (default: "auth users chat worker")
#   <SERVICE>_DATABASE_URL   e.g. AUTH_DATABASE_URL=postgresql://auth:secret@db:5432/strata:
#                            the service's role and password (percent-encoded, as in any
#                            URL). Without it the role is named like the service and keeps
#                            whatever password it has.
set -euo pipefail

database="${STRATA_DATABASE:-strata}"
services="${STRATA_SERVICES:-auth users chat worker}"
# Inside the postgres image's init phase only POSTGRES_USER/POSTGRES_DB are set.
export PGUSER="${PGUSER:-${POSTGRES_USER:-postgres}}"
admin_database="${PGDATABASE:-${POSTGRES_DB:-postgres}}"

psql_admin() {
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 "$@"
}

percent_decode() {
    local encoded="${1//\\/\\\\}"
    printf '%b' "${encoded//%/\\x}"
}

# Sets $role and $password (empty: leave the password alone) from <SERVICE>_DATABASE_URL.
role_from_url() {
    local service="$1" variable url authority userinfo
    variable="$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')_DATABASE_URL"
    url="${!variable:-}"
    role="$service"
    password=""
    [ -n "$url" ] || return 0
    authority="${url#*://}"
    authority="${authority%%/*}"
    [[ "$authority" == *@* ]] || return 0
    userinfo="${authority%@*}"
    role="$(percent_decode "${userinfo%%:*}")"
    if [[ "$userinfo" == *:* ]]; then
        password="$(percent_decode "${userinfo#*:}")"
    fi
}

echo "strata bootstrap: database ${database}"
psql_admin --dbname "$admin_database" --set database="$database" <<'SQL'
SELECT format('CREATE DATABASE %I', :'database')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SQL

psql_admin --dbname "$database" --set database="$database" <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL

for service in $services; do
    role_from_url "$service"
    echo "strata bootstrap: schema ${service}, role ${role}"
    STRATA_ROLE_PASSWORD="$password" psql_admin --dbname "$database" \
        --set database="$database" --set schema="$service" --set role="$role" <<'SQL'
\getenv password STRATA_ROLE_PASSWORD
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password')
WHERE :'password' <> '' \gexec
-- A managed server's administrator is no superuser: it must be a member of the role to
-- hand it a schema.
SELECT format('GRANT %I TO CURRENT_USER', :'role')
WHERE NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) \gexec
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"role";
-- A schema made earlier by someone else still ends up the service's own.
ALTER SCHEMA :"schema" OWNER TO :"role";
REVOKE ALL ON SCHEMA :"schema" FROM PUBLIC;
ALTER ROLE :"role" SET search_path TO :"schema";
GRANT CONNECT ON DATABASE :"database" TO :"role";
SQL
done
echo "strata bootstrap: done"
