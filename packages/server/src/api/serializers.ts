/** Database rows → the JSON shapes of Airflow's REST API v2 (field names per spec). */
import type { DagRow } from '../db/sql/dags.ts';
import type { DagRunRow } from '../db/sql/dag-runs.ts';
import type { TaskInstanceRow } from '../db/sql/task-instances.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * dag_version ids are bigints here; the spec wants a UUID, so the id is
 * written into the last group of a fixed UUID (stable, and parseable back).
 */
export function dagVersionUuid(id: number | string): string {
  return `00000000-0000-4000-8000-${BigInt(id).toString(16).padStart(12, '0')}`;
}

export function dagVersionResponse(v: { id: number | string; version_number: number; dag_id: string; created_at: Date }) {
  return {
    id: dagVersionUuid(v.id),
    version_number: v.version_number,
    dag_id: v.dag_id,
    bundle_name: 'dags-folder',
    bundle_version: null,
    created_at: v.created_at.toISOString(),
    dag_display_name: v.dag_id,
    bundle_url: null,
  };
}

/** Columns a query may add to a run or task instance row (joined from dag_version) to show its version. */
export interface VersionColumns {
  dag_version_id?: number | string | null;
  version_number?: number | null;
  version_created_at?: Date | null;
}

const versionOf = (dagId: string, v: VersionColumns) =>
  v.dag_version_id != null && v.version_number != null && v.version_created_at ? dagVersionResponse({ id: v.dag_version_id, version_number: v.version_number, dag_id: dagId, created_at: v.version_created_at }) : null;

/** A run as the API shows it, with its DAG version read from the database. */
export async function dagRunWithVersion(db: { query: (sql: string, args: unknown[]) => Promise<{ rows: { version_number: number; created_at: Date }[] }> }, r: DagRunRow) {
  const v = await db.query('SELECT version_number, created_at FROM dag_version WHERE id = $1', [r.dag_version_id]);
  return dagRunResponse({ ...r, version_number: v.rows[0]?.version_number ?? null, version_created_at: v.rows[0]?.created_at ?? null });
}

/** SQL to join for VersionColumns, given the alias of a dag_run row. */
export const VERSION_SELECT = (run: string) => `${run}.dag_version_id, dv.version_number, dv.created_at AS version_created_at`;
export const VERSION_JOIN = (run: string) => `LEFT JOIN dag_version dv ON dv.id = ${run}.dag_version_id`;

export function dagResponse(d: DagRow & { has_import_errors?: boolean }) {
  return {
    dag_id: d.dag_id,
    dag_display_name: d.dag_id,
    is_paused: d.is_paused,
    is_stale: !d.is_active,
    last_parsed_time: iso(d.last_parsed_time),
    last_parse_duration: null,
    last_expired: null,
    bundle_name: 'dags-folder',
    bundle_version: null,
    relative_fileloc: d.relative_fileloc,
    fileloc: d.fileloc,
    description: d.description,
    timetable_summary: d.timetable_summary,
    timetable_description: d.timetable_description,
    timetable_partitioned: false,
    tags: d.tags.map((name) => ({ name, dag_id: d.dag_id, dag_display_name: d.dag_id })),
    max_active_tasks: d.max_active_tasks,
    max_active_runs: d.max_active_runs,
    max_consecutive_failed_dag_runs: 0,
    has_task_concurrency_limits: false,
    has_import_errors: d.has_import_errors ?? false,
    next_dagrun_logical_date: iso(d.next_dagrun),
    next_dagrun_data_interval_start: iso(d.next_dagrun_data_interval_start),
    next_dagrun_data_interval_end: iso(d.next_dagrun_data_interval_end),
    next_dagrun_run_after: iso(d.next_dagrun_create_after),
    allowed_run_types: null,
    owners: d.owners,
    file_token: Buffer.from(d.fileloc).toString('base64url'),
  };
}

export function dagRunResponse(r: DagRunRow & VersionColumns) {
  const duration = r.start_date && r.end_date ? (r.end_date.getTime() - r.start_date.getTime()) / 1000 : null;
  return {
    dag_run_id: r.run_id,
    dag_id: r.dag_id,
    dag_display_name: r.dag_id,
    logical_date: iso(r.logical_date),
    queued_at: iso(r.queued_at),
    start_date: iso(r.start_date),
    end_date: iso(r.end_date),
    duration,
    data_interval_start: iso(r.data_interval_start),
    data_interval_end: iso(r.data_interval_end),
    run_after: iso(r.run_after),
    last_scheduling_decision: iso(r.last_scheduling_decision),
    run_type: r.run_type,
    state: r.state,
    triggered_by: r.triggered_by === 'timetable' ? 'timetable' : r.triggered_by === 'cli' ? 'cli' : r.triggered_by === 'test' ? 'test' : 'rest_api',
    triggering_user_name: r.triggered_by && !['timetable', 'cli', 'test'].includes(r.triggered_by) ? r.triggered_by : null,
    conf: r.conf,
    note: r.note,
    dag_versions: [versionOf(r.dag_id, r)].filter((v) => v !== null),
    bundle_version: null,
    partition_key: null,
  };
}

export function taskInstanceResponse(t: TaskInstanceRow & { logical_date?: Date | null; run_after?: Date } & VersionColumns) {
  return {
    id: t.id,
    task_id: t.task_id,
    dag_id: t.dag_id,
    dag_run_id: t.run_id,
    map_index: t.map_index,
    logical_date: iso(t.logical_date ?? null),
    run_after: iso(t.run_after ?? null),
    start_date: iso(t.start_date),
    end_date: iso(t.end_date),
    duration: t.duration,
    state: t.state,
    try_number: t.try_number,
    max_tries: t.max_tries,
    task_display_name: t.task_id,
    dag_display_name: t.dag_id,
    hostname: t.hostname,
    unixname: null,
    pool: t.pool,
    pool_slots: t.pool_slots,
    queue: t.queue,
    priority_weight: t.priority_weight,
    operator: t.operator,
    operator_name: t.operator,
    queued_when: iso(t.queued_dttm),
    scheduled_when: iso(t.scheduled_dttm),
    pid: t.pid,
    executor: null,
    executor_config: '{}',
    note: t.note,
    rendered_map_index: null,
    rendered_fields: t.rendered_fields ?? {},
    trigger: null,
    triggerer_job: null,
    dag_version: versionOf(t.dag_id, t),
  };
}
