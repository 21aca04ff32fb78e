-- Sensors in mode "reschedule" and deferred tasks (Airflow's task_reschedule and
-- trigger tables, and the task_instance columns that go with them).

ALTER TABLE task_instance
  -- the next queueing resumes the same try (reschedule, trigger fired) instead of starting a new one
  ADD COLUMN keep_try        boolean NOT NULL DEFAULT false,
  -- up_for_reschedule: when the sensor pokes again
  ADD COLUMN reschedule_date timestamptz,
  -- deferred: the trigger it waits on, until when, and where execution resumes
  ADD COLUMN trigger_id      bigint,
  ADD COLUMN trigger_timeout timestamptz,
  ADD COLUMN next_method     text,
  ADD COLUMN next_kwargs     jsonb;

DROP INDEX task_instance_state;
CREATE INDEX task_instance_state ON task_instance (state)
  WHERE state IN ('scheduled', 'queued', 'running', 'up_for_retry', 'up_for_reschedule', 'deferred');
CREATE INDEX task_instance_trigger ON task_instance (trigger_id) WHERE trigger_id IS NOT NULL;

-- one row per reschedule: the sensor's timeout counts from the first one of the try
CREATE TABLE task_reschedule (
  id              bigserial PRIMARY KEY,
  dag_id          text NOT NULL,
  run_id          text NOT NULL,
  task_id         text NOT NULL,
  map_index       integer NOT NULL DEFAULT -1,
  try_number      integer NOT NULL,
  start_date      timestamptz NOT NULL,
  end_date        timestamptz NOT NULL,
  duration        double precision NOT NULL,
  reschedule_date timestamptz NOT NULL,
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE
);
CREATE INDEX task_reschedule_ti ON task_reschedule (dag_id, run_id, task_id, map_index, try_number);

-- a trigger a deferred task waits on; run by one triggerer at a time
CREATE TABLE trigger (
  id            bigserial PRIMARY KEY,
  classpath     text NOT NULL,
  kwargs        jsonb NOT NULL,
  created_date  timestamptz NOT NULL DEFAULT now(),
  triggerer_id  bigint
);
