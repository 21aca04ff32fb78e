-- Callbacks to run outside a task process. kind 'dag': a DAG's
-- on_success_callback / on_failure_callback, inserted by the scheduler in the
-- transaction that finishes the run, so a crash between "run finished" and
-- "callback ran" loses nothing. kind 'task': a try the scheduler failed because
-- its process died or went silent, which could not run its own
-- on_failure_callback / on_retry_callback or send its alert email (Airflow's
-- TaskCallbackRequest for zombies), or a try stopped because someone marked it
-- success or failed (Airflow then runs the callback of that state). A callback runner (beside the DAG
-- processor) claims rows, runs them in a child process that imports the DAG
-- file, and records the outcome. Airflow keeps the same queue in its
-- callback_request table.
CREATE TABLE callback_request (
  id              bigserial PRIMARY KEY,
  created_at      timestamptz NOT NULL DEFAULT now(),
  kind            text NOT NULL DEFAULT 'dag' CHECK (kind IN ('dag', 'task')),
  dag_id          text NOT NULL,
  run_id          text NOT NULL,
  -- the DAG file the run's version came from (imported afresh by the callback process)
  fileloc         text NOT NULL,
  -- which attribute of the DAG (kind dag) or of the task (kind task) runs
  callback        text NOT NULL CHECK (callback IN ('on_success_callback', 'on_failure_callback', 'on_retry_callback')),
  -- dag: Airflow's reasons success, task_failure, timed_out; task: why the scheduler failed the try (context.exception)
  reason          text NOT NULL,
  -- the task instance the context names (dag: the failed one, or the last to finish; null when none)
  ti_task_id      text,
  ti_map_index    integer,
  -- kind task: the try that failed
  ti_try_number   integer,
  -- kind task: also send the email_on_failure / email_on_retry alert (not for a try marked by hand)
  send_alert      boolean NOT NULL DEFAULT true,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'success', 'failed')),
  -- a runner that died mid-callback leaves 'running': after a while another claims it again, a few times at most
  attempts        integer NOT NULL DEFAULT 0,
  started_at      timestamptz,
  finished_at     timestamptz,
  error           text
);

CREATE INDEX callback_request_open ON callback_request (id) WHERE state IN ('pending', 'running');
