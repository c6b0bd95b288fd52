#!/bin/bash
# Runs once, as the superuser, when the PostgreSQL volume is empty (docker-entrypoint-initdb.d).
#
# - qcp_owner: owns the QCP database and its schema; `qcp db upgrade` runs as it. Not a superuser:
#   CREATEROLE is enough to create the restricted app role qcp_app in the first migration, and
#   PostgreSQL 16 then gives qcp_owner ADMIN on qcp_app, so the migrate job can set its password.
# - keycloak: owns Keycloak's own database and nothing else.
# Passwords come from the environment (deploy/.env); psql's :'var' quoting escapes them.
set -euo pipefail

: "${QCP_OWNER_DB_PASSWORD:?set QCP_OWNER_DB_PASSWORD}"
: "${KEYCLOAK_DB_PASSWORD:?set KEYCLOAK_DB_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_pw="$QCP_OWNER_DB_PASSWORD" -v kc_pw="$KEYCLOAK_DB_PASSWORD" <<'SQL'
CREATE ROLE qcp_owner LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS PASSWORD :'owner_pw';
CREATE DATABASE qcp OWNER qcp_owner ENCODING 'UTF8' TEMPLATE template0;
-- Only the roles that are granted CONNECT (qcp_app, by the migration) reach the QCP database.
REVOKE ALL ON DATABASE qcp FROM PUBLIC;

CREATE ROLE keycloak LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'kc_pw';
CREATE DATABASE keycloak OWNER keycloak ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE keycloak FROM PUBLIC;
SQL
