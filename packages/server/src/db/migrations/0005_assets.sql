-- Assets (Airflow's asset / dataset tables): what tasks update and what DAGs
-- are scheduled on, the events that say an asset was updated, and the queue
-- of events an asset-scheduled DAG has not consumed with a run yet.
CREATE TABLE asset (
  id          bigserial PRIMARY KEY,
  uri         text NOT NULL UNIQUE,
  name        text NOT NULL,
  "group"     text NOT NULL DEFAULT 'asset',
  extra       jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE asset_event (
  id                bigserial PRIMARY KEY,
  asset_id          bigint NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
  extra             jsonb NOT NULL DEFAULT '{}',
  source_dag_id     text,
  source_task_id    text,
  source_run_id     text,
  source_map_index  integer NOT NULL DEFAULT -1,
  timestamp         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX asset_event_asset ON asset_event (asset_id, timestamp);

-- which DAGs are scheduled on which assets, and which tasks update them
CREATE TABLE dag_schedule_asset_reference (
  asset_id  bigint NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
  dag_id    text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
  PRIMARY KEY (asset_id, dag_id)
);
CREATE TABLE task_outlet_asset_reference (
  asset_id  bigint NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
  dag_id    text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
  task_id   text NOT NULL,
  PRIMARY KEY (asset_id, dag_id, task_id)
);

-- an asset updated since the DAG's last asset-triggered run
CREATE TABLE asset_dag_run_queue (
  asset_id       bigint NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
  target_dag_id  text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_id, target_dag_id)
);

-- the events an asset-triggered run consumed
CREATE TABLE dag_run_asset_event (
  dag_run_id  bigint NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
  event_id    bigint NOT NULL REFERENCES asset_event (id) ON DELETE CASCADE,
  PRIMARY KEY (dag_run_id, event_id)
);
