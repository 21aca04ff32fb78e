/**
 * DAG → SerializedDag (the contract in serialized.ts): validate first, then
 * flatten options to JSON (functions dropped, Dates ISO, durations seconds).
 */
import { normalizeAccessControl } from './access-control.ts';
import { BaseSensorOperator } from './sensors/base.ts';
import { serializeExpandInput } from './mapping.ts';
import type { BaseOperator } from './baseoperator.ts';
import type { DAG } from './dag.ts';
import { formatInTimezone } from './dates.ts';
import { durationToSeconds, optionalDurationToSeconds } from './duration.ts';
import { DagDefinitionError } from './exceptions.ts';
import { toJsonObject, toJsonSafe } from './json.ts';
import { serializeParam } from './params.ts';
import { SERIALIZATION_VERSION, type SerializedDag, type SerializedTask } from './serialized.ts';
import { dagProblems } from './validate.ts';

/** default_args keys holding durations, shown as seconds like the task fields. */
const DURATION_ARGS = ['retry_delay', 'max_retry_delay', 'execution_timeout'];

/**
 * Validates `dag` and returns its JSON form. Throws DagDefinitionError whose
 * message reads "<fileloc>: DAG '<dag_id>': <problem>[; <problem> …]".
 */
export function serializeDag(dag: DAG, fileloc: string): SerializedDag {
  const problems = dagProblems(dag);
  if (problems.length > 0) {
    throw new DagDefinitionError(`${fileloc}: DAG '${dag.dag_id}': ${problems.join('; ')}`, {
      fileloc,
      dag_id: dag.dag_id,
      problems,
    });
  }

  const tasks = dag.tasks.map(serializeTask);
  const accessControl = normalizeAccessControl(dag.access_control).value;
  return {
    serialization_version: SERIALIZATION_VERSION,
    dag_id: dag.dag_id,
    fileloc,
    description: dag.description,
    schedule: dag.schedule,
    schedule_text: dag.schedule_text,
    timezone: dag.timezone,
    start_date: dag.start_date ? formatInTimezone(dag.start_date, dag.timezone) : null,
    end_date: dag.end_date ? formatInTimezone(dag.end_date, dag.timezone) : null,
    catchup: dag.catchup,
    tags: [...dag.tags],
    owners: [...new Set(tasks.map((task) => task.owner))],
    params: Object.fromEntries(Object.entries(dag.params).map(([name, param]) => [name, serializeParam(param, toJsonSafe)])),
    max_active_runs: dag.max_active_runs,
    max_active_tasks: dag.max_active_tasks,
    dagrun_timeout_seconds: optionalDurationToSeconds(dag.dagrun_timeout),
    doc_md: dag.doc_md,
    is_paused_upon_creation: dag.is_paused_upon_creation,
    render_template_as_native_obj: dag.render_template_as_native_obj,
    template_searchpath: [...dag.template_searchpath],
    has_on_success_callback: hasCallback(dag.on_success_callback),
    has_on_failure_callback: hasCallback(dag.on_failure_callback),
    default_args: serializeDefaultArgs(dag.default_args),
    tasks,
    ...(dag.task_groups.length
      ? { task_groups: dag.task_groups.map((g) => ({ group_id: g.group_id, parent_group_id: g.parent_group?.group_id ?? null, tooltip: g.tooltip })) }
      : {}),
    // only when set, so that DAGs without it keep the serialized form (and version hash) they had
    ...(accessControl ? { access_control: accessControl } : {}),
  };
}

export function serializeTask(task: BaseOperator): SerializedTask {
  return {
    task_id: task.task_id,
    operator: task.operator_name,
    upstream_task_ids: task.upstream_task_ids,
    downstream_task_ids: task.downstream_task_ids,
    owner: task.owner,
    retries: task.retries,
    retry_delay_seconds: durationToSeconds(task.retry_delay),
    retry_exponential_backoff: task.retry_exponential_backoff,
    max_retry_delay_seconds: optionalDurationToSeconds(task.max_retry_delay),
    execution_timeout_seconds: optionalDurationToSeconds(task.execution_timeout),
    trigger_rule: task.trigger_rule,
    depends_on_past: task.depends_on_past || task.wait_for_downstream,
    wait_for_downstream: task.wait_for_downstream,
    pool: task.pool,
    pool_slots: task.pool_slots,
    priority_weight: task.priority_weight,
    weight_rule: task.weight_rule,
    queue: task.queue,
    email: emailList(task.email),
    email_on_failure: task.email_on_failure,
    email_on_retry: task.email_on_retry,
    has_on_execute_callback: hasCallback(task.on_execute_callback),
    has_on_success_callback: hasCallback(task.on_success_callback),
    has_on_failure_callback: hasCallback(task.on_failure_callback),
    has_on_retry_callback: hasCallback(task.on_retry_callback),
    has_on_skipped_callback: hasCallback(task.on_skipped_callback),
    template_fields: [...task.template_fields],
    template_ext: [...task.template_ext],
    doc_md: task.doc_md,
    is_empty: task.is_empty,
    ...(task instanceof BaseSensorOperator ? { sensor_mode: task.mode } : {}),
    ...(task.task_group ? { task_group_id: task.task_group.group_id } : {}),
    ...(task.outlets.length ? { outlets: task.outlets.map((a) => ({ uri: a.uri, name: a.name })) } : {}),
    ...(task.expand_input
      ? { is_mapped: true, expand_input: serializeExpandInput(task.expand_input) }
      : task.task_group?.mappedGroup
        ? { is_mapped: true, expand_input: serializeExpandInput(task.task_group.mappedGroup.expand_input!), mapped_group_id: task.task_group.mappedGroup.group_id }
        : {}),
    ...(task.max_active_tis_per_dag != null ? { max_active_tis_per_dag: task.max_active_tis_per_dag } : {}),
    ...(task.is_setup ? { is_setup: true } : {}),
    ...(task.is_teardown ? { is_teardown: true, on_failure_fail_dagrun: task.on_failure_fail_dagrun } : {}),
    fields: toJsonObject(task.serializeFields()),
  };
}

function hasCallback(callback: unknown): boolean {
  return Array.isArray(callback) ? callback.length > 0 : typeof callback === 'function';
}

/** Airflow accepts "a@x.com, b@y.com" as well as a list. */
function emailList(email: string | string[] | null): string[] {
  if (email === null) return [];
  const items = typeof email === 'string' ? email.split(/[,;]/) : email;
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

function serializeDefaultArgs(defaultArgs: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...defaultArgs };
  for (const key of DURATION_ARGS) {
    const value = copy[key];
    if (value === null || value === undefined) continue;
    try {
      copy[key] = durationToSeconds(value as number);
    } catch {
      // left as written: the tasks using it already reported the problem
    }
  }
  return toJsonObject(copy);
}
