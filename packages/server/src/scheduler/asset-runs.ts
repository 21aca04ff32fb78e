/**
 * Asset-scheduled DAGs: once the queued asset updates satisfy a DAG's
 * condition (all of a list, Airflow's & and |), one run is created and the
 * queue is consumed, whatever number of events arrived (Airflow's rule).
 */
import { conditionMet } from '@updraft/sdk';
import type pg from 'pg';
import { consumeAssetQueue, queuedAssetUpdates } from '../db/sql/assets.ts';
import { createDagRun, RunConflictError, type DagRunRow } from '../db/sql/dag-runs.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { DagVersionCache } from '../db/sql/dag-version-cache.ts';
import { makeRunId, taskInstancesFor } from './runs.ts';

const versions = new DagVersionCache();

export async function createAssetTriggeredRuns(pool: pg.Pool, now = new Date()): Promise<DagRunRow[]> {
  const created: DagRunRow[] = [];
  for (const queued of await queuedAssetUpdates(pool)) {
    const dag = await versions.get(pool, queued.latest_version_id);
    if (dag.schedule.kind !== 'assets' || !conditionMet(dag.schedule.condition, new Set(queued.uris))) continue;
    try {
      const run = await inTransaction(pool, async (client) => {
        const row = await createDagRun(client, {
          dag_id: dag.dag_id,
          run_id: makeRunId('asset_triggered', now),
          run_type: 'asset_triggered',
          // Airflow 3: an asset-triggered run has no logical date; it is about the events it consumed
          logical_date: null,
          data_interval_start: null,
          data_interval_end: null,
          run_after: now,
          conf: {},
          note: null,
          triggered_by: 'asset',
          dag_version_id: queued.latest_version_id,
          tasks: taskInstancesFor(dag),
        });
        await consumeAssetQueue(client, dag.dag_id, row.id);
        return row;
      });
      created.push(run);
    } catch (err) {
      // two schedulers raced for the same queue: the other one made the run
      if (!(err instanceof RunConflictError)) throw err;
    }
  }
  return created;
}
