-- A PostgreSQL database for the hub's shared warehouse: run once, as the hub's own
-- user (the owner of the database), before the first `hub run`:
--
--     psql "$HUB_POSTGRES_URL" -v ON_ERROR_STOP=1 -f deploy/postgres/setup.sql
--
-- The role hub_analyst must exist first; creating roles needs CREATEROLE, so a DBA
-- does it once per server, and gives each analyst a login in it:
--
--     CREATE ROLE hub_analyst NOLOGIN;
--     CREATE ROLE ana_quispe LOGIN PASSWORD '...' IN ROLE hub_analyst;

-- Trusted extensions (a database owner may create them): unaccent for name matching,
-- pgcrypto for the keyed pseudonyms (hmac).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Analysts read the pseudonymised marts and nothing else: USAGE on no other schema,
-- SELECT only, and only the marts of a build whose quality gates passed. dbt builds the
-- marts into marts_build; after the gates pass, the hub publishes that build into marts in
-- one transaction (new tables, created by the hub's user, renamed over the old ones). So
-- the analysts' grant is a default privilege on every table the hub's user creates in
-- marts, not a one-off GRANT: run this file as that user.
CREATE SCHEMA IF NOT EXISTS marts;
REVOKE ALL ON SCHEMA marts FROM PUBLIC;
GRANT USAGE ON SCHEMA marts TO hub_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO hub_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA marts TO hub_analyst;

-- The build, before the gates judge it: the hub's user only (dbt would create it so too).
CREATE SCHEMA IF NOT EXISTS marts_build;
REVOKE ALL ON SCHEMA marts_build FROM PUBLIC;
