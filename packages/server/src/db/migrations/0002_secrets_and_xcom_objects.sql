-- Secrets at rest and offloaded XCom values.

-- Variable values, connection passwords and extras are stored encrypted under
-- [core] fernet_key (format enc:v1:<key id>:<base64>); the flags are Airflow's
-- columns and say which values need decrypting (rows written before this
-- migration stay readable as clear text until `updraft rotate-fernet-key`).
-- id: the default order of Airflow's list endpoints (creation order).
ALTER TABLE variable
  ADD COLUMN id            bigserial UNIQUE,
  ADD COLUMN is_encrypted  boolean NOT NULL DEFAULT false;

ALTER TABLE connection
  ADD COLUMN id                  bigserial UNIQUE,
  ADD COLUMN is_encrypted        boolean NOT NULL DEFAULT false,
  ADD COLUMN is_extra_encrypted  boolean NOT NULL DEFAULT false;

-- A value over [core] xcom_objectstorage_threshold lives in object storage
-- (file:///… or s3://…); the row keeps only where, and value stays NULL.
ALTER TABLE xcom ADD COLUMN value_ref text;
