-- Backfills (Airflow 3's `backfill` and `backfill_dag_run` tables): a range of
-- logical dates the scheduler runs for a DAG, stored so that it outlives the
-- CLI or API call that created it.

CREATE TABLE backfill (
  id                    bigserial PRIMARY KEY,
  dag_id                text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
  from_date             timestamptz NOT NULL,
  to_date               timestamptz NOT NULL,
  dag_run_conf          jsonb NOT NULL DEFAULT '{}',
  -- a paused backfill starts no new run; the ones running finish
  is_paused             boolean NOT NULL DEFAULT false,
  reprocess_behavior    text NOT NULL CHECK (reprocess_behavior IN ('none', 'failed', 'completed')),
  max_active_runs       integer NOT NULL CHECK (max_active_runs >= 1),
  run_backwards         boolean NOT NULL DEFAULT false,
  triggering_user_name  text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  -- set when every date is done or skipped, or when cancelled; null while active
  completed_at          timestamptz,
  updated_at            timestamptz NOT NULL DEFAULT now()
);
-- one active backfill per DAG (a second one is a 409), and the index the
-- scheduler's "is there any active backfill?" query reads on every pass
CREATE UNIQUE INDEX backfill_active_dag ON backfill (dag_id) WHERE completed_at IS NULL;
CREATE INDEX backfill_dag ON backfill (dag_id, id);

-- one row per logical date of a backfill, in the order the runs are made
CREATE TABLE backfill_dag_run (
  id                   bigserial PRIMARY KEY,
  backfill_id          bigint NOT NULL REFERENCES backfill (id) ON DELETE CASCADE,
  sort_ordinal         integer NOT NULL,
  logical_date         timestamptz NOT NULL,
  data_interval_start  timestamptz,
  data_interval_end    timestamptz,
  run_after            timestamptz NOT NULL,
  -- pending: not started yet; created: its run exists (dag_run_id); skipped: an
  -- existing run was kept (exception_reason says why); cancelled: never started
  state                text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'created', 'skipped', 'cancelled')),
  dag_run_id           bigint REFERENCES dag_run (id) ON DELETE SET NULL,
  -- Airflow's BackfillDagRunExceptionReason: 'in flight', 'already exists'
  exception_reason     text,
  UNIQUE (backfill_id, sort_ordinal),
  UNIQUE (backfill_id, logical_date)
);
CREATE INDEX backfill_dag_run_pending ON backfill_dag_run (backfill_id, sort_ordinal) WHERE state = 'pending';

-- the backfill a run belongs to (Airflow's dag_run.backfill_id)
ALTER TABLE dag_run ADD COLUMN backfill_id bigint REFERENCES backfill (id) ON DELETE SET NULL;
CREATE INDEX dag_run_backfill ON dag_run (backfill_id, state) WHERE backfill_id IS NOT NULL;
