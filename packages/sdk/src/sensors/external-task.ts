/**
 * ExternalTaskSensor: waits for a task (tasks, a task group, or the whole run)
 * of another DAG at the same logical date, or shifted by execution_delta /
 * execution_date_fn, to reach an allowed state. A failed state fails the
 * sensor, a skipped state skips it (Airflow's rules).
 */
import { runMoment, type Context } from '../context.ts';
import { durationToSeconds, type Duration } from '../duration.ts';
import { AirflowException, AirflowSkipException } from '../exceptions.ts';
import { crossDagRuntime } from '../operators/trigger-dagrun.ts';
import { BaseSensorOperator, type BaseSensorOptions } from './base.ts';

export interface ExternalTaskSensorOptions extends BaseSensorOptions {
  external_dag_id: string;
  external_task_id?: string | null;
  external_task_ids?: string[] | null;
  external_task_group_id?: string | null;
  allowed_states?: string[];
  failed_states?: string[];
  skipped_states?: string[];
  /** how much earlier the other run's logical date is */
  execution_delta?: Duration | null;
  /** the other run's logical date, computed from this one's */
  execution_date_fn?: ((logicalDate: Date, context: Context) => Date) | null;
  /** fail at once when the other DAG does not exist */
  check_existence?: boolean;
}

export class ExternalTaskSensor extends BaseSensorOperator {
  static override template_fields = ['external_dag_id', 'external_task_id', 'external_task_ids', 'external_task_group_id'];
  external_dag_id: string;
  external_task_ids: string[] | null;
  external_task_group_id: string | null;
  allowed_states: string[];
  failed_states: string[];
  skipped_states: string[];
  execution_delta: number | null;
  execution_date_fn: ExternalTaskSensorOptions['execution_date_fn'];
  check_existence: boolean;

  constructor(options: ExternalTaskSensorOptions) {
    super(options);
    if (options.external_task_id && options.external_task_ids) throw new Error(`task '${this.task_id}': give external_task_id or external_task_ids, not both`);
    if (options.execution_delta != null && options.execution_date_fn) throw new Error(`task '${this.task_id}': give execution_delta or execution_date_fn, not both`);
    this.external_dag_id = options.external_dag_id;
    this.external_task_ids = options.external_task_ids ?? (options.external_task_id ? [options.external_task_id] : null);
    this.external_task_group_id = options.external_task_group_id ?? null;
    this.allowed_states = options.allowed_states ?? ['success'];
    this.failed_states = options.failed_states ?? [];
    this.skipped_states = options.skipped_states ?? [];
    this.execution_delta = options.execution_delta == null ? null : durationToSeconds(options.execution_delta);
    this.execution_date_fn = options.execution_date_fn ?? null;
    this.check_existence = options.check_existence ?? false;
  }

  targetDate(context: Context): Date {
    const own = runMoment(context);
    if (this.execution_date_fn) return this.execution_date_fn(own, context);
    return new Date(own.getTime() - (this.execution_delta ?? 0) * 1000);
  }

  async poke(context: Context): Promise<boolean> {
    const runtime = crossDagRuntime();
    const at = this.targetDate(context);
    const what = this.external_task_group_id
      ? `task group ${this.external_task_group_id}`
      : this.external_task_ids
        ? `tasks ${JSON.stringify(this.external_task_ids)}`
        : 'the DAG run';
    context.ti.log.info(`Poking for ${what} of ${this.external_dag_id} on ${at.toISOString()} ...`);
    if (!this.external_task_ids && !this.external_task_group_id) {
      const { dag_exists, run } = await runtime.getDagRunState(this.external_dag_id, { logical_date: at });
      if (!dag_exists && this.check_existence) throw new AirflowException(`The external DAG ${this.external_dag_id} does not exist.`);
      return this.judge(run ? [run.state] : [null]);
    }
    const states = await runtime.getTaskStates(this.external_dag_id, {
      logical_date: at,
      ...(this.external_task_ids ? { task_ids: this.external_task_ids } : {}),
      ...(this.external_task_group_id ? { task_group_id: this.external_task_group_id } : {}),
    });
    if (this.check_existence && this.external_task_ids) {
      const { dag_exists } = await runtime.getDagRunState(this.external_dag_id, { logical_date: at });
      if (!dag_exists) throw new AirflowException(`The external DAG ${this.external_dag_id} does not exist.`);
    }
    const wanted = this.external_task_ids ?? Object.keys(states);
    if (wanted.length === 0) return false;
    return this.judge(wanted.flatMap((id) => states[id] ?? [null]));
  }

  /** All allowed: done; any failed: fail; any skipped: skip; otherwise keep waiting. */
  judge(states: (string | null)[]): boolean {
    if (states.some((s) => s !== null && this.failed_states.includes(s))) {
      throw new AirflowException(`The external ${this.external_task_ids ? 'task(s)' : 'DAG'} of ${this.external_dag_id} failed (states: ${JSON.stringify(states)}).`);
    }
    if (states.some((s) => s !== null && this.skipped_states.includes(s))) {
      throw new AirflowSkipException(`The external ${this.external_task_ids ? 'task(s)' : 'DAG'} of ${this.external_dag_id} was skipped.`);
    }
    return states.every((s) => s !== null && this.allowed_states.includes(s));
  }

  override serializeFields(): Record<string, unknown> {
    return { ...super.serializeFields(), external_dag_id: this.external_dag_id, external_task_ids: this.external_task_ids, external_task_group_id: this.external_task_group_id };
  }
}
