-- Roles users may hold: Airflow's four built-in ones (whose rights are fixed in
-- security/permissions.ts) and custom ones, which have only the permissions given here
-- and those DAGs grant them in their access_control.
CREATE TABLE role (
  name        text PRIMARY KEY,
  builtin     boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO role (name, builtin) VALUES ('Admin', true), ('Op', true), ('User', true), ('Viewer', true);

-- a custom role's permissions, in Airflow's names: (can_read, DAGs), (can_edit, Variables),
-- (can_read, DAG:some_dag) …; built-in roles have no rows (their rights are in the code)
CREATE TABLE role_permission (
  role      text NOT NULL REFERENCES role (name) ON DELETE CASCADE ON UPDATE CASCADE,
  action    text NOT NULL,
  resource  text NOT NULL,
  PRIMARY KEY (role, action, resource)
);

-- the DAG's access_control as the DAG processor last parsed it, normalized to
-- {"role": {"DAGs": ["can_read", …], "DAG Runs": […]}}; null when the DAG sets none.
-- Read at request time, joined with the user's roles, so no sync step is needed.
ALTER TABLE dag ADD COLUMN access_control jsonb;
