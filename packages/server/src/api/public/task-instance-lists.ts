/**
 * Reading task instances: the list of a run (`~` for any DAG or run) with
 * Airflow's filters, the batch form POST …/taskInstances/list, mapped
 * instances, one instance by map index, its tries, and why it is not running
 * (dependencies).
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { getDagRun } from '../../db/sql/dag-runs.ts';
import { getDagVersion } from '../../db/sql/dags.ts';
import type { TaskInstanceRow, TiState } from '../../db/sql/task-instances.ts';
import { countUpstream, evaluateTriggerRule } from '../../scheduler/trigger-rules.ts';
import { visibleDags } from '../dag-access.ts';
import { badRequest, notFound, unprocessable } from '../errors.ts';
import { taskInstanceResponse, VERSION_JOIN, VERSION_SELECT, type VersionColumns } from '../serializers.ts';
import { intParam, stringList, Where } from './filters.ts';
import { orderBy, paging } from './pagination.ts';

const TI_STATES = ['removed', 'scheduled', 'queued', 'running', 'success', 'restarting', 'failed', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'skipped', 'deferred', 'no_status', 'none'];
const ORDER_COLUMNS = {
  id: 'ti.id',
  state: 'ti.state',
  duration: 'ti.duration',
  start_date: 'ti.start_date',
  end_date: 'ti.end_date',
  map_index: 'ti.map_index',
  try_number: 'ti.try_number',
  logical_date: 'r.logical_date',
  run_after: 'r.run_after',
  data_interval_start: 'r.data_interval_start',
  data_interval_end: 'r.data_interval_end',
  rendered_map_index: 'ti.map_index',
  operator: 'ti.operator',
  task_id: 'ti.task_id',
  dag_id: 'ti.dag_id',
  run_id: 'ti.run_id',
  dag_run_id: 'ti.run_id',
  pool: 'ti.pool',
  queue: 'ti.queue',
  priority_weight: 'ti.priority_weight',
};
const DATE_RANGES = { run_after: 'r.run_after', logical_date: 'r.logical_date', start_date: 'ti.start_date', end_date: 'ti.end_date', updated_at: 'coalesce(ti.end_date, ti.start_date, ti.queued_dttm, ti.scheduled_dttm, r.run_after)' };
const FROM = `FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id ${VERSION_JOIN('r')}`;

type TiWithRun = TaskInstanceRow & { logical_date: Date | null; run_after: Date } & VersionColumns;

/** state filters; `none` / `no_status` mean "no state yet" */
function stateFilter(w: Where, states: string[]) {
  if (!states.length) return;
  const wrong = states.filter((s) => !TI_STATES.includes(s));
  if (wrong.length) throw unprocessable(`query: state must be among ${TI_STATES.join(', ')}, not ${wrong.join(', ')}`);
  const real = states.filter((s) => s !== 'none' && s !== 'no_status');
  const none = real.length !== states.length;
  w.add(none ? `(ti.state = ANY(?::text[]) OR ti.state IS NULL)` : 'ti.state = ANY(?::text[])', real);
}

function intList(values: string[], name: string): number[] {
  return values.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw unprocessable(`query: ${name} must be integers, not ${JSON.stringify(v)}`);
    return n;
  });
}

/** Filters the GET list (query) and batch list (body) share. */
function tiFilters(w: Where, f: Record<string, unknown>) {
  const list = (name: string) => stringList(f[name], name).flatMap((x) => x.split(','));
  w.ranges(f, DATE_RANGES, 'date').ranges(f, { duration: 'ti.duration' }, 'number');
  stateFilter(w, list('state'));
  w.anyOf('ti.pool', list('pool')).anyOf('ti.queue', list('queue')).anyOf('ti.operator', list('operator')).anyOf('ti.task_id', stringList(f.task_ids, 'task_ids'));
  w.like('ti.pool', f.pool_name_pattern).like('ti.queue', f.queue_name_pattern).like('ti.operator', f.operator_name_pattern);
  w.like('ti.task_id', f.task_display_name_pattern).like('ti.dag_id', f.dag_id_pattern).like('ti.run_id', f.run_id_pattern);
  const tries = intList(list('try_number'), 'try_number');
  if (tries.length) w.add('ti.try_number = ANY(?::int[])', tries);
  const mapIndexes = intList(list('map_index'), 'map_index');
  if (mapIndexes.length) w.add('ti.map_index = ANY(?::int[])', mapIndexes);
  if (f.task_id !== undefined) w.add('ti.task_id = ?', String(f.task_id));
  const executors = list('executor');
  if (executors.length && !executors.includes('LocalExecutor')) w.add('false');
  const versions = intList(list('version_number'), 'version_number');
  if (versions.length) w.add('r.dag_version_id IN (SELECT id FROM dag_version v WHERE v.dag_id = ti.dag_id AND v.version_number = ANY(?::int[]))', versions);
}

export function registerTaskInstanceListRoutes(app: FastifyInstance, pool: pg.Pool) {
  const list = async (w: Where, order: string, limit: number, offset: number) => {
    const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n ${FROM} ${w.sql()}`, w.args);
    const rows = await pool.query<TiWithRun>(
      `SELECT ti.*, r.logical_date, r.run_after, ${VERSION_SELECT('r')} ${FROM} ${w.sql()} ORDER BY ${order}, ti.dag_id, ti.run_id, ti.task_id, ti.map_index LIMIT $${w.args.length + 1} OFFSET $${w.args.length + 2}`,
      [...w.args, limit, offset],
    );
    return { task_instances: rows.rows.map(taskInstanceResponse), total_entries: total.rows[0].n };
  };

  /** `~` means any the user may see; a named DAG or run must exist (404 otherwise, as in Airflow). */
  const scope = async (w: Where, dagId: string, runId: string, visible: string[] | null) => {
    if (dagId !== '~') {
      if (!(await pool.query('SELECT 1 FROM dag WHERE dag_id = $1', [dagId])).rowCount) throw notFound(`DAG with dag_id: \`${dagId}\` was not found`);
      w.add('ti.dag_id = ?', dagId);
    } else w.visible('ti.dag_id', visible);
    if (runId !== '~') {
      if (dagId !== '~' && !(await getDagRun(pool, dagId, runId))) throw notFound(`DagRun with run_id: \`${runId}\` was not found`);
      w.add('ti.run_id = ?', runId);
    }
  };

  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances', async (req) => {
    const { dag_id, run_id } = req.params as { dag_id: string; run_id: string };
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const w = new Where();
    await scope(w, dag_id, run_id, visibleDags(req));
    tiFilters(w, q);
    return list(w, orderBy(q.order_by, ORDER_COLUMNS, 'map_index'), limit, offset);
  });

  app.post('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/list', async (req) => {
    const { dag_id, run_id } = req.params as { dag_id: string; run_id: string };
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw unprocessable('The body must be a JSON object (TaskInstancesBatchBody)');
    const b = body as Record<string, unknown>;
    const ranges = ['run_after', 'logical_date', 'start_date', 'end_date', 'duration'].flatMap((p) => ['gte', 'gt', 'lte', 'lt'].map((s) => `${p}_${s}`));
    const allowed = ['dag_ids', 'dag_run_ids', 'task_ids', 'state', 'pool', 'queue', 'executor', 'page_offset', 'page_limit', 'order_by', ...ranges];
    const extra = Object.keys(b).filter((k) => !allowed.includes(k));
    if (extra.length) throw unprocessable(`Extra inputs are not permitted: ${extra.join(', ')}`);
    for (const k of ['dag_ids', 'dag_run_ids', 'task_ids', 'state', 'pool', 'queue', 'executor']) {
      if (b[k] !== undefined && b[k] !== null && !Array.isArray(b[k])) throw unprocessable(`${k} must be a list`);
    }
    const limit = b.page_limit ?? 100;
    const offset = b.page_offset ?? 0;
    if (!Number.isInteger(limit) || (limit as number) < 0 || !Number.isInteger(offset) || (offset as number) < 0) throw unprocessable('page_limit and page_offset must be non-negative integers');
    const w = new Where();
    await scope(w, dag_id, run_id, visibleDags(req));
    w.anyOf('ti.dag_id', stringList(b.dag_ids, 'dag_ids')).anyOf('ti.run_id', stringList(b.dag_run_ids, 'dag_run_ids'));
    tiFilters(w, { ...b, state: (b.state as unknown[] | undefined)?.map((s) => (s === null ? 'none' : s)) });
    return list(w, orderBy(b.order_by ?? undefined, ORDER_COLUMNS, 'map_index'), limit as number, offset as number);
  });

  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/listMapped', async (req) => {
    const { dag_id, run_id, task_id } = req.params as { dag_id: string; run_id: string; task_id: string };
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const w = new Where();
    await scope(w, dag_id, run_id, visibleDags(req));
    w.add('ti.task_id = ?', task_id).add('ti.map_index >= 0');
    tiFilters(w, q);
    const found = await list(w, orderBy(q.order_by, ORDER_COLUMNS, 'map_index'), limit, offset);
    if (!found.total_entries && !(await pool.query('SELECT 1 FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3', [dag_id, run_id, task_id])).rowCount) {
      throw notFound(`Task id ${task_id} not found`);
    }
    return found;
  });

  const loadTi = async (p: { dag_id: string; run_id: string; task_id: string }, mapIndex: number): Promise<TiWithRun> => {
    const r = await pool.query<TiWithRun>(`SELECT ti.*, r.logical_date, r.run_after, ${VERSION_SELECT('r')} ${FROM} WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = $3 AND ti.map_index = $4`, [
      p.dag_id,
      p.run_id,
      p.task_id,
      mapIndex,
    ]);
    if (!r.rows[0]) throw notFound(`The Task Instance with dag_id: \`${p.dag_id}\`, run_id: \`${p.run_id}\`, task_id: \`${p.task_id}\` and map_index: \`${mapIndex}\` was not found`);
    return r.rows[0];
  };
  const mapIndexOf = (raw: unknown, dflt = -1) => intParam(raw, 'map_index') ?? dflt;

  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/:map_index', async (req) => {
    const p = req.params as { dag_id: string; run_id: string; task_id: string; map_index: string };
    return taskInstanceResponse(await loadTi(p, mapIndexOf(p.map_index)));
  });

  // tries: finished ones from task_instance_history, then the current one
  const tries = async (p: { dag_id: string; run_id: string; task_id: string }, mapIndex: number) => {
    const ti = await loadTi(p, mapIndex);
    const history = await pool.query<TaskInstanceRow>(
      'SELECT * FROM task_instance_history WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND try_number <> $5 ORDER BY try_number',
      [p.dag_id, p.run_id, p.task_id, mapIndex, ti.try_number],
    );
    const all = [...history.rows.map((h) => ({ ...ti, ...h, pool: h.pool ?? ti.pool, queue: h.queue ?? ti.queue, operator: h.operator ?? ti.operator })), ...(ti.try_number > 0 ? [ti] : [])];
    return all.map(tryResponse);
  };

  // operators define no extra links (Airflow's operator_extra_links) in Updraft yet: an empty set, for an instance that exists
  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/links', async (req) => {
    const p = req.params as { dag_id: string; run_id: string; task_id: string };
    await loadTi(p, mapIndexOf((req.query as { map_index?: unknown }).map_index));
    return { extra_links: {}, total_entries: 0 };
  });

  // task logs are files the api-server serves itself (…/logs/{try_number}); no external log service is wired in
  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/externalLogUrl/:try_number', async (req) => {
    const p = req.params as { dag_id: string; run_id: string; task_id: string };
    await loadTi(p, mapIndexOf((req.query as { map_index?: unknown }).map_index));
    throw badRequest('Task log handler does not support external logs: read the log from …/logs/{try_number}');
  });

  for (const suffix of ['', '/:map_index'] as const) {
    const base = `/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id${suffix}`;
    const indexOf = (req: { params: unknown; query: unknown }) => mapIndexOf((req.params as { map_index?: string }).map_index ?? (req.query as { map_index?: unknown }).map_index);

    app.get(`${base}/tries`, async (req) => {
      const all = await tries(req.params as { dag_id: string; run_id: string; task_id: string }, indexOf(req));
      return { task_instances: all, total_entries: all.length };
    });

    app.get(`${base}/tries/:task_try_number`, async (req) => {
      const p = req.params as { dag_id: string; run_id: string; task_id: string; task_try_number: string };
      const n = intParam(p.task_try_number, 'task_try_number');
      const found = (await tries(p, indexOf(req))).find((t) => t.try_number === n);
      if (!found) throw notFound(`The Task Instance with dag_id: \`${p.dag_id}\`, run_id: \`${p.run_id}\`, task_id: \`${p.task_id}\`, try_number: \`${p.task_try_number}\` and map_index: \`${indexOf(req)}\` was not found`);
      return found;
    });

    app.get(`${base}/dependencies`, async (req) => {
      const p = req.params as { dag_id: string; run_id: string; task_id: string };
      return { dependencies: await dependencies(await loadTi(p, indexOf(req))) };
    });
  }

  /** Why a task instance is not running yet, in Airflow's dependency names; empty once it ran or runs. */
  async function dependencies(ti: TiWithRun): Promise<{ name: string; reason: string }[]> {
    const reasons: { name: string; reason: string }[] = [];
    if (ti.state && !['scheduled', 'up_for_retry', 'up_for_reschedule'].includes(ti.state)) {
      if (['success', 'failed', 'skipped', 'upstream_failed', 'removed'].includes(ti.state)) {
        reasons.push({ name: 'Task Instance State', reason: `Task is in the '${ti.state}' state.` });
      }
      return reasons;
    }
    const ctx = await pool.query<{ is_paused: boolean; run_state: string; dag_version_id: number; pool_exists: boolean }>(
      `SELECT d.is_paused, r.state AS run_state, r.dag_version_id, EXISTS (SELECT 1 FROM slot_pool p WHERE p.pool = $3) AS pool_exists
       FROM dag d JOIN dag_run r ON r.dag_id = d.dag_id WHERE d.dag_id = $1 AND r.run_id = $2`,
      [ti.dag_id, ti.run_id, ti.pool],
    );
    const c = ctx.rows[0];
    if (c.run_state !== 'running') reasons.push({ name: 'Dagrun Running', reason: `Task instance's dagrun was not in the 'running' state but in the state '${c.run_state}'.` });
    if (!c.pool_exists) reasons.push({ name: 'Pool Slots Available', reason: `Tasks using non-existent pool '${ti.pool}' will not be scheduled` });
    if (ti.state === 'up_for_retry' && ti.next_retry_at && ti.next_retry_at > new Date()) {
      reasons.push({ name: 'Not In Retry Period', reason: `Task is not ready for retry yet but will be retried automatically. Current date is ${new Date().toISOString()} and task will be retried at ${ti.next_retry_at.toISOString()}.` });
    }
    const dag = await getDagVersion(pool, c.dag_version_id);
    const task = dag.tasks.find((t) => t.task_id === ti.task_id);
    if (task && task.upstream_task_ids.length) {
      const up = await pool.query<{ task_id: string; state: TiState | null }>('SELECT task_id, state FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = ANY($3::text[])', [
        ti.dag_id,
        ti.run_id,
        task.upstream_task_ids,
      ]);
      const counts = countUpstream(up.rows.map((u) => u.state));
      if (evaluateTriggerRule(task.trigger_rule, counts) === 'wait') {
        reasons.push({
          name: 'Trigger Rule',
          reason: `Task's trigger rule '${task.trigger_rule}' requires all upstream tasks to have succeeded, but found ${counts.total - counts.success} non-success(es). upstream_states=${JSON.stringify(counts)}, upstream_task_ids=${JSON.stringify(task.upstream_task_ids)}`,
        });
      }
    }
    return reasons;
  }
}

function tryResponse(t: TiWithRun) {
  const r = taskInstanceResponse(t);
  return {
    task_id: r.task_id,
    dag_id: r.dag_id,
    dag_run_id: r.dag_run_id,
    map_index: r.map_index,
    start_date: r.start_date,
    end_date: r.end_date,
    duration: r.duration,
    state: r.state,
    try_number: r.try_number,
    max_tries: r.max_tries,
    task_display_name: r.task_display_name,
    dag_display_name: r.dag_display_name,
    hostname: r.hostname,
    unixname: r.unixname,
    pool: r.pool,
    pool_slots: r.pool_slots,
    queue: r.queue,
    priority_weight: r.priority_weight,
    operator: r.operator,
    operator_name: r.operator_name,
    queued_when: r.queued_when,
    scheduled_when: r.scheduled_when,
    pid: r.pid,
    executor: r.executor,
    executor_config: r.executor_config,
    dag_version: r.dag_version,
  };
}
