/**
 * Deleting a DAG with its runs, task instances and XComs (offloaded objects
 * included), for DELETE /api/v2/dags/{dag_id} and `updraft dags delete`.
 * Refused while any of its tasks runs. The file stays, so the DAG returns at
 * its next parse, as in Airflow.
 */
import type pg from 'pg';
import { logEvent } from '../../db/sql/event-log.ts';
import { inTransaction } from '../../db/sql/queryable.ts';
import { deleteRun } from '../../scheduler/mark.ts';
import type { XComObjectStorage } from '../../xcom/object-storage.ts';

export type DagDeletion = 'deleted' | 'missing' | 'running';

export async function deleteDag(pool: pg.Pool, storage: XComObjectStorage, dagId: string, owner: string | null): Promise<DagDeletion> {
  if (!(await pool.query('SELECT 1 FROM dag WHERE dag_id = $1', [dagId])).rowCount) return 'missing';
  const active = await pool.query("SELECT 1 FROM task_instance WHERE dag_id = $1 AND state IN ('queued', 'running', 'restarting', 'deferred')", [dagId]);
  if (active.rowCount) return 'running';
  // runs go one by one so their offloaded XCom objects leave the object store too
  const runs = await pool.query<{ run_id: string }>('SELECT run_id FROM dag_run WHERE dag_id = $1', [dagId]);
  for (const r of runs.rows) await deleteRun(pool, storage, dagId, r.run_id, owner);
  await inTransaction(pool, async (db) => {
    await db.query('DELETE FROM dag WHERE dag_id = $1', [dagId]);
    await logEvent(db, { event: 'delete_dag', owner, dag_id: dagId });
  });
  return 'deleted';
}

export const runningMessage = (dagId: string) => `Task instances of dag with id: '${dagId}' are still running: wait for them to finish (or mark them) before deleting the DAG`;
