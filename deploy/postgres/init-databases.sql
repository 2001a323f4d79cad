-- One database per service (the services never share tables; see shared DESIGN "Runtime defaults").
-- The postgres image runs this once, as POSTGRES_USER, when its data directory is empty, so
-- every database is owned by that user. On an existing volume, run it by hand:
--   docker compose exec postgres psql -U grassroots -d grassroots -f /docker-entrypoint-initdb.d/10-init-databases.sql
-- (CREATE DATABASE cannot run inside a transaction or a DO block, hence the \gexec form,
-- which also makes the script safe to run twice.)

SELECT format('CREATE DATABASE %I', db)
FROM unnest(ARRAY[
    'grassroots_members',
    'grassroots_requests',
    'grassroots_notifications',
    'grassroots_evaluation',
    'grassroots_portal'
]) AS db
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = db)
\gexec
