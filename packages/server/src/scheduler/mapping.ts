/**
 * The scheduler's half of dynamic task mapping: how many task instances a
 * mapped task gets (literal lengths from the serialized DAG, or the XComs its
 * upstream tasks pushed), and creating them.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { SerializedTask } from '@updraft/sdk/serialized';

type ExpandInput = NonNullable<SerializedTask['expand_input']>;

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The number of task instances, or why the task cannot be expanded. */
export async function mappedLength(
  client: pg.PoolClient,
  run: { dag_id: string; run_id: string },
  input: ExpandInput,
): Promise<{ length: number } | { error: string }> {
  const lengths: number[] = [];
  for (const part of input.parts) {
    if (part.length !== null) {
      lengths.push(part.length);
      continue;
    }
    if (!part.xcom) return { error: 'the serialized DAG names nothing to map over' };
    const r = await client.query<{ map_index: number; value: unknown; value_ref: string | null }>(
      'SELECT map_index, value, value_ref FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND key = $4 ORDER BY map_index',
      [run.dag_id, run.run_id, part.xcom.task_id, part.xcom.key],
    );
    const what = `XCom '${part.xcom.key}' of task '${part.xcom.task_id}'${part.key && !part.key.startsWith('__') ? ` (argument '${part.key}')` : ''}`;
    if (r.rows.length === 0) return { error: `${what} was not pushed, so there is nothing to map over` };
    // a mapped upstream: one element per upstream task instance
    if (r.rows.length > 1 || r.rows[0].map_index >= 0) {
      lengths.push(r.rows.length);
      continue;
    }
    const value = r.rows[0].value;
    if (r.rows[0].value_ref) return { error: `${what} is stored in object storage ([core] xcom_objectstorage_threshold); mapping over it needs it in the database: raise the threshold` };
    if (Array.isArray(value)) lengths.push(value.length);
    else if (typeof value === 'object' && value !== null) lengths.push(Object.keys(value).length);
    else return { error: `${what} is ${describe(value)}: expand() needs a list or a dict to map over` };
  }
  // expand_kwargs maps over one list; several expand() arguments over their product
  return { length: lengths.reduce((a, b) => a * b, 1) };
}

/**
 * The placeholder instance (map_index -1) becomes map_index 0 and the others
 * are added, all scheduled (the task was ready when the scheduler expanded it).
 */
export async function expandTaskInstances(
  client: pg.PoolClient,
  dagId: string,
  runId: string,
  taskId: string,
  length: number,
  state: 'scheduled' | null = 'scheduled',
): Promise<void> {
  await client.query(
    `UPDATE task_instance SET map_index = 0, state = $4, scheduled_dttm = CASE WHEN $4::text IS NULL THEN NULL ELSE now() END
     WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = -1 AND state IS NULL`,
    [dagId, runId, taskId, state],
  );
  if (length < 2) return;
  await client.query(
    `INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, state, scheduled_dttm, operator, pool, pool_slots, queue, priority_weight, max_tries)
     SELECT ids.id, t.dag_id, t.run_id, t.task_id, ids.map_index, $5, CASE WHEN $5::text IS NULL THEN NULL ELSE now() END,
            t.operator, t.pool, t.pool_slots, t.queue, t.priority_weight, t.max_tries
     FROM task_instance t, unnest($4::uuid[]) WITH ORDINALITY AS ids(id, map_index)
     WHERE t.dag_id = $1 AND t.run_id = $2 AND t.task_id = $3 AND t.map_index = 0
     ON CONFLICT DO NOTHING`,
    [dagId, runId, taskId, Array.from({ length: length - 1 }, () => crypto.randomUUID()), state],
  );
}
