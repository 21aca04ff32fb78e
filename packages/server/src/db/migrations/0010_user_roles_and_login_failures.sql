-- A user may hold several roles (Airflow's FAB users do); the highest one decides.
ALTER TABLE users ADD COLUMN roles text[] NOT NULL DEFAULT '{Viewer}';
UPDATE users SET roles = ARRAY[role];
ALTER TABLE users DROP COLUMN role;
ALTER TABLE users ADD COLUMN first_name text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_name text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now();

-- failed logins, counted per user name and per address to slow down password guessing;
-- kept in the database so that every api-server behind a load balancer sees them
CREATE TABLE login_failure (
  id        bigserial PRIMARY KEY,
  username  text NOT NULL,
  address   text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failure_username ON login_failure (username, failed_at);
CREATE INDEX login_failure_address ON login_failure (address, failed_at);
