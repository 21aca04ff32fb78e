-- DAG-level callbacks (on_success_callback / on_failure_callback) to run. The
-- scheduler inserts a row in the same transaction that finishes the run, so a
-- crash between "run finished" and "callback ran" loses nothing; a callback
-- runner (in the DAG processor) claims rows, runs them in a child process that
-- imports the DAG file, and records the outcome. Airflow keeps the same queue
-- in its callback_request table.
CREATE TABLE callback_request (
  id              bigserial PRIMARY KEY,
  created_at      timestamptz NOT NULL DEFAULT now(),
  dag_id          text NOT NULL,
  run_id          text NOT NULL,
  -- the DAG file the run's version came from (imported afresh by the callback process)
  fileloc         text NOT NULL,
  -- which DAG attribute runs: on_success_callback or on_failure_callback
  callback        text NOT NULL CHECK (callback IN ('on_success_callback', 'on_failure_callback')),
  -- Airflow's reasons: success, task_failure, timed_out
  reason          text NOT NULL,
  -- the task instance the context names (the failed one, or the last to finish); null when none
  ti_task_id      text,
  ti_map_index    integer,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'success', 'failed')),
  -- a runner that died mid-callback leaves 'running': after a while another claims it again, a few times at most
  attempts        integer NOT NULL DEFAULT 0,
  started_at      timestamptz,
  finished_at     timestamptz,
  error           text
);

CREATE INDEX callback_request_open ON callback_request (id) WHERE state IN ('pending', 'running');
