/**
 * A run's task instances without paging, for views that need all of them at
 * once: the Graph's states and the Gantt (compact rows), and the task
 * instance panel (every map index of one task, full rows). The public list
 * pages by 50, so a 1,000-task run would otherwise take 20 requests per refresh.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { TaskInstanceRow } from '../../db/sql/task-instances.ts';
import { notFound } from '../errors.ts';
import { taskInstanceResponse } from '../serializers.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function registerUiRunTaskInstances(app: FastifyInstance, pool: pg.Pool) {
  const runOf = async (dagId: string, runId: string) => {
    const r = await pool.query<{ logical_date: Date | null; run_after: Date }>('SELECT logical_date, run_after FROM dag_run WHERE dag_id = $1 AND run_id = $2', [dagId, runId]);
    if (!r.rows[0]) throw notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
    return r.rows[0];
  };

  app.get('/ui/dags/:dag_id/dagRuns/:run_id/states', async (req) => {
    const { dag_id, run_id } = req.params as { dag_id: string; run_id: string };
    await runOf(dag_id, run_id);
    const rows = await pool.query<Pick<TaskInstanceRow, 'task_id' | 'map_index' | 'state' | 'try_number' | 'queued_dttm' | 'start_date' | 'end_date'>>(
      'SELECT task_id, map_index, state, try_number, queued_dttm, start_date, end_date FROM task_instance WHERE dag_id = $1 AND run_id = $2 ORDER BY task_id, map_index',
      [dag_id, run_id],
    );
    return {
      task_instances: rows.rows.map((t) => ({
        task_id: t.task_id,
        map_index: t.map_index,
        state: t.state,
        try_number: t.try_number,
        queued_when: iso(t.queued_dttm),
        start_date: iso(t.start_date),
        end_date: iso(t.end_date),
      })),
    };
  });

  app.get('/ui/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id', async (req) => {
    const { dag_id, run_id, task_id } = req.params as { dag_id: string; run_id: string; task_id: string };
    const run = await runOf(dag_id, run_id);
    const rows = await pool.query<TaskInstanceRow>('SELECT * FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 ORDER BY map_index', [dag_id, run_id, task_id]);
    return { task_instances: rows.rows.map((t) => taskInstanceResponse({ ...t, logical_date: run.logical_date, run_after: run.run_after })) };
  });
}
