/**
 * TriggerDagRunOperator: starts a run of another DAG, optionally waits for
 * it. Pushes the run id as XCom `trigger_run_id` (Airflow 3's key) so a
 * downstream task or sensor can follow it.
 */
import { BaseOperator, type BaseOperatorOptions } from '../baseoperator.ts';
import type { Context } from '../context.ts';
import { durationToSeconds, type Duration } from '../duration.ts';
import { AirflowException, AirflowSkipException } from '../exceptions.ts';
import { getTaskRuntime, type TaskRuntime } from '../runtime.ts';

export interface TriggerDagRunOperatorOptions extends BaseOperatorOptions {
  trigger_dag_id: string;
  trigger_run_id?: string | null;
  conf?: Record<string, unknown> | null;
  /** the run's logical date (a Date, ISO text or a template); default: now */
  logical_date?: Date | string | null;
  /** an existing run with that run id is cleared and runs again */
  reset_dag_run?: boolean;
  wait_for_completion?: boolean;
  poke_interval?: Duration;
  allowed_states?: string[];
  failed_states?: string[];
  skip_when_already_exists?: boolean;
}

export class TriggerDagRunOperator extends BaseOperator {
  static override template_fields = ['trigger_dag_id', 'trigger_run_id', 'logical_date', 'conf'];
  trigger_dag_id: string;
  trigger_run_id: string | null;
  conf: Record<string, unknown>;
  logical_date: string | null;
  reset_dag_run: boolean;
  wait_for_completion: boolean;
  poke_interval: number;
  allowed_states: string[];
  failed_states: string[];
  skip_when_already_exists: boolean;

  constructor(options: TriggerDagRunOperatorOptions) {
    super(options);
    this.trigger_dag_id = options.trigger_dag_id;
    this.trigger_run_id = options.trigger_run_id ?? null;
    this.conf = options.conf ?? {};
    this.logical_date = options.logical_date instanceof Date ? options.logical_date.toISOString() : (options.logical_date ?? null);
    this.reset_dag_run = options.reset_dag_run ?? false;
    this.wait_for_completion = options.wait_for_completion ?? false;
    this.poke_interval = durationToSeconds(options.poke_interval ?? 60);
    this.allowed_states = options.allowed_states ?? ['success'];
    this.failed_states = options.failed_states ?? ['failed'];
    this.skip_when_already_exists = options.skip_when_already_exists ?? false;
  }

  async execute(context: Context): Promise<void> {
    const runtime = crossDagRuntime();
    const logical = this.logical_date ? new Date(this.logical_date) : undefined;
    if (logical && Number.isNaN(logical.getTime())) throw new AirflowException(`logical_date '${this.logical_date}' is not a date`);
    let runId: string;
    try {
      const run = await runtime.triggerDagRun(this.trigger_dag_id, { run_id: this.trigger_run_id, logical_date: logical, conf: this.conf, reset_dag_run: this.reset_dag_run });
      runId = run.run_id;
    } catch (err) {
      if (this.skip_when_already_exists && /already exists/i.test((err as Error).message)) {
        throw new AirflowSkipException(`DAG run ${this.trigger_run_id} of ${this.trigger_dag_id} already exists`);
      }
      throw err;
    }
    context.ti.log.info(`Triggered DAG ${this.trigger_dag_id}: run ${runId}`);
    await context.ti.xcom_push('trigger_run_id', runId);
    if (!this.wait_for_completion) return;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, this.poke_interval * 1000));
      const { run } = await runtime.getDagRunState(this.trigger_dag_id, { run_id: runId });
      const state = run?.state ?? 'gone';
      context.ti.log.info(`Waiting for ${this.trigger_dag_id} on ${runId} to become allowed state ${JSON.stringify(this.allowed_states)} (now ${state})`);
      if (this.failed_states.includes(state)) throw new AirflowException(`${this.trigger_dag_id} failed with failed state ${state}`);
      if (this.allowed_states.includes(state)) return;
      if (!run) throw new AirflowException(`the run ${runId} of ${this.trigger_dag_id} disappeared`);
    }
  }
}

type CrossDagRuntime = Required<Pick<TaskRuntime, 'triggerDagRun' | 'getDagRunState' | 'getTaskStates'>>;

/** The runtime's cross-DAG calls (present in a real task process). */
export function crossDagRuntime(): CrossDagRuntime {
  const runtime = getTaskRuntime();
  if (!runtime.triggerDagRun || !runtime.getDagRunState || !runtime.getTaskStates) {
    throw new AirflowException('this task runtime cannot reach other DAGs (no Execution API)');
  }
  return runtime as CrossDagRuntime;
}
