-- When the scheduler last examined a run. It examines the least recently seen
-- running runs first, so with more running runs than one pass takes, none waits
-- forever (Airflow keeps the same column for the same reason).
ALTER TABLE dag_run ADD COLUMN last_scheduling_decision timestamptz;
CREATE INDEX dag_run_running_by_decision ON dag_run (last_scheduling_decision NULLS FIRST) WHERE state = 'running';
