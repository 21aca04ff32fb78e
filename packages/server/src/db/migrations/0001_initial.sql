-- Updraft metadata schema, version 1. Names follow Airflow's tables and columns
-- where the concept exists, so people who know Airflow's database find their way.

CREATE TABLE dag (
  dag_id                           text PRIMARY KEY,
  is_paused                        boolean NOT NULL DEFAULT true,
  -- false once the file that defined the DAG is gone (Airflow 3 calls it is_stale)
  is_active                        boolean NOT NULL DEFAULT true,
  fileloc                          text NOT NULL,
  relative_fileloc                 text NOT NULL,
  description                      text,
  owners                           text[] NOT NULL DEFAULT '{}',
  tags                             text[] NOT NULL DEFAULT '{}',
  timetable_summary                text,
  timetable_description            text,
  max_active_runs                  integer NOT NULL,
  max_active_tasks                 integer NOT NULL,
  last_parsed_time                 timestamptz,
  latest_version_id                bigint,
  -- the next automated run, computed by the scheduler after each run it creates
  next_dagrun                      timestamptz,
  next_dagrun_data_interval_start  timestamptz,
  next_dagrun_data_interval_end    timestamptz,
  next_dagrun_create_after         timestamptz
);

CREATE TABLE dag_version (
  id              bigserial PRIMARY KEY,
  dag_id          text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
  version_number  integer NOT NULL,
  -- sha256 of the serialized DAG: a re-parse that changes nothing adds no version
  hash            text NOT NULL,
  data            jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (dag_id, version_number),
  UNIQUE (dag_id, hash)
);

CREATE TABLE dag_code (
  fileloc     text PRIMARY KEY,
  source      text NOT NULL,
  hash        text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE import_error (
  id          bigserial PRIMARY KEY,
  filename    text NOT NULL UNIQUE,
  message     text NOT NULL,
  stacktrace  text NOT NULL,
  timestamp   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dag_run (
  id                   bigserial PRIMARY KEY,
  dag_id               text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
  run_id               text NOT NULL,
  dag_version_id       bigint NOT NULL REFERENCES dag_version (id),
  run_type             text NOT NULL CHECK (run_type IN ('scheduled', 'manual', 'backfill', 'asset_triggered')),
  state                text NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed')),
  logical_date         timestamptz,
  data_interval_start  timestamptz,
  data_interval_end    timestamptz,
  run_after            timestamptz NOT NULL,
  queued_at            timestamptz,
  start_date           timestamptz,
  end_date             timestamptz,
  conf                 jsonb NOT NULL DEFAULT '{}',
  note                 text,
  triggered_by         text,
  UNIQUE (dag_id, run_id),
  UNIQUE (dag_id, logical_date)
);
CREATE INDEX dag_run_active ON dag_run (dag_id) WHERE state IN ('queued', 'running');

CREATE TABLE task_instance (
  -- changes with every try, so a try's token cannot act on a later try
  id                  uuid NOT NULL UNIQUE,
  dag_id              text NOT NULL,
  run_id              text NOT NULL,
  task_id             text NOT NULL,
  map_index           integer NOT NULL DEFAULT -1,
  state               text CHECK (state IN ('scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry',
                        'up_for_reschedule', 'upstream_failed', 'skipped', 'deferred', 'removed', 'restarting')),
  try_number          integer NOT NULL DEFAULT 0,
  max_tries           integer NOT NULL DEFAULT 0,
  operator            text NOT NULL,
  pool                text NOT NULL,
  pool_slots          integer NOT NULL DEFAULT 1,
  queue               text NOT NULL DEFAULT 'default',
  priority_weight     integer NOT NULL DEFAULT 1,
  scheduled_dttm      timestamptz,
  queued_dttm         timestamptz,
  start_date          timestamptz,
  end_date            timestamptz,
  duration            double precision,
  hostname            text,
  pid                 integer,
  -- the scheduler (job) that queued the try; a dead job's queued tries are scheduled again
  queued_by_job_id    bigint,
  last_heartbeat_at   timestamptz,
  next_retry_at       timestamptz,
  rendered_fields     jsonb,
  note                text,
  PRIMARY KEY (dag_id, run_id, task_id, map_index),
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE
);
CREATE INDEX task_instance_state ON task_instance (state) WHERE state IN ('scheduled', 'queued', 'running', 'up_for_retry');

-- one row per finished try, so every try's log, times and state stay visible
CREATE TABLE task_instance_history (
  id              uuid PRIMARY KEY,
  dag_id          text NOT NULL,
  run_id          text NOT NULL,
  task_id         text NOT NULL,
  map_index       integer NOT NULL DEFAULT -1,
  try_number      integer NOT NULL,
  state           text,
  operator        text,
  pool            text,
  queue           text,
  priority_weight integer,
  queued_dttm     timestamptz,
  start_date      timestamptz,
  end_date        timestamptz,
  duration        double precision,
  hostname        text,
  pid             integer,
  UNIQUE (dag_id, run_id, task_id, map_index, try_number),
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE
);

CREATE TABLE xcom (
  dag_id     text NOT NULL,
  run_id     text NOT NULL,
  task_id    text NOT NULL,
  map_index  integer NOT NULL DEFAULT -1,
  key        text NOT NULL,
  value      jsonb,
  timestamp  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dag_id, run_id, task_id, map_index, key),
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE
);

CREATE TABLE variable (
  key          text PRIMARY KEY,
  val          text NOT NULL,
  description  text
);

CREATE TABLE connection (
  conn_id      text PRIMARY KEY,
  conn_type    text NOT NULL,
  description  text,
  host         text,
  schema       text,
  login        text,
  password     text,
  port         integer,
  extra        text
);

CREATE TABLE slot_pool (
  pool              text PRIMARY KEY,
  slots             integer NOT NULL CHECK (slots >= -1),
  description       text,
  include_deferred  boolean NOT NULL DEFAULT false
);

CREATE TABLE users (
  id             bigserial PRIMARY KEY,
  username       text NOT NULL UNIQUE,
  password_hash  text NOT NULL,
  role           text NOT NULL DEFAULT 'Admin',
  email          text,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- audit log of every mutating action (Airflow's `log` table)
CREATE TABLE log (
  id           bigserial PRIMARY KEY,
  dttm         timestamptz NOT NULL DEFAULT now(),
  event        text NOT NULL,
  owner        text,
  dag_id       text,
  task_id      text,
  run_id       text,
  map_index    integer,
  try_number   integer,
  logical_date timestamptz,
  extra        text
);

-- running components (scheduler, dag-processor, api-server) and their heartbeats
CREATE TABLE job (
  id                bigserial PRIMARY KEY,
  job_type          text NOT NULL,
  state             text NOT NULL,
  hostname          text NOT NULL,
  pid               integer,
  start_date        timestamptz NOT NULL DEFAULT now(),
  end_date          timestamptz,
  latest_heartbeat  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_running ON job (job_type, latest_heartbeat) WHERE state = 'running';
